"""Step-indexed schedules: warm-up + cosine, cosine ramps, linear ramps and the EMA momentum."""

from __future__ import annotations

import math
from collections.abc import Iterable


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


def horizon_momentum(horizon: float, total: int) -> float:
    """EMA momentum whose time constant is ``tau = horizon * total`` steps: ``1 - 1/tau``.

    An EMA with momentum ``m`` forgets the past with time constant ``1 / (1 - m)`` steps, so a
    horizon of 0.1 averages the target over roughly the last tenth of the run whatever its length.
    ``tau`` below one step is clamped to one (momentum 0: the target copies the online encoder).
    """
    if not horizon > 0:
        raise ValueError(f"horizon must be > 0 (a fraction of the run), got {horizon!r}")
    if total < 1:
        raise ValueError(f"total must be >= 1 step, got {total!r}")
    tau = max(1.0, horizon * total)
    return 1.0 - 1.0 / tau


def ema_momentum(step: int, *, total: int, start: float, end: float, horizon: float = 0.0) -> float:
    """Target-encoder momentum at ``step`` (the update after optimiser step ``step``, 0-based).

    ``horizon == 0``: linear ramp ``start -> end`` over ``total`` steps (I-JEPA: 0.996 -> 1.0).
    ``horizon > 0``: the same ramp but starting at :func:`horizon_momentum` ``(horizon, total)``
    instead of ``start``, so the schedule scales with the run length.
    """
    first = horizon_momentum(horizon, total) if horizon > 0 else start
    return linear_ramp(step, total=total, start=first, end=end)


def ema_init_weight(momenta: Iterable[float]) -> float:
    """Weight the initial target parameters still carry after EMA updates with ``momenta``.

    ``target_T = prod(m) * target_0 + sum_t (1 - m_t) prod_{s>t} m_s * online_t``: the first
    term's coefficient, the product of the momenta (1.0 = the target never moved).
    """
    return math.prod(momenta)


def schedule_init_weight(steps: int, *, total: int, start: float, end: float, horizon: float = 0.0) -> float:
    """:func:`ema_init_weight` of the first ``steps`` updates of :func:`ema_momentum`'s schedule.

    Under the I-JEPA default 0.996 -> 1.0 a 200-step run keeps ~67 % of the initialisation; with
    ``horizon`` h and ``end`` 1.0 it is about ``exp(-1 / (2 h))`` for any run length.
    """
    return ema_init_weight(ema_momentum(s, total=total, start=start, end=end, horizon=horizon)
                           for s in range(steps))
