"""benchmarks/timeseries_recipe_search.py: training-split CV of a run, never the test split."""

import json
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "timeseries_recipe_search.py"


def test_recipe_search_scores_the_training_split_only(trained_timeseries_run, tmp_path, monkeypatch, capsys):
    log = tmp_path / "search.jsonl"
    monkeypatch.setattr(sys, "argv", ["timeseries_recipe_search.py", str(trained_timeseries_run),
                                      "--pool", "mean", "segments", "--log", str(log), "--note", "tiny"])
    runpy.run_path(str(SCRIPT), run_name="__main__")
    record = json.loads(log.read_text().splitlines()[-1])
    assert record["dataset"] == "GunPoint" and record["train_series"] == 50 and record["note"] == "tiny"
    assert set(record["cv"]) == {"mean", "segments"}
    for by_method in record["cv"].values():
        assert set(by_method) == {"jepa", "random_init", "features"}
        for score in by_method.values():
            assert len(score["scores"]) == 5 and 0.0 <= score["accuracy_mean"] <= 1.0
            assert all(0.0 <= s <= 1.0 for s in score["scores"])
    assert record["cv"]["mean"]["features"] == record["cv"]["segments"]["features"]   # pooling-free baseline
    out = capsys.readouterr().out
    assert "GunPoint: 50 training series" in out and "context encoder" in out and out.count("±") == 6
    assert record["encoder"] == "context"


def test_recipe_search_scores_the_target_encoder_on_request(trained_timeseries_run):
    search = runpy.run_path(str(SCRIPT))
    context = search["search"](trained_timeseries_run, pools=("mean",), folds=3)
    target = search["search"](trained_timeseries_run, pools=("mean",), folds=3, encoder="target")
    assert (context["encoder"], target["encoder"]) == ("context", "target")
    c, t = context["cv"]["mean"], target["cv"]["mean"]
    assert c["random_init"] == t["random_init"] and c["features"] == t["features"]   # encoder-free rows
    run = search["load_runs"](trained_timeseries_run, encoder="both")
    # the encoder embedded as 'jepa' is the EMA copy, not the context encoder
    g = search["search"].__globals__
    real, seen = g["extract"], []
    g["extract"] = lambda encoder, *a, **k: seen.append(encoder) or real(encoder, *a, **k)
    search["search"](trained_timeseries_run, pools=("mean",), folds=3, encoder="target")
    same = lambda m, ref: all(torch.equal(a, b) for a, b in zip(m.state_dict().values(),   # noqa: E731
                                                                 ref.encoder.state_dict().values()))
    assert same(seen[0], run["target"]) and not same(seen[0], run["context"])
    with pytest.raises(ValueError, match="encoder must be"):
        search["search"](trained_timeseries_run, encoder="student")


def test_recipe_search_reads_k_representations_of_both_encoders(trained_timeseries_run):
    search = runpy.run_path(str(SCRIPT))
    g = search["search"].__globals__
    real, widths = g["extract"], []
    g["extract"] = lambda encoder, *a, **k: widths.append((encoder.readout_layers, real(encoder, *a, **k).X.shape[1])) \
        or real(encoder, *a, **k)
    one = search["search"](trained_timeseries_run, pools=("mean",), folds=3)
    two = search["search"](trained_timeseries_run, pools=("mean",), folds=3, layers=2)
    assert (one["layers"], two["layers"]) == (1, 2)
    # the JEPA encoder and its random-init twin alike: twice the width at K = 2
    assert [w for _, w in widths[2:]] == [2 * w for _, w in widths[:2]] and {k for k, _ in widths[2:]} == {2}
    assert one["cv"]["mean"]["features"] == two["cv"]["mean"]["features"]


def test_recipe_search_refuses_the_test_split(trained_timeseries_run):
    search = runpy.run_path(str(SCRIPT))
    run = search["load_runs"](trained_timeseries_run, encoder="context")["context"]
    train, labels, name = search["training_split"](run, None)
    assert len(train) == len(labels) == 50 and name == "GunPoint"
    with pytest.raises(RuntimeError, match="training split only"):
        run.adapter.load_dataset(run.options, name, split="test")
    fresh = search["load_runs"](trained_timeseries_run, encoder="context")["context"]   # other runs: unguarded
    assert len(fresh.adapter.load_dataset(fresh.options, name, split="test")) == 150


