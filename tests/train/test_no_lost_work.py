"""Trained work is never lost: reruns onto an existing run, signals, finished runs, corrupt and
partial checkpoints."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from jepa_domains.cli.app import app
from jepa_domains.train import checkpoint as ckpt
from jepa_domains.train.config import ConfigError, resolve
from jepa_domains.train.trainer import RunFinishedError, Trainer
from tests.conftest import TINY

runner = CliRunner()
CLI_TINY = [a for o in TINY for a in ("--set", o)] + ["--data", "GunPoint", "--set", "data.batch_size=8",
                                                        "--set", "train.probe_every=0"]


def ts_config(*extra):
    return resolve("timeseries", overrides=TINY + ["train.steps=4", "data.batch_size=8", "data.source=GunPoint",
                                                   "train.checkpoint_every=2", "train.probe_every=0", *extra])


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("finished") / "run"
    Trainer(ts_config(), run_dir=run).fit()
    return run


def snapshot(run):
    return {p.relative_to(run): p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()}


def test_two_checkpoints_are_kept_and_a_corrupt_last_falls_back_to_the_previous(finished_run, tmp_path):
    folder = finished_run / "checkpoints"
    assert sorted(p.name for p in folder.iterdir()) == ["last.pt", "previous.pt"]
    assert ckpt.load(finished_run)["step"] == 4 and ckpt.read_file(folder / "previous.pt")["step"] == 2
    copy = tmp_path / "copy"
    (copy / "checkpoints").mkdir(parents=True)
    data = (folder / "last.pt").read_bytes()
    (copy / "checkpoints" / "last.pt").write_bytes(data[: len(data) // 2])          # truncated by a crash
    (copy / "checkpoints" / "previous.pt").write_bytes((folder / "previous.pt").read_bytes())
    with pytest.warns(UserWarning, match=r"last.pt: unreadable checkpoint .*using .*previous.pt \(step 2\)"):
        assert ckpt.load(copy)["step"] == 2


@pytest.mark.parametrize("content, message", [
    (b"", "empty file"),
    (os.urandom(4096), "not a checkpoint written by jepa-domains"),
    (None, "unreadable checkpoint"),                                              # truncated zip
])
def test_a_corrupt_checkpoint_is_one_line_naming_the_file(finished_run, tmp_path, content, message):
    data = (finished_run / "checkpoints" / "last.pt").read_bytes()
    bad = tmp_path / "bad.pt"
    bad.write_bytes(data[: len(data) // 3] if content is None else content)
    with pytest.raises(ckpt.CheckpointError, match=message) as err:
        ckpt.load(bad)
    assert str(bad) in str(err.value) and "\n" not in str(err.value)
    for command in (["eval", str(bad)], ["embed", str(bad), "--out", str(tmp_path / "e.npz")]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2 and result.output.startswith("error: ") and "Traceback" not in result.output


def test_resuming_a_finished_run_changes_nothing_and_extending_is_explicit(finished_run, tmp_path):
    before = snapshot(finished_run)
    with pytest.raises(RunFinishedError, match="finished its 4 steps"):
        Trainer(None, resume=finished_run).fit()
    result = runner.invoke(app, ["train", "timeseries", "--resume", str(finished_run)])
    assert result.exit_code == 0 and "nothing changed" in result.output
    assert snapshot(finished_run) == before
    with pytest.raises(ConfigError, match="must extend the run beyond step 4"):
        Trainer(None, resume=finished_run, overrides=["train.steps=3"])
    extended = tmp_path / "extended"
    Trainer(ts_config(), run_dir=extended).fit()
    assert Trainer(None, resume=extended, overrides=["train.steps=6"]).fit().steps == 6
    assert ckpt.load(extended)["config"]["train"]["steps"] == 6


def test_stale_partial_checkpoints_are_removed_when_a_run_starts(finished_run, tmp_path):
    run = tmp_path / "run"
    Trainer(ts_config(), run_dir=run).fit(stop_at=2)
    partial = run / "checkpoints" / "last.pt.abc123.tmp"
    partial.write_bytes(b"half a checkpoint")
    Trainer(None, resume=run).fit()
    assert not partial.exists() and ckpt.load(run)["step"] == 4


def test_out_onto_an_existing_run_refuses_unless_overwrite(finished_run, tmp_path):
    run = tmp_path / "run"
    assert runner.invoke(app, ["train", "timeseries", "--out", str(run), *CLI_TINY,
                               "--set", "train.steps=3"]).exit_code == 0
    before = snapshot(run)
    result = runner.invoke(app, ["train", "timeseries", "--out", str(run), *CLI_TINY, "--set", "train.steps=2"])
    assert result.exit_code == 2 and "--resume" in result.output and "--overwrite" in result.output
    assert snapshot(run) == before
    result = runner.invoke(app, ["train", "timeseries", "--out", str(run), *CLI_TINY, "--set", "train.steps=2",
                                 "--overwrite"])
    assert result.exit_code == 0, result.output
    assert ckpt.load(run)["step"] == 2
    steps = [line.split(",")[0] for line in (run / "metrics.csv").read_text().splitlines()[1:]]
    assert max(int(s) for s in steps) == 2                                  # no rows of the old run left


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_after_a_step_with_a_checkpoint_and_says_how_to_resume(tmp_path, signum):
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "jepa_domains.cli.app", "train", "timeseries", "--out", str(run), *CLI_TINY,
           "--set", "train.steps=100000", "--set", "train.log_every=1", "--set", "train.checkpoint_every=100000"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + 120
    while not ((run / "metrics.csv").is_file() and len((run / "metrics.csv").read_text().splitlines()) > 20):
        assert proc.poll() is None and time.time() < deadline, proc.communicate()
        time.sleep(0.2)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signum, out + err
    assert f"{signal.Signals(signum).name} at step" in err and f"--resume {run}" in err
    assert "Traceback" not in err
    step = ckpt.load(run)["step"]
    assert 1 <= step < 100000                       # the step it stopped at, not the 100000-step interval
    assert not list((run / "checkpoints").glob("*.tmp"))
    resumed = Trainer(None, resume=run).fit(stop_at=step + 1)                 # and it continues
    assert resumed.steps == step + 1
    assert torch.load(run / "checkpoints" / "last.pt", weights_only=True)["step"] == step + 1


def overflowing_series(n=16, length=96):
    """Finite inputs whose magnitude (±3e38) overflows float32 arithmetic inside the model."""
    from jepa_domains.data.timeseries_readers import Series

    rng = np.random.default_rng(0)
    series = [Series(values=rng.normal(size=(1, length)).astype(np.float32), label=i % 2, id=f"mem:{i}")
              for i in range(n)]
    series[3].values[0, ::2] = 3e38
    series[3].values[0, 1::2] = -3e38
    return series


@pytest.mark.parametrize("mode", ["stop", "skip"])
def test_overflowing_input_reaches_the_nonfinite_guard_not_a_diagnostics_crash(tmp_path, mode):
    from jepa_domains.modalities.timeseries.datasets import SeriesDataset
    from jepa_domains.train.trainer import NonFiniteLossError

    dataset = SeriesDataset(overflowing_series(), description="overflow test")
    cfg = resolve("timeseries", overrides=TINY + ["train.steps=3", "data.batch_size=16", "train.diagnostics_every=1",
                                                  "train.probe_every=0", f"train.nonfinite={mode}"])
    trainer = Trainer(cfg, run_dir=tmp_path / mode, dataset=dataset)
    if mode == "stop":
        with pytest.raises(NonFiniteLossError, match=r"non-finite loss at step 0 .*samples \[.*3"):
            trainer.fit()
        return
    with pytest.warns(UserWarning, match="batch skipped"):
        result = trainer.fit()
    assert result.skipped_steps == 3
    metrics = tmp_path / mode / "metrics.csv"
    assert not metrics.exists() or "nan" not in metrics.read_text().lower()      # no NaN is ever logged


def test_resume_repairs_metrics_and_says_when_config_yaml_was_edited(tmp_path):
    run = tmp_path / "run"
    Trainer(ts_config("train.log_every=1"), run_dir=run).fit(stop_at=2)
    metrics = run / "metrics.csv"
    with metrics.open("a") as fh:               # a kill after step 2's checkpoint, mid-way through a row
        fh.write("3,loss,0.5\n3,lr,0.0")
    config = run / "config.yaml"
    config.write_text(config.read_text().replace("batch_size: 8", "batch_size: 4"))
    with pytest.warns(UserWarning, match=r"config.yaml was edited .*data.batch_size: 4 on disk, 8 in the checkpoint"):
        trainer = Trainer(None, resume=run)
    trainer.fit()
    rows = [line.split(",") for line in metrics.read_text().splitlines()[1:]]
    assert all(len(r) == 3 for r in rows)
    losses = [int(r[0]) for r in rows if r[1] == "loss"]
    assert losses == [1, 2, 3, 4]                                     # step 3 once, from the resumed run


def test_cli_user_mistakes_are_one_line_before_any_work(finished_run, tmp_path):
    cases = [
        (["eval", str(finished_run), "--option", "bogus=1"], "has no option 'bogus'"),
        (["train", "audio", "--resume", str(finished_run)], "is a 'timeseries' run, not 'audio'"),
        (["train", "timeseries", "--set", "data.batch_size=0"], "data.batch_size must be >= 1"),
        (["train", "timeseries", "--set", "train.nonfinite=bogus"], "train.nonfinite must be 'stop' or 'skip'"),
        (["train", "timeseries", "--out", str(finished_run / "run.json")], "exists and is not a directory"),
        (["embed", str(finished_run), "--out", str(finished_run / "run.json" / "e.npz")], "cannot create the folder"),
    ]
    for command, message in cases:
        result = runner.invoke(app, command)
        assert result.exit_code == 2, (command, result.output)
        assert message in result.output and "Traceback" not in result.output, (command, result.output)
    out = tmp_path / "emb"
    result = runner.invoke(app, ["embed", str(finished_run), "--split", "test", "--out", str(out)])
    assert result.exit_code == 0 and f"written to {out}.npz" in result.output and (tmp_path / "emb.npz").is_file()


def test_a_failed_checkpoint_write_names_the_file_and_keeps_the_previous(tmp_path, monkeypatch):
    run = tmp_path / "run"
    Trainer(ts_config(), run_dir=run).fit(stop_at=2)
    before = (run / "checkpoints" / "last.pt").read_bytes()

    def disk_full(*args, **kwargs):
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 123 vs 456")

    monkeypatch.setattr(torch, "save", disk_full)
    with pytest.raises(ckpt.CheckpointWriteError, match=r"cannot write checkpoint .*last.pt: .*unexpected pos"):
        Trainer(None, resume=run).fit()
    assert (run / "checkpoints" / "last.pt").read_bytes() == before
    assert not list((run / "checkpoints").glob("*.tmp"))


def test_run_json_names_what_the_reader_skipped_and_ignored(tmp_path):
    import json

    from jepa_domains.data.read_report import ReadReport
    from jepa_domains.modalities.timeseries.datasets import SeriesDataset

    series = overflowing_series()[4:]
    report = ReadReport(source="mem", read=len(series), skipped=[("mem:3", "values overflow float32")],
                        ignored=[("notes.txt", "not a series file")])
    dataset = SeriesDataset(series, description="mem", read_report=report)
    cfg = resolve("timeseries", overrides=TINY + ["train.steps=1", "data.batch_size=8", "train.probe_every=0"])
    Trainer(cfg, run_dir=tmp_path / "run", dataset=dataset).fit()
    summary = json.loads((tmp_path / "run" / "run.json").read_text())
    assert summary["skipped_samples"] == 1
    assert summary["data_report"] == {"read": 12, "skipped": 1, "ignored": 1,
                                      "skipped_names": ["mem:3: values overflow float32"],
                                      "ignored_names": ["notes.txt: not a series file"]}
