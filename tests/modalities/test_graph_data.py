"""Graph modality: TU reader, bad input, folds, WL baseline, CLI and evaluation end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch_geometric.data import Data
from typer.testing import CliRunner

from jepa_domains.data.graph_tudataset import read_tu_dataset
from jepa_domains.modalities.graph import GraphAdapter, GraphConfig
from jepa_domains.modalities.graph.collate import collate_graphs
from jepa_domains.modalities.graph.dataset import GraphDataset, make_sample
from jepa_domains.modalities.graph.wl_features import wl_subtree_features



def _write_tu(folder: Path, name: str = "TOY", *, extra_edge: str | None = None) -> Path:
    """Three graphs: a triangle with a duplicated line and a self-loop, a 4-path plus an
    isolated node, a 4-cycle. Node labels 3/7, edge labels, graph labels -1/1."""
    d = folder / name
    d.mkdir(parents=True)
    # graph 1 (nodes 1-3)
    edges = ["1, 2", "2, 1", "2, 3", "3, 2", "1, 3", "3, 1", "1, 2", "3, 3",
             # graph 2 (nodes 4-8, 8 isolated)
             "4, 5", "5, 4", "5, 6", "6, 5", "6, 7", "7, 6",
             # graph 3 (nodes 9-12)
             "9, 10", "10, 9", "10, 11", "11, 10", "11, 12", "12, 11", "12, 9", "9, 12"]
    if extra_edge:
        edges.append(extra_edge)
    (d / f"{name}_A.txt").write_text("\n".join(edges) + "\n")
    (d / f"{name}_edge_labels.txt").write_text("\n".join(str(i % 2) for i in range(len(edges))) + "\n")
    (d / f"{name}_graph_indicator.txt").write_text("\n".join(["1"] * 3 + ["2"] * 5 + ["3"] * 4) + "\n")
    (d / f"{name}_graph_labels.txt").write_text("-1\n1\n1\n")
    (d / f"{name}_node_labels.txt").write_text("\n".join(["3", "7"] * 6) + "\n")
    return d


def test_tu_reader_coalesces_and_keeps_legal_oddities(tmp_path):
    tu = read_tu_dataset(_write_tu(tmp_path))
    assert [g.num_nodes for g in tu.graphs] == [3, 5, 4]
    assert tu.labels.tolist() == [0, 1, 1]
    g0 = tu.graphs[0]
    assert g0.edge_index.shape[1] == 7                                   # duplicate "1, 2" merged, loop kept
    assert g0.x.shape == (3, 2) and g0.edge_attr.shape == (7, 2)
    sample = make_sample(g0, "TOY/0", walk_length=3, degree_cap=4)
    assert sample.undirected.tolist() == [[0, 0, 1], [1, 2, 2]]          # METIS input: no loop, no duplicate
    iso = make_sample(tu.graphs[1], "TOY/1", walk_length=3, degree_cap=4)
    assert torch.isfinite(iso.data.rw_pe).all() and iso.data.rw_pe[4].abs().sum() == 0
    batch = collate_graphs([sample, iso], None, num_patches=4, drop_rate=0.3, hops=1)
    assert 4 in iso.eval_patches.node.tolist()                           # the isolated node has a patch
    assert ((batch.patch_index >= 4) & (batch.patch_index < 8)).sum() == iso.eval_patches.node.numel()
    assert batch.edge_attr.shape[0] == batch.edge_index.shape[1]


@pytest.mark.parametrize("extra, message", [("12, 13", "node id out of range"), ("3, 4", "edge joins graphs"),
                                            ("1, x", "cannot parse")])
def test_tu_reader_names_file_and_line_of_bad_edges(tmp_path, extra, message):
    _write_tu(tmp_path, extra_edge=extra)
    with pytest.raises(ValueError, match=message) as info:
        read_tu_dataset(tmp_path / "TOY")
    assert "TOY_A.txt:23" in str(info.value)


def _graph(n: int, **fields) -> Data:
    edges = torch.tensor([[0, 1], [1, 0]]) if n >= 2 else torch.zeros(2, 0, dtype=torch.long)
    return Data(edge_index=fields.pop("edge_index", edges), num_nodes=n, y=torch.tensor([0]), **fields)


@pytest.mark.parametrize("graph, message", [
    (_graph(0), "empty graph"),
    (_graph(1), "has 1 node"),
    (_graph(3, edge_index=torch.tensor([[0, 3], [3, 0]])), "out of range"),
    (_graph(3, x=torch.tensor([[1.0], [float("nan")], [0.0]])), "NaN"),
])
def test_bad_graphs_raise_with_their_name_or_are_counted(graph, message):
    good = [_graph(3, x=torch.ones(3, 1)) for _ in range(2)]
    if graph.x is None and graph.num_nodes:
        graph.x = torch.ones(graph.num_nodes, 1)
    with pytest.raises(ValueError, match=f"graph bad7: .*{message}"):
        GraphDataset(good + [graph], ["a", "b", "bad7"], description="t", walk_length=3, degree_cap=4)
    ds = GraphDataset(good + [graph], ["a", "b", "bad7"], description="t", walk_length=3, degree_cap=4, skip_bad=True)
    assert len(ds) == 2 and ds.skipped == 1 and "1 bad graphs skipped" in ds.description
    assert ds.read_report.read == 2 and [name for name, _ in ds.read_report.skipped] == ["bad7"]
    assert message in ds.read_report.skipped[0][1]


def _cut_edges(folder: Path, keep_chars: int) -> Path:
    """``TOY_A.txt`` cut after ``keep_chars`` characters, as a killed copy leaves it."""
    path = folder / "TOY_A.txt"
    path.write_text(path.read_text()[:keep_chars])
    return path


def test_tu_edge_list_cut_at_a_line_end_is_refused(tmp_path):
    folder = _write_tu(tmp_path)
    text = (folder / "TOY_A.txt").read_text()
    _cut_edges(folder, text.index("9, 10"))                           # graph 3's edges are lost
    with pytest.raises(ValueError, match=r"TOY_A\.txt:14: edges stop at graph 2 of 3; the 1 later graphs "
                                         r"with 2\+ nodes have none \(file cut\?\)"):
        read_tu_dataset(folder)


@pytest.mark.parametrize("cut_after, message", [
    ("9, 1", r"TOY_A\.txt:15: last line '9, 1' has no line end \(file cut\?\)"),
    ("9,", r"TOY_A\.txt:15: expected 2 values, got 1"),
])
def test_tu_edge_list_cut_mid_line_names_file_and_line(tmp_path, cut_after, message):
    folder = _write_tu(tmp_path)
    text = (folder / "TOY_A.txt").read_text()
    _cut_edges(folder, text.index("9, 10") + len(cut_after))
    with pytest.raises(ValueError, match=message):
        read_tu_dataset(folder)


def test_folds_are_disjoint_stratified_and_cover_the_data():
    adapter, cfg = GraphAdapter(), GraphConfig(num_folds=5, fold=2, synthetic_per_class=20)
    full = adapter.load_dataset(cfg, None, split="all")
    train = adapter.load_dataset(cfg, None, split="train")
    test = adapter.load_dataset(cfg, None, split="test")
    assert "SYNTHETIC" in full.description and len(full) == 80
    assert {s.id for s in train.samples}.isdisjoint({s.id for s in test.samples})
    assert len(train) + len(test) == 80 and np.bincount(test.labels).tolist() == [4, 4, 4, 4]
    with pytest.raises(ValueError, match="needs --data-root or JEPA_DOMAINS_DATA"):
        adapter.load_dataset(cfg, "MUTAG", data_root=None)
    with pytest.raises(ValueError, match="unknown graph dataset 'nope'"):
        adapter.load_dataset(cfg, "nope")
    with pytest.raises(ValueError, match="modality.drop_rate"):
        GraphConfig(drop_rate=1.5)


def test_wl_features_are_permutation_invariant_and_split_stable(tmp_path):
    tu = read_tu_dataset(_write_tu(tmp_path))
    samples = [make_sample(g, str(i), walk_length=3, degree_cap=4) for i, g in enumerate(tu.graphs)]
    g = tu.graphs[2]
    perm = torch.tensor([2, 0, 3, 1])                                    # new id of old node i
    permuted = Data(x=g.x[torch.argsort(perm)], edge_index=perm[g.edge_index], num_nodes=4, y=g.y)
    samples.append(make_sample(permuted, "perm", walk_length=3, degree_cap=4))
    feats = wl_subtree_features(samples, iterations=2, buckets=256)
    assert feats.shape == (4, 3 * 256)
    np.testing.assert_array_equal(feats[2], feats[3])
    assert not np.array_equal(feats[0], feats[2])
    assert feats[:, :256].sum(1).tolist() == [3, 5, 4, 4]                # depth 0 counts nodes
    np.testing.assert_array_equal(wl_subtree_features(samples[1:2], iterations=2, buckets=256)[0], feats[1])
    # normalised rows: their linear kernel is the normalised WL kernel k(G,H) / sqrt(k(G,G) k(H,H))
    unit = wl_subtree_features(samples, iterations=2, buckets=256, normalise=True)
    kernel = feats.astype(np.float64) @ feats.T.astype(np.float64)
    expected = kernel / np.sqrt(np.outer(np.diag(kernel), np.diag(kernel)))
    np.testing.assert_allclose(unit.astype(np.float64) @ unit.T.astype(np.float64), expected, rtol=1e-5)
    baseline = GraphAdapter().feature_baseline(GraphConfig(wl_iterations=2), type("D", (), {"samples": samples}))
    np.testing.assert_allclose(np.linalg.norm(baseline, axis=1), 1.0, rtol=1e-5)  # the adapter's baseline is it


def test_cli_quick_train_then_embed(tmp_path):
    from jepa_domains.cli.app import app
    from jepa_domains.eval.embed import extract, load_run

    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["train", "graph", "--quick", "--out", str(out), "--set", "train.progress=false",
                                      "--set", "train.steps=6", "--set", "modality.target=hyperbolic",
                                      "--set", "modality.synthetic_per_class=10"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "run.json").read_text())
    assert summary["steps"] == 6 and np.isfinite(summary["final_loss"])
    run = load_run(out)
    assert run.options.in_features == 65 and run.options.target == "hyperbolic"
    test = run.adapter.load_dataset(run.options, None, split="test")
    emb = extract(run.encoder, run.adapter, run.options, test, batch_size=32, device="cpu")
    assert emb.X.shape == (4, 64) and np.isfinite(emb.X).all() and emb.y.tolist() == test.labels.tolist()


def test_cross_validation_protocol_runs_per_fold(tmp_path):
    from jepa_domains.modalities.graph.evaluate import cross_validate_pretraining
    from jepa_domains.train.config import GLOBAL_QUICK, resolve

    adapter = GraphAdapter()
    cfg = resolve("graph", defaults=adapter.run_defaults, quick={**GLOBAL_QUICK, **adapter.quick_overrides},
                  overrides=["train.progress=false", "train.steps=3", "modality.num_folds=4",
                             "modality.synthetic_per_class=12", "data.batch_size=8"])
    result = cross_validate_pretraining(cfg, tmp_path, folds=1, verbose=False)
    assert {r["method"] for r in result["rows"]} == {"jepa", "random_init", "wl_features", "chance"}
    assert all(0.0 <= r["value"] <= 1.0 for r in result["rows"])
    assert result["summary"]["wl_features"][0] > 0.5                    # 4 balanced classes: chance is 0.25
    assert (tmp_path / "fold0" / "checkpoints" / "last.pt").is_file()


def test_a_fractional_node_label_is_refused_with_file_and_line(tmp_path):
    from jepa_domains.data.graph_tudataset import read_tu_dataset

    d = _write_tu(tmp_path)
    labels = ["3", "7"] * 6
    labels[4] = "1.7"
    (d / "TOY_node_labels.txt").write_text("\n".join(labels) + "\n")
    with pytest.raises(ValueError, match=r"TOY_node_labels.txt:5: cannot parse '1.7' as integers"):
        read_tu_dataset(d)
    labels[4] = "1.0"                                   # an integer written as a float is fine
    (d / "TOY_node_labels.txt").write_text("\n".join(labels) + "\n")
    read_tu_dataset(d)


def test_transductive_protocol_pretrains_once_on_every_graph_and_probes_each_fold(tmp_path):
    from jepa_domains.modalities.graph.evaluate import classify_cv_run, cross_validate_pretraining
    from jepa_domains.train.config import GLOBAL_QUICK, resolve

    adapter = GraphAdapter()
    cfg = resolve("graph", defaults=adapter.run_defaults, quick={**GLOBAL_QUICK, **adapter.quick_overrides},
                  overrides=["train.progress=false", "train.steps=2", "modality.num_folds=3",
                             "modality.synthetic_per_class=6", "data.batch_size=8", "modality.pretrain_on=all"])
    result = cross_validate_pretraining(cfg, tmp_path / "cv", folds=3, probes=("logistic",), verbose=False)
    assert sorted(p.name for p in (tmp_path / "cv").iterdir()) == ["all"]     # one encoder for all folds
    summary = json.loads((tmp_path / "cv" / "all" / "run.json").read_text())
    assert summary["data_report"]["read"] == 24                               # every graph, not a fold's part
    jepa = [r for r in result["rows"] if r["method"] == "jepa"]
    assert sorted(r["fold"] for r in jepa) == [0, 1, 2]
    # every fold's row carries the training part's inner-CV score (what nested selection uses) ...
    assert all(0.0 <= r["inner_accuracy"] <= 1.0 for r in result["rows"] if r["method"] != "chance")
    # the protocol on an existing transductive run probes that run, pretraining nothing more
    rows = classify_cv_run(tmp_path / "cv" / "all", probes=("logistic",))
    assert not (tmp_path / "cv" / "all" / "cv").exists()
    assert [r["value"] for r in rows if r["method"] == "jepa" and r["metric"] == "accuracy"] == \
        [r["value"] for r in jepa]
    # ... which, like the fold's value, stays out of the summaries' keys: one mean per method
    means = [r for r in rows if r["metric"] == "accuracy_mean"]
    assert sorted(r["method"] for r in means) == ["chance", "jepa", "random_init", "wl_features"]
    assert all(r["folds"] == 3 and "inner_accuracy" not in r for r in means)
    with pytest.raises(ValueError, match="pretrain_on must be one of"):
        GraphConfig(pretrain_on="test")


def test_any_tu_folder_is_read_by_name_under_the_data_root_or_by_path(tmp_path):
    folder = _write_tu(tmp_path / "tudataset", "MYSET")
    adapter, cfg = GraphAdapter(), GraphConfig(num_folds=2)
    by_name = adapter.load_dataset(cfg, "MYSET", split="all", data_root=tmp_path)
    by_path = adapter.load_dataset(cfg, str(folder), split="all")
    assert len(by_name) == len(by_path) == 3
    assert by_name.samples[0].id == by_path.samples[0].id == "MYSET/0"
    with pytest.raises(ValueError, match=r"unknown graph dataset 'NOPE': no folder .*tudataset/NOPE"):
        adapter.load_dataset(cfg, "NOPE", data_root=tmp_path)
    with pytest.raises(ValueError, match=r"'MUTAG': folder .*tudataset/MUTAG not found"):
        adapter.load_dataset(cfg, "MUTAG", data_root=tmp_path)
    with pytest.raises(ValueError, match="needs --data-root"):
        adapter.load_dataset(cfg, "MUTAG", data_root=None)


def test_graph_eval_writes_the_runs_of_a_dataset_path_under_out_not_into_the_dataset(tmp_path, monkeypatch):
    """A dataset given as a path (trailing slash included) gets its runs in ``--out/NAME``; the
    cross-validation is replaced by a recorder so that only the benchmark's own paths are tested."""
    import runpy
    import sys

    import jepa_domains.modalities.graph.evaluate as graph_evaluate

    folder = _write_tu(tmp_path / "data", "MYSET")
    before = sorted(p.name for p in folder.iterdir())
    out, seen = tmp_path / "runs", []

    def recorder(cfg, out_dir, **_):
        seen.append((cfg.data.source, Path(out_dir)))
        Path(out_dir).mkdir(parents=True)
        return {"rows": [], "summary": {m: (0.5, 0.1) for m in ("jepa", "random_init", "wl_features")}}

    monkeypatch.setattr(graph_evaluate, "cross_validate_pretraining", recorder)
    bench = Path(__file__).resolve().parents[2] / "benchmarks" / "graph_eval.py"
    monkeypatch.setattr(sys, "argv", ["graph_eval.py", "--data-root", str(tmp_path), "--datasets", f"{folder}/",
                                      "--batches", "1", "--out", str(out),
                                      "--set", "train.steps=2", "--set", "data.batch_size=2"])
    runpy.run_path(str(bench), run_name="__main__")
    assert seen == [(f"{folder}/", out / "MYSET")]
    assert (out / "MYSET" / "summary.json").is_file()
    assert sorted(p.name for p in folder.iterdir()) == before          # nothing written into the dataset
