"""The forecasting head stays finite and close to the raw linear model when the test period
drifts away from the training period (level shift, trend, variance change), with features
that are ill-conditioned or constant in training; one decomposition serves the whole grid."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from jepa_domains.eval.forecast import (
    ALPHAS,
    RidgePath,
    forecast_head,
    linear_forecast,
    ridge_fit_predict,
    select_alpha,
)
from jepa_domains.modalities.timeseries.evaluate import _windows

L, H = 48, 12


def drifting_series(kind: str, n: int = 4000, seed: int = 0) -> np.ndarray:
    """``[n]`` AR(1) + daily cycle whose last 40 % (validation + test) drifts away."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    x = np.zeros(n)
    for i in range(1, n):
        x[i] = 0.8 * x[i - 1] + rng.normal(scale=0.3)
    x += np.sin(2 * np.pi * t / 24)
    late = t >= int(0.6 * n)
    if kind == "level":
        x[late] += 6.0
    elif kind == "trend":
        x[late] += 0.01 * (t[late] - int(0.6 * n))
    elif kind == "variance":
        x[late] *= 4.0
    return x


def splits(x: np.ndarray) -> tuple[dict, dict]:
    n = len(x)
    bounds = {"train": (0, int(0.6 * n), 2), "val": (int(0.6 * n) - L, int(0.8 * n), 2), "test": (int(0.8 * n) - L, n, 1)}
    parts = {k: _windows(x[:, None], lo, hi, L, H, st) for k, (lo, hi, st) in bounds.items()}
    return {k: v[0][:, 0] for k, v in parts.items()}, {k: v[1][:, 0] for k, v in parts.items()}


def nasty_features(raw: np.ndarray, split: str, seed: int = 1) -> np.ndarray:
    """Frozen-encoder-like features of lookbacks ``[n, L]``: instance-normalised patches through
    a random map, near-duplicate columns (condition number ~1e12), a unit that is dead (constant)
    in training and wakes up later, and one that follows the raw level."""
    rng = np.random.default_rng(seed)
    z = (raw - raw.mean(1, keepdims=True)) / (raw.std(1, keepdims=True) + 1e-5)
    W = rng.normal(size=(L, 64))
    f = np.tanh(z @ W / np.sqrt(L))
    dup = f[:, :16] + 1e-9 * rng.normal(size=(len(f), 16))
    # nearly dead in training (std ~1e-7, still informative), awake later
    dead = 1e-7 * z[:, -1:] if split == "train" else np.full((len(f), 1), 3.0)
    level = raw.mean(1, keepdims=True)
    return np.concatenate([f, dup, dead, level], 1)


