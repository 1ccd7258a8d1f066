"""Trained work is never lost: reruns onto an existing run, signals, finished runs, corrupt and
partial checkpoints."""

import os
import signal
import subprocess
import sys
import time

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
