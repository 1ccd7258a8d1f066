"""MiniRocket runs side by side with the frozen probes in the time-series classify protocol."""

import numpy as np
import pytest

from jepa_domains.eval.verdicts import verdicts
from jepa_domains.modalities.timeseries.adapter import TimeSeriesAdapter, TimeSeriesConfig
from jepa_domains.modalities.timeseries.evaluate import classify_run, minirocket_classify

pytest.importorskip("sktime")


def test_minirocket_rows_in_every_probe_group_with_verdicts(trained_timeseries_run):
    rows = classify_run(trained_timeseries_run, probes=("logistic", "knn"), encoder="both", minirocket=True)
    mr = [r for r in rows if r["method"] == "minirocket"]
    assert {(r["encoder"], r["probe"]) for r in mr} == {(e, p) for e in ("context", "target") for p in ("logistic", "knn")}
    # one classifier, repeated: the same accuracy everywhere; GunPoint: MiniRocket's paper reports ~99 %
    assert len({r["value"] for r in mr}) == 1 and mr[0]["value"] >= 0.95
    assert len(mr[0]["per_sample"]) == 150 and np.mean(mr[0]["per_sample"]) == pytest.approx(mr[0]["value"])
    found = verdicts([{**r, "task": "classify"} for r in rows])
    against = [v for v in found if v.baseline == "minirocket"]
    assert len(against) == 4 and all(v.test == "mcnemar_exact" for v in against)
    assert {"random_init", "features"} <= {v.baseline for v in found}
    assert not any(r["method"] == "minirocket" for r in classify_run(trained_timeseries_run, probes=("knn",)))


def test_minirocket_on_unequal_length_multivariate_set():
    adapter, cfg = TimeSeriesAdapter(), TimeSeriesConfig(patch_len=4, stride=4)
    train = adapter.load_dataset(cfg, "JapaneseVowels", split="train")
    test = adapter.load_dataset(cfg, "JapaneseVowels", split="test")
    assert len({s.values.shape[1] for s in train}) > 1 and train.channels == 12
    score = minirocket_classify([s.values for s in train], train.labels, [s.values for s in test], test.labels)
    assert score["accuracy"] >= 0.95                     # paper: ~0.98
    with pytest.raises(ValueError, match="differ in length"):
        minirocket_classify([s.values for s in train], train.labels[:3], [s.values for s in test], test.labels)
