"""Forecasting with a frozen time-series encoder: lookback windows -> patch latents -> ridge
head predicting the next ``H`` steps of each target channel, against a raw-window linear model and
naive forecasters on the same windows (ETT protocol: standardised data, 12/4/4-month split)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from jepa_domains.data.multi_source import evaluation_source
from jepa_domains.eval.embed import LoadedRun, extract, load_runs, random_encoder
from jepa_domains.eval.protocols import label_encoders
from jepa_domains.eval.forecast import forecast_head, linear_forecast, mse_mae, naive_last, naive_seasonal
from jepa_domains.modalities.base import resolve_data_root
from jepa_domains.modalities.timeseries.datasets import (
    SeriesDataset,
    load_long_series,
    resolve_source,
    target_channels,
)
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


def _row_features(run: LoadedRun, encoder: torch.nn.Module, lookbacks: np.ndarray, targets: list[int],
                  batch_size: int) -> np.ndarray:
    """``[n, C, L]`` lookbacks of every column read -> ``[n * T, F]`` features, one row per
    (window, target channel), window-major.

    ``channel_mode="independent"``: each target channel's own patch latents (the other
    channels cannot change them, so only the targets are encoded). ``"mixing"``: the latents of
    the window's joint tokens (all ``C`` channels), repeated for each target channel (the heads
    that also see the channel's own lookback tell the channels apart).
    """
    n, c, _ = lookbacks.shape
    mixing = run.options.channel_mode == "mixing"
    if mixing and c != run.options.channels:
        raise ValueError(f"the series has {c} columns, the mixing run was trained on {run.options.channels}: "
                         "evaluate on the columns it was trained on (modality.columns)")
    rows = lookbacks if mixing else lookbacks[:, targets]
    ds = SeriesDataset([Series(rows[i], None, f"w{i}") for i in range(n)], description="windows")
    X = extract(encoder, run.adapter, run.options, ds, batch_size=batch_size, pool=flatten_patch_latents).X
    if mixing:
        return np.repeat(X, len(targets), axis=0)
    return X.reshape(n * len(targets), -1)


def _target_windows(values: np.ndarray, lo: int, hi: int, lookback: int, horizon: int, stride: int,
                    targets: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_windows` of the ``targets`` channels only: ``[n, T, L]`` and ``[n, T, H]``."""
    past, future = _windows(values, lo, hi, lookback, horizon, stride)
    return past[:, targets], future[:, targets]


