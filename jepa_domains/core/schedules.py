"""Step-indexed schedules: warm-up + cosine, cosine ramps and linear ramps."""

from __future__ import annotations

import math


def warmup_cosine(step: int, *, total: int, warmup: int, peak: float, start: float = 0.0,
                  final: float = 0.0) -> float:
    """Linear warm-up from ``start`` to ``peak`` over ``warmup`` steps, then cosine to ``final``."""
    if step < warmup:
        return start + (peak - start) * step / max(1, warmup)
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return final + 0.5 * (peak - final) * (1.0 + math.cos(math.pi * progress))


def cosine_ramp(step: int, *, total: int, start: float, end: float) -> float:
    """Cosine interpolation from ``start`` (step 0) to ``end`` (step ``total``)."""
    progress = min(1.0, step / max(1, total))
    return end + 0.5 * (start - end) * (1.0 + math.cos(math.pi * progress))


def linear_ramp(step: int, *, total: int, start: float, end: float) -> float:
    """Linear interpolation from ``start`` (step 0) to ``end`` (step ``total``)."""
    progress = min(1.0, step / max(1, total))
    return start + (end - start) * progress
