"""Classical trajectory distances on raw points — discrete Fréchet, Hausdorff, DTW — batched
over many pairs at once with numpy (the similarity-search and 1-NN baselines).

Tracks of different lengths are padded to a common length; the dynamic programmes only read
cells ``(i, j)`` with ``i < n_a`` and ``j < n_b`` on the way to ``(n_a - 1, n_b - 1)``, so the
padding never changes a result. The DP runs along anti-diagonals, vectorised over pairs and
diagonal cells: ``O(n + m)`` numpy steps for a whole block of pairs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

METRICS = ("frechet", "hausdorff", "dtw")


def _pad(tracks: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    n = max(len(t) for t in tracks)
    out = np.zeros((len(tracks), n, 2))
    lengths = np.array([len(t) for t in tracks])
    for i, t in enumerate(tracks):
        out[i, : len(t)] = t
        out[i, len(t):] = t[-1]  # repeat the last point: finite costs, never read by the DP
    return out, lengths


def _cost(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Point distances ``[P, n, m]`` for pairs of padded tracks ``[P, n, 2]`` and ``[P, m, 2]``."""
    return np.sqrt(((a[:, :, None, :] - b[:, None, :, :]) ** 2).sum(-1))


def _dp(cost: np.ndarray, kind: str) -> np.ndarray:
    """DTW (sum) or discrete Fréchet (max) accumulated cost ``[P, n, m]`` by anti-diagonals."""
    p, n, m = cost.shape
    acc = np.full((p, n, m), np.inf)
    acc[:, 0, 0] = cost[:, 0, 0]
    combine = np.add if kind == "dtw" else np.maximum
    for s in range(1, n + m - 1):
        i = np.arange(max(0, s - m + 1), min(n, s + 1))
        j = s - i
        best = np.full((p, len(i)), np.inf)
        ok = i > 0
        best[:, ok] = np.minimum(best[:, ok], acc[:, i[ok] - 1, j[ok]])
        ok = j > 0
        best[:, ok] = np.minimum(best[:, ok], acc[:, i[ok], j[ok] - 1])
        ok = (i > 0) & (j > 0)
        best[:, ok] = np.minimum(best[:, ok], acc[:, i[ok] - 1, j[ok] - 1])
        acc[:, i, j] = combine(cost[:, i, j], best)
    return acc


def paired_distances(a: Sequence[np.ndarray], b: Sequence[np.ndarray], metric: str) -> np.ndarray:
    """Distance between ``a[k]`` and ``b[k]`` for every ``k`` (point arrays ``[n_k, 2]``) -> ``[P]``."""
    if metric not in METRICS:
        raise ValueError(f"unknown trajectory distance {metric!r}; known: {', '.join(METRICS)}")
    if len(a) != len(b) or not len(a):
        raise ValueError(f"need two non-empty lists of equal length, got {len(a)} and {len(b)}")
    pa, la = _pad(a)
    pb, lb = _pad(b)
    cost = _cost(pa, pb)
    rows = np.arange(len(a))
    if metric == "hausdorff":
        n_mask = np.arange(pa.shape[1])[None, :] < la[:, None]        # [P, n]
        m_mask = np.arange(pb.shape[1])[None, :] < lb[:, None]        # [P, m]
        big = np.where(m_mask[:, None, :], cost, np.inf).min(2)       # a -> nearest of b
        a_to_b = np.where(n_mask, big, -np.inf).max(1)
        small = np.where(n_mask[:, :, None], cost, np.inf).min(1)
        b_to_a = np.where(m_mask, small, -np.inf).max(1)
        return np.maximum(a_to_b, b_to_a)
    acc = _dp(cost, metric)
    return acc[rows, la - 1, lb - 1]


def distance_matrix(queries: Sequence[np.ndarray], database: Sequence[np.ndarray], metric: str, *,
                    block: int = 2048) -> np.ndarray:
    """``[Q, D]`` distances between every query and every database track, ``block`` pairs at a time."""
    q_idx, d_idx = np.meshgrid(np.arange(len(queries)), np.arange(len(database)), indexing="ij")
    q_idx, d_idx = q_idx.ravel(), d_idx.ravel()
    out = np.empty(len(q_idx))
    for lo in range(0, len(q_idx), block):
        sl = slice(lo, lo + block)
        out[sl] = paired_distances([queries[i] for i in q_idx[sl]], [database[j] for j in d_idx[sl]], metric)
    return out.reshape(len(queries), len(database))


def downsample_points(xy: np.ndarray, max_points: int) -> np.ndarray:
    """Evenly spaced subset of at most ``max_points`` points (endpoints kept), to bound the
    ``O(n m)`` cost of the distances on long tracks."""
    if len(xy) <= max_points:
        return xy
    return xy[np.unique(np.round(np.linspace(0, len(xy) - 1, max_points)).astype(int))]
