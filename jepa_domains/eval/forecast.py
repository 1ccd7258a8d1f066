"""Forecasting heads on frozen features and the classical baselines they are compared with.

The heads are ridge regressions solved through one eigendecomposition per design matrix
(:class:`RidgePath`), so that a wide grid of ridge strengths costs one decomposition, and so
that the solution stays well conditioned: features are standardised with *training* statistics,
features that are constant in training are dropped (their standardisation would divide by ~0
and turn any test-time deviation into a huge input), standardised inputs can be clipped to the
range seen in training, and eigen-directions below ``rcond`` of the largest are discarded (as
``lstsq`` does). Strengths are chosen on a validation part, never on the test part.

:func:`forecast_head` chooses, on the validation part, between the frozen features alone, the
features next to the instance-normalised lookback, and a correction of the raw-window linear
model by the features (whose grid includes "no correction", i.e. the raw linear model itself),
so that a frozen encoder whose features carry nothing useful falls back to the raw linear model
instead of exploding when the test period drifts away from the training period.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# ridge strengths on standardised inputs; the eigenvalues of Z^T Z are ~ n, so the grid reaches
# far enough to shrink everything on tens of thousands of rows
ALPHAS: tuple[float, ...] = tuple(10.0 ** e for e in range(-3, 8))
# the raw-window linear model keeps the grid it was measured with (ETTh1 0.370/0.403/0.426/0.434)
LINEAR_ALPHAS: tuple[float, ...] = (0.1, 1.0, 10.0, 100.0, 1000.0)
VAL_BLOCKS = 5           # contiguous validation blocks of the consistency rule (forecast_head)
RCOND = 1e-10            # eigen-directions below RCOND x the largest eigenvalue are dropped
CONSTANT_TOL = 1e-8      # a feature whose training std is below CONSTANT_TOL x the largest is dropped
HEADS = ("auto", "encoder", "concat", "residual")
EPS = 1e-5


def _check_finite(**arrays: np.ndarray) -> None:
    for name, a in arrays.items():
        if not np.isfinite(a).all():
            raise ValueError(f"non-finite values reached the forecasting head ({name})")


class RidgePath:
    """Ridge regression ``[n, F] -> [n, H]`` for many strengths from one decomposition.

    Args:
        X: ``[n, F]`` training inputs; Y: ``[n, H]`` (or ``[n]``) training targets.
        clip: clip standardised inputs of new rows to the per-feature training range (for
            frozen-encoder features; not for raw windows, where extrapolation is wanted).
        rcond: relative eigenvalue cut-off.

    The intercept is not penalised (inputs and targets are centred). With ``F <= n`` the
    decomposition is of ``Z^T Z`` (``F x F``), otherwise of ``Z Z^T`` (``n x n``, dual form).
    """

    def __init__(self, X: np.ndarray, Y: np.ndarray, *, clip: bool = False, rcond: float = RCOND) -> None:
        _check_finite(X_train=X, Y_train=Y)
        X = np.asarray(X, dtype=np.float64)
        Y = np.asarray(Y, dtype=np.float64)
        if X.ndim != 2 or len(X) != len(Y) or len(X) < 2:
            raise ValueError(f"ridge needs [n, F] inputs and n targets with n >= 2, got {X.shape} and {Y.shape}")
        self.vector = Y.ndim == 1
        Y = Y.reshape(len(Y), -1)
        self.mean = X.mean(0)
        std = X.std(0)
        keep = std > CONSTANT_TOL * max(float(std.max()), 1e-300)
        self.keep = np.flatnonzero(keep)
        self.scale = std[self.keep]
        Z = (X[:, self.keep] - self.mean[self.keep]) / self.scale if self.keep.size else np.zeros((len(X), 1))
        if not self.keep.size:
            self.keep = np.zeros(0, dtype=int)
        self.clip = clip
        self.lo, self.hi = Z.min(0), Z.max(0)
        self.y_mean = Y.mean(0)
        Yc = Y - self.y_mean
        n, f = Z.shape
        self._Z, self.primal = Z, f <= n
        if f <= n:
            evals, V = np.linalg.eigh(Z.T @ Z)
            big = evals > rcond * max(float(evals.max()), 0.0)
            self.A, self.evals = V[:, big], evals[big]                       # [F, k]
            self.C = self.A.T @ (Z.T @ Yc)                                  # [k, H]
        else:
            evals, U = np.linalg.eigh(Z @ Z.T)
            big = evals > rcond * max(float(evals.max()), 0.0)
            U, self.evals = U[:, big], evals[big]
            self.A = Z.T @ U                                                 # [F, k]
            self.C = U.T @ Yc                                                # [k, H]
            self._U = U
        if not self.keep.size:                                               # no informative feature
            self.A, self.C, self.evals = np.zeros((1, 0)), np.zeros((0, Y.shape[1])), np.zeros(0)

    def retarget(self, Y: np.ndarray) -> RidgePath:
        """The same inputs and decomposition with new training targets ``[n, H']`` (no second
        decomposition)."""
        import copy

        _check_finite(Y_train=Y)
        Y = np.asarray(Y, dtype=np.float64)
        if len(Y) != len(self._Z):
            raise ValueError(f"retarget: {len(Y)} targets for {len(self._Z)} training rows")
        out = copy.copy(self)
        out.vector = Y.ndim == 1
        Y = Y.reshape(len(Y), -1)
        out.y_mean = Y.mean(0)
        Yc = Y - out.y_mean
        if not self.keep.size:
            out.C = np.zeros((0, Y.shape[1]))
        elif self.primal:
            out.C = self.A.T @ (self._Z.T @ Yc)
        else:
            out.C = self._U.T @ Yc
        return out

    def transform(self, X: np.ndarray) -> np.ndarray:
        """``[m, F]`` new inputs -> ``[m, k]`` projections on the kept eigen-directions."""
        _check_finite(X_new=X)
        X = np.asarray(X, dtype=np.float64)
        if not self.keep.size:
            return np.zeros((len(X), 0))
        Z = (X[:, self.keep] - self.mean[self.keep]) / self.scale
        if self.clip:
            Z = np.clip(Z, self.lo, self.hi)
        return Z @ self.A

    def predict(self, X: np.ndarray | None = None, alpha: float = 1.0, *, projected: np.ndarray | None = None) -> np.ndarray:
        """Predictions ``[m, H]`` (``[m]`` for vector targets) at strength ``alpha``; pass
        ``projected`` (from :meth:`transform`) to reuse one projection across strengths.
        ``alpha = inf`` predicts the training mean."""
        T = self.transform(X) if projected is None else projected
        if np.isinf(alpha):
            out = np.broadcast_to(self.y_mean, (len(T), len(self.y_mean))).copy()
        else:
            out = (T / (self.evals + alpha)) @ self.C + self.y_mean
        return out[:, 0] if self.vector else out

    def best_alpha(self, X_val: np.ndarray | None, Y_val: np.ndarray, alphas: tuple[float, ...] = ALPHAS, *,
                   scale: np.ndarray | None = None, offset: np.ndarray | None = None,
                   projected: np.ndarray | None = None) -> tuple[float, float]:
        """``(alpha, validation MSE)`` of the strength with the lowest MSE on ``(X_val, Y_val)``
        (ties: the strongest). With ``scale`` / ``offset`` (``[m, 1]`` or ``[m, H]``) the
        predictions are mapped to ``pred * scale + offset`` before the comparison, so that the
        choice is made in ``Y_val``'s units (e.g. de-normalised). ``projected``: ``X_val``'s
        :meth:`transform`, when already computed."""
        T = self.transform(X_val) if projected is None else projected
        Y_val = np.asarray(Y_val, dtype=np.float64)
        errors = []
        for a in alphas:
            pred = self.predict(alpha=a, projected=T)
            if scale is not None:
                pred = pred * scale
            if offset is not None:
                pred = pred + offset
            errors.append(float(np.mean((pred - Y_val) ** 2)))
        best = min(range(len(alphas)), key=lambda i: (errors[i], -alphas[i]))
        return float(alphas[best]), errors[best]


def ridge_fit_predict(X_train: np.ndarray, Y_train: np.ndarray, X_test: np.ndarray, *, alpha: float = 1.0,
                      clip: bool = False) -> np.ndarray:
    """Fit a ridge map ``[n, F] -> [n, H]`` on standardised inputs and predict the test rows
    ``[m, F] -> [m, H]`` (``[m]`` for vector targets); see :class:`RidgePath`."""
    return RidgePath(X_train, Y_train, clip=clip).predict(X_test, alpha)


def select_alpha(X_train, Y_train, X_val, Y_val, alphas: tuple[float, ...] = ALPHAS, *, clip: bool = False) -> float:
    """Ridge strength with the lowest validation MSE (one decomposition for the whole grid)."""
    return RidgePath(X_train, Y_train, clip=clip).best_alpha(X_val, Y_val, tuple(alphas))[0]


def instance_normalise(lookback: np.ndarray, future: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """RevIN with each row's lookback statistics: ``[n, L]`` (and ``[n, H]``) -> normalised
    lookback, normalised future (or None), mean ``[n, 1]``, std ``[n, 1]``."""
    mean = lookback.mean(-1, keepdims=True)
    std = lookback.std(-1, keepdims=True) + EPS
    return (lookback - mean) / std, None if future is None else (future - mean) / std, mean, std


def linear_forecast(raw: dict[str, np.ndarray], futures: dict[str, np.ndarray],
                    alphas: tuple[float, ...] = LINEAR_ALPHAS) -> tuple[dict[str, np.ndarray], float]:
    """The raw-window linear model: ridge from the lookback ``raw[split]`` ``[n, L]`` to the
    future ``[n, H]``, strength chosen on ``val``. Returns its predictions for every split of
    ``raw`` and the strength."""
    path = RidgePath(raw["train"], futures["train"])
    alpha, _ = path.best_alpha(raw["val"], futures["val"], alphas)
    return {k: path.predict(v, alpha) for k, v in raw.items()}, alpha


def forecast_head(features: dict[str, np.ndarray], raw: dict[str, np.ndarray], futures: dict[str, np.ndarray], *,
                  head: str = "auto", base: dict[str, np.ndarray] | None = None,
                  alphas: tuple[float, ...] = ALPHAS, blocks: int = VAL_BLOCKS,
                  paths: dict[str, RidgePath] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """A ridge head on frozen features that predicts the test futures.

    Args:
        features: ``{"train", "val", "test"} -> [n, F]`` frozen-encoder features of the lookbacks.
        raw: the same splits' lookbacks ``[n, L]`` (in the units of the futures).
        futures: ``"train"`` and ``"val"`` futures ``[n, H]`` (a ``"test"`` entry is ignored).
        head: ``"encoder"`` (features -> instance-normalised future), ``"concat"`` (features and
            the instance-normalised lookback side by side), ``"residual"`` (features correct the
            raw-window linear model's error, in units of each lookback's std), or ``"auto"``:
            the one of the three with the lowest validation MSE. Every head's strength is chosen
            on the validation part (MSE in the futures' units).
        base: the raw-window linear model's predictions per split (from :func:`linear_forecast`);
            computed when missing.
        blocks: consistency rule of ``"auto"`` against the raw-window linear model: a head replaces it only
            if it has the lower validation MSE in at least ``blocks - 1`` of ``blocks``
            contiguous (in time) parts of the validation rows, not just on average; otherwise
            the forecast is the raw linear model itself (reported as head ``residual`` with
            ``alpha = inf``: no correction). 0 turns the rule off.
        paths: decompositions to reuse across calls with the same training rows (e.g. several
            horizons): ``"encoder"`` built on ``features["train"]``, ``"concat"`` on
            ``[features["train"], instance-normalised raw["train"]]``; filled in when given
            empty, so that the next call reuses them (only the targets change). The projections
            of the validation and test rows on their eigen-directions are kept there too
            (``paths["projections"]``) and reused by a later call whose validation / test rows
            are the first rows of an earlier call's (several horizons: a longer horizon's
            windows are the shortest horizon's minus the last ones); a call whose rows are not
            such a prefix is refused.

    Returns:
        test predictions ``[m, H]`` and ``{"head", "alpha", "val_mse": {candidate: mse},
        "fallback": bool}``.
    """
    if head not in HEADS:
        raise ValueError(f"unknown forecasting head {head!r}; known: {', '.join(HEADS)}")
    splits = ("train", "val", "test")
    missing = [s for s in splits if s not in features or s not in raw] + [s for s in ("train", "val") if s not in futures]
    if missing:
        raise ValueError(f"forecast_head needs train/val/test features and lookbacks and train/val futures; missing {missing}")
    norm = {s: instance_normalise(raw[s], futures.get(s) if s != "test" else None) for s in splits}
    if base is None:
        base, _ = linear_forecast(raw, futures)
    val_scale, val_mean = norm["val"][3], norm["val"][2]
    wanted = ("encoder", "concat", "residual") if head == "auto" else (head,)
    fitted: dict[str, tuple[float, float, Any]] = {}
    paths = {} if paths is None else paths
    for key in ("encoder", "concat"):
        if key in paths and len(paths[key]._Z) != len(features["train"]):
            raise ValueError(f"forecast_head: the {key!r} decomposition has {len(paths[key]._Z)} training rows, "
                             f"the features {len(features['train'])}")
    cache = paths.setdefault("projections", {})
    concat = lambda s: np.concatenate([features[s], norm[s][0]], 1)  # noqa: E731

    def projected(key: str, path: RidgePath, split: str) -> np.ndarray:
        """``path.transform`` of ``split``'s rows (``key``: the decomposition, ``"encoder"`` or
        ``"concat"``), from the cache when an earlier call projected a superset prefix."""
        rows = features[split]
        hit = cache.get((key, split))
        if hit is not None and len(rows) <= len(hit[1]):
            first, T = hit
            if not np.array_equal(rows[:1], first[:1]) or not np.array_equal(rows[-1:], first[len(rows) - 1:len(rows)]):
                raise ValueError(f"forecast_head: the {split} rows are not a prefix of an earlier call's; "
                                 "pass a new `paths` dict for unrelated rows")
            return T[: len(rows)]
        T = path.transform(rows if key == "encoder" else concat(split))
        cache[(key, split)] = (rows, T)
        return T

    enc_path = paths["encoder"].retarget(norm["train"][1]) if "encoder" in paths else None
    for name in wanted:
        if name in ("encoder", "residual") and enc_path is None:
            enc_path = paths["encoder"] = RidgePath(features["train"], norm["train"][1], clip=True)
        if name == "residual":
            path = enc_path.retarget((futures["train"] - base["train"]) / norm["train"][3])
            T_val = projected("encoder", path, "val")
            alpha, mse = path.best_alpha(None, futures["val"], alphas, scale=val_scale, offset=base["val"],
                                         projected=T_val)
            val_pred = base["val"] + path.predict(alpha=alpha, projected=T_val) * val_scale
            fitted[name] = (alpha, mse, (path, "encoder", val_pred))
            continue
        if name == "encoder":
            path = enc_path
        elif "concat" in paths:
            path = paths["concat"].retarget(norm["train"][1])
        else:
            path = paths["concat"] = RidgePath(concat("train"), norm["train"][1], clip=True)
        T_val = projected(name, path, "val")
        alpha, mse = path.best_alpha(None, futures["val"], alphas, scale=val_scale, offset=val_mean, projected=T_val)
        fitted[name] = (alpha, mse, (path, name, path.predict(alpha=alpha, projected=T_val) * val_scale + val_mean))
    base_rows = ((base["val"] - futures["val"]) ** 2).mean(1)
    parts = np.array_split(np.arange(len(base_rows)), blocks) if blocks else []

    def consistent(val_pred: np.ndarray) -> bool:
        rows = ((val_pred - futures["val"]) ** 2).mean(1)
        if rows.mean() >= base_rows.mean():
            return False
        wins = sum(rows[p].mean() < base_rows[p].mean() for p in parts if p.size)
        return not parts or wins >= len(parts) - 1

    passing = [k for k in fitted if consistent(fitted[k][2][2])] if head == "auto" else list(fitted)
    info: dict[str, Any] = {"val_mse": {k: v[1] for k, v in fitted.items()},
                            "val_mse_linear_raw": float(base_rows.mean())}
    _, _, mean, std = norm["test"]
    if not passing:
        return base["test"].copy(), {**info, "head": "residual", "alpha": float("inf"), "fallback": True}
    chosen = min(passing, key=lambda k: fitted[k][1])
    alpha, _, (path, key, _) = fitted[chosen]
    T_test = projected(key, path, "test")
    if chosen == "residual":
        pred = base["test"] + path.predict(alpha=alpha, projected=T_test) * std
    else:
        pred = path.predict(alpha=alpha, projected=T_test) * std + mean
    return pred, {**info, "head": chosen, "alpha": alpha, "fallback": False}


def mse_mae(pred: np.ndarray, true: np.ndarray) -> dict[str, float]:
    return {"mse": float(np.mean((pred - true) ** 2)), "mae": float(np.mean(np.abs(pred - true)))}


def naive_last(lookback: np.ndarray, horizon: int) -> np.ndarray:
    """Repeat the last observed value. ``lookback``: ``[n, L]`` -> ``[n, H]``."""
    return np.repeat(lookback[:, -1:], horizon, axis=1)


def naive_seasonal(lookback: np.ndarray, horizon: int, period: int) -> np.ndarray:
    """Repeat the last full season. ``lookback``: ``[n, L]`` with ``L >= period`` -> ``[n, H]``."""
    if lookback.shape[1] < period:
        raise ValueError(f"lookback {lookback.shape[1]} shorter than the season {period}")
    season = lookback[:, -period:]
    reps = int(np.ceil(horizon / period))
    return np.tile(season, (1, reps))[:, :horizon]
