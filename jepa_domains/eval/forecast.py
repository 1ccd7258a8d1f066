"""Forecasting heads on frozen features and the classical baselines they are compared with."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import Ridge


def ridge_fit_predict(X_train: np.ndarray, Y_train: np.ndarray, X_test: np.ndarray, *, alpha: float = 1.0) -> np.ndarray:
    """Fit a ridge map ``[n, F] -> [n, H]`` on standardised inputs and predict the test rows."""
    if not (np.isfinite(X_train).all() and np.isfinite(Y_train).all() and np.isfinite(X_test).all()):
        raise ValueError("non-finite values reached the forecasting head")
    mean, std = X_train.mean(0), X_train.std(0) + 1e-6
    model = Ridge(alpha=alpha)
    model.fit((X_train - mean) / std, Y_train)
    return model.predict((X_test - mean) / std)


def select_alpha(X_train, Y_train, X_val, Y_val, alphas=(0.1, 1.0, 10.0, 100.0, 1000.0)) -> float:
    """Ridge strength with the lowest validation MSE."""
    errors = [float(np.mean((ridge_fit_predict(X_train, Y_train, X_val, alpha=a) - Y_val) ** 2)) for a in alphas]
    return float(alphas[int(np.argmin(errors))])


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
