"""Group (set) masking: one context token group and K target groups (Graph-JEPA)."""

from __future__ import annotations

import torch

from jepa_domains.core.maskers.base import Masker, RowMask, valid_indices


class GroupMasker(Masker):
    """Each token stands for a group (e.g. a subgraph patch). One random valid token is the
    context and ``num_targets`` other valid tokens are targets, each predicted on its own.

    Rows with fewer than ``num_targets + num_context`` valid tokens get fewer targets; the
    missing groups are padding and never predicted. Padding tokens are never picked.

    Args:
        num_targets: ``K`` target groups (Graph-JEPA: 4).
        num_context: number of context groups (Graph-JEPA: 1).
    """

    def __init__(self, *, num_targets: int = 4, num_context: int = 1) -> None:
        if num_targets < 1 or num_context < 1:
            raise ValueError(f"num_targets and num_context must be >= 1, got {num_targets}, {num_context}")
        self.num_targets = num_targets
        self.num_context = num_context

    def sample_row(self, shape, extent, generator, progress) -> RowMask:
        idx = valid_indices(shape, extent)
        if idx.numel() < 2:
            raise ValueError(f"GroupMasker needs at least 2 valid groups per row, got {idx.numel()}")
        perm = idx[torch.randperm(idx.numel(), generator=generator)]
        n_context = min(self.num_context, idx.numel() - 1)
        context = perm[:n_context].sort().values
        chosen = perm[n_context : n_context + self.num_targets]
        return context, [chosen[j : j + 1] for j in range(chosen.numel())]
