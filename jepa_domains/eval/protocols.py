"""Downstream protocols shared by every modality: frozen-encoder classification on a
dataset's train/test split, with the random-init and hand-crafted-feature baselines side by
side (same split, same seed, same probe, same inner folds).

Every result row carries an ``encoder`` field: ``"context"`` or ``"target"`` for the JEPA
rows, and for the rows of methods that have no trained encoder (``random_init``, ``features``,
``chance``) the encoder of the JEPA rows they are compared with. With ``encoder="both"`` those
baselines are computed once and their rows appear once per encoder, so that every
(dataset, probe, encoder) group is complete on its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from jepa_domains.data.multi_source import evaluation_source
from jepa_domains.eval.embed import LoadedRun, extract, load_runs, random_encoder
from jepa_domains.eval.probes import chance_level, get_probe
from jepa_domains.eval.verdicts import PER_SAMPLE
from jepa_domains.modalities.base import resolve_data_root

# row fields that hold per-sample detail, left out of printed tables and CSV files
DETAIL_FIELDS = (PER_SAMPLE,)
# fields that differ between the folds of one method's rows (never part of a summary's key)
PER_FOLD_FIELDS = ("fold", "value", "chosen", "inner_accuracy", PER_SAMPLE)


def baseline_features(run: LoadedRun, dataset: Any, *, batch_size: int = 64) -> dict[str, np.ndarray]:
    """Features of the methods without a trained encoder: the random-init twin and the
    modality's hand-crafted features (when it has some); ``{method: [n, F]}``."""
    out = {"random_init": extract(random_encoder(run.cfg, run.adapter, run.options), run.adapter, run.options,
                                  dataset, batch_size=batch_size).X}
    features = run.adapter.feature_baseline(run.options, dataset)
    if features is not None:
        out["features"] = np.asarray(features, dtype=np.float32)
    return out


def method_embeddings(runs: dict[str, LoadedRun] | LoadedRun, dataset: Any, *,
                      batch_size: int = 64) -> dict[str, dict[str, np.ndarray]]:
    """Per-encoder features of a dataset: ``{encoder: {"jepa": X, "random_init": X, "features": X}}``
    (baseline arrays are shared between encoders, computed once)."""
    runs = runs if isinstance(runs, dict) else {runs.which: runs}
    first = next(iter(runs.values()))
    shared = baseline_features(first, dataset, batch_size=batch_size)
    return {which: {"jepa": extract(run.encoder, run.adapter, run.options, dataset, batch_size=batch_size).X,
                    **shared}
            for which, run in runs.items()}


