"""EMA momentum schedules: the horizon form, the initialisation weight against a brute-force EMA."""

import math

import pytest
import torch
from torch import nn

from jepa_domains.core.ema import ema_update
from jepa_domains.core.schedules import (ema_init_weight, ema_momentum, horizon_momentum, linear_ramp,
                                         schedule_init_weight)


def brute_force_init_weight(steps, **schedule):
    """Share of the initial value in a scalar EMA whose online value is always 0."""
    target = 1.0
    for s in range(steps):
        m = ema_momentum(s, **schedule)
        target = m * target + (1 - m) * 0.0
    return target


def test_horizon_momentum_is_one_minus_inverse_time_constant():
    assert horizon_momentum(0.1, 200) == pytest.approx(1 - 1 / 20)
    assert horizon_momentum(0.1, 20_000) == pytest.approx(1 - 1 / 2000)
    assert horizon_momentum(0.001, 10) == 0.0             # tau < 1 step: the target copies the online encoder
    with pytest.raises(ValueError, match="horizon"):
        horizon_momentum(0.0, 100)
    with pytest.raises(ValueError, match="total"):
        horizon_momentum(0.1, 0)


def test_without_horizon_the_schedule_is_the_old_linear_ramp_exactly():
    for step in (0, 1, 57, 199, 200, 250):
        assert ema_momentum(step, total=200, start=0.996, end=1.0) == linear_ramp(step, total=200, start=0.996, end=1.0)


def test_horizon_replaces_the_start_and_keeps_the_end():
    assert ema_momentum(0, total=200, start=0.996, end=1.0, horizon=0.25) == pytest.approx(1 - 1 / 50)
    assert ema_momentum(200, total=200, start=0.996, end=0.999, horizon=0.25) == pytest.approx(0.999)


@pytest.mark.parametrize("schedule", [
    dict(total=200, start=0.996, end=1.0),
    dict(total=200, start=0.99, end=1.0),
    dict(total=37, start=0.9, end=0.999),
    dict(total=500, start=0.996, end=1.0, horizon=0.1),
])
def test_init_weight_matches_a_brute_force_ema(schedule):
    assert schedule_init_weight(schedule["total"], **schedule) == pytest.approx(
        brute_force_init_weight(schedule["total"], **schedule), rel=1e-12)


def test_init_weight_matches_the_real_ema_update():
    target, online = nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False)
    nn.init.ones_(target.weight)
    nn.init.zeros_(online.weight)
    schedule = dict(total=60, start=0.98, end=1.0)
    for s in range(60):
        ema_update(target, online, ema_momentum(s, **schedule))
    assert torch.allclose(target.weight, torch.full((2, 2), schedule_init_weight(60, **schedule)), rtol=1e-5)


def test_issue_numbers_and_length_invariance_of_the_horizon():
    # I-JEPA's 0.996 -> 1 over 200 steps (graph default) vs 0.99 -> 1 (audio default)
    assert schedule_init_weight(200, total=200, start=0.996, end=1.0) == pytest.approx(0.67, abs=0.01)
    assert schedule_init_weight(200, total=200, start=0.99, end=1.0) == pytest.approx(0.37, abs=0.01)
    # with a horizon the final share is ~exp(-1/(2h)) whatever the run length
    short = schedule_init_weight(200, total=200, start=0.996, end=1.0, horizon=0.2)
    long = schedule_init_weight(20_000, total=20_000, start=0.996, end=1.0, horizon=0.2)
    assert short == pytest.approx(math.exp(-2.5), rel=0.05) and long == pytest.approx(math.exp(-2.5), rel=0.05)
    assert ema_init_weight([]) == 1.0 and ema_init_weight([0.5, 0.5]) == 0.25
