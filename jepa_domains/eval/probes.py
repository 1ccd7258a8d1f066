"""Probes on frozen embeddings, from scikit-learn: logistic regression, linear SVM and kNN, each
with its regularisation chosen by stratified inner cross-validation on the training part only.

Probe names (:data:`PROBES`):

==================== ================================================= ==========================
name                 model                                             searched grid
==================== ================================================= ==========================
``logistic``         standardised multinomial logistic regression      ``C`` in ``10**[-4..3]``
``logistic_unscaled`` the same on raw features                         ``C`` in ``10**[-4..3]``
``svm``              standardised linear-kernel SVM (libsvm, one-vs-one) ``C`` in ``10**[-4..1]``
``svm_unscaled``     the same on raw features (Point-JEPA's protocol)   ``C`` in ``10**[-4..1]``
``knn``              cosine kNN vote on standardised features           ``k`` in ``{1, 3, 5, 10, 20}``
``knn_unscaled``     cosine kNN vote on raw features                    ``k`` in ``{1, 3, 5, 10, 20}``
==================== ================================================= ==========================

A fixed hyperparameter skips the search: ``get_probe("svm_unscaled@0.012")`` (Point-JEPA's
``C = 0.012``) or ``fit_probe(..., value=0.012)``. The inner cross-validation is a
``StratifiedKFold`` with ``min(5, smallest training class count)`` folds (at least 2), shuffled
with the probe's ``seed``; scaling statistics come from each inner training part. The best
grid value (ties: the first, i.e. the strongest regularisation / smallest ``k``) is refitted on
the whole training part. The test part is only ever predicted, never used to choose. Solvers:
lbfgs (``max_iter=1000``, ``tol=1e-3``) for the logistic probe, libsvm on the precomputed
linear kernel (shared by every ``C`` of a fold; at most ``SVM_MAX_ITER`` solver iterations, as
upstream libsvm) for the SVM, single-threaded throughout.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

Probe = Callable[..., dict[str, Any]]

C_GRID: tuple[float, ...] = tuple(10.0 ** e for e in range(-4, 4))
# libsvm's fit time grows steeply with C on data that is not separable (measured: 0.45 s at C=1,
# 31 s at C=100 for 900 samples; a 10-fold PROTEINS run did not finish one fold), and capping
# its iterations returns unconverged, worse-than-chance solutions; so the SVM searches up to 10.
SVM_C_GRID: tuple[float, ...] = tuple(10.0 ** e for e in range(-4, 2))
# libsvm upstream (3.24+) stops its solver after max(10^7, 100 n) iterations; scikit-learn's copy
# has no such bound, and on embeddings with many duplicate rows of both classes (IMDB-BINARY: 798
# distinct of 1,000) one inner fit at C = 10 ran for more than 13 minutes. The same bound here
# (about 10 s of solver time); a fit that converges before it is unchanged.
SVM_MAX_ITER = 10_000_000
K_GRID: tuple[int, ...] = (1, 3, 5, 10, 20)
MAX_INNER_FOLDS = 5
MAX_GRAM = 6000  # up to this many training rows the SVM fits on the precomputed linear kernel


@dataclass(frozen=True)
class ProbeKind:
    """One probe family: the hyperparameter it searches, its grid and its estimator factory."""

    param: str                                        # "C" or "k"
    grid: tuple[float, ...]
    build: Callable[[float, int, bool], Any]          # (value, seed, gram) -> unfitted classifier
    gram: bool = False                                # may fit on the linear kernel matrix


def _logistic(C: float, seed: int, gram: bool) -> LogisticRegression:
    return LogisticRegression(C=C, solver="lbfgs", max_iter=1000, tol=1e-3, random_state=seed)


def _linear_svm(C: float, seed: int, gram: bool) -> SVC:
    # libsvm's linear SVM (one-vs-one, like Point-JEPA's sklearn SVC); on the precomputed kernel
    # matrix the fits for every C of a fold share one matrix product
    return SVC(C=C, kernel="precomputed" if gram else "linear", max_iter=SVM_MAX_ITER)


def _knn(k: float, seed: int, gram: bool) -> KNeighborsClassifier:
    return KNeighborsClassifier(n_neighbors=int(k), metric="cosine")


KINDS: dict[str, ProbeKind] = {
    "logistic": ProbeKind("C", C_GRID, _logistic),
    "svm": ProbeKind("C", SVM_C_GRID, _linear_svm, gram=True),
    "knn": ProbeKind("k", K_GRID, _knn),
}
PROBES: tuple[str, ...] = tuple(f"{kind}{suffix}" for kind in KINDS for suffix in ("", "_unscaled"))


def chance_level(y_test: np.ndarray) -> float:
    """Share of the most frequent class in ``y_test`` ``[n]``: the accuracy of always guessing it."""
    y_test = np.asarray(y_test)
    if y_test.size == 0:
        raise ValueError("chance level of an empty label vector")
    return float(np.unique(y_test, return_counts=True)[1].max() / y_test.size)


def inner_folds(y_train: np.ndarray) -> int:
    """``min(5, smallest class count)``, at least 2: stratified folds of the inner search."""
    return max(2, min(MAX_INNER_FOLDS, int(np.unique(y_train, return_counts=True)[1].min())))


def _check(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray) -> None:
    if len(X_train) != len(y_train) or len(X_test) != len(y_test):
        raise ValueError(f"features and labels differ in length: {len(X_train)}/{len(y_train)}, "
                         f"{len(X_test)}/{len(y_test)}")
    if len(np.unique(y_train)) < 2:
        raise ValueError("a probe needs at least two classes in the training split")
    for name, X in (("train", X_train), ("test", X_test)):
        if not np.isfinite(X).all():
            raise ValueError(f"non-finite values in the {name} features")


def _inputs(kind: ProbeKind, scaled: bool, train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Model inputs of a (train ``[n, E]``, test ``[m, E]``) pair: standardised with the train
    statistics when ``scaled``; for the SVM the kernel matrices ``[n, n]``, ``[m, n]``."""
    if scaled:
        scaler = StandardScaler().fit(train)
        train, test = scaler.transform(train), scaler.transform(test)
    if kind.gram and len(train) <= MAX_GRAM:
        train, test = np.asarray(train, np.float64), np.asarray(test, np.float64)
        return train @ train.T, test @ train.T, True
    return train, test, False


