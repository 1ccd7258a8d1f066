"""Farthest-point sampling, k-nearest-neighbour grouping and token sequencing.

Two paths compute the same indices. On an accelerator, batched torch ops with no Python loop over
samples or points (the only loops are over the ``G`` FPS iterations and the ``G`` steps of the
greedy sequencer walk). On the CPU, compiled loops (:mod:`.grouping_cpu`), which avoid a torch
dispatch per iteration and a full ``topk`` per query: faster than both the torch path and open3d
there (``benchmarks/pointcloud_grouping.py``). ``backend="auto"`` picks by device; ``"torch"`` /
``"compiled"`` force one. open3d's ``PointCloud.farthest_point_down_sample`` is the reference
implementation the tests compare :func:`farthest_point_sample` against.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

BACKENDS = ("auto", "torch", "compiled")


def _compiled(points: Tensor, backend: str) -> bool:
    """Whether to run the compiled CPU kernel for ``points`` under ``backend``."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend == "compiled" and points.device.type != "cpu":
        raise ValueError(f"backend='compiled' runs on the CPU, got points on {points.device}")
    return backend == "compiled" or (backend == "auto" and points.device.type == "cpu")


def _as_float32(tensor: Tensor) -> np.ndarray:
    return np.ascontiguousarray(tensor.detach().to(torch.float32).numpy())


def farthest_point_sample(points: Tensor, num_samples: int, start: int = 0, *, backend: str = "auto") -> Tensor:
    """Indices of ``num_samples`` farthest points, per cloud, starting from point ``start``.

    Args:
        points: ``[B, P, 3]`` coordinates.
        num_samples: ``G``, at most ``P``.
        start: index of the first selected point in every cloud (open3d's ``start_index``).
        backend: ``"auto"`` (compiled on CPU, torch elsewhere), ``"torch"`` or ``"compiled"``.

    Returns:
        ``[B, G]`` long indices into ``P``.
    """
    b, p, _ = points.shape
    if not 0 < num_samples <= p:
        raise ValueError(f"num_samples must be in [1, {p}], got {num_samples}")
    if not 0 <= start < p:
        raise ValueError(f"start must be in [0, {p}), got {start}")
    if _compiled(points, backend):
        from jepa_domains.modalities.pointcloud.grouping_cpu import fps_kernel

        return torch.from_numpy(fps_kernel(_as_float32(points), num_samples, start))
    selected = torch.empty(b, num_samples, dtype=torch.long, device=points.device)
    # Distance of every point to the nearest already selected point; argmax is the next one.
    nearest = torch.full((b, p), float("inf"), dtype=points.dtype, device=points.device)
    current = torch.full((b,), start, dtype=torch.long, device=points.device)
    rows = torch.arange(b, device=points.device)
    for i in range(num_samples):
        selected[:, i] = current
        last = points[rows, current].unsqueeze(1)  # [B, 1, 3]
        nearest = torch.minimum(nearest, (points - last).square().sum(-1))
        current = nearest.argmax(dim=1)
    return selected


def knn_indices(queries: Tensor, points: Tensor, k: int, *, backend: str = "auto") -> Tensor:
    """Indices of the ``k`` nearest ``points`` of every query, nearest first.

    Args:
        queries: ``[B, G, 3]``.
        points: ``[B, P, 3]``.
        k: neighbours per query, at most ``P``.
        backend: ``"auto"`` (compiled on CPU, torch elsewhere), ``"torch"`` or ``"compiled"``.

    Returns:
        ``[B, G, k]`` long indices into ``P``.
    """
    if not 0 < k <= points.shape[1]:
        raise ValueError(f"k must be in [1, {points.shape[1]}], got {k}")
    if _compiled(points, backend):
        from jepa_domains.modalities.pointcloud.grouping_cpu import knn_kernel

        return torch.from_numpy(knn_kernel(_as_float32(queries), _as_float32(points), k))
    # Squared distances from the expanded form: one batched matmul instead of a [B, G, P, 3] diff.
    d2 = (queries.square().sum(-1, keepdim=True) - 2 * queries @ points.transpose(1, 2)
          + points.square().sum(-1).unsqueeze(1))
    return d2.topk(k, dim=-1, largest=False, sorted=True).indices


