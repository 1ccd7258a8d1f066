"""Audio downstream protocols on frozen encoders: the dataset's official train/test split
(FSDD index 0-4 test; ESC-50 test fold) and grouped cross-validation (FSDD leave-one-speaker-out,
ESC-50 5-fold), each with the random-init and log-mel baselines under the same probes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from jepa_domains.data.multi_source import evaluation_source
from jepa_domains.eval.embed import load_runs
from jepa_domains.eval.protocols import (classify_runs, method_embeddings, probe_all, split_features,
                                         summarise_folds)
from jepa_domains.modalities.base import resolve_data_root

GROUP_PROTOCOLS = {"fsdd": "leave_one_speaker_out", "esc50": "5_fold_cv"}


def grouped_rows(features: dict[str, dict[str, np.ndarray]], labels: np.ndarray, groups: np.ndarray, *,
                 probes: tuple[str, ...], seed: int = 0, **fields: Any) -> list[dict[str, Any]]:
    """Leave-one-group-out rows of every encoder x method x probe, one per held-out group.

    Args:
        features: ``{encoder: {method: [n, E]}}`` embeddings of the same ``n`` clips.
        labels: ``[n]`` int labels; groups: ``[n]`` group keys (speaker, fold).

    Returns:
        :func:`~jepa_domains.eval.protocols.probe_all` rows with ``fold`` = the held-out group.
    """
    keys = sorted(set(groups.tolist()), key=str)
    if len(keys) < 2:
        raise ValueError(f"grouped cross-validation needs >= 2 groups, got {keys}")
    rows = []
    for g in keys:
        test = groups == g
        rows += probe_all(split_features(features, ~test), split_features(features, test), labels[~test], labels[test],
                          probes=probes, seed=seed, **fields, fold=str(g))
    return rows


def grouped_cv(features: dict[str, np.ndarray], labels: np.ndarray, groups: np.ndarray, *,
               probes: tuple[str, ...], seed: int = 0) -> dict[tuple[str, str], dict[str, Any]]:
    """Leave-one-group-out accuracy of every method x probe (one encoder's features).

    Returns:
        ``{(method, probe): {"mean": ..., "std": ..., "folds": k}}`` over held-out groups.
    """
    rows = grouped_rows({"-": features}, labels, groups, probes=probes, seed=seed)
    scores: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        if r["method"] != "chance":
            scores.setdefault((r["method"], r["probe"]), []).append(r["value"])
    return {key: {"mean": float(np.mean(v)), "std": float(np.std(v)), "folds": len(v)} for key, v in scores.items()}


def evaluate_audio_run(run_dir: str | Path, *, source: str, data_root: str | Path | None = None,
                       probes: tuple[str, ...] = ("logistic", "knn"), grouped: bool = True, seed: int = 0,
                       batch_size: int = 64, encoder: str | None = None,
                       pool: str | None = None, layers: int | None = None) -> list[dict[str, Any]]:
    """Rows ``{dataset, protocol, method, probe, encoder, metric, value, ...}`` for the official
    split and, when ``grouped`` and the dataset has groups, the grouped cross-validation: one
    ``accuracy`` row per held-out group (``fold``) plus ``accuracy_mean`` / ``accuracy_std``.
    ``pool`` replaces the run's ``modality.pool`` (``"time"``, ``"segments"``, ``"all"``), ``layers`` the
    number of the encoders' last representations read (see :func:`~jepa_domains.eval.embed.load_runs`)."""
    runs = load_runs(run_dir, encoder=encoder, pool=pool, layers=layers)
    run = next(iter(runs.values()))
    source = evaluation_source(source, run.cfg.data.source) or run.adapter.default_dataset
    rows = [{**r, "protocol": "official_split"}
            for r in classify_runs(runs, source=source, data_root=data_root, probes=probes, seed=seed,
                                   batch_size=batch_size)]
    if not grouped or source not in GROUP_PROTOCOLS:
        return rows
    root = resolve_data_root(data_root or run.cfg.data.data_root)
    dataset = run.adapter.load_dataset(run.options, source, split="all", data_root=root)
    labels, groups = run.adapter.labels(dataset), getattr(dataset, "groups", None)
    if labels is None or groups is None:
        raise ValueError(f"dataset {source!r} lacks labels or groups for {GROUP_PROTOCOLS[source]}")
    folds = grouped_rows(method_embeddings(runs, dataset, batch_size=batch_size), labels, np.asarray(groups),
                         probes=probes, seed=seed, dataset=source, protocol=GROUP_PROTOCOLS[source])
    return rows + folds + summarise_folds(folds)
