"""Shared fixtures: quick run configs and one cached trained time-series run."""

from __future__ import annotations

import os

import pytest
import torch

os.environ.setdefault("JEPA_DOMAINS_TEST", "1")
# Tests use tiny models: one intra-op thread is as fast, deterministic, and immune to OpenMP
# spin-waiting when subprocess tests (DDP) occupy the other core.
torch.set_num_threads(1)

TINY = [
    "train.progress=false",
    "model.dim=32", "model.depth=1", "model.num_heads=2",
    "model.pred_dim=16", "model.pred_depth=1", "model.pred_heads=2",
    "optim.warmup_steps=2",
]


@pytest.fixture(scope="session")
def trained_timeseries_run(tmp_path_factory):
    """A short time-series run on the sktime-shipped default set, shared by eval/CLI tests."""
    from jepa_domains.train.config import resolve
    from jepa_domains.train.trainer import Trainer

    run_dir = tmp_path_factory.mktemp("ts_run")
    cfg = resolve("timeseries", overrides=TINY + ["train.steps=6", "data.batch_size=16", "data.source=GunPoint"])
    Trainer(cfg, run_dir=run_dir).fit()
    return run_dir
