"""Masking of overlapping patches without leaks: with ``stride < patch_len`` consecutive patches
share time steps, so a context patch next to a target patch shows part of the target's values.
:class:`NoOverlapMasker` removes such context patches from whatever plan an inner masker drew."""

from __future__ import annotations

import math

import torch

from jepa_domains.core.maskers import Masker
from jepa_domains.core.maskers.base import RowMask


def overlap_reach(patch_len: int, stride: int) -> int:
    """How many neighbours on each side a patch shares time steps with:
    ``ceil(patch_len / stride) - 1`` (0 for non-overlapping patches)."""
    return max(0, math.ceil(patch_len / stride) - 1)


def patch_steps(index: int, patch_len: int, stride: int) -> range:
    """The time steps ``[index * stride, index * stride + patch_len)`` patch ``index`` covers."""
    return range(index * stride, index * stride + patch_len)


class NoOverlapMasker(Masker):
    """Wraps a 1-D masker so that no context patch shares a time step with a target patch.

    Patch ``i`` covers steps ``[i * stride, i * stride + patch_len)``; patches ``i`` and ``j``
    overlap when ``|i - j| < ceil(patch_len / stride)``. Context patches that overlap any target
    patch are dropped. If that leaves no context, the inner plan's context patch farthest from
    every target is kept and the target patches overlapping it leave the targets (so the row
    still has a context and no leak); a row too short for both (fewer than
    ``2 * reach + 2`` patches) has every target patch but one removed around the kept context.

    Args:
        inner: the masker that draws context and targets (random, span, future).
        patch_len, stride: the tokenizer's patching.
    """

    def __init__(self, inner: Masker, *, patch_len: int, stride: int) -> None:
        if patch_len < 1 or stride < 1:
            raise ValueError(f"patch_len and stride must be >= 1, got {patch_len}, {stride}")
        self.inner, self.reach = inner, overlap_reach(patch_len, stride)

    def sample_row(self, shape, extent, generator, progress) -> RowMask:
        context, targets = self.inner.sample_row(shape, extent, generator, progress)
        if self.reach == 0:
            return context, targets
        n = int(extent)
        hidden = torch.cat([t for t in targets]) if targets else torch.zeros(0, dtype=torch.long)
        blocked = _dilate(hidden, self.reach, n)
        kept = context[~blocked[context]]
        if kept.numel():
            return kept, targets
        # no clean context left: keep the context patch farthest from every target
        distance = (context[:, None] - hidden[None, :]).abs().min(1).values
        anchor = context[int(torch.argmax(distance))].reshape(1)
        near = _dilate(anchor, self.reach, n)
        cleaned = [t[~near[t]] for t in targets]
        if sum(t.numel() for t in cleaned) == 0:
            # nothing survives: the patch farthest from the anchor is the one target
            far = torch.arange(n)[~near]
            if far.numel() == 0:
                raise ValueError(f"a row of {n} overlapping patches (reach {self.reach}) cannot hold a context "
                                 f"and a target that share no time step; use longer series or stride = patch_len")
            cleaned = [far[(far - anchor).abs().argmax()].reshape(1)]
        return anchor, [t for t in cleaned if t.numel()] or cleaned[:1]


def _dilate(indices: torch.Tensor, reach: int, n: int) -> torch.Tensor:
    """``[n]`` bool: positions within ``reach`` of any of ``indices``."""
    out = torch.zeros(n, dtype=torch.bool)
    for shift in range(-reach, reach + 1):
        pos = indices + shift
        out[pos[(pos >= 0) & (pos < n)]] = True
    return out
