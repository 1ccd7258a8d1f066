"""A deterministic, SYNTHETIC labelled set of random-graph families for demos and tests.

Four classes of matched size and density (mean degree about 4), so that a classifier has to
look at structure rather than at counts: Erdős–Rényi, Barabási–Albert, Watts–Strogatz and a
two-block stochastic block model. Graphs have no node features (the graph modality adds degree
features, as for the social-network TU sets).
"""

from __future__ import annotations

import numpy as np
import torch
from torch_geometric.data import Data
from torch_geometric.utils import coalesce, to_undirected

FAMILIES = ("erdos_renyi", "barabasi_albert", "watts_strogatz", "stochastic_block")
MEAN_DEGREE = 4.0


def _erdos_renyi(n: int, rng: np.random.Generator) -> np.ndarray:
    p = MEAN_DEGREE / (n - 1)
    iu = np.triu_indices(n, 1)
    keep = rng.random(iu[0].shape[0]) < p
    return np.stack([iu[0][keep], iu[1][keep]])


def _barabasi_albert(n: int, rng: np.random.Generator, m: int = 2) -> np.ndarray:
    edges = [(0, 1), (1, 2), (0, 2)]
    targets_pool = [0, 1, 1, 2, 2, 0]
    for v in range(3, n):
        chosen: set[int] = set()
        while len(chosen) < m:
            chosen.add(int(targets_pool[rng.integers(len(targets_pool))]))
        for u in chosen:
            edges.append((u, v))
            targets_pool.extend((u, v))
    return np.asarray(edges).T


def _watts_strogatz(n: int, rng: np.random.Generator, k: int = 4, beta: float = 0.1) -> np.ndarray:
    edges = []
    for v in range(n):
        for step in range(1, k // 2 + 1):
            u = (v + step) % n
            if rng.random() < beta:
                u = int(rng.integers(n))
                if u == v:
                    u = (v + step) % n
            edges.append((v, u))
    return np.asarray(edges).T


def _stochastic_block(n: int, rng: np.random.Generator) -> np.ndarray:
    block = np.arange(n) >= n // 2
    # Expected degree p_in * n/2 + p_out * n/2 = MEAN_DEGREE with p_out = p_in / 8.
    p_in = MEAN_DEGREE / (n / 2 * (1 + 1 / 8))
    iu = np.triu_indices(n, 1)
    p = np.where(block[iu[0]] == block[iu[1]], p_in, p_in / 8)
    keep = rng.random(p.shape[0]) < p
    return np.stack([iu[0][keep], iu[1][keep]])


_GENERATORS = (_erdos_renyi, _barabasi_albert, _watts_strogatz, _stochastic_block)


def synthetic_graph_families(*, per_class: int = 100, min_nodes: int = 16, max_nodes: int = 40,
                             seed: int = 0) -> list[Data]:
    """``4 * per_class`` undirected graphs, class ``c`` drawn from ``FAMILIES[c]``.

    Returns PyG ``Data`` with ``x=None``, ``edge_index`` ``[2, E]`` (both directions), ``y`` ``[1]``.
    The same arguments always give the same graphs.
    """
    if per_class < 1:
        raise ValueError(f"per_class must be >= 1, got {per_class}")
    if not 4 <= min_nodes <= max_nodes:
        raise ValueError(f"need 4 <= min_nodes <= max_nodes, got {min_nodes}, {max_nodes}")
    rng = np.random.default_rng(seed)
    graphs = []
    for i in range(per_class):
        for label, make in enumerate(_GENERATORS):
            n = int(rng.integers(min_nodes, max_nodes + 1))
            edges = torch.from_numpy(make(n, rng).astype(np.int64)).reshape(2, -1)
            edges = edges[:, edges[0] != edges[1]]
            edge_index = coalesce(to_undirected(edges, num_nodes=n), num_nodes=n)
            graphs.append(Data(edge_index=edge_index, num_nodes=n, y=torch.tensor([label])))
    return graphs
