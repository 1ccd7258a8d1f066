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
    assert {r["encoder"] for r in rows} == {"context"}                    # the modality's default
    assert "verdict: GunPoint classify logistic [context]: jepa " in result.output
    verdicts = json.loads((run / "eval-classify.verdicts.json").read_text())
    assert {(v["baseline"], v["test"]) for v in verdicts} >= {("random_init", "mcnemar_exact"), ("features", "mcnemar_exact")}
    assert all(v["word"] in ("better", "level", "worse") for v in verdicts)
    out = tmp_path / "emb.npz"
    result = runner.invoke(app, ["embed", str(run), "--split", "test", "--out", str(out)])
    assert result.exit_code == 0, result.output
    arrays = np.load(out)
    assert arrays["X"].shape == (150, 64) and arrays["y"].shape == (150,)
    assert arrays["ids"][0] == "GunPoint_TEST.ts:0"
    assert str(arrays["encoder"]) == "context"


def test_eval_and_embed_both_encoders(trained_timeseries_run, tmp_path):
    target = tmp_path / "rows.json"
    result = runner.invoke(app, ["eval", str(trained_timeseries_run), "--encoder", "both", "--out", str(target),
                                 "--option", "probes=[knn]"])
    assert result.exit_code == 0, result.output
    rows = json.loads(target.read_text())
    assert {(r["encoder"], r["method"]) for r in rows} == {
        (e, m) for e in ("context", "target") for m in ("jepa", "random_init", "features", "chance")}
    lines = [line for line in result.output.splitlines() if line.startswith("verdict:")]
    assert len(lines) == 4 and sum("[target]" in line for line in lines) == 2
    assert all("-> " in line and " vs " in line for line in lines)
    out = tmp_path / "both.npz"
    result = runner.invoke(app, ["embed", str(trained_timeseries_run), "--split", "test", "--out", str(out),
                                 "--encoder", "both"])
    assert result.exit_code == 0, result.output
    arrays = np.load(out)
    assert arrays["X_context"].shape == arrays["X_target"].shape == arrays["X"].shape
    np.testing.assert_array_equal(arrays["X"], arrays["X_context"])
    assert not np.allclose(arrays["X_context"], arrays["X_target"], atol=1e-4)
    result = runner.invoke(app, ["embed", str(trained_timeseries_run), "--out", str(out), "--encoder", "ema"])
    assert result.exit_code == 2 and "got 'ema'" in result.output and "Traceback" not in result.output


def test_eval_layers_option(trained_timeseries_run, tmp_path):
    """``--option layers=K`` reaches the protocol; a K the encoder does not have is one line."""
    target = tmp_path / "rows.json"
    result = runner.invoke(app, ["eval", str(trained_timeseries_run), "--out", str(target),
                                 "--option", "probes=[knn]", "--option", "layers=2"])
    assert result.exit_code == 0, result.output
    assert {r["method"] for r in json.loads(target.read_text())} >= {"jepa", "random_init"}
    result = runner.invoke(app, ["eval", str(trained_timeseries_run), "--option", "layers=3"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "layers must lie in [1, depth + 1 = 2]" in result.output


def test_user_errors_are_one_line(tmp_path):
    for args, needle in (
        (["train", "nosuchmodality"], "unknown modality 'nosuchmodality'; known: audio"),
        (["train", "timeseries", "--set", "model.depht=2"], "unknown key 'model.depht'"),
        (["train", "timeseries", "--data", "NoSuchSet"], "unknown time-series dataset 'NoSuchSet'"),
        (["train", "timeseries", "--data", "ETTh1"], "needs --data-root or JEPA_DOMAINS_DATA"),
        (["eval", str(tmp_path / "missing")], "no checkpoint"),
        (["eval", str(tmp_path / "missing"), "--encoder", "ema"], "no checkpoint"),
    ):
        result = runner.invoke(app, args, env={"JEPA_DOMAINS_DATA": ""})
        assert result.exit_code == 2, (args, result.output)
        assert needle in result.output
        assert "Traceback" not in result.output
