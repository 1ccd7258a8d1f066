"""Trajectory-specific protocols on frozen encoders: TrajCL / T-JEPA self-similarity search,
1-NN DTW classification, and next-positions forecasting against constant velocity.

Embedding, probes and ridge heads come from :mod:`jepa_domains.eval`; this module only builds
the trajectory-shaped inputs and targets of each protocol.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from jepa_domains.data.multi_source import evaluation_source
from jepa_domains.data.trajectory_track import Track, TrackDataset
from jepa_domains.eval.embed import extract, load_runs, random_encoder
from jepa_domains.eval.forecast import ridge_fit_predict, select_alpha
from jepa_domains.eval.protocols import label_encoders
from jepa_domains.eval.similarity import pairwise_euclidean, twin_ranks
from jepa_domains.modalities.base import resolve_data_root
from jepa_domains.modalities.trajectory.distances import distance_matrix, downsample_points
from jepa_domains.modalities.trajectory.features import features_matrix

PERTURBATIONS = ("downsample", "distort")


def perturb(track: Track, kind: str, rate: float, rng: np.random.Generator, noise: float) -> Track:
    """TrajCL's perturbations: ``downsample`` drops each inner point with probability ``rate``;
    ``distort`` moves each point with probability ``rate`` by Gaussian noise of std ``noise``."""
    if kind not in PERTURBATIONS:
        raise ValueError(f"unknown perturbation {kind!r}; known: {', '.join(PERTURBATIONS)}")
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"perturbation rate must be in [0, 1), got {rate}")
    if kind == "downsample":
        keep = rng.random(len(track)) >= rate
        keep[[0, -1]] = True
        return replace(track, t=track.t[keep], xy=track.xy[keep])
    moved = rng.random(len(track)) < rate
    return replace(track, xy=track.xy + moved[:, None] * rng.normal(0.0, noise, size=track.xy.shape))


def twin_sets(dataset: TrackDataset, *, num_queries: int, num_database: int, seed: int = 0,
              kind: str = "downsample", rate: float = 0.0) -> tuple[TrackDataset, TrackDataset]:
    """Query and database sets: query ``i`` is the odd-indexed points of a track, database item
    ``i`` its even-indexed points; database items from ``num_queries`` on are the even halves of
    other tracks (distractors). Both sides are then perturbed at ``rate``. Tracks need >= 4 points."""
    usable = [tr for tr in dataset.tracks if len(tr) >= 4]
    if len(usable) < num_database or num_queries > num_database:
        raise ValueError(f"need num_queries <= num_database <= {len(usable)} tracks of >= 4 points, got "
                         f"{num_queries} and {num_database}")
    rng = np.random.default_rng(seed)
    chosen = [usable[i] for i in rng.permutation(len(usable))[:num_database]]
    steps = np.concatenate([np.hypot(*np.diff(tr.xy, axis=0).T) for tr in chosen])
    noise = float(np.median(steps[steps > 0])) if (steps > 0).any() else 1.0  # one typical step
    half = lambda tr, start: replace(tr, t=tr.t[start::2], xy=tr.xy[start::2])  # noqa: E731
    queries = [perturb(half(tr, 1), kind, rate, rng, noise) for tr in chosen[:num_queries]]
    database = [perturb(half(tr, 0), kind, rate, rng, noise) for tr in chosen]
    return (TrackDataset(queries, description="similarity queries"),
            TrackDataset(database, description="similarity database"))


def drop_duplicates(dataset: TrackDataset) -> tuple[TrackDataset, list[str]]:
    """The dataset without tracks whose points repeat an earlier track's exactly, and the ids of
    those dropped. (Go!Track holds 16 such pairs in 137 usable tracks: a query whose track has a
    copy ties its twin with the copy under every method, a floor of about 1.23 on the mean rank
    that says nothing about the method.)"""
    seen, kept, dropped = set(), [], []
    for tr in dataset.tracks:
        key = (len(tr), np.round(tr.xy, 6).tobytes())
        if key in seen:
            dropped.append(tr.id)
        else:
            seen.add(key)
            kept.append(tr)
    if not dropped:
        return dataset, []
    return TrackDataset(kept, description=f"{dataset.name} [{len(dropped)} duplicate tracks dropped]",
                        classes=dataset.classes, announce=False), dropped


def similarity_search(encoders: dict[str, Any], adapter: Any, options: Any, dataset: TrackDataset, *,
                      num_queries: int = 100, num_database: int = 500, rates: tuple[float, ...] = (0.0, 0.1, 0.3, 0.5),
                      kinds: tuple[str, ...] = ("downsample",), classical: tuple[str, ...] = ("frechet", "hausdorff", "dtw"),
                      classical_points: int = 64, seed: int = 0) -> list[dict[str, Any]]:
    """Mean twin rank of every encoder (Euclidean distance between pooled embeddings) and of the
    classical distances (on at most ``classical_points`` evenly spaced raw points per track).

    Returns rows ``{perturbation, rate, method, mean_rank, ranks, query_ms, index_ms,
    database_size}`` (``ranks``: ``[Q]`` twin rank of every query, the same queries for every
    method of a perturbation and rate). Timing, wall-clock on this process's threads: an encoder
    embeds the database once (``index_ms`` per database track), then a query costs its own
    embedding plus the distances to all ``database_size`` embeddings and their nearest neighbour
    (``query_ms``, mean over the queries, embedded in batches); a classical distance has no
    index (``index_ms`` 0) and a query costs the distances to every database track, computed
    pairwise on the raw points, and their nearest neighbour.
    """
    rows = []
    for kind in kinds:
        for rate in rates:
            q, d = twin_sets(dataset, num_queries=num_queries, num_database=num_database, seed=seed,
                             kind=kind, rate=rate)
            timing = {"database_size": len(d)}
            for name, encoder in encoders.items():
                start = time.perf_counter()
                ed = extract(encoder, adapter, options, d).X
                index_s = time.perf_counter() - start
                start = time.perf_counter()
                eq = extract(encoder, adapter, options, q).X
                dist = pairwise_euclidean(eq, ed)
                dist.argmin(1)
                query_s = time.perf_counter() - start
                rows.append({"perturbation": kind, "rate": rate, "method": name, **_rank_fields(dist), **timing,
                             "query_ms": 1000 * query_s / len(q), "index_ms": 1000 * index_s / len(d)})
            qp = [downsample_points(tr.xy, classical_points) for tr in q.tracks]
            dp = [downsample_points(tr.xy, classical_points) for tr in d.tracks]
            for metric in classical:
                start = time.perf_counter()
                dist = distance_matrix(qp, dp, metric)
                dist.argmin(1)
                query_s = time.perf_counter() - start
                rows.append({"perturbation": kind, "rate": rate, "method": metric, **_rank_fields(dist), **timing,
                             "query_ms": 1000 * query_s / len(q), "index_ms": 0.0})
    return rows


def _rank_fields(distances: np.ndarray) -> dict[str, Any]:
    ranks = twin_ranks(distances)
    return {"mean_rank": float(ranks.mean()), "ranks": ranks.tolist()}


def dtw_1nn_accuracy(train: TrackDataset, test: TrackDataset, *, max_points: int = 48, max_train: int | None = None,
                     max_test: int | None = None, seed: int = 0) -> dict[str, float]:
    """1-NN classification accuracy with DTW on raw points (tracks capped at ``max_points``
    points; optional stratification-free random subsets of train/test to keep it tractable)."""
    rng = np.random.default_rng(seed)
    tr_idx = np.arange(len(train)) if not max_train or max_train >= len(train) else rng.choice(len(train), max_train, replace=False)
    te_idx = np.arange(len(test)) if not max_test or max_test >= len(test) else rng.choice(len(test), max_test, replace=False)
    a = [downsample_points(test.tracks[i].xy, max_points) for i in te_idx]
    b = [downsample_points(train.tracks[i].xy, max_points) for i in tr_idx]
    nearest = distance_matrix(a, b, "dtw").argmin(1)
    pred = train.labels[tr_idx][nearest]
    return {"accuracy": float((pred == test.labels[te_idx]).mean()), "n_train": len(tr_idx), "n_test": len(te_idx)}


def classify_dtw_run(run_dir: str | Path, *, source: str | None = None, data_root: str | Path | None = None,
                     probes: tuple[str, ...] = ("logistic", "knn"), seed: int = 0, batch_size: int = 64,
                     dtw: bool = True, dtw_points: int = 48, sampling_free: bool = True, encoder: str | None = None,
                     layers: int | None = None, pool: str | None = None) -> list[dict[str, Any]]:
    """The shared ``classify`` protocol (:func:`jepa_domains.eval.protocols.classify_run`) plus
    two classical rows on the same train/test split:

    - with ``dtw`` (default), 1-NN DTW on the raw points (at most ``dtw_points`` per track):
      rows ``method: "dtw_1nn"``, one per probe and encoder with the same value (1-NN needs no
      probe; the copies let the paired verdicts compare each probe's ``jepa`` with it);
    - with ``sampling_free`` (default), the per-track features without the
      :data:`~jepa_domains.modalities.trajectory.features.SAMPLING_FEATURES` (point count and
      time-gap statistics, which read how a track was recorded, not how it moved) under each
      probe: rows ``method: "features_no_sampling"``, one per probe and encoder.

    ``per_sample`` = 0/1 correctness of every test track. ``layers``: how many of the encoders'
    last representations are read; ``pool``: replaces the run's ``modality.pool`` (see
    :func:`~jepa_domains.eval.embed.load_runs`)."""
    from jepa_domains.eval.probes import get_probe
    from jepa_domains.eval.protocols import classify_run, probe_row

    rows = classify_run(run_dir, source=source, data_root=data_root, probes=probes, seed=seed, batch_size=batch_size,
                        encoder=encoder, layers=layers, pool=pool)
    if not (dtw or sampling_free):
        return rows
    run, root, source, _ = _run_encoders(run_dir, source, data_root, encoder)
    train, test = (run.adapter.load_dataset(run.options, source, split=s, data_root=root, skip_bad=run.cfg.data.skip_bad)
                   for s in ("train", "test"))
    keys = list(dict.fromkeys((r["probe"], r["encoder"]) for r in rows if r["method"] == "jepa"))
    name = rows[0]["dataset"] if rows else (source or run.adapter.default_dataset)
    if sampling_free:
        X_train, X_test = (features_matrix(d.tracks, sampling=False).astype(np.float32) for d in (train, test))
        scores = {probe: get_probe(probe)(X_train, train.labels, X_test, test.labels, seed=seed)
                  for probe in dict.fromkeys(p for p, _ in keys)}
        rows += [probe_row(scores[probe], dataset=name, method="features_no_sampling", probe=probe, encoder=which)
                 for probe, which in keys]
    if dtw:
        a = [downsample_points(tr.xy, dtw_points) for tr in test.tracks]
        b = [downsample_points(tr.xy, dtw_points) for tr in train.tracks]
        correct = (train.labels[distance_matrix(a, b, "dtw").argmin(1)] == test.labels).astype(int)
        rows += [{"dataset": name, "method": "dtw_1nn", "probe": probe, "encoder": which, "metric": "accuracy",
                  "value": float(correct.mean()), "chosen": f"1-NN DTW, {dtw_points} points",
                  "per_sample": correct.tolist()} for probe, which in keys]
    return rows


def forecast_windows(dataset: TrackDataset, *, history: int = 32, horizon: int = 5,
                     windows_per_track: int = 4) -> tuple[TrackDataset, np.ndarray, np.ndarray]:
    """Cut tracks into (history, future) windows at up to ``windows_per_track`` evenly spaced cuts.

    Returns the history windows (a :class:`TrackDataset`), the true future positions relative to
    each window's last point ``[n, horizon, 2]``, and the constant-velocity prediction of the same
    ``[n, horizon, 2]`` (last step's velocity times the known future time offsets).
    """
    windows, future, constant = [], [], []
    for tr in dataset.tracks:
        if len(tr) < 3 + horizon:
            continue
        lo, hi = min(len(tr) - horizon, max(3, history)), len(tr) - horizon
        for cut in np.unique(np.linspace(lo, hi, windows_per_track).astype(int)):
            h = slice(max(0, cut - history), cut)
            last, prev = tr.xy[cut - 1], tr.xy[cut - 2]
            velocity = (last - prev) / max(tr.t[cut - 1] - tr.t[cut - 2], 1e-9)
            dt = tr.t[cut:cut + horizon] - tr.t[cut - 1]
            windows.append(replace(tr, t=tr.t[h], xy=tr.xy[h], id=f"{tr.id}@{cut}"))
            future.append(tr.xy[cut:cut + horizon] - last)
            constant.append(dt[:, None] * velocity[None, :])
    if not windows:
        raise ValueError(f"no track has the {3 + horizon} points a forecasting window needs")
    return TrackDataset(windows, description="forecast windows"), np.asarray(future), np.asarray(constant)


def _errors(pred: np.ndarray, true: np.ndarray) -> dict[str, Any]:
    """ADE / FDE of ``[n, H, 2]`` predictions, and each window's own (``ade_windows`` ``[n]``...)."""
    dist = np.hypot(*(pred - true).transpose(2, 0, 1))                 # [n, H]
    return {"ade": float(dist.mean()), "fde": float(dist[:, -1].mean()),
            "ade_windows": dist.mean(1), "fde_windows": dist[:, -1]}


def forecast_next_positions(encoders: dict[str, Any], adapter: Any, options: Any, train: TrackDataset,
                            test: TrackDataset, *, history: int = 32, horizon: int = 5, seed: int = 0) -> list[dict[str, Any]]:
    """Average / final displacement errors (coordinate units) of the next ``horizon`` positions.

    Methods: ``constant_velocity``; per encoder, a ridge head on the frozen window embedding
    (plus the last velocity) predicting the correction to constant velocity. Ridge strength is
    chosen on a held-out 20 % of the training windows.
    """
    wtr, ytr, ctr = forecast_windows(train, history=history, horizon=horizon)
    wte, yte, cte = forecast_windows(test, history=history, horizon=horizon)
    rows = [{"method": "constant_velocity", **_errors(cte, yte)}]
    rng = np.random.default_rng(seed)
    val = rng.random(len(wtr)) < 0.2
    for name, encoder in encoders.items():
        xtr = np.concatenate([extract(encoder, adapter, options, wtr).X, ctr.reshape(len(ctr), -1)], 1)
        xte = np.concatenate([extract(encoder, adapter, options, wte).X, cte.reshape(len(cte), -1)], 1)
        rtr = (ytr - ctr).reshape(len(ytr), -1)
        alpha = select_alpha(xtr[~val], rtr[~val], xtr[val], rtr[val]) if val.any() and (~val).any() else 10.0
        pred = ridge_fit_predict(xtr, rtr, xte, alpha=alpha).reshape(cte.shape) + cte
        rows.append({"method": f"ridge[{name}]+cv", **_errors(pred, yte)})
    return rows


def _run_encoders(run_dir: str | Path, source: str | None, data_root: str | Path | None, encoder: str | None,
                  layers: int | None = None, pool: str | None = None):
    """The run, data root, source and ``{name: encoder}`` with ``jepa[context]`` / ``jepa[target]``
    (those asked for) and ``random_init``, each reading ``layers`` representations and pooled by
    ``pool`` (None: the run's; see :func:`~jepa_domains.eval.embed.load_runs`)."""
    runs = load_runs(run_dir, encoder=encoder, layers=layers, pool=pool)
    run = next(iter(runs.values()))
    root = resolve_data_root(data_root or run.cfg.data.data_root)
    source = evaluation_source(source, run.cfg.data.source)
    encoders = {**{f"jepa[{w}]": r.encoder for w, r in runs.items()},
                "random_init": random_encoder(run.cfg, run.adapter, run.options)}
    return run, root, source, encoders


def similarity_run(run_dir: str | Path, *, source: str | None = None, data_root: str | Path | None = None,
                   num_queries: int = 100, num_database: int = 500, rates: tuple[float, ...] = (0.0, 0.1, 0.3, 0.5),
                   kinds: tuple[str, ...] = ("downsample", "distort"), seed: int = 0, split: str = "all",
                   dedupe: bool = True, encoder: str | None = None, layers: int | None = None,
                   pool: str | None = None) -> list[dict[str, Any]]:
    """Self-similarity protocol of a run (``jepa-domains eval RUN --task similarity``) on split
    ``split`` (``all`` by default; ``train`` to choose settings without touching the test part,
    ``test`` to report on it): rows ``{dataset, method, perturbation, rate, encoder, metric:
    "mean_rank", value, per_sample}`` (``per_sample``: each query's twin rank), and per method and
    rate the timing rows ``metric: "query_ms"`` (one query against the whole database, the
    database embedded beforehand; ``database_size`` on the row) and, for the encoders,
    ``metric: "dtw_speedup"`` (DTW's query time / the encoder's, same queries and database).
    ``dedupe`` (default) first drops tracks that repeat another's points exactly, counted and
    named on stderr (:func:`drop_duplicates`). ``layers``, ``pool``: as :func:`classify_dtw_run`."""
    run, root, source, encoders = _run_encoders(run_dir, source, data_root, encoder, layers, pool)
    dataset = run.adapter.load_dataset(run.options, source, split=split, data_root=root,
                                       skip_bad=run.cfg.data.skip_bad)
    if dedupe:
        dataset, dropped = drop_duplicates(dataset)
        if dropped:
            shown = ", ".join(repr(i) for i in dropped[:5]) + (f" and {len(dropped) - 5} more" if len(dropped) > 5 else "")
            print(f"[jepa-domains] similarity: dropped {len(dropped)} tracks that repeat another track's points "
                  f"exactly ({shown}); --option dedupe=false keeps them", file=sys.stderr)
    name = source or run.adapter.default_dataset
    usable = sum(len(tr) >= 4 for tr in dataset.tracks)
    rows = similarity_search(encoders, run.adapter, run.options, dataset, num_queries=min(num_queries, usable // 2),
                             num_database=min(num_database, usable), rates=tuple(rates), kinds=tuple(kinds),
                             seed=seed)
    out = []
    for r in rows:
        base = {"dataset": name, "method": r["method"], "perturbation": r["perturbation"], "rate": r["rate"]}
        out.append({**base, "metric": "mean_rank", "value": r["mean_rank"], "per_sample": r["ranks"]})
        out.append({**base, "metric": "query_ms", "value": r["query_ms"], "database_size": r["database_size"]})
        dtw = next((x for x in rows if x["method"] == "dtw" and x["perturbation"] == r["perturbation"]
                    and x["rate"] == r["rate"]), None)
        if dtw is not None and r["method"] not in ("dtw", "frechet", "hausdorff"):
            out.append({**base, "metric": "dtw_speedup", "value": dtw["query_ms"] / max(r["query_ms"], 1e-9),
                        "database_size": r["database_size"]})
    return label_encoders(out)


def forecast_run(run_dir: str | Path, *, source: str | None = None, data_root: str | Path | None = None,
                 history: int = 32, horizon: int = 5, seed: int = 0, encoder: str | None = None) -> list[dict[str, Any]]:
    """Next-positions protocol of a run (``--task forecast``): rows ``{dataset, method, horizon,
    encoder, metric: "ade"|"fde", value, per_sample}`` on the train/test split (``per_sample``:
    the error of every test window); ``method`` is ``jepa`` / ``random_init`` (ridge head on the
    frozen embedding + constant velocity) or ``constant_velocity``."""
    run, root, source, encoders = _run_encoders(run_dir, source, data_root, encoder)
    splits = [run.adapter.load_dataset(run.options, source, split=s, data_root=root, skip_bad=run.cfg.data.skip_bad)
              for s in ("train", "test")]
    name = source or run.adapter.default_dataset
    rows = forecast_next_positions(encoders, run.adapter, run.options, *splits, history=history, horizon=horizon,
                                   seed=seed)
    rows = [{"dataset": name, "method": r["method"].removeprefix("ridge[").removesuffix("]+cv"), "horizon": horizon,
             "metric": m, "value": r[m], "per_sample": [float(f"{v:.6g}") for v in r[f"{m}_windows"]]}
            for r in rows for m in ("ade", "fde")]
    return label_encoders(rows)
