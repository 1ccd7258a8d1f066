"""Graph-JEPA patching: drop edges, METIS-partition, expand each part by its one-hop neighbours.

All of it runs on the CPU inside the DataLoader collate. What does not depend on the random
edge drop (the symmetric METIS adjacency, RWPE, the partition of the intact graph used at
evaluation) is computed once per graph and kept on the sample (``dataset.py``, ``collate.py``); only the
METIS call and the expansion are repeated every time a graph is seen in training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pymetis
import torch
from torch import Tensor


@dataclass
class GraphPatches:
    """Overlapping node patches of one graph.

    Attributes:
        node: ``[L]`` node id of every (patch, node) membership, grouped by patch.
        patch: ``[L]`` patch id in ``0..num_patches-1`` of every membership (non-decreasing).
        edge: ``[Ep]`` id (column of the graph's ``edge_index``) of every edge inside a patch.
        edge_patch: ``[Ep]`` patch of each such edge.
        edge_src, edge_dst: ``[Ep]`` endpoints of those edges as membership indices into ``node``
            (so that the patch copies of the graph form one disjoint union).
        num_patches: number of non-empty patches (``<=`` the requested number).
    """

    node: Tensor
    patch: Tensor
    edge: Tensor
    edge_patch: Tensor
    edge_src: Tensor
    edge_dst: Tensor
    num_patches: int


def drop_edges(undirected: Tensor, rate: float, generator: torch.Generator | None) -> Tensor:
    """Keep each undirected edge ``[2, E]`` with probability ``1 - rate`` (both directions go
    together). ``generator=None`` or ``rate=0`` keeps all of them."""
    if generator is None or rate <= 0 or undirected.shape[1] == 0:
        return undirected
    keep = (torch.rand(undirected.shape[1], generator=generator) >= rate).numpy()
    return torch.from_numpy(undirected.numpy()[:, keep])


def metis_membership(num_nodes: int, undirected: Tensor, num_parts: int, *, recursive: bool = True) -> Tensor:
    """METIS part of every node, ``[num_nodes]`` long, relabelled to ``0..p-1`` with ``p >= 2``
    non-empty parts whenever ``num_nodes >= 2``.

    ``undirected``: ``[2, E]`` edges ``u < v`` without self-loops or duplicates.
    ``recursive``: recursive bisection (2-3x faster than k-way on small graphs, where k-way
    also tends to leave parts empty) or METIS k-way.
    """
    if num_nodes < 2 or num_parts < 2:
        return torch.zeros(num_nodes, dtype=torch.long)
    parts = min(num_parts, num_nodes)
    pairs = undirected.numpy()
    src = np.concatenate([pairs[0], pairs[1]])
    dst = np.concatenate([pairs[1], pairs[0]])
    order = np.argsort(src, kind="stable")
    starts = np.zeros(num_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=num_nodes), out=starts[1:])
    adjacency = pymetis.CSRAdjacency(adj_starts=starts, adjacent=dst[order])
    membership = np.asarray(pymetis.part_graph(parts, adjacency, recursive=recursive).vertex_part, dtype=np.int64)
    # METIS may leave parts empty; relabel the used ones densely.
    _, membership = np.unique(membership, return_inverse=True)
    membership = torch.from_numpy(membership.astype(np.int64))
    if int(membership.max()) == 0:
        # One part for a graph of >= 2 nodes would leave no target; split off the last node.
        membership[-1] = 1
    return membership


def expand_patches(membership: Tensor, edge_index: Tensor, hops: int) -> GraphPatches:
    """Grow every METIS part by its ``hops``-hop neighbourhood in the full graph.

    ``membership``: ``[n]`` part per node; ``edge_index``: ``[2, E]`` full (directed) edges.
    Computed with NumPy: these arrays are tiny, and torch's threaded advanced indexing costs
    milliseconds per call on a busy 2-core machine.
    """
    part = membership.numpy()
    n = part.shape[0]
    num_patches = int(part.max()) + 1 if n else 0
    inside = np.zeros((num_patches, n), dtype=bool)
    inside[part, np.arange(n)] = True
    src, dst = edge_index.numpy()
    for _ in range(hops):
        # A patch that holds src now also holds dst (edges are stored in both directions);
        # ``np.logical_or.at`` is an OR-scatter that is correct under repeated ``dst``.
        grown = inside.copy()
        np.logical_or.at(grown.T, dst, inside[:, src].T)
        inside = grown
    patch, node = np.nonzero(inside)
    edge_patch, edge = np.nonzero(inside[:, src] & inside[:, dst])                       # [P, E] mask
    slot = np.full((num_patches, n), -1, dtype=np.int64)
    slot[patch, node] = np.arange(node.shape[0])
    as_tensor = torch.from_numpy
    return GraphPatches(node=as_tensor(node), patch=as_tensor(patch), edge=as_tensor(edge),
                        edge_patch=as_tensor(edge_patch), edge_src=as_tensor(slot[edge_patch, src[edge]]),
                        edge_dst=as_tensor(slot[edge_patch, dst[edge]]), num_patches=num_patches)


def partition_graph(num_nodes: int, edge_index: Tensor, undirected: Tensor, *, num_patches: int,
                    drop_rate: float, hops: int, generator: torch.Generator | None,
                    recursive: bool = True) -> GraphPatches:
    """Drop edges (training only), METIS-partition into at most ``num_patches`` parts, expand.

    ``edge_index``: ``[2, E]`` the graph's edges (GNN edges of the patches are taken from it);
    ``undirected``: ``[2, Eu]`` its symmetric, loop-free, duplicate-free edges ``u < v``.
    """
    kept = drop_edges(undirected, drop_rate, generator)
    membership = metis_membership(num_nodes, kept, num_patches, recursive=recursive)
    return expand_patches(membership, edge_index, hops)
