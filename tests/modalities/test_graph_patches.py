"""Graph modality: partitioning, padding, seeded edge dropping, masking, batched tokenizer."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.data import Data
from torch_geometric.transforms import AddRandomWalkPE
from torch_geometric.utils import to_undirected

from jepa_domains.core.tokens import Layout
from jepa_domains.data.graph_synthetic import synthetic_graph_families
from jepa_domains.modalities.graph import GraphAdapter, GraphConfig, GraphPatchTokenizer, HyperbolicTargetHead
from jepa_domains.modalities.graph.collate import collate_graphs, sample_patches
from jepa_domains.modalities.graph.dataset import make_sample, random_walk_pe
from jepa_domains.modalities.graph.partition import metis_membership, partition_graph



def _samples(count: int = 6, seed: int = 0):
    graphs = synthetic_graph_families(per_class=(count + 3) // 4, seed=seed)[:count]
    return [make_sample(g, f"g{i}", walk_length=4, degree_cap=16) for i, g in enumerate(graphs)]


def _path_graph(n: int) -> Data:
    edges = torch.stack([torch.arange(n - 1), torch.arange(1, n)])
    return Data(edge_index=to_undirected(edges), num_nodes=n, y=torch.tensor([0]))


def test_partition_covers_every_node_and_hops_zero_is_disjoint():
    for sample in _samples(8):
        n = sample.num_nodes
        for hops in (0, 1):
            patches = partition_graph(n, sample.data.edge_index, sample.undirected, num_patches=6, drop_rate=0.3,
                                      hops=hops, generator=torch.Generator().manual_seed(1))
            assert 2 <= patches.num_patches <= 6
            assert set(patches.node.tolist()) == set(range(n))
            assert set(patches.patch.tolist()) == set(range(patches.num_patches))   # no empty patch
            if hops == 0:
                assert patches.node.numel() == n                                      # a true partition
        # Every edge inside a patch is a real edge whose endpoints are copies in that patch.
        node, patch = patches.node, patches.patch
        src, dst = sample.data.edge_index[:, patches.edge]
        assert torch.equal(node[patches.edge_src], src) and torch.equal(node[patches.edge_dst], dst)
        assert torch.equal(patch[patches.edge_src], patches.edge_patch)


def test_one_hop_expansion_adds_exactly_the_neighbours():
    graph = make_sample(_path_graph(12), "path", walk_length=4, degree_cap=8)
    membership = metis_membership(12, graph.undirected, 3)
    patches = partition_graph(12, graph.data.edge_index, graph.undirected, num_patches=3, drop_rate=0.0,
                              hops=1, generator=None)
    for p in range(patches.num_patches):
        core = set(torch.nonzero(membership == p).view(-1).tolist())
        expected = core | {v for u in core for v in (u - 1, u + 1) if 0 <= v < 12}
        assert set(patches.node[patches.patch == p].tolist()) == expected


def test_small_graphs_get_fewer_patches_and_padding():
    cfg = GraphConfig(num_patches=8, walk_length=4, degree_cap=8)
    small = [make_sample(_path_graph(n), f"path{n}", walk_length=4, degree_cap=8) for n in (2, 3, 5, 30)]
    batch = collate_graphs(small, None, num_patches=8, drop_rate=0.3, hops=1)
    valid = batch.layout.valid
    assert valid[0] == 2 and valid[1] <= 3 and valid[2] <= 5 and valid[3] <= 8
    assert (valid >= 2).all()
    tok = GraphPatchTokenizer(dim=16, in_features=9, walk_length=4, num_layers=2)
    out = tok(batch)
    assert out.x.shape == (4, 8, 16) and out.pad.shape == (4, 8)
    assert torch.equal(out.pad, torch.arange(8)[None, :] >= valid[:, None])
    assert out.x[out.pad].abs().max() == 0 and out.pos[out.pad].abs().max() == 0
    assert out.x[~out.pad].abs().sum(-1).min() > 0
    _ = cfg


def test_edge_dropping_is_seeded_and_changes_partitions_across_epochs():
    sample = _samples(4)[3]
    n = sample.num_nodes

    def membership(seed):
        p = partition_graph(n, sample.data.edge_index, sample.undirected, num_patches=6, drop_rate=0.3, hops=0,
                            generator=torch.Generator().manual_seed(seed))
        return p.patch[torch.argsort(p.node)]

    assert torch.equal(membership(5), membership(5))                     # same epoch seed, same patches
    distinct = {tuple(membership(seed).tolist()) for seed in range(8)}
    assert len(distinct) > 1                                            # a new epoch re-partitions
    # Evaluation (no generator) never drops edges and reuses its cached partition.
    first = collate_graphs([sample], None, num_patches=6, drop_rate=0.3, hops=1)
    assert sample.eval_patches is not None
    again = collate_graphs([sample], None, num_patches=6, drop_rate=0.3, hops=1)
    assert torch.equal(first.patch_index, again.patch_index) and torch.equal(first.x, again.x)


def test_masker_never_picks_padding():
    masker = GraphAdapter().build_masker(GraphConfig(num_targets=4))
    valid = torch.tensor([2, 3, 5, 8, 8, 4])
    gens = [torch.Generator().manual_seed(i) for i in range(valid.numel())]
    for _ in range(20):
        plan = masker(Layout((8,), valid=valid), gens)
        for r in range(valid.numel()):
            ctx = plan.context[r][~plan.context_pad[r]]
            tgt = plan.targets[r][~plan.target_pad[r]]
            assert ctx.numel() == 1 and tgt.numel() == min(4, int(valid[r]) - 1)
            assert (ctx < valid[r]).all() and (tgt < valid[r]).all()
            assert not set(ctx.tolist()) & set(tgt.tolist())


@pytest.mark.parametrize("edge_features", [0, 3])
def test_batched_patch_gnn_equals_per_graph_loop(edge_features):
    samples = _samples(5)
    if edge_features:
        gen = torch.Generator().manual_seed(0)
        for s in samples:
            s.data.edge_attr = torch.rand(s.data.edge_index.shape[1], edge_features, generator=gen)
    torch.manual_seed(0)
    tok = GraphPatchTokenizer(dim=16, in_features=17, edge_features=edge_features, walk_length=4, num_layers=2).eval()
    together = tok(collate_graphs(samples, None, num_patches=6, drop_rate=0.3, hops=1))
    for i, s in enumerate(samples):
        alone = tok(collate_graphs([s], None, num_patches=6, drop_rate=0.3, hops=1))
        torch.testing.assert_close(together.x[i], alone.x[0], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(together.pos[i], alone.pos[0], atol=1e-5, rtol=1e-5)
        assert torch.equal(together.pad[i], alone.pad[0])


def test_random_walk_pe_matches_pyg_reference():
    for sample in _samples(4):
        sym = torch.cat([sample.undirected, sample.undirected.flip(0)], 1)
        ref = AddRandomWalkPE(6, attr_name="pe")(Data(edge_index=sym, num_nodes=sample.num_nodes)).pe
        torch.testing.assert_close(random_walk_pe(sample.undirected, sample.num_nodes, 6), ref, atol=1e-5, rtol=1e-5)


def test_hyperbolic_head_maps_onto_the_unit_hyperbola():
    head = HyperbolicTargetHead(dim=32)
    z = torch.randn(4, 3, 2, 32) * 3
    out = head(z)
    assert out.shape == (4, 3, 2, 2)
    c, s = out[..., 0].double(), out[..., 1].double()
    assert ((c**2 - s**2 - 1).abs() <= 1e-5 * c**2).all()             # float32 round-off grows with cosh^2
    assert (out[..., 0] >= 1).all() and torch.isfinite(head(torch.full((2, 32), 1e6))).all()
    # Layer-normed latents (zero feature mean) still give varied targets: not the paper's mean.
    ln = torch.nn.functional.layer_norm(torch.randn(64, 32), (32,))
    assert head(ln)[:, 1].std() > 0.3


def test_synthetic_set_is_deterministic_and_balanced():
    a, b = synthetic_graph_families(per_class=5, seed=3), synthetic_graph_families(per_class=5, seed=3)
    assert all(torch.equal(x.edge_index, y.edge_index) for x, y in zip(a, b))
    labels = np.asarray([int(g.y) for g in a])
    assert np.bincount(labels).tolist() == [5, 5, 5, 5]
    degrees = [g.edge_index.shape[1] / g.num_nodes for g in synthetic_graph_families(per_class=40)]
    per_family = np.asarray(degrees).reshape(40, 4).mean(0)
    assert np.all(np.abs(per_family - 4.0) < 1.0)                     # matched density


def test_partition_pool_keeps_at_most_n_partitions_per_graph_and_is_order_free():
    """``pool=N``: every visit draws one of N edge-dropped partitions, each computed once and
    seeded by the graph and the slot (not by the visit), so two datasets visited in different
    orders hold the same partitions; evaluation still sees the intact graph."""
    def visit(order):
        sample = make_sample(synthetic_graph_families(per_class=1, seed=0)[0], "G/0", walk_length=4, degree_cap=16)
        chosen = [sample_patches(sample, num_patches=6, drop_rate=0.3, hops=1, pool=3,
                                 generator=torch.Generator().manual_seed(seed)) for seed in order]
        return sample, chosen

    sample, chosen = visit(range(40))
    assert len(sample.pool_patches) == 3
    assert len({id(p) for p in chosen}) == 3                               # 40 visits, 3 METIS calls
    other, _ = visit(reversed(range(40)))
    for key, patches in sample.pool_patches.items():
        assert torch.equal(patches.node, other.pool_patches[key].node)
    fresh = [sample_patches(sample, num_patches=6, drop_rate=0.3, hops=1, pool=0,
                            generator=torch.Generator().manual_seed(seed)) for seed in range(6)]
    assert len({tuple(p.node.tolist()) for p in fresh}) > 3                # pool=0: a new drop each visit
    intact = sample_patches(sample, num_patches=6, drop_rate=0.3, hops=1, pool=3, generator=None)
    assert intact is sample.eval_patches and all(intact is not p for p in chosen)
    with pytest.raises(ValueError, match="partition_pool must be >= 0"):
        GraphConfig(partition_pool=-1)
