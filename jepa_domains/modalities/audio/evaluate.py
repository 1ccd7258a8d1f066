"""Audio downstream protocols on frozen encoders: the dataset's official train/test split
(FSDD index 0-4 test; ESC-50 test fold) and grouped cross-validation (FSDD leave-one-speaker-out,
ESC-50 5-fold), each with the random-init and log-mel baselines under the same probes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from jepa_domains.eval.embed import load_run
from jepa_domains.eval.probes import get_probe
from jepa_domains.eval.protocols import classify_run, method_embeddings
from jepa_domains.modalities.base import resolve_data_root

GROUP_PROTOCOLS = {"fsdd": "leave_one_speaker_out", "esc50": "5_fold_cv"}


def grouped_cv(features: dict[str, np.ndarray], labels: np.ndarray, groups: np.ndarray, *,
               probes: tuple[str, ...], seed: int = 0) -> dict[tuple[str, str], dict[str, float]]:
    """Leave-one-group-out accuracy of every method x probe.

    Args:
        features: method -> ``[n, E]`` embeddings of the same ``n`` clips.
        labels: ``[n]`` int labels; groups: ``[n]`` group keys (speaker, fold).

    Returns:
        ``{(method, probe): {"mean": ..., "std": ..., "folds": k}}`` over held-out groups.
    """
    keys = sorted(set(groups.tolist()), key=str)
    if len(keys) < 2:
        raise ValueError(f"grouped cross-validation needs >= 2 groups, got {keys}")
    out = {}
    for method, X in features.items():
        for probe in probes:
            scores = []
            for g in keys:
                test = groups == g
                score = get_probe(probe)(X[~test], labels[~test], X[test], labels[test], seed=seed)
                scores.append(score["accuracy"])
            out[(method, probe)] = {"mean": float(np.mean(scores)), "std": float(np.std(scores)),
                                    "folds": len(keys)}
    return out


def evaluate_audio_run(run_dir: str | Path, *, source: str, data_root: str | Path | None = None,
                       probes: tuple[str, ...] = ("logistic", "knn"), grouped: bool = True, seed: int = 0,
                       batch_size: int = 64) -> list[dict[str, Any]]:
    """Rows ``{dataset, protocol, method, probe, metric, value}`` for the official split and,
    when ``grouped`` and the dataset has groups, the grouped cross-validation."""
    rows = [{**r, "protocol": "official_split"}
            for r in classify_run(run_dir, source=source, data_root=data_root, probes=probes, seed=seed,
                                  batch_size=batch_size)]
    if not grouped or source not in GROUP_PROTOCOLS:
        return rows
    run = load_run(run_dir)
    root = resolve_data_root(data_root or run.cfg.data.data_root)
    dataset = run.adapter.load_dataset(run.options, source, split="all", data_root=root)
    labels, groups = run.adapter.labels(dataset), getattr(dataset, "groups", None)
    if labels is None or groups is None:
        raise ValueError(f"dataset {source!r} lacks labels or groups for {GROUP_PROTOCOLS[source]}")
    scores = grouped_cv(method_embeddings(run, dataset, batch_size=batch_size), labels, groups,
                        probes=probes, seed=seed)
    for (method, probe), s in scores.items():
        for metric in ("mean", "std"):
            rows.append({"dataset": source, "protocol": GROUP_PROTOCOLS[source], "method": method,
                         "probe": probe, "metric": f"accuracy_{metric}", "value": s[metric]})
    return rows
