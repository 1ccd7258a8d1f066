"""An sktime forecaster on a frozen JEPA time-series encoder: lookback windows of the series
-> flattened patch latents -> ridge head predicting the next ``H`` steps (direct strategy),
the same head as the library's ETT forecasting protocol. The encoder comes from a pretrained
run (``run_dir=``) or is pretrained inside ``fit`` on the lookback windows of the series given.
It passes sktime's own conformance suite (``tests/interop/test_sktime_checks.py``).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sktime.forecasting.base import BaseForecaster

from jepa_domains.eval.forecast import ridge_fit_predict, select_alpha
from jepa_domains.interop.pretrain import non_overlapping_patches, pretrain, pretrain_config
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
        run_dir: a pretrained ``timeseries`` run (folder or checkpoint). None: pretrain an
            encoder in ``fit`` on the (normalised) lookback windows of ``y``, with the
            ``--quick`` sizes and ``overrides``, in a temporary folder (deleted; the encoder
            stays in memory).
        overrides: dotted run-config overrides of that pretraining, e.g. ``{"train.steps": 20}``.
        seed: ``train.seed`` of that pretraining.
        window: lookback length; None = half of what the series leaves after the horizon,
            within ``[patch_len, modality.window]`` of the run, and shorter (down to 2 points)
            when the series is too short for two windows of ``patch_len``.
        horizon: steps the head predicts; None = the largest step of the ``fh`` given to
            ``fit`` (any ``fh`` within ``1..horizon`` can then be predicted), which then needs
            ``fh`` in ``fit`` (tag ``requires-fh-in-fit``).
        stride: step between training windows.
        alpha: ridge strength; None = chosen on the last 20 % of the windows.
        batch_size: windows per forward pass.
        device: torch device for the encoder (default: CUDA when available).
        encoder: ``"context"``, ``"target"``, ``"both"`` (both encoders' latents side by side as
            the head's input) or None (the time-series default, context).

    Fitted attributes: ``window_``, ``horizon_``, ``alpha_``, ``encoders_``, ``run_`` (the
    loaded run; ``run_.run_dir`` is a deleted temporary folder when pretrained in ``fit``).

    Examples:
        >>> from sktime.datasets import load_airline
        >>> from jepa_domains.interop import JEPAForecaster
        >>> y = load_airline()
        >>> tiny = {"train.steps": 2, "model.dim": 16, "model.depth": 1, "model.num_heads": 2,
        ...         "model.pred_dim": 8, "model.pred_depth": 1, "model.pred_heads": 2}
        >>> forecaster = JEPAForecaster(overrides=tiny, device="cpu")  # pretrains in fit
        >>> _ = forecaster.fit(y[:-12], fh=[1, 2, 3])
        >>> forecaster.window_, forecaster.predict().index.equals(y.index[-12:-9])
        (64, True)
    """

    _tags = {
        "authors": ["jepa-domains"],
        "y_inner_mtype": "pd.Series",
        "X_inner_mtype": "pd.DataFrame",
        "capability:multivariate": False,
        "capability:exogenous": False,      # X is accepted and ignored
        # the head's horizon comes from fh; __init__ lowers this when horizon= is given
        "requires-fh-in-fit": True,
        "capability:missing_values": False,
        "capability:insample": False,
        "capability:pred_int": False,
        "capability:update": True,
    }

    def __init__(self, run_dir: str | Path | None = None, window: int | None = None, horizon: int | None = None,
                 stride: int = 1, alpha: float | None = None, batch_size: int = 256, device: str | None = None,
                 encoder: str | None = None, overrides: dict[str, Any] | None = None, seed: int = 0) -> None:
        self.run_dir = run_dir
        self.overrides = overrides
        self.seed = seed
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
        self.set_tags(**{"requires-fh-in-fit": horizon is None})

    # --- helpers --------------------------------------------------------------------------
    def _check_params(self) -> None:
        from jepa_domains.eval.embed import ENCODER_CHOICES

        for name, low in (("stride", 1), ("window", 2), ("horizon", 1)):
            value = getattr(self, name)
            if (value is not None or name == "stride") and (not isinstance(value, (int, np.integer)) or value < low):
                raise ValueError(f"{name} must be an integer >= {low}{'' if name == 'stride' else ' or None'}, "
                                 f"got {value!r}")
        if self.encoder is not None and self.encoder not in ENCODER_CHOICES:
            raise ValueError(f"encoder must be one of {', '.join(ENCODER_CHOICES)} or None, got {self.encoder!r}")

    def _load(self) -> None:
        """The encoder(s) of ``run_dir``, which must be an independent-channel timeseries run."""
        from jepa_domains.eval.embed import load_runs

        runs = load_runs(self.run_dir, encoder=self.encoder)
        run = next(iter(runs.values()))
        if run.cfg.modality_name != "timeseries":
            raise ValueError(f"run {self.run_dir} is a {run.cfg.modality_name!r} run, not a timeseries one")
        if run.options.channel_mode != "independent":
            raise ValueError(f"run {self.run_dir}: forecasting needs channel_mode='independent', "
                             f"got {run.options.channel_mode!r}")
        self.run_, self.encoders_ = run, {which: r.encoder for which, r in runs.items()}

    def _pretrain_encoder(self, lookbacks: np.ndarray, cfg: Any) -> None:
        """Pretrain on ``[n, L]`` normalised lookbacks, in a temporary folder."""
        from jepa_domains.data.timeseries_readers import Series
        from jepa_domains.modalities.timeseries.datasets import SeriesDataset

        ds = SeriesDataset([Series(w[None, :].astype(np.float32), None, f"window{i}") for i, w in enumerate(lookbacks)],
                           description="forecaster lookbacks")
        runs, _ = pretrain(cfg, ds, out_dir=None, encoder=self.encoder)
        self.run_, self.encoders_ = next(iter(runs.values())), {which: r.encoder for which, r in runs.items()}

    @staticmethod
    def auto_window(length: int, horizon: int, patch_len: int, run_window: int) -> int:
        """Default lookback: half of what the series leaves after the horizon, within
        ``[patch_len, run_window]``; shorter (down to 2) when two such windows do not fit."""
        window = min(max((length - horizon) // 2, patch_len), run_window)
        return max(2, min(window, length - horizon - 1))

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
        from jepa_domains.registry import get_modality
        from jepa_domains.train.config import modality_options

        self._check_params()
        steps = fh.to_relative(self.cutoff).to_numpy() if fh is not None else np.asarray([self.horizon or 0])
        if (steps < 1).any():
            raise ValueError("JEPAForecaster needs fh in fit (or horizon=) with out-of-sample steps >= 1, "
                             f"got {steps.tolist()}")
        horizon = max(int(steps.max()), int(self.horizon or 0))
        values = np.asarray(y, dtype=np.float64)
        if not np.isfinite(values).all():
            raise ValueError("y contains NaN or infinite values")
        if self.run_dir is not None:
            self._load()
            options, cfg = self.run_.options, None
        else:
            adapter = get_modality("timeseries")
            cfg = pretrain_config(adapter, overrides=non_overlapping_patches(adapter, self.overrides), quick=True,
                                  seed=self.seed)
            options = modality_options(adapter.Config, cfg.modality)
            if options.channel_mode != "independent":
                raise ValueError(f"forecasting needs modality.channel_mode='independent', got {options.channel_mode!r}")
        window = self.window or self.auto_window(len(values), horizon, int(options.patch_len), int(options.window))
        if len(values) < window + horizon:
            raise ValueError(f"series of {len(values)} points is too short for a lookback of {window} "
                             f"and a horizon of {horizon}")
        self.window_, self.horizon_ = int(window), horizon
        lookbacks, _ = self._windows(values)
        if cfg is not None:
            self._pretrain_encoder(lookbacks, cfg)
        self._fit_head(values)
        return self

    def _windows(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Normalised lookbacks ``[n, L]`` and their futures ``[n, H]`` of every training window."""
        window, horizon = self.window_, self.horizon_
        starts = np.arange(0, len(values) - window - horizon + 1, self.stride)
        block = values[starts[:, None] + np.arange(window + horizon)[None, :]]      # [n, L + H]
        norm, _, _ = self._normalise(block, window)
        return norm[:, :window], norm[:, window:]

    def _fit_head(self, values: np.ndarray) -> None:
        """The ridge head on every window of ``values`` (the encoder stays as it is)."""
        lookbacks, targets = self._windows(values)
        feats = self._features(lookbacks)
        alpha = self.alpha
        if alpha is None:
            cut = int(len(feats) * 0.8)
            alpha = select_alpha(feats[:cut], targets[:cut], feats[cut:], targets[cut:]) if len(feats) - cut >= 2 else 1.0
        self.alpha_ = float(alpha)
        self.train_features_, self.train_targets_ = feats, targets
        self.history_ = values[-self.window_:]

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
            values = np.asarray(seen, dtype=np.float64)   # _y already holds the new points
            if not np.isfinite(values).all():
                raise ValueError("y contains NaN or infinite values")
            self._fit_head(values)
            return self
        self.history_ = np.concatenate([self.history_, np.asarray(y, dtype=np.float64)])[-self.window_:]
        return self

    @classmethod
    def get_test_params(cls, parameter_set: str = "default") -> list[dict[str, Any]]:
        """Two cheap configurations for sktime's checks: a tiny encoder pretrained for two steps
        inside ``fit`` on the test series (no run on disk is needed), once with the defaults
        (automatic lookback and ridge strength), once with patches of 4, window stride 2, both encoders,
        a fixed ridge strength and a fixed horizon (so ``fh`` is optional in ``fit``)."""
        tiny = {"train.steps": 2, "model.dim": 16, "model.depth": 1, "model.num_heads": 2, "model.pred_dim": 8,
                "model.pred_depth": 1, "model.pred_heads": 2, "optim.warmup_steps": 1}
        return [{"overrides": tiny, "device": "cpu"},
                {"overrides": {**tiny, "modality.patch_len": 4, "modality.stride": 4}, "stride": 2,
                 "encoder": "both", "horizon": 6, "alpha": 1.0, "device": "cpu", "seed": 1}]
