"""JEPAForecaster: an sktime forecaster on a frozen time-series encoder, on sktime's airline
series (shipped with sktime)."""

import numpy as np
import pandas as pd
import pytest
from sktime.datasets import load_airline
from sktime.forecasting.model_evaluation import evaluate
from sktime.forecasting.model_selection import temporal_train_test_split
from sktime.forecasting.naive import NaiveForecaster
from sktime.split import ExpandingWindowSplitter

from jepa_domains.interop import JEPAForecaster


@pytest.fixture(scope="module")
def airline():
    return temporal_train_test_split(load_airline(), test_size=12)


def test_fit_predict_on_airline(trained_timeseries_run, airline):
    y_train, y_test = airline
    fh = np.arange(1, 13)
    forecaster = JEPAForecaster(run_dir=trained_timeseries_run).fit(y_train, fh=fh)
    pred = forecaster.predict()
    assert isinstance(pred, pd.Series) and pred.index.equals(y_test.index) and np.isfinite(pred.values).all()
    # lookback shortened to fit the 132-point series: (132 - 12) // 2, above two patches
    assert forecaster.window_ == 60 and forecaster.horizon_ == 12
    mae = float(np.abs(pred.values - y_test.values).mean())
    naive = NaiveForecaster(strategy="last").fit(y_train, fh=fh).predict()
    assert mae < float(np.abs(naive.values - y_test.values).mean())  # the head learns trend + season
    # fitted for a horizon, any subset of it is the same path (requires-fh-in-fit is then False)
    fixed = JEPAForecaster(run_dir=trained_timeseries_run, horizon=12).fit(y_train)
    assert fixed.get_tag("requires-fh-in-fit") is False
    np.testing.assert_allclose(fixed.predict(fh=fh).values, pred.values)
    np.testing.assert_allclose(fixed.predict(fh=[3, 6]).values, pred.values[[2, 5]])


def test_evaluate_with_expanding_window(trained_timeseries_run):
    y = load_airline()
    cv = ExpandingWindowSplitter(initial_window=96, step_length=12, fh=[1, 2, 3])
    results = evaluate(JEPAForecaster(run_dir=trained_timeseries_run), cv, y)
    assert len(results) == 4
    assert np.isfinite(results.iloc[:, 0]).all() and (results.iloc[:, 0] < 0.25).all()   # MAPE of each fold


def test_update_moves_the_cutoff_and_the_lookback(trained_timeseries_run, airline):
    y_train, y_test = airline
    forecaster = JEPAForecaster(run_dir=trained_timeseries_run, alpha=1.0).fit(y_train, fh=[1])
    forecaster.update(y_test.iloc[:3], update_params=False)
    assert forecaster.cutoff[0] == y_test.index[2]
    np.testing.assert_array_equal(forecaster.history_[-3:], y_test.values[:3])
    assert forecaster.predict().index[0] == y_test.index[3]


def test_errors_name_the_problem(trained_timeseries_run, airline):
    y_train, _ = airline
    with pytest.raises(ValueError, match="too short"):
        JEPAForecaster(run_dir=trained_timeseries_run).fit(y_train.iloc[:12], fh=np.arange(1, 13))
    with pytest.raises(ValueError, match="too short for a lookback of 100"):
        JEPAForecaster(run_dir=trained_timeseries_run, window=100).fit(y_train.iloc[:40], fh=[1])
    with pytest.raises(ValueError, match="window must be an integer >= 2 or None, got 1"):
        JEPAForecaster(run_dir=trained_timeseries_run, window=1).fit(y_train, fh=[1])
    forecaster = JEPAForecaster(run_dir=trained_timeseries_run, horizon=2).fit(y_train)
    with pytest.raises(ValueError, match="outside 1..2"):
        forecaster.predict(fh=[5])


def test_encoder_choice(trained_timeseries_run, airline):
    y_train, _ = airline
    fitted = {enc: JEPAForecaster(run_dir=trained_timeseries_run, encoder=enc).fit(y_train, fh=[1, 2, 3])
              for enc in (None, "target", "both")}
    assert list(fitted[None].encoders_) == ["context"] and list(fitted["both"].encoders_) == ["context", "target"]
    width = fitted[None].train_features_.shape[1]
    assert fitted["both"].train_features_.shape[1] == 2 * width
    np.testing.assert_array_equal(fitted["both"].train_features_[:, :width], fitted[None].train_features_)
    assert not np.allclose(fitted["target"].train_features_, fitted[None].train_features_, atol=1e-4)
    with pytest.raises(ValueError, match="got 'ema'"):
        JEPAForecaster(run_dir=trained_timeseries_run, encoder="ema").fit(y_train, fh=[1])


TINY = {"train.steps": 2, "model.dim": 16, "model.depth": 1, "model.num_heads": 2, "model.pred_dim": 8,
        "model.pred_depth": 1, "model.pred_heads": 2, "optim.warmup_steps": 1}


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_pretraining_inside_fit_leaves_nothing_and_update_keeps_the_encoder(airline, tmp_path, monkeypatch):
    import os
    import tempfile

    y_train, y_test = airline
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))           # a temp dir no other process writes to
    forecaster = JEPAForecaster(overrides=TINY, device="cpu", seed=2).fit(y_train, fh=[1, 2, 3])
    assert os.listdir(private) == []
    assert forecaster.run_.cfg.train.steps == 2 and forecaster.run_.cfg.train.seed == 2
    assert forecaster.run_.options.channels == 1 and forecaster.window_ == (132 - 3) // 2
    encoder = forecaster.encoders_["context"]
    first = forecaster.predict()
    # same seed and data: the same encoder and forecast (sktime's test_fit_idempotent relies on it)
    np.testing.assert_allclose(JEPAForecaster(overrides=TINY, device="cpu", seed=2).fit(y_train, fh=[1, 2, 3])
                               .predict().values, first.values, rtol=1e-6)
    forecaster.update(y_test.iloc[:3], update_params=True)           # the head refits, the encoder stays
    assert forecaster.encoders_["context"] is encoder and len(forecaster.train_targets_) == 135 - 64 - 3 + 1
    assert forecaster.predict().index[0] == y_test.index[3]


def test_wrappers_pretrain_on_non_overlapping_patches_unless_told_otherwise():
    from jepa_domains.interop.pretrain import non_overlapping_patches
    from jepa_domains.registry import get_modality

    adapter = get_modality("timeseries")
    default_patch = adapter.Config().patch_len
    assert non_overlapping_patches(adapter, None) == {"modality.stride": default_patch}
    assert non_overlapping_patches(adapter, {"modality.patch_len": 4}) == {"modality.patch_len": 4,
                                                                          "modality.stride": 4}
    kept = {"modality.patch_len": 8, "modality.stride": 2}
    assert non_overlapping_patches(adapter, kept) == kept                  # the user's stride stays