def test_recipe_search_scores_a_modality_without_a_pool_option(tmp_path, monkeypatch, capsys):
    from typer.testing import CliRunner

    from jepa_domains.cli.app import app

    out = tmp_path / "pc"
    result = CliRunner().invoke(app, ["train", "pointcloud", "--quick", "--out", str(out), "--set", "train.steps=2",
                                      "--set", "train.progress=false", "--set", "model.depth=1"])
    assert result.exit_code == 0, result.output
    search = runpy.run_path(str(SCRIPT))
    with pytest.raises(ValueError, match="pointcloud modality has no pooling option"):
        search["search"](out, pools=("mean",))
    record = search["search"](out, folds=3)
    assert set(record["cv"]) == {"own"} and set(record["cv"]["own"]) == {"jepa", "random_init", "features"}
    assert all(len(s["scores"]) == 3 for s in record["cv"]["own"].values())


def test_recipe_search_scores_the_trajectory_poolings(tmp_path):
    from typer.testing import CliRunner

    from jepa_domains.cli.app import app

    out = tmp_path / "traj"
    result = CliRunner().invoke(app, ["train", "trajectory", "--quick", "--out", str(out), "--set", "train.steps=2",
                                      "--set", "train.progress=false", "--set", "model.depth=1"])
    assert result.exit_code == 0, result.output
    record = runpy.run_path(str(SCRIPT))["search"](out, pools=("mean", "segments"), folds=3)
    assert set(record["cv"]) == {"mean", "segments"}
    # the feature baseline does not depend on the pooling, the encoders' embeddings do
    assert record["cv"]["mean"]["features"] == record["cv"]["segments"]["features"]
    assert all(len(record["cv"][p][m]["scores"]) == 3 for p in ("mean", "segments") for m in ("jepa", "random_init"))


def test_recipe_search_averages_several_partitions(trained_timeseries_run, tmp_path, monkeypatch, capsys):
    search = runpy.run_path(str(SCRIPT))
    one = search["search"](trained_timeseries_run, pools=("mean",), folds=3, seeds=(1,))
    three = search["search"](trained_timeseries_run, pools=("mean",), folds=3, seeds=(0, 1, 2))
    for method in ("jepa", "random_init", "features"):
        single, repeated = one["cv"]["mean"][method], three["cv"]["mean"][method]
        assert len(single["partitions"]) == 1 and len(single["scores"]) == 3
        assert len(repeated["partitions"]) == 3 and len(repeated["scores"]) == 9
        # the same embeddings: partition 1 of the repeated search is the single search on seed 1
        assert repeated["partitions"][1] == pytest.approx(single["accuracy_mean"])
        assert repeated["scores"][3:6] == single["scores"]
        assert repeated["accuracy_mean"] == pytest.approx(np.mean(repeated["partitions"]))
    with pytest.raises(ValueError, match="distinct partition seeds"):
        search["search"](trained_timeseries_run, pools=("mean",), folds=3, seeds=(0, 0))
    with pytest.raises(ValueError, match="distinct partition seeds"):
        search["search"](trained_timeseries_run, pools=("mean",), folds=3, seeds=())
    log = tmp_path / "search.jsonl"
    monkeypatch.setattr(sys, "argv", ["timeseries_recipe_search.py", str(trained_timeseries_run), "--folds", "3",
                                      "--seeds", "0", "1", "--log", str(log)])
    runpy.run_path(str(SCRIPT), run_name="__main__")
    record = json.loads(log.read_text().splitlines()[-1])
    assert record["seeds"] == [0, 1] and all(len(s["partitions"]) == 2 for s in record["cv"]["mean"].values())
    out = capsys.readouterr().out
    assert "3-fold CV x 2 partitions (seeds 0 1)" in out and out.count(" / ") == 3
