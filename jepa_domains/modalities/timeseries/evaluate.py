"""Forecasting with a frozen time-series encoder: lookback windows -> patch latents -> ridge
head predicting the next ``H`` steps of each channel, against a raw-window linear model and
naive forecasters on the same windows (ETT protocol: standardised data, 12/4/4-month split)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from jepa_domains.eval.embed import LoadedRun, extract, load_runs, random_encoder
from jepa_domains.eval.protocols import label_encoders
from jepa_domains.eval.forecast import mse_mae, naive_last, naive_seasonal, ridge_fit_predict, select_alpha
from jepa_domains.modalities.base import resolve_data_root
from jepa_domains.modalities.timeseries.datasets import SeriesDataset, load_long_series, resolve_source
from jepa_domains.data.timeseries_readers import Series

HORIZONS = (96, 192, 336, 720)
EPS = 1e-5


def _windows(values: np.ndarray, lo: int, hi: int, lookback: int, horizon: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Lookbacks ``[n, C, L]`` and futures ``[n, C, H]`` whose whole span lies in ``[lo, hi)``."""
    starts = np.arange(lo, hi - lookback - horizon + 1, stride)
    if starts.size == 0:
        raise ValueError(f"no window of {lookback}+{horizon} steps fits in rows [{lo}, {hi})")
    idx = starts[:, None] + np.arange(lookback + horizon)[None, :]
    block = values[idx].transpose(0, 2, 1)                                   # [n, C, L+H]
    return block[:, :, :lookback], block[:, :, lookback:]


def flatten_patch_latents(options: Any, latents: torch.Tensor, pad: torch.Tensor, batch: Any) -> torch.Tensor:
    """Row features for forecasting: all patch latents of a row, flattened (PatchTST's head input)."""
    return (latents * (~pad).unsqueeze(-1)).flatten(1)


def _row_features(run: LoadedRun, encoder: torch.nn.Module, lookbacks: np.ndarray, batch_size: int) -> np.ndarray:
    """``[n, C, L]`` lookbacks -> ``[n * C, F]`` features, one row per (window, channel)."""
    n, c, _ = lookbacks.shape
    if run.options.channel_mode != "independent":
        raise ValueError("forecasting protocol expects channel_mode='independent' (one row per channel)")
    ds = SeriesDataset([Series(lookbacks[i], None, f"w{i}") for i in range(n)], description="windows")
    return extract(encoder, run.adapter, run.options, ds, batch_size=batch_size, pool=flatten_patch_latents).X.reshape(n * c, -1)


def revin_normalise(lookbacks: np.ndarray, futures: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-(window, channel) instance normalisation with the lookback's statistics (RevIN)."""
    mean = lookbacks.mean(-1, keepdims=True)
    std = lookbacks.std(-1, keepdims=True) + EPS
    return (lookbacks - mean) / std, (futures - mean) / std, mean, std


def forecast_run(run_dir: str | Path, *, source: str | None = None, data_root: str | Path | None = None,
                 horizons: tuple[int, ...] = HORIZONS, train_stride: int = 4, batch_size: int = 256,
                 season: int = 24, encoder: str | None = None) -> list[dict[str, Any]]:
    """MSE/MAE of every method at every horizon on the test part of a long series.

    Methods: ``jepa`` and ``random_init`` (frozen encoder + ridge head on flattened patch
    latents, predicting the RevIN-normalised future, de-normalised), ``linear_raw`` (ridge on
    the raw lookback), ``naive_last`` and ``naive_seasonal``. Ridge strengths are chosen on the
    validation part. ``encoder``: ``"context"``, ``"target"``, ``"both"`` or None (the default).

    Returns rows ``{dataset, method, horizon, encoder, metric, value, per_sample}`` where
    ``per_sample`` holds the metric of every test window (mean over channels and steps), so
    that verdicts can pair methods window by window; the baselines' rows are repeated for
    every encoder (computed once).
    """
    runs = load_runs(run_dir, encoder=encoder)
    run = next(iter(runs.values()))
    source = source or run.cfg.data.source
    kind, path = resolve_source(source, resolve_data_root(data_root or run.cfg.data.data_root))
    if kind != "csv":
        raise ValueError(f"forecasting needs a long CSV series (e.g. ETTh1), got {source!r}")
    data = load_long_series(path, path.stem)
    lookback = run.options.window
    split = data.split
    encoders = {**{f"jepa[{w}]": r.encoder for w, r in runs.items()},
                "random_init": random_encoder(run.cfg, run.adapter, run.options)}
    rows = []
    for horizon in horizons:
        parts = {
            "train": _windows(data.values, split.train[0], split.train[1], lookback, horizon, train_stride),
            "val": _windows(data.values, split.val[0] - lookback, split.val[1], lookback, horizon, train_stride),
            "test": _windows(data.values, split.test[0] - lookback, split.test[1], lookback, horizon, 1),
        }
        norm = {k: revin_normalise(*v) for k, v in parts.items()}
        truth = parts["test"][1].reshape(-1, horizon)
        preds: dict[str, np.ndarray] = {}
        for name, encoder in encoders.items():
            feats = {k: _row_features(run, encoder, v[0], batch_size) for k, v in parts.items()}
            targets = {k: v[1].reshape(-1, horizon) for k, v in norm.items()}
            alpha = select_alpha(feats["train"], targets["train"], feats["val"], targets["val"])
            pred = ridge_fit_predict(feats["train"], targets["train"], feats["test"], alpha=alpha)
            _, _, mean, std = norm["test"]
            preds[name] = pred * std.reshape(-1, 1) + mean.reshape(-1, 1)
        raw = {k: (v[0].reshape(-1, lookback), v[1].reshape(-1, horizon)) for k, v in parts.items()}
        alpha = select_alpha(raw["train"][0], raw["train"][1], raw["val"][0], raw["val"][1])
        preds["linear_raw"] = ridge_fit_predict(raw["train"][0], raw["train"][1], raw["test"][0], alpha=alpha)
        preds["naive_last"] = naive_last(raw["test"][0], horizon)
        preds["naive_seasonal"] = naive_seasonal(raw["test"][0], horizon, season)
        windows = len(parts["test"][0])
        for method, pred in preds.items():
            rows.extend({"dataset": data.name, "method": method, "horizon": horizon, "metric": k, "value": v,
                         "per_sample": per_window(pred, truth, windows, k)} for k, v in mse_mae(pred, truth).items())
    return label_encoders(rows)


def per_window(pred: np.ndarray, truth: np.ndarray, windows: int, metric: str) -> list[float]:
    """``[windows]`` squared (``mse``) or absolute (``mae``) error of each test window, averaged
    over its channels and steps (``pred``/``truth``: ``[windows * C, H]``), to 6 digits."""
    err = (pred - truth) ** 2 if metric == "mse" else np.abs(pred - truth)
    return [float(f"{v:.6g}") for v in err.reshape(windows, -1).mean(1)]


def format_forecast(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'dataset':8s} {'method':15s} {'H':>5s} {'mse':>8s} {'mae':>8s}"]
    keyed: dict[tuple, dict[str, float]] = {}
    for r in rows:
        keyed.setdefault((r["dataset"], r["method"], r["horizon"]), {})[r["metric"]] = r["value"]
    for (ds, method, h), m in sorted(keyed.items(), key=lambda kv: (kv[0][2], kv[0][1])):
        lines.append(f"{ds:8s} {method:15s} {h:5d} {m['mse']:8.4f} {m['mae']:8.4f}")
    return "\n".join(lines)