def _fit_predict(kind: ProbeKind, value: float, seed: int, inputs: tuple, y_train: np.ndarray) -> np.ndarray:
    train, test, gram = inputs
    model = kind.build(value, seed, gram)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(train, y_train)
    return model.predict(test)


def _grid(kind: ProbeKind, n_inner_train: int) -> list[float]:
    """The searched values; ``k`` beyond the inner training size is dropped (at least ``k = 1``)."""
    if kind.param != "k":
        return list(kind.grid)
    return [k for k in kind.grid if k <= n_inner_train] or [1]


def inner_scores(kind: ProbeKind, scaled: bool, X: np.ndarray, y: np.ndarray, grid: list[float],
                 seed: int) -> np.ndarray:
    """Mean inner-CV accuracy ``[len(grid)]`` of every grid value on the training part ``(X, y)``."""
    folds = StratifiedKFold(inner_folds(y), shuffle=True, random_state=seed)
    scores = np.zeros(len(grid))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a class smaller than the fold count
        splits = list(folds.split(X, y))
    for tr, va in splits:
        inputs = _inputs(kind, scaled, X[tr], X[va])
        for i, value in enumerate(grid):
            scores[i] += float((_fit_predict(kind, value, seed, inputs, y[tr]) == y[va]).mean())
    return scores / len(splits)


