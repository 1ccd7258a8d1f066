"""An sktime forecaster on a frozen JEPA time-series encoder: lookback windows of the series
-> flattened patch latents -> ridge head predicting the next ``H`` steps (direct strategy),
the same head as the library's ETT forecasting protocol.

    forecaster = JEPAForecaster(run_dir="runs/ts")
    forecaster.fit(y_train, fh=[1, 2, 3])
    y_pred = forecaster.predict()
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sktime.forecasting.base import BaseForecaster

from jepa_domains.eval.forecast import ridge_fit_predict, select_alpha
# the ETT protocol's own window normalisation and patch-latent pooling, so both heads see the
# same inputs (private helpers of the time-series modality, reused rather than copied)
from jepa_domains.modalities.timeseries.evaluate import flatten_patch_latents
from jepa_domains.modalities.timeseries.evaluate import revin_normalise


class JEPAForecaster(BaseForecaster):
    """Direct multi-step forecaster: frozen JEPA encoder of a ``timeseries`` run + ridge head.

    Every window of ``window`` observations of the training series (step ``stride``) is
    instance-normalised (RevIN: the window's own mean and std), embedded by the frozen encoder
    (all patch latents, flattened) and mapped by a ridge regression to the normalised next
    ``max(fh)`` values; predictions are de-normalised with the last window's statistics.

    Args:
        run_dir: a pretrained ``timeseries`` run (folder or checkpoint).
        window: lookback length; None = the run's ``modality.window``, shortened to fit the
            series (at least ``2 * patch_len``).
        horizon: steps the head predicts; None = the largest step of the ``fh`` given to
            ``fit`` (any ``fh`` within ``1..horizon`` can then be predicted).
        stride: step between training windows.
        alpha: ridge strength; None = chosen on the last 20 % of the windows.
        batch_size: windows per forward pass.
        device: torch device for the encoder (default: CUDA when available).
        encoder: ``"context"``, ``"target"``, ``"both"`` (both encoders' latents side by side as
            the head's input) or None (the time-series default, context).
    """

    _tags = {
        "authors": ["jepa-domains"],
        "y_inner_mtype": "pd.Series",
        "X_inner_mtype": "pd.DataFrame",
        "scitype:y": "univariate",
        "capability:exogenous": False,
        "ignores-exogeneous-X": True,
        "requires-fh-in-fit": False,
        "capability:missing_values": False,
        "capability:insample": False,
        "capability:pred_int": False,
        "capability:update": True,
    }

    def __init__(self, run_dir: str | Path | None = None, window: int | None = None, horizon: int | None = None,
                 stride: int = 1, alpha: float | None = None, batch_size: int = 256, device: str | None = None,
                 encoder: str | None = None) -> None:
        self.run_dir = run_dir
        self.window = window
        self.horizon = horizon
        self.stride = stride
        self.alpha = alpha
        self.batch_size = batch_size
        self.device = device
        self.encoder = encoder
        with warnings.catch_warnings():  # the note about sktime 1.3's default, answered just below
            warnings.filterwarnings("ignore", message=".*remember_data", category=FutureWarning)
            super().__init__()
        # update() refits on all data seen (kept by sktime as _y): say so, as sktime 1.3 changes the default
        self.set_config(remember_data=True)

    # --- helpers --------------------------------------------------------------------------
    def _load(self) -> None:
        from jepa_domains.eval.embed import ENCODER_CHOICES, load_runs

        if self.run_dir is None:
            raise ValueError("JEPAForecaster needs run_dir= of a pretrained timeseries run")
        if self.encoder is not None and self.encoder not in ENCODER_CHOICES:
            raise ValueError(f"encoder must be one of {', '.join(ENCODER_CHOICES)} or None, got {self.encoder!r}")
        runs = load_runs(self.run_dir, encoder=self.encoder)
        run = next(iter(runs.values()))
        if run.cfg.modality_name != "timeseries":
            raise ValueError(f"run {self.run_dir} is a {run.cfg.modality_name!r} run, not a timeseries one")
        if run.options.channel_mode != "independent":
            raise ValueError(f"run {self.run_dir}: forecasting needs channel_mode='independent', "
                             f"got {run.options.channel_mode!r}")
        self.run_, self.encoders_ = run, {which: r.encoder for which, r in runs.items()}

    def _features(self, lookbacks: np.ndarray) -> np.ndarray:
        """``[n, L]`` normalised lookbacks -> ``[n, F]`` flattened patch latents (of each encoder, side by side)."""
        from jepa_domains.data.timeseries_readers import Series
        from jepa_domains.eval.embed import extract
        from jepa_domains.modalities.timeseries.datasets import SeriesDataset

        run = self.run_
        ds = SeriesDataset([Series(w[None, :].astype(np.float32), None, f"window{i}") for i, w in enumerate(lookbacks)],
                           description="forecaster windows")
        parts = [extract(model, run.adapter, run.options, ds, batch_size=self.batch_size, device=self.device,
                         pool=flatten_patch_latents).X for model in self.encoders_.values()]
        return np.concatenate(parts, axis=1)

    @staticmethod
    def _normalise(block: np.ndarray, lookback: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """RevIN with the lookback's statistics (the ETT protocol's): ``[n, L + H]`` ->
        normalised block, mean ``[n, 1]``, std ``[n, 1]``."""
        past, future, mean, std = revin_normalise(block[:, None, :lookback], block[:, None, lookback:])
        return np.concatenate([past, future], -1)[:, 0], mean[:, 0], std[:, 0]

    # --- sktime interface -----------------------------------------------------------------
    def _fit(self, y: pd.Series, X: Any = None, fh: Any = None) -> JEPAForecaster:
        if not isinstance(self.stride, int) or self.stride < 1:
            raise ValueError(f"stride must be a positive integer, got {self.stride!r}")
        self._load()
        steps = fh.to_relative(self.cutoff).to_numpy() if fh is not None else np.asarray([self.horizon or 0])
        if (steps < 1).any():
            raise ValueError("JEPAForecaster needs fh in fit (or horizon=) with out-of-sample steps >= 1, "
                             f"got {steps.tolist()}")
        horizon = max(int(steps.max()), int(self.horizon or 0))
        values = np.asarray(y, dtype=np.float64)
        if not np.isfinite(values).all():
            raise ValueError("y contains NaN or infinite values")
        patch = int(self.run_.options.patch_len)
        window = self.window or min(int(self.run_.options.window), (len(values) - horizon) // 2)
        if window < 2 * patch or len(values) < window + horizon + 1:
            raise ValueError(f"series of {len(values)} points is too short for a lookback of {window} "
                             f"(>= {2 * patch}) and a horizon of {horizon}")
        starts = np.arange(0, len(values) - window - horizon + 1, self.stride)
        block = values[starts[:, None] + np.arange(window + horizon)[None, :]]      # [n, L + H]
        norm, _, _ = self._normalise(block, window)
        feats, targets = self._features(norm[:, :window]), norm[:, window:]
        alpha = self.alpha
        if alpha is None:
            cut = int(len(feats) * 0.8)
            alpha = select_alpha(feats[:cut], targets[:cut], feats[cut:], targets[cut:]) if len(feats) - cut >= 2 else 1.0
        self.window_, self.horizon_, self.alpha_ = window, horizon, float(alpha)
        self.train_features_, self.train_targets_ = feats, targets
        self.history_ = values[-window:]
        return self

    def _predict(self, fh: Any, X: Any = None) -> pd.Series:
        steps = fh.to_relative(self.cutoff).to_numpy()
        if (steps < 1).any() or steps.max() > self.horizon_:
            raise ValueError(f"fh steps {steps.tolist()} outside 1..{self.horizon_}, the horizon fitted")
        last = self.history_[None, :]
        norm, mean, std = self._normalise(last, self.window_)
        pred = ridge_fit_predict(self.train_features_, self.train_targets_, self._features(norm), alpha=self.alpha_)
        # a one-step head comes back 1-D from the ridge
        path = np.asarray(pred).reshape(-1) * std[0, 0] + mean[0, 0]                  # [H]
        index = fh.to_absolute_index(self.cutoff)
        return pd.Series(path[steps - 1], index=index, name=self._y.name if hasattr(self, "_y") else None)

    def _update(self, y: pd.Series, X: Any = None, update_params: bool = True) -> JEPAForecaster:
        """New observations extend the lookback; ``update_params`` refits the head on all data
        seen (the encoder stays frozen)."""
        seen = getattr(self, "_y", None)
        if update_params and seen is not None and len(seen) > len(y):
            return self._fit(seen, X, self._fh)  # _y already holds the new points
        self.history_ = np.concatenate([self.history_, np.asarray(y, dtype=np.float64)])[-self.window_:]
        return self

    @classmethod
    def get_test_params(cls, parameter_set: str = "default") -> dict[str, Any]:
        """sktime's estimator checks need a pretrained run, which has no default location."""
        return {"run_dir": None}