def probe_row(score: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """One accuracy row from a probe result: ``fields`` + ``metric``, ``value``, ``chosen``, the
    training part's ``inner_accuracy`` (when the probe searched) and the 0/1 ``per_sample``
    correctness that paired verdicts need."""
    row = {**fields, "metric": "accuracy", "value": score["accuracy"], "chosen": score["chosen"],
           PER_SAMPLE: np.asarray(score["correct"]).astype(int).tolist()}
    if score.get("inner_accuracy") is not None:
        row["inner_accuracy"] = score["inner_accuracy"]
    return row


def split_features(feats: dict[str, dict[str, np.ndarray]], index: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """``{encoder: {method: X[index]}}``; an array shared by several encoders stays shared."""
    done: dict[int, np.ndarray] = {}
    return {which: {m: done.setdefault(id(X), X[index]) for m, X in methods.items()}
            for which, methods in feats.items()}


def probe_all(train: dict[str, dict[str, np.ndarray]], test: dict[str, dict[str, np.ndarray]],
              y_train: np.ndarray, y_test: np.ndarray, *, probes: tuple[str, ...], seed: int,
              **fields: Any) -> list[dict[str, Any]]:
    """Rows of every encoder x method x probe, plus one ``chance`` row per encoder.

    Args:
        train, test: ``{encoder: {method: [n, F]}}`` as :func:`method_embeddings` (a baseline
            array shared by several encoders is probed once).
        y_train: ``[n]`` labels; y_test: ``[m]`` labels.
        fields: extra row fields (``dataset``, ``protocol``, ``fold``...).
    """
    cache: dict[tuple[int, str], dict[str, Any]] = {}
    rows = []
    for which, methods in train.items():
        for method, X in methods.items():
            for probe in probes:
                key = (id(X), probe)
                if key not in cache:
                    cache[key] = get_probe(probe)(X, y_train, test[which][method], y_test, seed=seed)
                rows.append(probe_row(cache[key], **fields, method=method, probe=probe, encoder=which))
        rows.append({**fields, "method": "chance", "probe": "-", "encoder": which, "metric": "accuracy",
                     "value": chance_level(y_test)})
    return rows


def classify_run(run_dir: str | Path, *, source: str | None = None, data_root: str | Path | None = None,
                 probes: tuple[str, ...] = ("logistic", "knn"), seed: int = 0, batch_size: int = 64,
                 encoder: str | None = None, pool: str | None = None,
                 layers: int | None = None) -> list[dict[str, Any]]:
    """Frozen-probe accuracy of a run on ``source``'s train/test split against the baselines.

    Args:
        source: dataset to evaluate on (default: the one the run was pretrained on).
        probes: probe names (:data:`jepa_domains.eval.probes.PROBES`, optionally ``@VALUE``).
        encoder: ``"context"``, ``"target"``, ``"both"`` or None (the modality's default).
        pool: replaces the run's ``modality.pool`` (``eval --option pool=...``), see
            :func:`~jepa_domains.eval.embed.load_runs`.
        layers: how many of the encoders' last representations are read, concatenated
            (``eval --option layers=K``; default: the run's ``model.readout_layers``), see
            :func:`~jepa_domains.eval.embed.load_runs`.

    Returns:
        One row per encoder x method x probe: ``{dataset, method, probe, encoder, metric:
        "accuracy", value, chosen, per_sample}`` and one ``chance`` row per encoder (majority
        class share of the test part).
    """
    return classify_runs(load_runs(run_dir, encoder=encoder, pool=pool, layers=layers), source=source, data_root=data_root,
                         probes=probes, seed=seed, batch_size=batch_size)


def classify_runs(runs: dict[str, Any], *, source: str | None = None, data_root: str | Path | None = None,
                  probes: tuple[str, ...] = ("logistic", "knn"), seed: int = 0,
                  batch_size: int = 64) -> list[dict[str, Any]]:
    """:func:`classify_run` on encoders already loaded by :func:`~jepa_domains.eval.embed.load_runs`
    (``{which: LoadedRun}``), for protocols that probe the same runs more than once."""
    splits, labels, name = labelled_splits(next(iter(runs.values())), source, data_root)
    feats = {s: method_embeddings(runs, d, batch_size=batch_size) for s, d in splits.items()}
    return probe_all(feats["train"], feats["test"], labels["train"], labels["test"], probes=probes, seed=seed,
                     dataset=name)


def labelled_splits(run: Any, source: str | None, data_root: str | Path | None) -> tuple[dict, dict, str]:
    """The ``"train"`` / ``"test"`` datasets of ``source`` (default: the run's pretraining set)
    as the run's adapter reads them, their ``[n]`` labels, and the dataset's name for the rows;
    a one-line ``ValueError`` when a split has no labels."""
    source = evaluation_source(source, run.cfg.data.source)
    root = resolve_data_root(data_root or run.cfg.data.data_root)
    splits = {s: run.adapter.load_dataset(run.options, source, split=s, data_root=root, skip_bad=run.cfg.data.skip_bad)
              for s in ("train", "test")}
    labels = {s: run.adapter.labels(d) for s, d in splits.items()}
    if labels["train"] is None or labels["test"] is None:
        raise ValueError(f"dataset {source or run.adapter.default_dataset!r} has no labels to probe")
    return splits, labels, source or run.adapter.default_dataset or "default"


def label_encoders(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give rows their ``encoder`` field. Rows of method ``jepa[w]`` (one per encoder ``w``
    evaluated) become ``jepa`` rows of encoder ``w``; every other row (a baseline, computed once)
    is repeated once per encoder, in the order the encoders first appear."""
    encoders = list(dict.fromkeys(r["method"][5:-1] for r in rows if r["method"].startswith("jepa[")))
    out = []
    for which in encoders:
        for r in rows:
            method = r["method"]
            if method.startswith("jepa[") and method != f"jepa[{which}]":
                continue
            out.append({**r, "method": method.split("[")[0], "encoder": which})
    return out


def summarise_folds(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``accuracy_mean`` / ``accuracy_std`` rows over the folds of per-fold accuracy rows."""
    values: dict[tuple, list[float]] = {}
    for r in rows:
        if r["metric"] == "accuracy":
            key = tuple((k, v) for k, v in r.items() if k not in PER_FOLD_FIELDS)
            values.setdefault(key, []).append(float(r["value"]))
    out = []
    for key, vals in values.items():
        base = {k: v for k, v in key if k != "metric"}
        out += [{**base, "metric": "accuracy_mean", "value": float(np.mean(vals)), "folds": len(vals)},
                {**base, "metric": "accuracy_std", "value": float(np.std(vals)), "folds": len(vals)}]
    return out


def run_protocol(fn: Any, run_dir: str | Path, *, encoder: str | None = None, **kwargs: Any) -> list[dict[str, Any]]:
    """Call a protocol ``fn(run_dir, **kwargs)``, passing ``encoder`` when it takes one (a
    third-party protocol may not: then only ``encoder=None`` is allowed). Rows that come back
    without an ``encoder`` field get ``"-"``."""
    import inspect

    params = inspect.signature(fn).parameters
    if "encoder" in params or any(p.kind is p.VAR_KEYWORD for p in params.values()):
        kwargs["encoder"] = encoder
    elif encoder is not None:
        raise ValueError(f"protocol {getattr(fn, '__name__', fn)!r} does not take an encoder choice")
    return [{**r, "encoder": r.get("encoder", "-")} for r in fn(run_dir, **kwargs)]


def format_rows(rows: list[dict[str, Any]]) -> str:
    """Result rows as an aligned text table (columns in first-seen order, floats to 4 places;
    per-sample detail fields left out)."""
    if not rows:
        return "(no rows)"
    columns = [c for c in dict.fromkeys(k for r in rows for k in r) if c not in DETAIL_FIELDS]
    cells = [[f"{r[c]:.4f}" if isinstance(r.get(c), float) else str(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)
