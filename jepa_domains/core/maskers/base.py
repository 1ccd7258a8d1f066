"""Masker base class: per-row sampling plus the batching and padding every masker shares."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from jepa_domains.core.tokens import Layout, MaskPlan

RowMask = tuple[Tensor, list[Tensor]]
"""One row's mask: context indices ``[nc]`` and a list of ``M`` target index tensors ``[nt_m]``."""


class Masker:
    """Turns a :class:`Layout` into a :class:`MaskPlan`, one row at a time.

    Subclasses implement :meth:`sample_row`; this class handles generators, padding of ragged
    rows and the guarantee that every row keeps at least one context token. Maskers run on the
    CPU inside the DataLoader collate, seeded per row so that masks depend only on the sample
    (and epoch), never on batch composition or world size.
    """

    def sample_row(self, shape: tuple[int, ...], extent: int, generator: torch.Generator,
                   progress: float) -> RowMask:
        """Sample one row.

        Args:
            shape: the layout's grid shape.
            extent: number of valid positions along the first axis of this row.
            generator: the row's random generator.
            progress: training progress in ``[0, 1]`` (used by scheduled maskers).
        """
        raise NotImplementedError

    def __call__(self, layout: Layout, generators: torch.Generator | Sequence[torch.Generator],
                 progress: float = 0.0) -> MaskPlan:
        if isinstance(generators, torch.Generator):
            if layout.valid is None:
                raise ValueError("a single generator needs layout.valid to know the number of rows")
            generators = [generators] * int(layout.valid.numel())
        rows = []
        for r, gen in enumerate(generators):
            context, targets = self.sample_row(tuple(layout.shape), layout.valid_extent(r), gen, progress)
            if context.numel() == 0:
                raise RuntimeError(f"{type(self).__name__} produced an empty context for row {r}")
            rows.append((context, targets))
        return pack_rows(rows)


def valid_indices(shape: tuple[int, ...], extent: int) -> Tensor:
    """Flat indices of the valid token slots of a row: those with first-axis index < extent."""
    inner = 1
    for s in shape[1:]:
        inner *= int(s)
    return torch.arange(extent * inner)


def pack_rows(rows: Sequence[RowMask]) -> MaskPlan:
    """Pad ragged per-row masks into a :class:`MaskPlan` (index 0 + pad flag)."""
    n_rows = len(rows)
    nc = max(c.numel() for c, _ in rows)
    m = max(len(t) for _, t in rows)
    nt = max((g.numel() for _, t in rows for g in t), default=1)
    nt = max(nt, 1)
    context = torch.zeros(n_rows, nc, dtype=torch.long)
    context_pad = torch.ones(n_rows, nc, dtype=torch.bool)
    targets = torch.zeros(n_rows, m, nt, dtype=torch.long)
    target_pad = torch.ones(n_rows, m, nt, dtype=torch.bool)
    for r, (c, ts) in enumerate(rows):
        context[r, : c.numel()] = c
        context_pad[r, : c.numel()] = False
        for j, g in enumerate(ts):
            targets[r, j, : g.numel()] = g
            target_pad[r, j, : g.numel()] = False
    return MaskPlan(context=context, targets=targets, context_pad=context_pad, target_pad=target_pad)


def uniform(generator: torch.Generator, low: float, high: float) -> float:
    """A float drawn uniformly from ``[low, high]``."""
    return low + (high - low) * float(torch.rand((), generator=generator))


def randint(generator: torch.Generator, low: int, high: int) -> int:
    """An int drawn uniformly from ``[low, high]`` (inclusive)."""
    return int(torch.randint(low, high + 1, (), generator=generator))


def check_range(name: str, value: tuple[float, float], low: float = 0.0, high: float = 1.0) -> tuple[float, float]:
    """Validate a ``(min, max)`` pair inside ``[low, high]``."""
    a, b = float(value[0]), float(value[1])
    if not (low <= a <= b <= high):
        raise ValueError(f"{name} must satisfy {low} <= min <= max <= {high}, got {value}")
    return a, b


def ensure_context(context: Tensor, targets: list[Tensor]) -> tuple[Tensor, list[Tensor]]:
    """Guarantee a non-empty context by moving one token of the largest target into it."""
    if context.numel() > 0:
        return context, targets
    largest = max(range(len(targets)), key=lambda j: targets[j].numel())
    moved = targets[largest][:1]
    targets = [t[t != moved[0]] if j == largest else t for j, t in enumerate(targets)]
    targets = [t[t != moved[0]] for t in targets]
    return moved, targets
