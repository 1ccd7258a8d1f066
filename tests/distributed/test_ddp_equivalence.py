"""A 2-process DDP run (CPU, gloo) with global batch B ends with the same online and EMA target
parameters as a 1-process run with batch B: same samples, same masks, same gradients (the latent
loss is normalised by the global token count; VICReg and the diagnostics gather across ranks).

The max abs differences measured per modality are printed (``pytest -s``) and stated in
docs/scaling.md.
"""

from __future__ import annotations

import pytest
import torch

from jepa_domains.registry import get_modality, list_modalities
from jepa_domains.train.build import build
from jepa_domains.train.config import GLOBAL_QUICK, RunConfig, from_dict, resolve
from jepa_domains.train.trainer import Trainer, read_metrics
from tests.distributed.dist_helpers import TINY_MODEL, load_state, max_abs_diff, run_driver

STEPS = 3
# float32 reductions are summed in a different order (two half-batch sums, then a gloo sum), so
# results agree to rounding, not bit for bit; 1e-5 is ~1000x the float32 epsilon at these scales.
TOLERANCE = 1e-5


def overrides(modality: str) -> list[str]:
    return TINY_MODEL + [f"train.steps={STEPS}", "data.batch_size=8", "train.checkpoint_every=100",
                         "train.log_every=1", "train.diagnostics_every=1", "optim.warmup_steps=1",
                         "optim.lr=2e-3", "objective.regularizer=vicreg", "objective.regularizer_weight=0.5"]


def single_process_run(modality: str, run_dir) -> None:
    adapter = get_modality(modality)
    cfg = resolve(modality, defaults=adapter.run_defaults, quick={**GLOBAL_QUICK, **adapter.quick_overrides},
                  overrides=overrides(modality) + ["train.devices=1"])
    Trainer(cfg, run_dir=run_dir).fit()


@pytest.mark.parametrize("modality", list_modalities())
def test_two_process_ddp_equals_single_process(modality, tmp_path):
    run_driver(modality, tmp_path / "ddp", overrides=overrides(modality) + ["train.devices=2", "train.strategy=ddp"])
    single_process_run(modality, tmp_path / "single")
    ddp, single = load_state(tmp_path / "ddp"), load_state(tmp_path / "single")
    assert ddp["step"] == single["step"] == STEPS
    online = max_abs_diff(ddp["model"], single["model"], prefix="encoder.")
    predictor = max_abs_diff(ddp["model"], single["model"], prefix="predictor.")
    target = max_abs_diff(ddp["model"], single["model"], prefix="target_encoder.")
    print(f"\n[ddp-equivalence] {modality}: max|diff| online={online:.2e} predictor={predictor:.2e} "
          f"target={target:.2e}")
    assert online < TOLERANCE and predictor < TOLERANCE and target < TOLERANCE
    # the weights moved, so equality is not the trivial one of two untrained models
    init = build(from_dict(RunConfig, single["config"])).model.state_dict()
    assert max_abs_diff(init, single["model"], prefix="encoder.") > 100 * TOLERANCE  # moved ~1e-3, agreed to ~1e-7
    assert ddp["config"]["train"]["devices"] == 2
    # written once, by rank 0, atomically: one file, no temporaries, one metrics row per step
    assert [p.name for p in (tmp_path / "ddp" / "checkpoints").iterdir()] == ["last.pt"]
    rows = (tmp_path / "ddp" / "metrics.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows if r.split(",")[1] == "loss"] == [str(s) for s in range(1, STEPS + 1)]
    # global-batch logs: the loss, the VICReg terms and the gathered diagnostics agree too
    m_ddp, m_single = read_metrics(tmp_path / "ddp" / "metrics.csv"), read_metrics(tmp_path / "single" / "metrics.csv")
    for name in ("loss", "vicreg_std", "vicreg_cov", "target_std", "pred_std", "effective_rank"):
        for (s1, v1), (s2, v2) in zip(m_ddp[name], m_single[name], strict=True):
            assert s1 == s2 and v1 == pytest.approx(v2, rel=1e-4, abs=1e-5), (name, s1, v1, v2)
