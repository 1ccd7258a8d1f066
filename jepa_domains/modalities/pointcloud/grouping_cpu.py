"""Compiled (numba) CPU kernels for farthest-point sampling and k-nearest neighbours.

On the CPU the batched torch ops of :mod:`~jepa_domains.modalities.pointcloud.grouping` pay a
dispatch per FPS iteration and a full ``topk`` per query; these loops do neither: FPS keeps its
running nearest-distance array in one pass per iteration, and kNN keeps a sorted buffer of the
``k`` best candidates that most points never enter. Results equal the torch path (same start
point, same argmax/ordering rules: the first index wins ties). Compiled on first use and cached
on disk (``cache=True``), so only the first process pays the compile.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def fps_kernel(points: np.ndarray, num_samples: int, start: int) -> np.ndarray:
    """``[B, P, 3]`` float32 -> ``[B, G]`` int64 farthest-point indices starting from ``start``."""
    b, p, _ = points.shape
    selected = np.empty((b, num_samples), np.int64)
    nearest = np.empty(p, np.float32)
    for s in range(b):
        x = points[s]
        nearest[:] = np.inf
        current = start
        for i in range(num_samples):
            selected[s, i] = current
            cx, cy, cz = x[current, 0], x[current, 1], x[current, 2]
            best = np.float32(-1.0)
            arg = 0
            for j in range(p):
                dx, dy, dz = x[j, 0] - cx, x[j, 1] - cy, x[j, 2] - cz
                d = dx * dx + dy * dy + dz * dz
                if d < nearest[j]:
                    nearest[j] = d
                if nearest[j] > best:
                    best = nearest[j]
                    arg = j
            current = arg
    return selected


@njit(cache=True, nogil=True)
def knn_kernel(queries: np.ndarray, points: np.ndarray, k: int) -> np.ndarray:
    """``[B, G, 3]`` queries, ``[B, P, 3]`` points (float32) -> ``[B, G, k]`` int64 indices of the
    ``k`` nearest points, nearest first (insertion into a sorted buffer of ``k``)."""
    b, p, _ = points.shape
    g = queries.shape[1]
    out = np.empty((b, g, k), np.int64)
    best_d = np.empty(k, np.float32)
    best_i = np.empty(k, np.int64)
    for s in range(b):
        x = points[s]
        for q in range(g):
            cx, cy, cz = queries[s, q, 0], queries[s, q, 1], queries[s, q, 2]
            n = 0
            for j in range(p):
                dx, dy, dz = x[j, 0] - cx, x[j, 1] - cy, x[j, 2] - cz
                d = dx * dx + dy * dy + dz * dz
                if n < k:
                    m = n
                    n += 1
                elif d < best_d[k - 1]:
                    m = k - 1
                else:
                    continue
                while m > 0 and best_d[m - 1] > d:
                    best_d[m] = best_d[m - 1]
                    best_i[m] = best_i[m - 1]
                    m -= 1
                best_d[m] = d
                best_i[m] = j
            out[s, q] = best_i
    return out

