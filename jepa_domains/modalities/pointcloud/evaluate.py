"""Point-JEPA's downstream protocol on a pretrained run: a linear SVM (and kNN) on the
concatenated max- and mean-pooled frozen token embeddings, on a dataset's train/test split,
with the random-init encoder and the D2 shape-distribution features under the same probes.

A thin layer over :func:`jepa_domains.eval.protocols.classify_run` (the pooling and the
baseline features come from the adapter), run once per labelling of the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from jepa_domains.eval.protocols import classify_run

POINT_JEPA_PROBES = ("svm", "knn")


def majority_accuracy(labels_train: np.ndarray, labels_test: np.ndarray) -> float:
    """Accuracy of always predicting the most frequent training class (chance reference)."""
    values, counts = np.unique(labels_train, return_counts=True)
    return float((labels_test == values[counts.argmax()]).mean())


def evaluate_run(run_dir: str | Path, *, sources: Sequence[str | None] = (None,),
                 data_root: str | Path | None = None, probes: Sequence[str] = POINT_JEPA_PROBES,
                 seed: int = 0) -> list[dict[str, Any]]:
    """Rows ``{dataset, method, probe, metric, value}`` for every source (``None``: the run's own
    data), methods ``jepa`` / ``random_init`` / ``features`` (D2) plus a ``majority`` row."""
    from jepa_domains.eval.embed import load_run
    from jepa_domains.modalities.base import resolve_data_root

    run = load_run(run_dir)
    root = resolve_data_root(data_root or run.cfg.data.data_root)
    rows: list[dict[str, Any]] = []
    for source in sources:
        rows.extend(classify_run(run_dir, source=source, data_root=root, probes=tuple(probes), seed=seed))
        name = source or run.cfg.data.source or run.adapter.default_dataset
        train = run.adapter.load_dataset(run.options, source or run.cfg.data.source, split="train", data_root=root)
        test = run.adapter.load_dataset(run.options, source or run.cfg.data.source, split="test", data_root=root)
        rows.append({"dataset": name, "method": "majority", "probe": "-", "metric": "accuracy",
                     "value": majority_accuracy(train.labels, test.labels)})
    return rows
