"""Online probe: how linearly separable / clustered the labels are in the context encoder's
embeddings, measured during pretraining on a fixed labelled subset of the training data.

A cheap trend line, not a benchmark: the subset is small (``train.probe_samples``), it comes
from the training split, and the classifiers are fixed (no tuning). For reportable numbers use
the frozen evaluation (``jepa-domains eval``).
"""

from __future__ import annotations

import math
import random
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from torch.utils.data import Dataset, Subset

from jepa_domains.core import Encoder
from jepa_domains.eval.embed import extract
from jepa_domains.modalities.base import ModalityAdapter

# Automatic mode: a probe is considered every 1/PROBES_PER_RUN of the run and taken while the
# time spent probing stays within PROBE_BUDGET of the training time (steps 0 and last always).
PROBES_PER_RUN = 10
PROBE_BUDGET = 0.05
KNN_NEIGHBOURS = 10
LINEAR_C = 1.0      # inverse L2 strength on standardised features (scikit-learn's default)
METRIC_NAMES = ("probe_knn", "probe_linear")


@dataclass(frozen=True)
class ProbeSplit:
    """Indices into the training dataset: ``fit`` trains the probes, ``score`` is scored."""

    fit: np.ndarray
    score: np.ndarray


def resolve_probe_every(probe_every: int | None, *, steps: int, labelled: bool) -> int:
    """Steps between probes: ``probe_every`` as configured, None = ``steps / PROBES_PER_RUN``
    (rounded up); 0 (off) whenever the data has no labels."""
    if not labelled:
        return 0
    if probe_every is None:
        return max(1, math.ceil(steps / PROBES_PER_RUN))
    return probe_every


def probe_split(labels: np.ndarray, *, samples: int, seed: int) -> ProbeSplit | None:
    """A seeded subset of at most ``samples`` items, halved into fit / score (stratified when
    every class has two members). None when fewer than two classes or four items are drawn.

    ``labels``: ``[n]`` integer labels of the whole dataset.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.permutation(len(labels))[:min(samples, len(labels))])
    classes, counts = np.unique(labels[chosen], return_counts=True)
    if len(classes) < 2 or len(chosen) < 4:
        return None
    stratify = labels[chosen] if counts.min() >= 2 and len(classes) <= len(chosen) // 2 else None
    fit, score = train_test_split(chosen, test_size=0.5, random_state=seed, stratify=stratify)
    return ProbeSplit(fit=np.sort(fit), score=np.sort(score))


def knn_accuracy(X_fit: np.ndarray, y_fit: np.ndarray, X_score: np.ndarray, y_score: np.ndarray, *,
                 k: int = KNN_NEIGHBOURS) -> float:
    """Accuracy of a cosine-distance, distance-weighted k-nearest-neighbour vote.

    ``X_*``: ``[n, E]`` embeddings, ``y_*``: ``[n]`` labels.
    """
    knn = KNeighborsClassifier(n_neighbors=min(k, len(y_fit)), metric="cosine", weights="distance",
                               algorithm="brute")
    return float(knn.fit(X_fit, y_fit).score(X_score, y_score))


def linear_accuracy(X_fit: np.ndarray, y_fit: np.ndarray, X_score: np.ndarray, y_score: np.ndarray, *,
                    C: float = LINEAR_C) -> float:
    """Accuracy of an L2 logistic regression on standardised embeddings (``[n, E]``)."""
    scaler = StandardScaler().fit(X_fit)
    clf = LogisticRegression(C=C, max_iter=500)
    with warnings.catch_warnings():
        # an unconverged fit is still a fine trend signal; do not flood the training log
        warnings.simplefilter("ignore")
        clf.fit(scaler.transform(X_fit), y_fit)
    return float(clf.score(scaler.transform(X_score), y_score))


@contextmanager
def preserved_rng(device: torch.device) -> Iterator[None]:
    """Leave every random stream as it was (torch CPU/CUDA, NumPy, Python), so that probing
    cannot change what the run computes and a resumed run stays bit-for-bit."""
    np_state, py_state = np.random.get_state(), random.getstate()
    cuda = [device.index or 0] if device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=cuda):
            yield
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


class OnlineProbe:
    """kNN and linear probe of an encoder on a fixed labelled split of ``dataset``.

    Args:
        adapter, options: the run's modality (collate and pooling).
        dataset: the training dataset; ``labels``: its ``[n]`` integer labels.
        split: which items fit and which score (see :func:`probe_split`).
        batch_size: embedding batch size.
        device: where the encoder lives.
    """

    def __init__(self, adapter: ModalityAdapter, options: Any, dataset: Dataset, labels: np.ndarray,
                 split: ProbeSplit, *, batch_size: int, device: torch.device) -> None:
        self.adapter, self.options, self.dataset = adapter, options, dataset
        self.labels = np.asarray(labels)
        self.split = split
        self.batch_size = batch_size
        self.device = torch.device(device)
        self.seconds = 0.0  # total time spent probing, for the overhead report
        self.calls = 0

    @classmethod
    def for_dataset(cls, adapter: ModalityAdapter, options: Any, dataset: Dataset, *, samples: int, seed: int,
                    batch_size: int, device: torch.device) -> OnlineProbe | None:
        """The probe of a training set, or None when it has no labels or fewer than two classes."""
        labels = adapter.labels(dataset)
        if labels is None:
            return None
        split = probe_split(labels, samples=samples, seed=seed)
        if split is None:
            return None
        return cls(adapter, options, dataset, labels, split, batch_size=batch_size, device=device)

    @property
    def sizes(self) -> dict[str, int]:
        return {"fit": len(self.split.fit), "score": len(self.split.score)}

    def __call__(self, encoder: Encoder) -> dict[str, float]:
        """``{"probe_knn", "probe_linear"}`` accuracies in [0, 1] of ``encoder`` (evaluated in
        eval mode without gradients; its train/eval mode is restored), or ``{}`` with a warning
        when the embeddings cannot be probed (e.g. non-finite)."""
        began = time.perf_counter()
        was_training = encoder.training
        order = np.concatenate([self.split.fit, self.split.score])
        try:
            with preserved_rng(self.device), torch.no_grad():
                emb = extract(encoder, self.adapter, self.options, Subset(self.dataset, order.tolist()),
                              batch_size=self.batch_size, device=self.device)
            n_fit = len(self.split.fit)
            X, y = emb.X, self.labels[order]
            args = (X[:n_fit], y[:n_fit], X[n_fit:], y[n_fit:])
            return {"probe_knn": knn_accuracy(*args), "probe_linear": linear_accuracy(*args)}
        except ValueError as err:  # e.g. non-finite embeddings: report, do not stop the run
            # and log nothing: a NaN never goes into metrics.csv
            warnings.warn(f"online probe skipped: {err}", stacklevel=2)
            return {}
        finally:
            encoder.train(was_training)
            self.seconds += time.perf_counter() - began
            self.calls += 1