def revin_normalise(lookbacks: np.ndarray, futures: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-(window, channel) instance normalisation with the lookback's statistics (RevIN)."""
    mean = lookbacks.mean(-1, keepdims=True)
    std = lookbacks.std(-1, keepdims=True) + EPS
    return (lookbacks - mean) / std, (futures - mean) / std, mean, std


def forecast_run(run_dir: str | Path, *, source: str | None = None, data_root: str | Path | None = None,
                 horizons: tuple[int, ...] = HORIZONS, train_stride: int = 4, batch_size: int = 256,
                 season: int = 24, encoder: str | None = None, head: str = "auto",
                 target: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """MSE/MAE of every method at every horizon on the test part of a long series, on its
    target channel(s) only.

    The series is read with the run's ``modality.columns`` (every column when empty) and every
    method is fitted and scored on the ``target`` columns (default: the run's
    ``modality.target``; empty: every channel, the ETT multivariate setting). The frozen
    encoders read the columns as the run was trained (see :func:`_row_features`).

    Methods: ``jepa`` and ``random_init`` (frozen encoder + the ridge head of
    :func:`jepa_domains.eval.forecast.forecast_head`; ``head``: ``"auto"`` chooses on the
    validation part between the features alone, the features next to the instance-normalised
    lookback and a feature correction of ``linear_raw``; ``"encoder"``, ``"concat"`` or
    ``"residual"`` force one), ``linear_raw`` (ridge on the raw lookback), ``naive_last`` and
    ``naive_seasonal``. Ridge strengths and the head are chosen on the validation part. Encoder
    features of each window are computed once and shared by every horizon; the heads train on
    the training windows of the longest horizon (those every horizon has), so that one
    decomposition per encoder serves every horizon (``linear_raw`` keeps all of its horizon's
    windows). ``encoder``:
    ``"context"``, ``"target"``, ``"both"`` or None (the default).

    Returns rows ``{dataset, method, horizon, encoder, metric, value, chosen, per_sample}``
    (``dataset``: the file's stem, followed by ``[target,...]`` when a target is set)
    where ``per_sample`` holds the metric of every test window (mean over target channels and steps),
    so that verdicts can pair methods window by window, and ``chosen`` the head and strength
    picked on the validation part; the baselines' rows are repeated for every encoder (computed
    once).
    """
    if not horizons or any(int(h) < 1 for h in horizons):
        raise ValueError(f"horizons must be positive integers, got {horizons!r}")
    runs = load_runs(run_dir, encoder=encoder)
    run = next(iter(runs.values()))
    source = evaluation_source(source, run.cfg.data.source)
    kind, path = resolve_source(source, resolve_data_root(data_root or run.cfg.data.data_root))
    if kind != "csv":
        raise ValueError(f"forecasting needs a long CSV series (e.g. ETTh1), got {source!r}")
    data = load_long_series(path, path.stem, run.options.columns)
    target = run.options.target if target is None else ((target,) if isinstance(target, str) else tuple(target))
    targets = target_channels(data, target)
    dataset = f"{data.name}[{','.join(target)}]" if target else data.name
    lookback = run.options.window
    split = data.split
    encoders = {**{f"jepa[{w}]": r.encoder for w, r in runs.items()},
                "random_init": random_encoder(run.cfg, run.adapter, run.options)}
    bounds = {"train": (split.train[0], split.train[1], train_stride),
              "val": (split.val[0] - lookback, split.val[1], train_stride),
              "test": (split.test[0] - lookback, split.test[1], 1)}
    shortest, longest = min(int(h) for h in horizons), max(int(h) for h in horizons)
    # the windows of the shortest horizon contain those of every longer one (same starts, a prefix)
    lookbacks = {k: _windows(data.values, lo, hi, lookback, shortest, st)[0] for k, (lo, hi, st) in bounds.items()}
    feats = {name: {k: _row_features(run, model, v, targets, batch_size) for k, v in lookbacks.items()}
             for name, model in encoders.items()}
    # the heads train on the windows every horizon has (those of the longest), so that one
    # decomposition per encoder serves all horizons; linear_raw keeps all of its horizon's windows
    common = len(_windows(data.values, *bounds["train"][:2], lookback, longest, train_stride)[0]) * len(targets)
    paths: dict[str, dict] = {name: {} for name in encoders}
    rows = []
    for horizon in horizons:
        parts = {k: _target_windows(data.values, lo, hi, lookback, horizon, st, targets)
                 for k, (lo, hi, st) in bounds.items()}
        counts = {k: len(v[0]) * v[0].shape[1] for k, v in parts.items()}
        raw = {k: v[0].reshape(-1, lookback).astype(np.float64) for k, v in parts.items()}
        futures = {k: v[1].reshape(-1, horizon).astype(np.float64) for k, v in parts.items()}
        truth = futures["test"]
        base, base_alpha = linear_forecast(raw, futures)
        preds: dict[str, np.ndarray] = {"linear_raw": base["test"]}
        chosen: dict[str, str] = {"linear_raw": f"alpha={base_alpha:g}"}
        counts["train"] = common
        head_raw, head_fut, head_base = ({**d, "train": d["train"][:common]} for d in (raw, futures, base))
        for name in encoders:
            use = {k: v[: counts[k]] for k, v in feats[name].items()}
            preds[name], info = forecast_head(use, head_raw, head_fut, head=head, base=head_base, paths=paths[name])
            chosen[name] = ("fallback=linear_raw" if info["fallback"]
                            else f"head={info['head']} alpha={info['alpha']:g}")
        preds["naive_last"] = naive_last(raw["test"], horizon)
        preds["naive_seasonal"] = naive_seasonal(raw["test"], horizon, season)
        windows = len(parts["test"][0])
        for method, pred in preds.items():
            rows.extend({"dataset": dataset, "method": method, "horizon": horizon, "metric": k, "value": v,
                         **({"chosen": chosen[method]} if method in chosen else {}),
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


# -- classification: the frozen-probe protocol + MiniRocket side by side ----------------------------

MINIROCKET_ALPHAS = tuple(np.logspace(-3, 3, 10))


def minirocket_classify(train: list[np.ndarray], y_train: np.ndarray, test: list[np.ndarray], y_test: np.ndarray,
                        *, seed: int = 0, num_kernels: int = 10_000) -> dict[str, Any]:
    """MiniRocket (Dempster et al., 2021) through sktime, with its paper's classifier:
    ``StandardScaler(with_mean=False)`` + ``RidgeClassifierCV(alphas=logspace(-3, 3, 10))``
    (the strength chosen by leave-one-out on the training part only).

    Args:
        train, test: series ``[C, L_i]`` (lengths may differ: then sktime's
            ``MiniRocketMultivariateVariable``, short series padded with 0 to its 9 steps;
            otherwise ``MiniRocketMultivariate`` on ``[n, C, L]``).
        y_train: ``[n]`` int labels; y_test: ``[m]``.
        seed: the kernels' random state.

    Returns:
        ``{"accuracy", "chosen" ("alpha=..."), "correct" [m] bool, "predictions" [m]}``.
    """
    import pandas as pd
    from sklearn.linear_model import RidgeClassifierCV
    from sklearn.preprocessing import StandardScaler
    from sktime.transformations.panel.rocket import MiniRocketMultivariate, MiniRocketMultivariateVariable

    if len(train) != len(y_train) or len(test) != len(y_test):
        raise ValueError(f"MiniRocket: series and labels differ in length: {len(train)}/{len(y_train)}, "
                         f"{len(test)}/{len(y_test)}")
    lengths = {s.shape[1] for s in [*train, *test]}
    if len(lengths) == 1 and min(lengths) >= 9:
        transform = MiniRocketMultivariate(num_kernels=num_kernels, random_state=seed)
        X_train, X_test = np.stack(train).astype(np.float64), np.stack(test).astype(np.float64)
    else:
        transform = MiniRocketMultivariateVariable(num_kernels=num_kernels, random_state=seed,
                                                   pad_value_short_series=0.0, reference_length="max")
        as_frames = lambda ss: [pd.DataFrame(s.T.astype(np.float64)) for s in ss]  # noqa: E731
        X_train, X_test = as_frames(train), as_frames(test)
    F_train = np.asarray(transform.fit_transform(X_train), dtype=np.float64)
    F_test = np.asarray(transform.transform(X_test), dtype=np.float64)
    scaler = StandardScaler(with_mean=False).fit(F_train)
    model = RidgeClassifierCV(alphas=MINIROCKET_ALPHAS).fit(scaler.transform(F_train), y_train)
    pred = model.predict(scaler.transform(F_test))
    correct = pred == np.asarray(y_test)
    return {"accuracy": float(correct.mean()), "chosen": f"alpha={float(model.alpha_):.3g}", "correct": correct,
            "predictions": pred}


def classify_run(run_dir: str | Path, *, source: str | None = None, data_root: str | Path | None = None,
                 probes: tuple[str, ...] = ("logistic", "knn"), seed: int = 0, batch_size: int = 64,
                 encoder: str | None = None, minirocket: bool = False, pool: str | None = None,
                 layers: int | None = None) -> list[dict[str, Any]]:
    """The shared frozen-probe classification protocol
    (as :func:`jepa_domains.eval.protocols.classify_run`: ``jepa``, ``random_init``,
    ``features``, ``chance``) plus MiniRocket on the same split (``minirocket``,
    :func:`minirocket_classify`, on the whole series, not the encoder's crop), when ``minirocket``
    (``eval --option minirocket=true``; on in the shipped ``recipes`` and ``timeseries`` suites;
    off by default because its kernels compile for ~30 s in every new process).

    MiniRocket is its own classifier, not a probe: its row is computed once and repeated in every
    (encoder, probe) group so that each verdict pairs it with the JEPA row test sample by test
    sample. ``pool`` overrides the run's ``modality.pool`` (``"mean"``, ``"segments"`` or ``"max_mean"``) for
    the JEPA and random-init features alike, and ``layers`` the number of the encoders' last
    representations read (see :func:`~jepa_domains.eval.embed.load_runs`).
    """
    from jepa_domains.eval.protocols import labelled_splits, method_embeddings, probe_all, probe_row

    runs = load_runs(run_dir, encoder=encoder, pool=pool, layers=layers)
    splits, labels, name = labelled_splits(next(iter(runs.values())), source, data_root)
    feats = {s: method_embeddings(runs, d, batch_size=batch_size) for s, d in splits.items()}
    rows = probe_all(feats["train"], feats["test"], labels["train"], labels["test"], probes=probes, seed=seed,
                     dataset=name)
    if not minirocket:
        return rows
    score = minirocket_classify([x.values for x in splits["train"]], labels["train"],
                                [x.values for x in splits["test"]], labels["test"], seed=seed)
    groups = list(dict.fromkeys((r["encoder"], r["probe"]) for r in rows if r["method"] == "jepa"))
    return rows + [probe_row(score, dataset=name, method="minirocket", probe=p, encoder=e) for e, p in groups]
