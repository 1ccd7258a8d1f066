"""End to end: ``jepa-domains train audio --quick`` through the CLI, resume mid-curriculum,
and that frozen embeddings come out finite with windows averaged per clip."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import yaml
from typer.testing import CliRunner

from jepa_domains.cli.app import app
from jepa_domains.modalities.audio import AudioConfig
from jepa_domains.registry import get_modality
from jepa_domains.train.config import GLOBAL_QUICK, resolve
from jepa_domains.train.trainer import Trainer


TINY = ["data.source=synthetic", "train.progress=false", "train.steps=6", "train.checkpoint_every=3", "data.batch_size=8",
        "modality.synthetic_train=16", "modality.synthetic_test=8"]


def test_cli_quick_run_trains_and_stores_statistics(tmp_path):
    args = ["train", "audio", "--quick", "--out", str(tmp_path / "run")]
    for item in TINY:
        args += ["--set", item]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.output and "done: 6 steps" in result.output
    summary = json.loads((tmp_path / "run" / "run.json").read_text())
    assert summary["steps"] == 6 and math.isfinite(summary["final_loss"]) and summary["skipped_samples"] == 0
    modality = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())["modality"]
    assert modality["norm_std"] > 0 and modality["masker"] == "curriculum"
    state = torch.load(tmp_path / "run" / "checkpoints" / "last.pt", weights_only=True)
    assert state["config"]["modality"]["norm_mean"] == modality["norm_mean"]


def test_cli_unknown_dataset_is_one_clear_error(tmp_path):
    result = CliRunner().invoke(app, ["train", "audio", "--quick", "--data", str(tmp_path / "nowhere"),
                                      "--out", str(tmp_path / "r"), "--set", "train.progress=false"])
    assert result.exit_code == 2 and "unknown audio dataset" in result.output


def _cfg():
    adapter = get_modality("audio")
    return resolve("audio", defaults=adapter.run_defaults, quick={**GLOBAL_QUICK, **adapter.quick_overrides},
                   overrides=TINY + ["modality.curriculum_ramp=(0.0, 1.0)"])


def test_resume_mid_curriculum_equals_uninterrupted(tmp_path):
    Trainer(_cfg(), run_dir=tmp_path / "full").fit()
    Trainer(_cfg(), run_dir=tmp_path / "split").fit(stop_at=3)   # curriculum progress 3/6 = mid-ramp
    Trainer(None, resume=tmp_path / "split" / "checkpoints" / "last.pt").fit()
    full = torch.load(tmp_path / "full" / "checkpoints" / "last.pt", weights_only=True)
    split = torch.load(tmp_path / "split" / "checkpoints" / "last.pt", weights_only=True)
    assert full["step"] == split["step"] == 6
    assert full["model"].keys() == split["model"].keys()
    for name, tensor in full["model"].items():
        torch.testing.assert_close(split["model"][name], tensor, rtol=0, atol=0, msg=name)


def test_frozen_embeddings_average_windows(tmp_path):
    from jepa_domains.eval.embed import extract, random_encoder

    adapter = get_modality("audio")
    cfg = _cfg()
    options = adapter.prepare(AudioConfig(synthetic_train=8, synthetic_test=4), adapter.load_dataset(
        AudioConfig(synthetic_train=8, synthetic_test=4), "synthetic"))
    data = adapter.load_dataset(options, "synthetic", split="test")
    encoder = random_encoder(cfg, adapter, options)
    single = extract(encoder, adapter, options, data, batch_size=4)
    windowed_opts = AudioConfig(**{**options.__dict__, "eval_windows": 3})
    windowed = extract(encoder, adapter, windowed_opts, data, batch_size=4)
    assert single.X.shape == windowed.X.shape == (4, options.grid_freq * cfg.model.dim)  # pool="time"
    assert np.isfinite(windowed.X).all() and single.y.tolist() == [2, 3, 4, 5]
    # every synthetic clip fits in one window, so the three windows coincide and their mean is the crop
    np.testing.assert_allclose(windowed.X, single.X, atol=1e-5)


def test_grouped_cv_holds_out_each_group():
    from jepa_domains.modalities.audio.evaluate import grouped_cv

    rng = np.random.default_rng(0)
    labels = np.tile(np.arange(4), 30)
    groups = np.repeat(np.array(["ann", "bob", "cy"]), 40)
    informative = np.eye(4)[labels] * 3 + rng.normal(size=(120, 4)) * 0.1
    noise = rng.normal(size=(120, 4))
    scores = grouped_cv({"good": informative, "noise": noise}, labels, groups, probes=("logistic", "knn"))
    assert scores[("good", "logistic")] == {"mean": 1.0, "std": 0.0, "folds": 3}
    assert scores[("good", "knn")]["mean"] == 1.0
    assert scores[("noise", "logistic")]["mean"] < 0.5
