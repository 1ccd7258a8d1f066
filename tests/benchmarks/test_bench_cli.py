"""`jepa-domains bench list|run|report` through Typer's runner."""

import yaml
from typer.testing import CliRunner

from jepa_domains.cli.app import app

TINY = {"train.steps": 3, "model.dim": 32, "model.depth": 1, "model.num_heads": 2, "model.pred_dim": 16,
        "model.pred_depth": 1, "model.pred_heads": 2, "optim.warmup_steps": 1, "data.batch_size": 16}

runner = CliRunner()


def test_bench_list_shows_every_shipped_suite():
    result = runner.invoke(app, ["bench", "list"])
    assert result.exit_code == 0, result.output
    for name in ("quick", "paper", "audio", "graph", "pointcloud", "timeseries", "trajectory"):
        assert f"\n{name} " in "\n" + result.output


def test_bench_run_then_report(tmp_path):
    suite = tmp_path / "mini.yaml"
    suite.write_text(yaml.safe_dump({"name": "mini", "entries": [
        {"name": "ts", "modality": "timeseries", "dataset": "GunPoint", "pretrain": dict(TINY),
         "tasks": [{"task": "classify", "options": {"probes": ["logistic"]}}], "seeds": [0, 1]},
        {"name": "other", "modality": "timeseries", "dataset": "GunPoint", "pretrain": dict(TINY),
         "tasks": [{"task": "classify"}]}]}))
    out = tmp_path / "out"
    result = runner.invoke(app, ["bench", "run", str(suite), "--only", "ts", "--seeds", "3", "--out", str(out),
                                 "--no-progress", "--no-plots"])
    assert result.exit_code == 0, result.output
    assert "4 rows (1 cells computed, 0 reused, 0 failed)" in result.output   # one seed (3), one probe, 3 methods + chance
    # one seed, one split: the verdicts pair test samples
    assert "verdict: ts GunPoint classify logistic [context]: jepa " in result.output
    assert "(mcnemar_exact, 150 samples)" in result.output
    assert (out / "rows" / "ts__s3__classify.json").is_file() and not list((out / "rows").glob("other*"))
    (out / "report.md").unlink()
    result = runner.invoke(app, ["bench", "report", str(out), "--no-plots"])
    assert result.exit_code == 0, result.output
    assert "ts · classify" in (out / "report.md").read_text()


def test_bench_user_errors_are_one_line(tmp_path):
    result = runner.invoke(app, ["bench", "run", "no-such-suite"])
    assert result.exit_code == 2 and "unknown suite 'no-such-suite'" in result.output
    result = runner.invoke(app, ["bench", "run", "quick", "--only", "sound", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--only 'sound' matches no entry" in result.output
    result = runner.invoke(app, ["bench", "report", str(tmp_path / "empty")])
    assert result.exit_code == 2 and "no results.json" in result.output
