"""Collate graphs into one disjoint union of patch subgraphs (CPU, DataLoader workers)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from jepa_domains.core.batch import Batch
from jepa_domains.core.tokens import Layout
from jepa_domains.modalities.graph.dataset import GraphSample
from jepa_domains.modalities.graph.partition import GraphPatches, partition_graph


@dataclass
class GraphBatch(Batch):
    """All patch subgraphs of ``R`` graphs as one graph of ``L`` node copies.

    A node that lies in two (overlapping, one-hop expanded) patches appears twice.

    Attributes:
        x: ``[L, F]`` node features of every copy.
        rw_pe: ``[L, W]`` random-walk PE of every copy (computed on the intact graph).
        edge_index: ``[2, Ep]`` edges between copies of the same patch.
        edge_attr: ``[Ep, Fe]`` edge features, or None.
        patch_index: ``[L]`` patch slot of every copy, ``row * P + patch`` in ``0..R*P-1``.
        layout: ``Layout((P,), valid=[R] non-empty patches per graph)``.
    """

    x: Tensor = None  # type: ignore[assignment]
    rw_pe: Tensor = None  # type: ignore[assignment]
    edge_index: Tensor = None  # type: ignore[assignment]
    edge_attr: Tensor | None = None
    patch_index: Tensor = None  # type: ignore[assignment]


def pool_seed(sample_id: str, slot: int) -> int:
    """Seed of the edge drop behind pool slot ``slot`` of graph ``sample_id`` (stable across
    processes, runs and resumes: CRC32 of the id, not Python's salted ``hash``)."""
    return zlib.crc32(f"{sample_id}#{slot}".encode())


def sample_patches(sample: GraphSample, *, num_patches: int, drop_rate: float, hops: int,
                   generator: torch.Generator | None, recursive: bool = True, pool: int = 0) -> GraphPatches:
    """Partition one graph.

    ``generator=None`` (evaluation): the intact graph's partition, cached on the sample.
    ``pool=0``: a fresh edge drop drawn from ``generator``. ``pool=N``: ``generator`` draws one
    of ``N`` slots, whose partition (its own edge drop, seeded by :func:`pool_seed`) is computed
    on the slot's first use and kept on the sample.
    """
    if generator is None:
        if sample.eval_patches is None:
            sample.eval_patches = partition_graph(sample.num_nodes, sample.data.edge_index, sample.undirected,
                                                  num_patches=num_patches, drop_rate=drop_rate, hops=hops,
                                                  generator=None, recursive=recursive)
        return sample.eval_patches
    if pool <= 0:
        return partition_graph(sample.num_nodes, sample.data.edge_index, sample.undirected, num_patches=num_patches,
                               drop_rate=drop_rate, hops=hops, generator=generator, recursive=recursive)
    slot = int(torch.randint(pool, (1,), generator=generator))
    key = (slot, num_patches, drop_rate, hops, recursive)
    if sample.pool_patches is None:
        sample.pool_patches = {}
    if key not in sample.pool_patches:
        slot_generator = torch.Generator().manual_seed(pool_seed(sample.id, slot))
        sample.pool_patches[key] = partition_graph(sample.num_nodes, sample.data.edge_index, sample.undirected,
                                                   num_patches=num_patches, drop_rate=drop_rate, hops=hops,
                                                   generator=slot_generator, recursive=recursive)
    return sample.pool_patches[key]


def collate_graphs(samples: Sequence[GraphSample], generators: Sequence[torch.Generator] | None, *,
                   num_patches: int, drop_rate: float, hops: int, recursive: bool = True,
                   pool: int = 0) -> GraphBatch:
    """Partition every graph (:func:`sample_patches`: edges dropped with each sample's
    generator, or drawn from a pool of ``pool`` partitions; none at evaluation) and stack the
    patch copies with offsets into one :class:`GraphBatch`.

    Gathers use ``index_select``: plain advanced indexing takes a slow threaded path on a
    loaded 2-core CPU."""
    if not samples:
        raise ValueError("cannot collate an empty list of graphs")
    if generators is not None and len(generators) != len(samples):
        raise ValueError(f"{len(generators)} generators for {len(samples)} graphs")
    xs, pes, edges, edge_attrs, slots, valid = [], [], [], [], [], []
    offset = 0
    for row, sample in enumerate(samples):
        gen = None if generators is None else generators[row]
        patches = sample_patches(sample, num_patches=num_patches, drop_rate=drop_rate, hops=hops, generator=gen,
                                 recursive=recursive, pool=pool)
        data = sample.data
        xs.append(data.x.index_select(0, patches.node))
        pes.append(data.rw_pe.index_select(0, patches.node))
        edges.append(torch.stack([patches.edge_src, patches.edge_dst]) + offset)
        if data.edge_attr is not None:
            edge_attrs.append(data.edge_attr.index_select(0, patches.edge))
        slots.append(patches.patch + row * num_patches)
        valid.append(patches.num_patches)
        offset += patches.node.shape[0]
    labels = torch.tensor([s.label for s in samples], dtype=torch.long)
    return GraphBatch(
        layout=Layout((num_patches,), valid=torch.tensor(valid, dtype=torch.long)),
        labels=None if (labels < 0).any() else labels,
        ids=[s.id for s in samples],
        x=torch.cat(xs),
        rw_pe=torch.cat(pes),
        edge_index=torch.cat(edges, 1),
        edge_attr=torch.cat(edge_attrs) if edge_attrs else None,
        patch_index=torch.cat(slots),
    )
