"""The Fabric loop: resume equals an uninterrupted run, NaN guard, checkpoints, logs."""

import json

import pytest
import torch

from jepa_domains.train import checkpoint as ckpt
from jepa_domains.train.config import resolve
from jepa_domains.train.trainer import NonFiniteLossError, Trainer, read_metrics
from tests.conftest import TINY


def ts_config(*extra):
    return resolve("timeseries", overrides=TINY + ["train.steps=8", "data.batch_size=8", "data.source=GunPoint",
                                                   "train.checkpoint_every=100", "objective.regularizer=sigreg",
                                                   "objective.regularizer_weight=0.05", *extra])


def test_resume_equals_uninterrupted_run(tmp_path):
    Trainer(ts_config(), run_dir=tmp_path / "full").fit()
    Trainer(ts_config(), run_dir=tmp_path / "cut").fit(stop_at=3)
    assert ckpt.load(tmp_path / "cut")["step"] == 3
    Trainer(None, resume=tmp_path / "cut").fit()
    full, resumed = ckpt.load(tmp_path / "full"), ckpt.load(tmp_path / "cut")
    assert full["step"] == resumed["step"] == 8
    for key, value in full["model"].items():
        assert torch.equal(value, resumed["model"][key]), key           # bit-for-bit, online and EMA target
    assert any(k.startswith("target_encoder.") for k in full["model"])
    steps = [s for s, _ in read_metrics(tmp_path / "cut" / "metrics.csv")["loss"]]
    assert steps == sorted(set(steps)) and steps[-1] == 8


def test_checkpoint_is_weights_only_and_clean(tmp_path):
    Trainer(ts_config("train.steps=2"), run_dir=tmp_path / "r").fit()
    path = tmp_path / "r" / "checkpoints" / "last.pt"
    state = torch.load(path, weights_only=True)
    assert state["config"]["modality_name"] == "timeseries"
    assert not [k for k in state["model"] if k.startswith(("module.", "_orig_mod.", "_forward_module."))]
    assert not list(path.parent.glob("*.tmp"))
    summary = json.loads((tmp_path / "r" / "run.json").read_text())
    assert summary["steps"] == 2 and summary["final_loss"] > 0
    assert (tmp_path / "r" / "config.yaml").is_file()


class _Poison(torch.nn.Module):
    def forward(self, x):
        return x * float("nan")


def test_nonfinite_loss_stops_with_step(tmp_path, monkeypatch):
    trainer = Trainer(ts_config("train.steps=3"), run_dir=tmp_path / "nan")
    original = trainer._setup

    def poisoned_setup():
        original()
        trainer.model.module.predictor.out.register_forward_hook(lambda m, i, o: o * float("nan"))

    monkeypatch.setattr(trainer, "_setup", poisoned_setup)
    with pytest.raises(NonFiniteLossError, match=r"step 0 .*samples \["):
        trainer.fit()


def test_nonfinite_loss_skip_counts(tmp_path, monkeypatch):
    trainer = Trainer(ts_config("train.steps=3", "train.nonfinite=skip"), run_dir=tmp_path / "skip")
    original = trainer._setup

    def poisoned_setup():
        original()
        trainer.model.module.predictor.out.register_forward_hook(lambda m, i, o: o * float("nan"))

    monkeypatch.setattr(trainer, "_setup", poisoned_setup)
    with pytest.warns(UserWarning, match="batch skipped"):
        result = trainer.fit()
    assert result.skipped_steps == 3
