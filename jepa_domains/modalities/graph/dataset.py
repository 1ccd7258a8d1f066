"""Graph samples and datasets: validation, degree features, random-walk PE, fold splits.

Everything that does not change between epochs is computed once here (per graph) and kept on
the sample, so that the collate only repeats what the random edge drop changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.model_selection import StratifiedKFold
from torch import Tensor
from torch.utils.data import Dataset
from torch_geometric.data import Data
from torch_geometric.transforms import AddRandomWalkPE
from torch_geometric.utils import coalesce, degree

from jepa_domains.data.read_report import ReadReport
from jepa_domains.modalities.graph.partition import GraphPatches

DENSE_PE_MAX_NODES = 2000


@dataclass
class GraphSample:
    """One graph as the collate needs it.

    Attributes:
        data: PyG ``Data``: ``x`` ``[n, F]`` float, ``edge_index`` ``[2, E]`` (coalesced),
            ``edge_attr`` ``[E, Fe]`` or None, ``rw_pe`` ``[n, W]`` random-walk PE, ``y`` ``[1]``.
        undirected: ``[2, Eu]`` symmetric-closure edges ``u < v`` without loops (METIS input).
        label: class index, or -1 when unlabelled.
        id: name for messages and joins (``"MUTAG/17"``).
        eval_patches: cached deterministic (no edge drop) partition, filled on first use.
        pool_patches: training partitions kept under ``partition_pool``, keyed by
            ``(slot, num_patches, drop_rate, hops, recursive)``, filled on first use (None
            until then, so that an unused sample stores like any other).
    """

    data: Data
    undirected: Tensor
    label: int
    id: str
    eval_patches: GraphPatches | None = field(default=None, repr=False)
    pool_patches: dict[tuple, GraphPatches] | None = field(default=None, repr=False)

    @property
    def num_nodes(self) -> int:
        return int(self.data.num_nodes)


def random_walk_pe(undirected: Tensor, num_nodes: int, walk_length: int) -> Tensor:
    """``[n, W]`` return probabilities ``(P^k)_ii``, ``k = 1..W``, of a random walk on the
    symmetric loop-free graph (isolated nodes: 0) — PyG's ``AddRandomWalkPE``, computed with
    dense NumPy products for small graphs because the sparse version costs ~0.1 s per graph
    here; large graphs go through PyG."""
    sym = torch.cat([undirected, undirected.flip(0)], 1)
    if num_nodes > DENSE_PE_MAX_NODES:
        pe = AddRandomWalkPE(walk_length, attr_name="rw_pe")(Data(edge_index=sym, num_nodes=num_nodes)).rw_pe
        return torch.nan_to_num(pe.float())
    adjacency = np.zeros((num_nodes, num_nodes))
    adjacency[sym[0].numpy(), sym[1].numpy()] = 1.0
    deg = adjacency.sum(1, keepdims=True)
    step = np.divide(adjacency, deg, out=np.zeros_like(adjacency), where=deg > 0)
    out = np.empty((num_nodes, walk_length), dtype=np.float32)
    power = step
    for k in range(walk_length):
        out[:, k] = power.diagonal()
        power = power @ step
    return torch.from_numpy(out)


def check_graph(data: Data, name: str) -> None:
    """Raise ``ValueError`` naming graph ``name`` when it cannot be tokenized.

    Isolated nodes, self-loops and duplicate edges are legal (handled downstream); empty or
    single-node graphs, malformed or out-of-range edge indices, and non-finite features are not.
    """
    n = data.num_nodes
    if n is None or n == 0:
        raise ValueError(f"graph {name}: empty graph (no nodes)")
    if n < 2:
        raise ValueError(f"graph {name}: has 1 node; Graph-JEPA needs >= 2 nodes (a context and a target patch)")
    ei = data.edge_index
    if ei is None or ei.dim() != 2 or ei.shape[0] != 2:
        raise ValueError(f"graph {name}: edge_index must be [2, E], got "
                         f"{None if ei is None else tuple(ei.shape)}")
    if ei.dtype != torch.long:
        raise ValueError(f"graph {name}: edge_index must be int64, got {ei.dtype}")
    if ei.numel() and (int(ei.min()) < 0 or int(ei.max()) >= n):
        raise ValueError(f"graph {name}: edge index out of range [0, {n}) (min {int(ei.min())}, max {int(ei.max())})")
    x = data.x
    if x is not None:
        if x.dim() != 2 or x.shape[0] != n:
            raise ValueError(f"graph {name}: x must be [{n}, F], got {tuple(x.shape)}")
        if not torch.isfinite(x).all():
            raise ValueError(f"graph {name}: node features contain NaN or inf")
    ea = data.edge_attr
    if ea is not None:
        if ea.shape[0] != ei.shape[1]:
            raise ValueError(f"graph {name}: edge_attr has {ea.shape[0]} rows for {ei.shape[1]} edges")
        if not torch.isfinite(ea.float()).all():
            raise ValueError(f"graph {name}: edge attributes contain NaN or inf")


def make_sample(data: Data, name: str, *, walk_length: int, degree_cap: int) -> GraphSample:
    """Validate ``data`` and precompute features, RWPE and the METIS adjacency."""
    check_graph(data, name)
    n = int(data.num_nodes)
    edge_attr = data.edge_attr.float() if data.edge_attr is not None else None
    if edge_attr is not None and edge_attr.dim() == 1:
        edge_attr = edge_attr.unsqueeze(-1)
    edge_index, edge_attr = coalesce(data.edge_index, edge_attr, num_nodes=n, reduce="max")
    x = data.x.float() if data.x is not None else None
    if x is None:
        # Featureless (social) graphs: one-hot degree, as usual for the TU social sets.
        deg = degree(edge_index[0], n, dtype=torch.long).clamp_max(degree_cap)
        x = torch.nn.functional.one_hot(deg, degree_cap + 1).float()
    u, v = edge_index
    lo, hi = torch.minimum(u, v), torch.maximum(u, v)
    keep = lo != hi
    undirected = coalesce(torch.stack([lo[keep], hi[keep]]), num_nodes=n)
    out = Data(x=x, edge_index=edge_index, edge_attr=edge_attr, rw_pe=random_walk_pe(undirected, n, walk_length),
               num_nodes=n, y=data.y if data.y is not None else torch.tensor([-1]))
    label = int(out.y.view(-1)[0]) if out.y.numel() else -1
    return GraphSample(data=out, undirected=undirected, label=label, id=name)


class GraphDataset(Dataset):
    """A list of :class:`GraphSample` with ``labels``, ``description`` and ``skipped``.

    Args:
        graphs: PyG ``Data`` objects (``x`` optional, ``edge_index``, optional ``edge_attr``, ``y``).
        names: one id per graph, used in error messages.
        description: one line saying what the data is (and whether it is synthetic).
        walk_length: RWPE steps.
        degree_cap: degrees above it share the last one-hot bin (featureless graphs only).
        skip_bad: skip and count invalid graphs instead of raising.

    Attributes:
        skipped: number of invalid graphs skipped.
        read_report: :class:`ReadReport` naming the graphs read and skipped.
    """

    def __init__(self, graphs: list[Data], names: list[str], *, description: str, walk_length: int,
                 degree_cap: int, skip_bad: bool = False) -> None:
        if len(graphs) != len(names):
            raise ValueError(f"{len(graphs)} graphs but {len(names)} names")
        self.samples: list[GraphSample] = []
        self.read_report = ReadReport(source=description)
        for data, name in zip(graphs, names):
            try:
                self.samples.append(make_sample(data, name, walk_length=walk_length, degree_cap=degree_cap))
            except ValueError as err:
                self.read_report.skip_or_raise(name, err, skip_bad=skip_bad)
        self.read_report.read = len(self.samples)
        self.skipped = len(self.read_report.skipped)
        self.read_report.announce()
        if not self.samples:
            raise ValueError(f"no valid graphs in {description} ({self.skipped} skipped)")
        widths = {s.data.x.shape[1] for s in self.samples}
        if len(widths) != 1:
            raise ValueError(f"{description}: graphs have different node-feature widths {sorted(widths)}")
        edge_widths = {s.data.edge_attr.shape[1] if s.data.edge_attr is not None else 0 for s in self.samples}
        if len(edge_widths) != 1:
            raise ValueError(f"{description}: graphs have different edge-feature widths {sorted(edge_widths)}")
        self.num_features = widths.pop()
        self.num_edge_features = edge_widths.pop()
        self.description = description + (f"; {self.skipped} bad graphs skipped" if self.skipped else "")
        labels = np.asarray([s.label for s in self.samples], dtype=np.int64)
        self.labels = None if (labels < 0).any() else labels

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> GraphSample:
        return self.samples[index]

    def subset(self, indices: np.ndarray, description: str) -> "GraphDataset":
        """A view on ``indices`` (shares the samples and their caches)."""
        out = object.__new__(GraphDataset)
        out.samples = [self.samples[int(i)] for i in indices]
        out.skipped, out.read_report = self.skipped, self.read_report
        out.num_features, out.num_edge_features = self.num_features, self.num_edge_features
        out.description = description
        out.labels = None if self.labels is None else self.labels[np.asarray(indices, dtype=np.int64)]
        return out


def fold_indices(labels: np.ndarray | None, n: int, *, fold: int, num_folds: int,
                 seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train / test indices of fold ``fold`` of a (stratified when labelled) shuffled K-fold."""
    if not 0 <= fold < num_folds:
        raise ValueError(f"fold must lie in [0, {num_folds}), got {fold}")
    if labels is not None and np.bincount(labels).min() >= num_folds:
        splitter = StratifiedKFold(n_splits=num_folds, shuffle=True, random_state=seed)
        splits = list(splitter.split(np.zeros(n), labels))
    else:
        order = np.random.default_rng(seed).permutation(n)
        parts = np.array_split(order, num_folds)
        splits = [(np.sort(np.concatenate(parts[:k] + parts[k + 1:])), np.sort(parts[k])) for k in range(num_folds)]
    return splits[fold]
