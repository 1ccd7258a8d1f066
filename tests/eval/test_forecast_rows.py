"""Forecasting rows carry their encoder and per-window errors; verdicts flip for lower-is-better."""

import numpy as np
import pytest

from jepa_domains.eval.verdicts import verdicts
from jepa_domains.modalities.timeseries.evaluate import forecast_run


@pytest.fixture(scope="module")
def series_csv(tmp_path_factory):
    t = np.arange(3000)
    rng = np.random.default_rng(0)
    values = np.c_[np.sin(2 * np.pi * t / 24), np.cos(2 * np.pi * t / 48)] + 0.1 * rng.normal(size=(3000, 2))
    path = tmp_path_factory.mktemp("csv") / "waves.csv"
    lines = ["date,a,b"] + [f"{i},{a:.5f},{b:.5f}" for i, (a, b) in enumerate(values)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_forecast_rows_per_encoder_with_per_window_errors(trained_timeseries_run, series_csv):
    rows = forecast_run(trained_timeseries_run, source=str(series_csv), horizons=(8,), train_stride=16,
                        encoder="both")
    assert {r["encoder"] for r in rows} == {"context", "target"}
    methods = {"jepa", "random_init", "linear_raw", "naive_last", "naive_seasonal"}
    for enc in ("context", "target"):
        assert {r["method"] for r in rows if r["encoder"] == enc} == methods
    test_windows = 600 - 8 + 1                                      # last 20 % of 3000 rows, stride 1
    for r in rows:
        assert len(r["per_sample"]) == test_windows
        assert np.mean(r["per_sample"]) == pytest.approx(r["value"], rel=1e-4)
    # baselines are shared: the same numbers under both encoders
    base = {(r["encoder"], r["method"], r["metric"]): r["value"] for r in rows}
    assert base[("context", "naive_last", "mse")] == base[("target", "naive_last", "mse")]
    found = verdicts([{**r, "task": "forecast"} for r in rows])
    assert {(v.group["encoder"], v.group["metric"], v.baseline) for v in found} == {
        (e, m, b) for e in ("context", "target") for m in ("mse", "mae") for b in methods - {"jepa"}}
    assert all(v.test == "paired_t_samples" for v in found)
    # lower is better: a smaller error than the naive forecast must never read "worse"
    for v in found:
        if v.p_value < 0.05 and v.high < 0:
            assert v.word == "better"
