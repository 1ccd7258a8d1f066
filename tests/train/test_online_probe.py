"""Online probe: fixed seeded split, probe numbers on known data, no side effects on the run,
metrics at step 0 and at the last step."""

import json

import numpy as np
import pytest
import torch

from jepa_domains.train.config import ConfigError
from jepa_domains.train.online_probe import (OnlineProbe, knn_accuracy, linear_accuracy, probe_split,
                                             resolve_probe_every)
from jepa_domains.train.trainer import Trainer, read_metrics
from tests.train.test_trainer import ts_config


def test_split_is_seeded_disjoint_stratified_and_capped():
    labels = np.repeat(np.arange(4), 100)
    a, b = probe_split(labels, samples=80, seed=3), probe_split(labels, samples=80, seed=3)
    assert np.array_equal(a.fit, b.fit) and np.array_equal(a.score, b.score)
    assert len(a.fit) == len(a.score) == 40 and not set(a.fit) & set(a.score)
    assert sorted(np.bincount(labels[a.fit], minlength=4)) == sorted(np.bincount(labels[a.score], minlength=4))
    assert not np.array_equal(probe_split(labels, samples=80, seed=4).fit, a.fit)
    assert probe_split(np.zeros(50, dtype=int), samples=40, seed=0) is None        # one class: nothing to probe


def test_probes_score_separable_and_random_labels():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 60)
    X = rng.normal(size=(180, 16)) + 8.0 * np.eye(16)[y]
    fit, score = np.arange(0, 180, 2), np.arange(1, 180, 2)
    assert knn_accuracy(X[fit], y[fit], X[score], y[score]) == 1.0
    assert linear_accuracy(X[fit], y[fit], X[score], y[score]) == 1.0
    noise = rng.normal(size=(180, 16))
    assert knn_accuracy(noise[fit], y[fit], noise[score], y[score]) < 0.6        # chance is 1/3


def test_auto_interval_and_config_validation():
    assert resolve_probe_every(None, steps=200, labelled=True) == 20
    assert resolve_probe_every(None, steps=200, labelled=False) == 0
    assert resolve_probe_every(7, steps=200, labelled=True) == 7
    with pytest.raises(ConfigError, match="probe_every"):
        ts_config("train.probe_every=-3")
    with pytest.raises(ConfigError, match="probe_samples"):
        ts_config("train.probe_samples=2")


def test_probe_restores_mode_and_random_state(tmp_path):
    trainer = Trainer(ts_config("train.steps=1", "train.probe_every=0"), run_dir=tmp_path / "r")
    trainer._setup()
    probe = OnlineProbe.for_dataset(trainer.adapter, trainer.options, trainer.dataset, samples=40, seed=0,
                                    batch_size=8, device=torch.device("cpu"))
    encoder = trainer.model.module.encoder.train()
    state = torch.get_rng_state()
    metrics = probe(encoder)
    assert torch.equal(torch.get_rng_state(), state) and encoder.training
    assert set(metrics) == {"probe_knn", "probe_linear"} and all(0.0 <= v <= 1.0 for v in metrics.values())
    assert probe.sizes == {"fit": 20, "score": 20} and probe.calls == 1 and probe.seconds > 0
    # embeddings that cannot be probed: a warning and no metric, never a NaN for metrics.csv
    handle = encoder.transformer.register_forward_hook(lambda m, i, o: o * float("nan"))
    with pytest.warns(UserWarning, match="online probe skipped: non-finite embedding"):
        assert probe(encoder) == {}
    handle.remove()
    assert encoder.training and probe.calls == 2


def test_trainer_logs_probes_at_step_zero_interval_and_end(tmp_path):
    Trainer(ts_config("train.steps=5", "train.probe_every=2", "train.probe_samples=40"), run_dir=tmp_path / "p").fit()
    series = read_metrics(tmp_path / "p" / "metrics.csv")
    for name in ("probe_knn", "probe_linear"):
        assert [s for s, _ in series[name]] == [0, 2, 4, 5]
        assert all(0.0 <= v <= 1.0 for _, v in series[name])
    summary = json.loads((tmp_path / "p" / "run.json").read_text())["probe"]
    assert summary["every"] == 2 and summary["calls"] == 4 and summary["fit"] == 20
    assert summary["final"]["probe_knn"] == series["probe_knn"][-1][1]


def test_probe_does_not_change_the_run(tmp_path):
    Trainer(ts_config("train.steps=4", "train.probe_every=1"), run_dir=tmp_path / "probed").fit()
    Trainer(ts_config("train.steps=4", "train.probe_every=0"), run_dir=tmp_path / "plain").fit()
    a = torch.load(tmp_path / "probed" / "checkpoints" / "last.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "plain" / "checkpoints" / "last.pt", weights_only=True)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert "probe_knn" not in read_metrics(tmp_path / "plain" / "metrics.csv")
    assert json.loads((tmp_path / "plain" / "run.json").read_text())["probe"] is None
