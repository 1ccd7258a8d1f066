"""Similarity-search metric of TrajCL / T-JEPA: the rank of each query's twin in a database.

Query ``i``'s twin is database item ``i``; database items ``>= num_queries`` are distractors.
Rank 1 means the twin is the nearest item. Ties count against the query (the twin ranks after
every item at the same distance), so a constant embedding scores the worst rank, not the best.
"""

from __future__ import annotations

import numpy as np


def pairwise_euclidean(queries: np.ndarray, database: np.ndarray) -> np.ndarray:
    """``[Q, E]`` x ``[D, E]`` -> ``[Q, D]`` Euclidean distances (float64)."""
    q = np.asarray(queries, dtype=np.float64)
    d = np.asarray(database, dtype=np.float64)
    if q.ndim != 2 or d.ndim != 2 or q.shape[1] != d.shape[1]:
        raise ValueError(f"expected queries [Q, E] and database [D, E], got {q.shape} and {d.shape}")
    sq = (q * q).sum(1)[:, None] + (d * d).sum(1)[None, :] - 2.0 * q @ d.T
    return np.sqrt(np.maximum(sq, 0.0))


def twin_ranks(distances: np.ndarray) -> np.ndarray:
    """1-based rank of the twin (column ``i``) in each row ``i`` of ``distances [Q, D]``, ``D >= Q``.

    Returns ``[Q]`` int64; a twin tied with ``k`` other items gets rank ``1 + (#closer) + k``.
    """
    dist = np.asarray(distances, dtype=np.float64)
    if dist.ndim != 2 or dist.shape[1] < dist.shape[0]:
        raise ValueError(f"distances must be [Q, D] with D >= Q, got shape {dist.shape}")
    if not np.isfinite(dist).all():
        raise ValueError("distances contain NaN or infinite values")
    q = dist.shape[0]
    twin = dist[np.arange(q), np.arange(q)][:, None]
    return (dist <= twin).sum(1).astype(np.int64)  # includes the twin itself -> 1-based


def mean_rank(distances: np.ndarray) -> float:
    """Mean twin rank (lower is better, 1 is perfect) of a ``[Q, D]`` distance matrix."""
    return float(twin_ranks(distances).mean())


def embedding_mean_rank(queries: np.ndarray, database: np.ndarray) -> float:
    """Mean twin rank of query embeddings ``[Q, E]`` against database embeddings ``[D, E]``."""
    return mean_rank(pairwise_euclidean(queries, database))


def search_summary(distances: np.ndarray, *, top_k: tuple[int, ...] = (1, 5)) -> dict[str, float]:
    """Mean rank plus the fraction of twins found within each ``top_k``."""
    ranks = twin_ranks(distances)
    out = {"mean_rank": float(ranks.mean())}
    out.update({f"hit@{k}": float((ranks <= k).mean()) for k in top_k})
    return out
