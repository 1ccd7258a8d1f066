"""Resuming a 2-process run on 1 process continues with the unseen samples and ends where an
uninterrupted 1-process run ends; the DDP checkpoint loads into a single-process run and into
``embed`` without key surgery."""

from __future__ import annotations

import numpy as np
import torch

from jepa_domains.eval.embed import extract, load_run
from jepa_domains.registry import get_modality
from jepa_domains.train.config import resolve
from jepa_domains.train.loader import ShardedBatchSampler
from jepa_domains.train.trainer import Trainer
from tests.distributed.dist_helpers import TINY_MODEL, load_state, max_abs_diff, run_driver

STEPS, CUT = 5, 2
TOLERANCE = 1e-5  # float32 summation order differs between 2 and 1 processes (see test_ddp_equivalence)
RUN = TINY_MODEL + [f"train.steps={STEPS}", "data.batch_size=8", "optim.warmup_steps=1",
                    "train.checkpoint_every=100", "objective.regularizer=sigreg", "objective.regularizer_weight=0.1"]


def test_two_process_run_resumed_on_one_process_matches_uninterrupted(tmp_path):
    run_driver("timeseries", tmp_path / "cut", overrides=RUN + ["train.devices=2", "train.strategy=ddp"],
               quick=False, stop_at=CUT)
    cut = load_state(tmp_path / "cut")
    assert cut["step"] == CUT and cut["config"]["train"]["devices"] == 2
    assert not [k for k in cut["model"] if k.startswith(("module.", "_orig_mod.", "_forward_module."))]

    Trainer(None, resume=tmp_path / "cut", overrides=["train.devices=1", "train.strategy=auto"]).fit()
    # the same config layers as the driver's run (adapter defaults included)
    defaults = get_modality("timeseries").run_defaults
    Trainer(resolve("timeseries", defaults=defaults, overrides=RUN), run_dir=tmp_path / "full").fit()
    resumed, full = load_state(tmp_path / "cut"), load_state(tmp_path / "full")
    assert resumed["step"] == full["step"] == STEPS
    assert resumed["config"]["train"]["devices"] == 1
    diff = max_abs_diff(resumed["model"], full["model"])
    print(f"\n[resume 2->1 processes] max|diff| vs uninterrupted 1-process run: {diff:.2e}")
    assert diff < TOLERANCE

    # the checkpoint of the 2-process run feeds embed directly (clean keys, same encoder shape)
    loaded = load_run(tmp_path / "cut")
    dataset = loaded.adapter.load_dataset(loaded.options, loaded.cfg.data.source, split="test")
    emb = extract(loaded.encoder, loaded.adapter, loaded.options, torch.utils.data.Subset(dataset, range(8)),
                  batch_size=4)
    assert emb.X.shape == (8, 32) and np.isfinite(emb.X).all()


def consumed(world_size: int, start: int, stop: int, *, n: int = 50, batch: int = 8) -> list[int]:
    """Sample indices of global batches ``start..stop-1`` drawn by all ranks of a world."""
    out = []
    iters = [iter(ShardedBatchSampler(num_samples=n, global_batch=batch, rank=r, world_size=world_size, seed=7,
                                      start_batch=start)) for r in range(world_size)]
    for _ in range(start, stop):
        for it in iters:                      # rank order = order within the global batch
            out += [k.index for k in next(it)]
    return out


def test_sampler_resume_with_other_world_size_sees_each_sample_once_per_epoch():
    per_epoch = 50 // 8
    reference = consumed(1, 0, per_epoch)                       # 1 process, one whole epoch
    for before, after in ((2, 1), (1, 2), (4, 2)):
        cut = 3
        stitched = consumed(before, 0, cut) + consumed(after, cut, per_epoch)
        assert stitched == reference, (before, after)           # same samples, same order
    assert len(set(reference)) == len(reference) == per_epoch * 8
