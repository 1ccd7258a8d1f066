"""Point-JEPA's downstream protocol on a pretrained run: a linear SVM (and kNN) on the
concatenated max- and mean-pooled frozen token embeddings, on a dataset's train/test split,
with the random-init encoder and the hand descriptor (``modality.descriptor``: D2, or the D1/D2/D3/A3
shape distributions) under the same probes.

Point-JEPA fits an unscaled SVC with a fixed ``C = 0.012``; here the default ``svm_unscaled``
probe chooses ``C`` by inner cross-validation on the training split, and
``probes=("svm_unscaled@0.012",)`` reproduces the paper's fixed value.

A thin layer over :func:`jepa_domains.eval.protocols.classify_runs` (the pooling and the
baseline features come from the adapter), run once per labelling of the data on encoders loaded
once; each labelling
gets its ``chance`` row (majority class share of the test split) from there.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jepa_domains.eval.embed import load_runs
from jepa_domains.eval.protocols import classify_runs

POINT_JEPA_PROBES = ("svm_unscaled", "knn")


def evaluate_run(run_dir: str | Path, *, sources: Sequence[str | None] = (None,),
                 data_root: str | Path | None = None, probes: Sequence[str] = POINT_JEPA_PROBES,
                 seed: int = 0, encoder: str | None = None, layers: int | None = None) -> list[dict[str, Any]]:
    """Rows ``{dataset, method, probe, encoder, metric, value, ...}`` for every source (``None``:
    the run's own data), methods ``jepa`` / ``random_init`` / ``features`` (the run's ``modality.descriptor``) / ``chance``.
    ``layers``: how many of the encoders' last representations are read (see
    :func:`~jepa_domains.eval.embed.load_runs`)."""
    runs = load_runs(run_dir, encoder=encoder, layers=layers)
    return [row for source in sources
            for row in classify_runs(runs, source=source, data_root=data_root, probes=tuple(probes), seed=seed)]