def _choose(kind: ProbeKind, scaled: bool, X: np.ndarray, y: np.ndarray, seed: int) -> tuple[float, float]:
    """The grid value with the best mean inner-CV accuracy (ties: the first, i.e. the strongest
    regularisation or the smallest ``k``) and that accuracy (a single-value grid is scored too)."""
    grid = _grid(kind, len(y) - int(np.ceil(len(y) / inner_folds(y))))
    scores = inner_scores(kind, scaled, X, y, grid, seed)
    best = int(np.argmax(scores))
    return grid[best], float(scores[best])


def fit_probe(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, *,
              kind: str, scaled: bool = True, value: float | None = None, seed: int = 0) -> dict[str, Any]:
    """Choose the probe's hyperparameter on the training part, refit there, score the test part.

    Args:
        X_train: ``[n, E]`` features; y_train: ``[n]`` int labels; likewise the test part.
        kind: ``"logistic"``, ``"svm"`` or ``"knn"`` (see the module docstring for the grids).
        scaled: standardise features with statistics of the (inner) training part.
        value: a fixed ``C`` / ``k`` instead of the inner search.
        seed: inner fold shuffling and solver seed; the same for every method compared.

    Returns:
        ``{"accuracy": float, "chosen": "C=0.01", "inner_accuracy": float | None, "correct": [m]
        bool, "predictions": [m], "chance": float}`` where ``inner_accuracy`` is the chosen value's
        mean inner-CV accuracy on the training part (None when ``value`` fixes it: nothing was
        searched) - a score of the features that never sees the test part, so it can choose
        between encoders (nested selection) - and ``chance`` is :func:`chance_level` of ``y_test``.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown probe kind {kind!r}; known: {', '.join(KINDS)}")
    _check(X_train, y_train, X_test, y_test)
    spec = KINDS[kind]
    if value is not None and (not np.isfinite(value) or value <= 0):
        raise ValueError(f"fixed {spec.param} must be a positive number, got {value!r}")
    chosen, inner = (float(value), None) if value is not None else _choose(spec, scaled, X_train, y_train, seed)
    if spec.param == "k":
        chosen = float(max(1, min(int(chosen), len(y_train))))
    pred = _fit_predict(spec, chosen, seed, _inputs(spec, scaled, X_train, X_test), y_train)
    correct = pred == np.asarray(y_test)
    shown = f"{int(chosen)}" if spec.param == "k" else f"{chosen:g}"
    return {"accuracy": float(correct.mean()), "chosen": f"{spec.param}={shown}", "inner_accuracy": inner, "correct": correct,
            "predictions": pred, "chance": chance_level(y_test)}


def get_probe(name: str) -> Probe:
    """A probe by name: ``logistic``, ``svm``, ``knn``, optionally ``_unscaled``, optionally
    ``@VALUE`` to fix ``C`` / ``k`` (e.g. ``"svm_unscaled@0.012"``). The returned callable is
    ``probe(X_train, y_train, X_test, y_test, *, seed=0) -> dict`` as :func:`fit_probe`."""
    base, _, fixed = name.partition("@")
    if base not in PROBES:
        raise ValueError(f"unknown probe {name!r}; known: {', '.join(PROBES)} (optionally with @VALUE)")
    kind, _, unscaled = base.partition("_")
    try:
        value = float(fixed) if fixed else None
    except ValueError:
        raise ValueError(f"probe {name!r}: the value after '@' must be a number, got {fixed!r}") from None
    return functools.partial(fit_probe, kind=kind, scaled=not unscaled, value=value)


def cross_validate(X: np.ndarray, y: np.ndarray, probe: Probe | str, *, folds: int = 10, seed: int = 0) -> dict[str, Any]:
    """Stratified k-fold accuracy of ``probe`` (each fold's own inner search):
    ``{"accuracy_mean", "accuracy_std", "folds", "scores": [folds]}``."""
    probe = get_probe(probe) if isinstance(probe, str) else probe
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = [probe(X[tr], y[tr], X[te], y[te], seed=seed)["accuracy"] for tr, te in splitter.split(X, y)]
    return {"accuracy_mean": float(np.mean(scores)), "accuracy_std": float(np.std(scores)), "folds": float(folds),
            "scores": scores}
