"""Probes on frozen embeddings, from scikit-learn: logistic regression, linear SVM, kNN, and
stratified cross-validation of any of them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

Probe = Callable[..., dict[str, float]]


def _check(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray) -> None:
    if len(X_train) != len(y_train) or len(X_test) != len(y_test):
        raise ValueError(f"features and labels differ in length: {len(X_train)}/{len(y_train)}, "
                         f"{len(X_test)}/{len(y_test)}")
    if len(np.unique(y_train)) < 2:
        raise ValueError("a probe needs at least two classes in the training split")
    for name, X in (("train", X_train), ("test", X_test)):
        if not np.isfinite(X).all():
            raise ValueError(f"non-finite values in the {name} features")


def _score(model, X_train, y_train, X_test, y_test) -> dict[str, float]:
    _check(X_train, y_train, X_test, y_test)
    model.fit(X_train, y_train)
    pred = model.predict(X_test)
    return {"accuracy": float((pred == y_test).mean())}


def logistic_probe(X_train, y_train, X_test, y_test, *, seed: int = 0, C: float = 1.0) -> dict[str, float]:
    """Standardised multinomial logistic regression; returns ``{"accuracy": ...}``."""
    model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000, random_state=seed))
    return _score(model, X_train, y_train, X_test, y_test)


def linear_svm_probe(X_train, y_train, X_test, y_test, *, seed: int = 0, C: float = 0.1) -> dict[str, float]:
    """Standardised linear SVM (Point-JEPA's protocol)."""
    model = make_pipeline(StandardScaler(), LinearSVC(C=C, max_iter=20000, random_state=seed))
    return _score(model, X_train, y_train, X_test, y_test)


def knn_probe(X_train, y_train, X_test, y_test, *, seed: int = 0, k: int = 10) -> dict[str, float]:
    """Cosine k-nearest-neighbour vote on standardised features."""
    k = max(1, min(k, len(X_train)))
    model = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=k, metric="cosine"))
    return _score(model, X_train, y_train, X_test, y_test)


PROBES: dict[str, Probe] = {"logistic": logistic_probe, "svm": linear_svm_probe, "knn": knn_probe}


def get_probe(name: str) -> Probe:
    if name not in PROBES:
        raise ValueError(f"unknown probe {name!r}; known: {', '.join(PROBES)}")
    return PROBES[name]


def cross_validate(X: np.ndarray, y: np.ndarray, probe: Probe | str, *, folds: int = 10, seed: int = 0) -> dict[str, float]:
    """Stratified k-fold accuracy of ``probe``: ``{"accuracy_mean", "accuracy_std", "folds"}``."""
    probe = get_probe(probe) if isinstance(probe, str) else probe
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = [probe(X[tr], y[tr], X[te], y[te], seed=seed)["accuracy"] for tr, te in splitter.split(X, y)]
    return {"accuracy_mean": float(np.mean(scores)), "accuracy_std": float(np.std(scores)), "folds": float(folds)}
