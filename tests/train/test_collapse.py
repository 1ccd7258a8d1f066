"""Collapse alarm: thresholds, the run.json verdict, a warning when the predictor is constant."""

import json

import pytest
import torch

from jepa_domains.train.collapse import CollapseThresholds, collapse_reasons, collapse_report
from jepa_domains.train.trainer import Trainer, read_metrics
from tests.train.test_trainer import ts_config

HEALTHY = {"target_std": 0.6, "pred_std": 0.3, "effective_rank": 9.0, "effective_rank_max": 16.0}


@pytest.mark.parametrize("change, reason", [
    ({"target_std": 5e-3, "pred_std": 2e-2}, "target_std"),
    ({"pred_std": 5e-4}, "outputs a constant"),                   # graph --quick: 5e-4 against 0.14
    ({"pred_std": 0.01}, "0.02 x target_std"),
    ({"effective_rank": 0.5}, "effective_rank"),
])
def test_each_threshold_names_its_reason(change, reason):
    assert collapse_reasons(HEALTHY) == []
    reasons = collapse_reasons({**HEALTHY, **change})
    assert len(reasons) == 1 and reason in reasons[0]


def test_report_shape_and_threshold_validation():
    report = collapse_report({**HEALTHY, "pred_std": 1e-3})
    assert report["collapsed"] is True and report["final"]["pred_std"] == 1e-3
    assert report["thresholds"] == {"min_target_std": 1e-2, "min_pred_std": 1e-3, "min_pred_to_target_std": 0.02,
                                    "min_rank_fraction": 0.1}
    assert collapse_reasons({**HEALTHY, "pred_std": 0.02, "target_std": 0.6}) == []   # --quick levels (0.03)
    assert collapse_report(None)["collapsed"] is None
    with pytest.raises(ValueError, match="min_pred_std"):
        CollapseThresholds(min_pred_std=-1.0)


def test_constant_predictor_warns_and_is_recorded(tmp_path, monkeypatch):
    # diagnostics_every=100 leaves only step 0 and, new, the last step with diagnostics
    trainer = Trainer(ts_config("train.steps=4", "train.diagnostics_every=100", "train.probe_every=0"),
                      run_dir=tmp_path / "c")
    original = trainer._setup

    def constant_predictor():
        original()
        trainer.model.module.predictor.out.register_forward_hook(lambda m, i, o: torch.zeros_like(o) + 0.5)

    monkeypatch.setattr(trainer, "_setup", constant_predictor)
    with pytest.warns(UserWarning, match=r"step 4: representations look collapsed: pred_std 0 < 0\.001"):
        trainer.fit()
    assert [s for s, _ in read_metrics(tmp_path / "c" / "metrics.csv")["pred_std"]] == [1, 4]
    collapse = json.loads((tmp_path / "c" / "run.json").read_text())["collapse"]
    assert collapse["collapsed"] is True and "outputs a constant" in collapse["reasons"][0]
    assert collapse["final"]["pred_std"] == 0.0 and collapse["final"]["target_std"] > 0.1
    assert set(collapse["thresholds"]) == {"min_target_std", "min_pred_std", "min_pred_to_target_std",
                                           "min_rank_fraction"}
