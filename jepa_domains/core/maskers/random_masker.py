"""Random-ratio masking: a random subset of valid tokens is the target, the rest the context."""

from __future__ import annotations

import torch

from jepa_domains.core.maskers.base import Masker, RowMask, check_range, ensure_context, uniform, valid_indices


class RandomMasker(Masker):
    """One target group made of a random ``ratio`` of the valid tokens (TS-JEPA, Audio-JEPA).

    Args:
        ratio: ``(min, max)`` fraction of valid tokens to hide, drawn per row.
        num_targets: split the hidden tokens into this many target groups (predicted
            independently); 1 keeps them together.
    """

    def __init__(self, *, ratio: tuple[float, float] = (0.5, 0.7), num_targets: int = 1) -> None:
        self.ratio = check_range("ratio", ratio)
        if self.ratio[1] >= 1.0:
            raise ValueError(f"ratio must stay below 1 so that context is not empty, got {ratio}")
        if num_targets < 1:
            raise ValueError(f"num_targets must be >= 1, got {num_targets}")
        self.num_targets = num_targets

    def sample_row(self, shape, extent, generator, progress) -> RowMask:
        idx = valid_indices(shape, extent)
        n = idx.numel()
        n_target = min(max(1, round(uniform(generator, *self.ratio) * n)), n - 1) if n > 1 else 0
        perm = idx[torch.randperm(n, generator=generator)]
        hidden = perm[:n_target]
        context = perm[n_target:].sort().values
        groups = [g.sort().values for g in hidden.tensor_split(self.num_targets)] if n_target else [hidden]
        return ensure_context(context, groups)
