"""Weisfeiler–Lehman subtree features: the classical graph-kernel baseline (Shervashidze et
al., 2011) as an explicit histogram, for a linear SVM.

With ``normalise=True`` every row has unit L2 norm, so the linear kernel of the rows is the
*normalised* WL subtree kernel ``k(G, H) / sqrt(k(G, G) k(H, H))``: an SVM on the raw rows
(probe ``svm_unscaled``, libsvm on the precomputed kernel, ``C`` by inner CV) is the standard
kernel baseline, at a cost of seconds per fold (PROTEINS 10-fold: 25 s on one core).

Subtree labels are hashed (64-bit, order-free multiset hash of the neighbour labels) instead of
compressed through a dataset-wide dictionary, and counted into a fixed number of buckets: the
columns then mean the same thing whichever graphs are featurised together, so a train and a
test split featurised separately stay comparable.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from jepa_domains.modalities.graph.dataset import GraphSample

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, elementwise on uint64 (wrap-around arithmetic is intended)."""
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def _initial_labels(x: np.ndarray) -> np.ndarray:
    """``[n]`` start labels from the 0/1 columns of ``x`` (one-hot node labels or degrees);
    continuous attributes are ignored, as in the discrete kernel."""
    binary = ((x == 0) | (x == 1)).all(0)
    bits = x[:, binary].astype(np.uint64)
    column_keys = _mix(np.arange(1, bits.shape[1] + 1, dtype=np.uint64))
    with np.errstate(over="ignore"):
        return _mix((bits * _mix(column_keys)[None, :]).sum(1, dtype=np.uint64) + np.uint64(1))


def wl_labels(sample: GraphSample, iterations: int) -> list[np.ndarray]:
    """Hashed WL labels ``[n]`` uint64 of one graph for depths ``0..iterations``."""
    x = sample.data.x.numpy()
    src, dst = sample.undirected.numpy()
    # Symmetric, loop-free neighbourhoods: self-loops and duplicates do not change a subtree.
    heads, tails = np.concatenate([src, dst]), np.concatenate([dst, src])
    labels = [_initial_labels(x)]
    for it in range(1, iterations + 1):
        prev = labels[-1]
        neighbour_sum = np.zeros_like(prev)
        with np.errstate(over="ignore"):
            np.add.at(neighbour_sum, heads, _mix(prev[tails]))
            labels.append(_mix(_mix(prev + np.uint64(it)) ^ neighbour_sum))
    return labels


def wl_subtree_features(samples: Sequence[GraphSample], *, iterations: int = 3, buckets: int = 4096,
                        normalise: bool = False) -> np.ndarray:
    """``[n, (iterations + 1) * buckets]`` float32 counts of hashed WL subtree patterns.

    Depth ``d`` patterns go to their own block of ``buckets`` columns. ``normalise``: divide
    each row by its L2 norm (the feature map of the normalised kernel).
    """
    if iterations < 0 or buckets < 1:
        raise ValueError(f"iterations must be >= 0 and buckets >= 1, got {iterations}, {buckets}")
    if not samples:
        raise ValueError("no graphs to featurise")
    out = np.zeros((len(samples), (iterations + 1) * buckets), dtype=np.float32)
    for g, sample in enumerate(samples):
        for depth, labels in enumerate(wl_labels(sample, iterations)):
            columns = (labels % np.uint64(buckets)).astype(np.int64) + depth * buckets
            np.add.at(out[g], columns, 1.0)
    if normalise:
        out /= np.linalg.norm(out, axis=1, keepdims=True)  # every graph has >= 1 node: norm > 0
    return out
