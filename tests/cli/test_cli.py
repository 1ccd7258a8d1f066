"""The command line through Typer's runner: train, eval, embed, modalities, user errors."""

import json

import numpy as np
from typer.testing import CliRunner

from jepa_domains.cli.app import app

runner = CliRunner()


def test_modalities_lists_builtins():
    result = runner.invoke(app, ["modalities"])
    assert result.exit_code == 0
    for name in ("audio", "graph", "pointcloud", "timeseries", "trajectory"):
        assert name in result.output


def test_train_quick_eval_and_embed(tmp_path):
    run = tmp_path / "run"
    result = runner.invoke(app, ["train", "timeseries", "--quick", "--out", str(run), "--data", "GunPoint",
                                 "--set", "train.steps=4", "--set", "train.progress=false"])
    assert result.exit_code == 0, result.output
    assert "done: 4 steps" in result.output
    result = runner.invoke(app, ["eval", str(run), "--task", "classify"])
    assert result.exit_code == 0, result.output
    rows = json.loads((run / "eval-classify.json").read_text())
    methods = {(r["method"], r["probe"]) for r in rows}
    assert {("jepa", "logistic"), ("random_init", "logistic"), ("features", "knn")} <= methods
    assert all(0.0 <= r["value"] <= 1.0 for r in rows)
    out = tmp_path / "emb.npz"
    result = runner.invoke(app, ["embed", str(run), "--split", "test", "--out", str(out)])
    assert result.exit_code == 0, result.output
    arrays = np.load(out)
    assert arrays["X"].shape == (150, 64) and arrays["y"].shape == (150,)
    assert arrays["ids"][0] == "GunPoint_TEST.ts:0"


def test_user_errors_are_one_line(tmp_path):
    for args, needle in (
        (["train", "nosuchmodality"], "unknown modality 'nosuchmodality'; known: audio"),
        (["train", "timeseries", "--set", "model.depht=2"], "unknown key 'model.depht'"),
        (["train", "timeseries", "--data", "NoSuchSet"], "unknown time-series dataset 'NoSuchSet'"),
        (["train", "timeseries", "--data", "ETTh1"], "needs --data-root or JEPA_DOMAINS_DATA"),
        (["eval", str(tmp_path / "missing")], "no checkpoint"),
    ):
        result = runner.invoke(app, args, env={"JEPA_DOMAINS_DATA": ""})
        assert result.exit_code == 2, (args, result.output)
        assert needle in result.output
        assert "Traceback" not in result.output
