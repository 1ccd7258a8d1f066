"""Fold-level rows (grouped CV) pair over folds; summaries are means over folds."""

import numpy as np
import pytest

from jepa_domains.eval.protocols import summarise_folds
from jepa_domains.eval.verdicts import verdicts
from jepa_domains.modalities.audio.evaluate import grouped_rows


def test_grouped_rows_per_encoder_fold_and_verdict_over_folds():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 40)
    groups = np.tile(np.arange(4), 30)
    good = np.eye(3)[labels] * 3 + rng.normal(size=(120, 3))
    noise = rng.normal(size=(120, 3))
    shared = {"random_init": noise}
    feats = {"context": {"jepa": good, **shared}, "target": {"jepa": noise + 0.01, **shared}}
    rows = grouped_rows(feats, labels, groups, probes=("logistic",), seed=0, dataset="toy", protocol="lofo")
    assert {r["fold"] for r in rows} == {"0", "1", "2", "3"}
    assert len(rows) == 4 * 2 * 3                                   # folds x encoders x (jepa, random_init, chance)
    for r in rows:
        test = groups == int(r["fold"])
        if r["method"] != "chance":
            assert len(r["per_sample"]) == test.sum()
    found = {(v.group["encoder"], v.baseline): v for v in verdicts([{**r, "task": "classify"} for r in rows])}
    assert found[("context", "random_init")].test == "corrected_t" and found[("context", "random_init")].units == 4
    assert found[("context", "random_init")].word == "better"
    assert found[("target", "random_init")].word == "level"
    summary = {(r["encoder"], r["method"], r["metric"]): r["value"] for r in summarise_folds(rows)}
    folds = [r["value"] for r in rows if (r["encoder"], r["method"]) == ("context", "jepa")]
    assert summary[("context", "jepa", "accuracy_mean")] == pytest.approx(np.mean(folds))
    assert summary[("context", "jepa", "accuracy_std")] == pytest.approx(np.std(folds))
    assert summary[("context", "chance", "accuracy_mean")] == pytest.approx(1 / 3)