def gather_points(points: Tensor, index: Tensor) -> Tensor:
    """``points[b, index[b, ...]]``: ``[B, P, C]`` and ``[B, ...]`` -> ``[B, ..., C]``."""
    b, _, c = points.shape
    flat = index.reshape(b, -1)
    out = torch.gather(points, 1, flat.unsqueeze(-1).expand(-1, -1, c))
    return out.reshape(*index.shape, c)


def greedy_sequence(centers: Tensor) -> Tensor:
    """Point-JEPA's sequencer: a greedy nearest-neighbour walk over the centres.

    The walk starts at the centre with the smallest coordinate sum and always steps to the
    closest unvisited centre, so that contiguous token indices are spatially close (which is
    what makes contiguous span masking a spatial block mask).

    Args:
        centers: ``[B, G, 3]``.

    Returns:
        ``[B, G]`` long permutation: ``order[b, i]`` is the centre visited at step ``i``.
    """
    b, g, _ = centers.shape
    rows = torch.arange(b, device=centers.device)
    dist = torch.cdist(centers, centers)  # [B, G, G]
    visited = torch.zeros(b, g, dtype=torch.bool, device=centers.device)
    order = torch.empty(b, g, dtype=torch.long, device=centers.device)
    current = centers.sum(-1).argmin(dim=1)
    for i in range(g):
        order[:, i] = current
        visited[rows, current] = True
        step = dist[rows, current].masked_fill(visited, float("inf"))
        current = step.argmin(dim=1)
    return order


def morton_sequence(centers: Tensor, bits: int = 10) -> Tensor:
    """Order centres along a Z-order (Morton) curve of their quantised coordinates.

    Args:
        centers: ``[B, G, 3]``, any range (quantised per cloud over its bounding box).
        bits: quantisation bits per axis (``3 * bits`` must fit in 63).

    Returns:
        ``[B, G]`` long permutation.
    """
    if not 1 <= bits <= 20:
        raise ValueError(f"bits must be in [1, 20], got {bits}")
    low = centers.amin(dim=1, keepdim=True)
    span = (centers.amax(dim=1, keepdim=True) - low).amax(-1, keepdim=True).clamp_min(1e-12)
    q = ((centers - low) / span * (2**bits - 1)).round().long()  # [B, G, 3]
    code = torch.zeros(q.shape[:2], dtype=torch.long, device=centers.device)
    for bit in range(bits):
        for axis in range(3):
            code |= ((q[..., axis] >> bit) & 1) << (3 * bit + axis)
    return code.argsort(dim=1, stable=True)


def group_points(points: Tensor, num_groups: int, group_size: int, *, order: str = "greedy",
                 features: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """FPS centres, kNN neighbourhoods relative to their centre, in sequencer order.

    Args:
        points: ``[B, P, 3]`` coordinates.
        num_groups: ``G`` centres.
        group_size: ``k`` neighbours per centre (the centre itself included).
        order: ``"greedy"`` (nearest-neighbour walk), ``"morton"`` or ``"none"`` (FPS order).
        features: optional ``[B, P, C]`` per-point features (normals) gathered with the groups.

    Returns:
        ``(neighbourhoods [B, G, k, 3 + C], centers [B, G, 3])``; neighbourhood coordinates are
        relative to their centre.
    """
    centers = gather_points(points, farthest_point_sample(points, num_groups))
    if order == "greedy":
        centers = gather_points(centers, greedy_sequence(centers))
    elif order == "morton":
        centers = gather_points(centers, morton_sequence(centers))
    elif order != "none":
        raise ValueError(f"order must be 'greedy', 'morton' or 'none', got {order!r}")
    neighbours = knn_indices(centers, points, group_size)  # [B, G, k]
    local = gather_points(points, neighbours) - centers.unsqueeze(2)
    if features is not None:
        local = torch.cat([local, gather_points(features, neighbours)], dim=-1)
    return local, centers
