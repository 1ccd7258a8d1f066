"""Scheduled mixture of two maskers: a curriculum over training progress (A-JEPA)."""

from __future__ import annotations

import torch

from jepa_domains.core.maskers.base import Masker, RowMask, check_range


class CurriculumMasker(Masker):
    """Uses ``start`` early in training and ``end`` late, mixing in between.

    At progress ``p`` a row uses ``end`` with probability ``q(p)``, where ``q`` rises linearly
    from 0 at ``ramp[0]`` to 1 at ``ramp[1]``. Progress comes from the training step, so the
    schedule is part of the run's state and resumes where it stopped.
    """

    def __init__(self, *, start: Masker, end: Masker, ramp: tuple[float, float] = (0.0, 1.0)) -> None:
        self.start = start
        self.end = end
        self.ramp = check_range("ramp", ramp)

    def end_probability(self, progress: float) -> float:
        a, b = self.ramp
        if b <= a:
            return float(progress >= a)
        return min(1.0, max(0.0, (progress - a) / (b - a)))

    def sample_row(self, shape, extent, generator, progress) -> RowMask:
        use_end = float(torch.rand((), generator=generator)) < self.end_probability(progress)
        return (self.end if use_end else self.start).sample_row(shape, extent, generator, progress)
