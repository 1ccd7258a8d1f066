"""Reader for the TU Dortmund graph-classification format (raw text, as in the official zips).

A dataset ``NAME`` is a folder holding ``NAME_A.txt`` (one ``i, j`` edge per line, 1-based
global node ids), ``NAME_graph_indicator.txt`` (graph id of every node), ``NAME_graph_labels.txt``
and optionally ``NAME_node_labels.txt``, ``NAME_node_attributes.txt`` and ``NAME_edge_labels.txt``.
The files are read as they are: nothing is downloaded and nothing is written next to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data
from torch_geometric.utils import coalesce

TU_DATASETS: dict[str, str] = {
    "MUTAG": "TU MUTAG: 188 nitro compounds, 2 classes, node + edge labels",
    "PROTEINS": "TU PROTEINS: 1,113 protein graphs, 2 classes, node labels + 1-d attributes",
    "ENZYMES": "TU ENZYMES: 600 enzymes, 6 classes, node labels + 18-d attributes",
    "IMDB-BINARY": "TU IMDB-BINARY: 1,000 ego networks, 2 classes, no node features",
    "IMDB-MULTI": "TU IMDB-MULTI: 1,500 ego networks, 3 classes, no node features",
}


@dataclass
class TUGraphs:
    """Graphs of one TU dataset.

    Attributes:
        graphs: one PyG ``Data`` per graph with ``x`` ``[n, F]`` float (one-hot node labels
            followed by node attributes) or None, ``edge_index`` ``[2, E]`` (coalesced, local
            ids), ``edge_attr`` ``[E, Fe]`` one-hot edge labels or None, ``y`` ``[1]`` long.
        labels: ``[G]`` graph labels remapped to ``0..C-1`` (sorted original values).
        name: dataset name.
    """

    graphs: list[Data]
    labels: np.ndarray
    name: str


def _integer(text: str) -> int:
    """``"3"`` or ``"3.0"`` -> 3; ``"1.7"`` raises (a label or id is never fractional)."""
    value = float(text)
    if not value.is_integer():
        raise ValueError(text)
    return int(value)


def _read_table(path: Path, dtype: type, *, columns: int | None = None) -> np.ndarray:
    """Parse a comma/space separated numeric text file into a 2-D array (one row per line)."""
    rows, line, line_no = [], "\n", 0
    with path.open() as handle:
        for line_no, line in enumerate(handle, 1):
            text = line.strip()
            if not text:
                continue
            try:
                row = [_integer(v) if dtype is int else dtype(v) for v in text.replace(",", " ").split()]
            except ValueError:
                kind = "integers" if dtype is int else "numbers"
                raise ValueError(f"{path}:{line_no}: cannot parse {text!r} as {kind}") from None
            if columns is not None and len(row) != columns:
                raise ValueError(f"{path}:{line_no}: expected {columns} values, got {len(row)}")
            rows.append(row)
    if not rows:
        raise ValueError(f"{path} is empty")
    if not line.endswith("\n"):
        # The TU files end every line with a newline; a last line without one was cut mid-write.
        raise ValueError(f"{path}:{line_no}: last line {line.strip()!r} has no line end (file cut?)")
    width = len(rows[0])
    if any(len(r) != width for r in rows):
        raise ValueError(f"{path}: rows have different numbers of values")
    return np.asarray(rows, dtype=np.float64 if dtype is float else np.int64)


def _one_hot(values: np.ndarray) -> np.ndarray:
    """``[n]`` discrete values -> ``[n, C]`` one-hot over their sorted distinct values."""
    _, inverse = np.unique(values, return_inverse=True)
    out = np.zeros((values.shape[0], int(inverse.max()) + 1), dtype=np.float32)
    out[np.arange(values.shape[0]), inverse] = 1.0
    return out


def _check_edges_reach_the_last_graph(edges: np.ndarray, indicator: np.ndarray, num_graphs: int,
                                      path: Path) -> None:
    """Refuse an edge list that stops early: listed in graph order, its last edge belongs to graph
    ``g < num_graphs`` and every later graph with 2+ nodes has no edge (the file was cut).

    Args:
        edges: ``[E, 2]`` 0-based global node ids in file order.
        indicator: ``[N]`` 1-based graph id of every node.
    """
    edge_graph = indicator[edges[:, 0]]
    last = int(edge_graph[-1])
    if last == num_graphs or (np.diff(edge_graph) < 0).any():
        return
    sizes = np.bincount(indicator, minlength=num_graphs + 1)[last + 1:]
    if (sizes >= 2).any():
        raise ValueError(f"{path}:{len(edges)}: edges stop at graph {last} of {num_graphs}; the "
                         f"{int((sizes >= 2).sum())} later graphs with 2+ nodes have none (file cut?)")


def read_tu_dataset(folder: str | Path, name: str | None = None) -> TUGraphs:
    """Read the TU dataset in ``folder`` (files ``NAME_*.txt``; ``name`` defaults to the folder name).

    Raises ``ValueError`` naming the file (and line) for missing files, malformed lines,
    node ids out of range, or edges that join two graphs.
    """
    folder = Path(folder)
    name = name or folder.name
    if not folder.is_dir():
        raise ValueError(f"TU dataset folder not found: {folder}")

    def path(suffix: str) -> Path:
        return folder / f"{name}_{suffix}.txt"

    for required in ("A", "graph_indicator", "graph_labels"):
        if not path(required).is_file():
            raise ValueError(f"TU dataset {name!r}: missing {path(required)}")
    indicator = _read_table(path("graph_indicator"), int, columns=1)[:, 0]
    num_nodes = indicator.shape[0]
    graph_labels = _read_table(path("graph_labels"), int, columns=1)[:, 0]
    num_graphs = graph_labels.shape[0]
    if indicator.min() != 1 or indicator.max() != num_graphs or (np.diff(indicator) < 0).any():
        raise ValueError(f"{path('graph_indicator')}: graph ids must be sorted and run 1..{num_graphs} "
                         f"(the number of lines of {path('graph_labels').name}), "
                         f"got {indicator.min()}..{indicator.max()}")
    edges = _read_table(path("A"), int, columns=2) - 1                                       # [E, 2], 0-based
    bad = (edges < 0) | (edges >= num_nodes)
    if bad.any():
        line = int(np.nonzero(bad.any(1))[0][0]) + 1
        raise ValueError(f"{path('A')}:{line}: node id out of range 1..{num_nodes}")
    crossing = indicator[edges[:, 0]] != indicator[edges[:, 1]]
    if crossing.any():
        line = int(np.nonzero(crossing)[0][0]) + 1
        raise ValueError(f"{path('A')}:{line}: edge joins graphs {indicator[edges[line - 1, 0]]} "
                         f"and {indicator[edges[line - 1, 1]]}")
    _check_edges_reach_the_last_graph(edges, indicator, num_graphs, path("A"))

    features = []
    if path("node_labels").is_file():
        node_labels = _read_table(path("node_labels"), int)[:, 0]
        if node_labels.shape[0] != num_nodes:
            raise ValueError(f"{path('node_labels')}: {node_labels.shape[0]} lines for {num_nodes} nodes")
        features.append(_one_hot(node_labels))
    if path("node_attributes").is_file():
        attributes = _read_table(path("node_attributes"), float).astype(np.float32)
        if attributes.shape[0] != num_nodes:
            raise ValueError(f"{path('node_attributes')}: {attributes.shape[0]} lines for {num_nodes} nodes")
        features.append(attributes)
    x_all = np.concatenate(features, 1) if features else None
    edge_attr_all = None
    if path("edge_labels").is_file():
        edge_labels = _read_table(path("edge_labels"), int)[:, 0]
        if edge_labels.shape[0] != edges.shape[0]:
            raise ValueError(f"{path('edge_labels')}: {edge_labels.shape[0]} lines for {edges.shape[0]} edges")
        edge_attr_all = _one_hot(edge_labels)

    # Nodes of a graph are contiguous (indicator sorted), so a graph is a slice of node ids.
    starts = np.searchsorted(indicator, np.arange(1, num_graphs + 2))
    edge_graph = indicator[edges[:, 0]] - 1
    edge_order = np.argsort(edge_graph, kind="stable")
    edge_starts = np.searchsorted(edge_graph[edge_order], np.arange(num_graphs + 1))
    _, label_ids = np.unique(graph_labels, return_inverse=True)
    graphs = []
    for g in range(num_graphs):
        lo, hi = int(starts[g]), int(starts[g + 1])
        sel = edge_order[edge_starts[g]: edge_starts[g + 1]]
        edge_index = torch.from_numpy(edges[sel].T.copy()) - lo
        edge_attr = torch.from_numpy(edge_attr_all[sel]) if edge_attr_all is not None else None
        # Duplicate lines (the IMDB files list every pair twice) are one edge.
        edge_index, edge_attr = coalesce(edge_index, edge_attr, num_nodes=hi - lo, reduce="max")
        x = torch.from_numpy(x_all[lo:hi]) if x_all is not None else None
        graphs.append(Data(x=x, edge_index=edge_index, edge_attr=edge_attr, num_nodes=hi - lo,
                           y=torch.tensor([int(label_ids[g])])))
    return TUGraphs(graphs=graphs, labels=label_ids.astype(np.int64), name=name)