@pytest.mark.parametrize("kind", ["level", "trend", "variance"])
@pytest.mark.parametrize("head", ["auto", "encoder", "concat", "residual"])
def test_head_is_finite_and_close_to_raw_linear_under_drift(kind, head):
    raw, fut = splits(drifting_series(kind))
    feats = {k: nasty_features(v, k) for k, v in raw.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # no ill-conditioning / overflow warnings
        base, _ = linear_forecast(raw, fut)
        pred, info = forecast_head(feats, raw, {"train": fut["train"], "val": fut["val"]}, head=head, base=base)
    mse = float(np.mean((pred - fut["test"]) ** 2))
    raw_mse = float(np.mean((base["test"] - fut["test"]) ** 2))
    assert np.isfinite(pred).all() and info["head"] in ("encoder", "concat", "residual")
    factor = 1.25 if head in ("auto", "residual") else 3.0
    assert mse <= factor * raw_mse, (kind, head, info, mse, raw_mse)


def test_the_former_head_explodes_on_the_same_features():
    """Control: the previous head (std + 1e-6 scaling, no clipping) on a feature that is constant
    in training is orders of magnitude worse, so the test above can fail."""
    raw, fut = splits(drifting_series("level"))
    feats = {k: nasty_features(v, k) for k, v in raw.items()}
    norm = {k: (v - v.mean(1, keepdims=True)) / (v.std(1, keepdims=True) + 1e-5) for k, v in raw.items()}
    mean, std = feats["train"].mean(0), feats["train"].std(0) + 1e-6
    tgt = (fut["train"] - raw["train"].mean(1, keepdims=True)) / (raw["train"].std(1, keepdims=True) + 1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = Ridge(alpha=1.0).fit((feats["train"] - mean) / std, tgt)
    pred = model.predict((feats["test"] - mean) / std) * (raw["test"].std(1, keepdims=True) + 1e-5) \
        + raw["test"].mean(1, keepdims=True)
    base, _ = linear_forecast(raw, fut)
    raw_mse = float(np.mean((base["test"] - fut["test"]) ** 2))
    # the nearly dead unit moves by ~3 / 1e-7 standardised units at test time
    assert not np.isfinite(pred).all() or float(np.mean((pred - fut["test"]) ** 2)) > 100 * raw_mse
    assert norm["test"].shape == raw["test"].shape


def test_ridge_path_matches_sklearn_primal_and_dual():
    rng = np.random.default_rng(0)
    for n, f in ((200, 30), (40, 120)):                 # primal (F <= n) and dual (F > n)
        X, Y, Xt = rng.normal(size=(n, f)), rng.normal(size=(n, 3)), rng.normal(size=(50, f))
        mean, std = X.mean(0), X.std(0)
        for alpha in (0.1, 10.0, 1e4):
            ref = Ridge(alpha=alpha).fit((X - mean) / std, Y).predict((Xt - mean) / std)
            np.testing.assert_allclose(ridge_fit_predict(X, Y, Xt, alpha=alpha), ref, rtol=1e-6, atol=1e-8)
    # vector targets come back as vectors; alpha = inf predicts the training mean
    X, y = rng.normal(size=(100, 5)), rng.normal(size=100)
    assert ridge_fit_predict(X, y, X[:7], alpha=1.0).shape == (7,)
    np.testing.assert_allclose(RidgePath(X, y).predict(X[:3], float("inf")), y.mean())


def test_alpha_is_chosen_on_validation_with_one_decomposition(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 20))
    w = rng.normal(size=(20, 2))
    Y = X @ w + rng.normal(scale=3.0, size=(300, 2))
    calls = []
    real = np.linalg.eigh
    monkeypatch.setattr(np.linalg, "eigh", lambda a: calls.append(a.shape) or real(a))
    alpha = select_alpha(X[:200], Y[:200], X[200:], Y[200:])
    assert len(calls) == 1 and alpha in ALPHAS
    # brute force over the same grid agrees
    errs = [np.mean((ridge_fit_predict(X[:200], Y[:200], X[200:], alpha=a) - Y[200:]) ** 2) for a in ALPHAS]
    assert alpha == ALPHAS[int(np.argmin(errs))]


def test_constant_and_nonfinite_inputs():
    X = np.ones((10, 3))
    y = np.arange(10.0)
    np.testing.assert_allclose(ridge_fit_predict(X, y, X[:2] * 5), y.mean())   # nothing to learn from
    with pytest.raises(ValueError, match="non-finite"):
        ridge_fit_predict(np.full((5, 2), np.nan), np.zeros(5), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="unknown forecasting head"):
        forecast_head({}, {}, {}, head="magic")


@pytest.mark.parametrize("kind", ["level", "trend", "variance"])
def test_forecast_protocol_under_drift_stays_near_the_raw_linear_model(trained_timeseries_run, tmp_path, kind,
                                                                       monkeypatch):
    """End to end: a frozen encoder on a CSV whose validation and test periods drift away from
    training; two horizons share one decomposition per encoder and head."""
    from jepa_domains.modalities.timeseries.evaluate import forecast_run

    x = np.c_[drifting_series(kind, n=3000, seed=2), drifting_series(kind, n=3000, seed=3)]
    path = tmp_path / f"{kind}.csv"
    path.write_text("date,a,b\n" + "\n".join(f"{i},{a:.5f},{b:.5f}" for i, (a, b) in enumerate(x)) + "\n")
    calls = []
    real = np.linalg.eigh
    monkeypatch.setattr(np.linalg, "eigh", lambda a: calls.append(a.shape) or real(a))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        rows = forecast_run(trained_timeseries_run, source=str(path), horizons=(8, 24), train_stride=8)
    value = {(r["method"], r["horizon"], r["metric"]): r["value"] for r in rows}
    for h in (8, 24):
        for method in ("jepa", "random_init"):
            assert np.isfinite(value[(method, h, "mse")])
            assert value[(method, h, "mse")] <= 1.25 * value[("linear_raw", h, "mse")], (kind, method, h)
    # 2 encoders x (encoder, concat) feature decompositions, reused by both horizons; + linear_raw per horizon
    big = [s for s in calls if s[0] > 336]
    assert len(big) == 4, calls


def test_projections_are_reused_for_prefix_rows_and_refused_for_others(monkeypatch):
    """Several horizons share their validation / test projections: a second call whose rows are a
    prefix of the first's projects nothing and predicts exactly what a fresh call predicts."""
    raw, fut = splits(drifting_series("trend"))
    feats = {k: nasty_features(v, k) for k, v in raw.items()}
    futures = {"train": fut["train"], "val": fut["val"]}
    base, _ = linear_forecast(raw, fut)
    short = {"val": len(raw["val"]) - 30, "test": len(raw["test"]) - 50}                   # a longer horizon's rows
    cut = lambda d: {k: v if k == "train" else v[: short[k]] for k, v in d.items()}       # noqa: E731
    calls = []
    real = RidgePath.transform
    monkeypatch.setattr(RidgePath, "transform", lambda self, X: calls.append(len(X)) or real(self, X))
    paths: dict = {}
    first, _ = forecast_head(feats, raw, futures, head="auto", base=base, paths=paths)
    projected = len(calls)
    assert projected >= 2                          # the validation rows of each decomposition, once
    second, info = forecast_head(cut(feats), cut(raw), cut(futures), head="auto", base=cut(base), paths=paths)
    assert len(calls) <= projected + 1             # at most the test rows of a decomposition not yet used
    fresh, fresh_info = forecast_head(cut(feats), cut(raw), cut(futures), head="auto", base=cut(base))
    np.testing.assert_array_equal(second, fresh)
    assert (info["head"], info["alpha"]) == (fresh_info["head"], fresh_info["alpha"]) and len(second) == short["test"]
    shuffled = {**feats, "val": feats["val"][::-1].copy()}
    with pytest.raises(ValueError, match="not a prefix"):
        forecast_head(cut(shuffled), cut(raw), cut(futures), head="auto", base=cut(base), paths=paths)
