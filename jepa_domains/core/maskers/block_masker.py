"""2-D multi-block masking on a grid with I-JEPA's semantics."""

from __future__ import annotations

import math

import torch

from jepa_domains.core.maskers.base import Masker, RowMask, check_range, randint, uniform


class MultiBlockMasker(Masker):
    """I-JEPA multi-block masking on a ``(H, W)`` grid (for audio: time x frequency).

    ``num_targets`` target blocks of scale ``target_scale`` (fraction of the valid grid area)
    and aspect ratio ``target_aspect`` (height / width) are sampled; one context block of scale
    ``context_scale`` is sampled and every target cell is removed from it. Blocks stay inside
    the valid rows of the grid. If fewer than ``min_keep`` context cells survive, the target
    positions are drawn again (I-JEPA's loop), up to ``max_tries`` times.

    Args:
        num_targets: number of target blocks (I-JEPA: 4).
        target_scale: ``(min, max)`` area fraction of each target block (I-JEPA: 0.15-0.2).
        target_aspect: ``(min, max)`` height/width ratio of target blocks (I-JEPA: 0.75-1.5).
        context_scale: ``(min, max)`` area fraction of the context block (I-JEPA: 0.85-1.0).
        context_aspect: ``(min, max)`` aspect ratio of the context block (I-JEPA: 1.0).
        min_keep: minimum number of context cells.
    """

    def __init__(
        self,
        *,
        num_targets: int = 4,
        target_scale: tuple[float, float] = (0.15, 0.2),
        target_aspect: tuple[float, float] = (0.75, 1.5),
        context_scale: tuple[float, float] = (0.85, 1.0),
        context_aspect: tuple[float, float] = (1.0, 1.0),
        min_keep: int = 4,
        max_tries: int = 20,
    ) -> None:
        if num_targets < 1:
            raise ValueError(f"num_targets must be >= 1, got {num_targets}")
        self.num_targets = num_targets
        self.target_scale = check_range("target_scale", target_scale)
        self.target_aspect = check_range("target_aspect", target_aspect, 1e-3, 1e3)
        self.context_scale = check_range("context_scale", context_scale)
        self.context_aspect = check_range("context_aspect", context_aspect, 1e-3, 1e3)
        if min_keep < 1:
            raise ValueError(f"min_keep must be >= 1, got {min_keep}")
        self.min_keep = min_keep
        self.max_tries = max_tries

    @staticmethod
    def _block_size(height: int, width: int, scale: float, aspect: float) -> tuple[int, int]:
        area = scale * height * width
        h = int(round(math.sqrt(area * aspect)))
        w = int(round(math.sqrt(area / aspect)))
        return min(max(h, 1), height), min(max(w, 1), width)

    def _place(self, height: int, width: int, h: int, w: int, generator: torch.Generator) -> torch.Tensor:
        top = randint(generator, 0, height - h)
        left = randint(generator, 0, width - w)
        cells = torch.zeros(height, width, dtype=torch.bool)
        cells[top : top + h, left : left + w] = True
        return cells

    def sample_row(self, shape, extent, generator, progress) -> RowMask:
        if len(shape) != 2:
            raise ValueError(f"MultiBlockMasker needs a 2-D layout, got shape {shape}")
        height, width = extent, int(shape[1])
        t_size = self._block_size(height, width, uniform(generator, *self.target_scale),
                                  uniform(generator, *self.target_aspect))
        c_size = self._block_size(height, width, uniform(generator, *self.context_scale),
                                  uniform(generator, *self.context_aspect))
        min_keep = min(self.min_keep, max(1, height * width - self.num_targets))
        for _ in range(self.max_tries):
            blocks = [self._place(height, width, *t_size, generator) for _ in range(self.num_targets)]
            covered = torch.stack(blocks).any(0)
            context_cells = self._place(height, width, *c_size, generator) & ~covered
            if int(context_cells.sum()) >= min_keep:
                break
        else:
            # Fall back to the complement of the targets, which I-JEPA's loop converges to.
            context_cells = ~covered
            if not context_cells.any():
                blocks[0][0, 0] = False
                context_cells[0, 0] = True
        context = torch.nonzero(context_cells.flatten()).squeeze(1)
        targets = [torch.nonzero(b.flatten()).squeeze(1) for b in blocks]
        targets = [t for t in targets if t.numel()] or [torch.nonzero(covered.flatten()).squeeze(1)]
        return context, targets
