"""The library logs instead of printing; the CLI chooses what is shown (--quiet / --verbose)."""

import logging

import pytest
from typer.testing import CliRunner

from jepa_domains.cli.app import app
from jepa_domains.logs import LIBRARY_LOGGER, get_logger, set_verbosity
from jepa_domains.train.progress import Progress

runner = CliRunner()
TINY = ["--set", "model.dim=16", "--set", "model.depth=1", "--set", "model.num_heads=2", "--set", "model.pred_dim=8",
        "--set", "model.pred_depth=1", "--set", "model.pred_heads=2", "--set", "optim.warmup_steps=1",
        "--set", "train.steps=6", "--set", "train.log_every=1", "--set", "train.probe_every=0",
        "--set", "data.batch_size=16"]


@pytest.fixture(autouse=True)
def default_verbosity():
    yield
    set_verbosity(logging.INFO)


def train(tmp_path, *flags):
    result = runner.invoke(app, [*flags, "train", "timeseries", "--out", str(tmp_path / "run"), "--data", "GunPoint",
                                 *TINY])
    assert result.exit_code == 0, result.output
    return result


def progress_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("[train timeseries]")]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_cli_default_quiet_and_verbose(tmp_path):
    default = train(tmp_path / "a")
    assert "done: 6 steps" in default.stdout and "[jepa-domains] timeseries: 50 training samples" in default.stderr
    assert [line.split()[3] for line in progress_lines(default.stderr)] == [f"{s}/6" for s in range(1, 7)]
    assert "[jepa-domains]" not in default.stdout and not progress_lines(default.stdout)   # stdout: results only
    quiet = train(tmp_path / "b", "--quiet")
    assert "done: 6 steps" in quiet.stdout
    assert not progress_lines(quiet.output) and "[jepa-domains] timeseries" not in quiet.output
    verbose = train(tmp_path / "c", "--verbose")
    assert len(progress_lines(verbose.stderr)) == 6 and "done: 6 steps" in verbose.stdout
    both = runner.invoke(app, ["--quiet", "--verbose", "modalities"])
    assert both.exit_code == 2 and "exclude each other" in both.output


def test_verbose_progress_shows_every_logged_step(capsys):
    def lines(level):
        set_verbosity(level)
        progress = Progress(total=300, desc="t", log_every=1)
        for _ in range(300):
            progress.update(1)
        progress.close()
        return [line for line in capsys.readouterr().err.splitlines() if line.startswith("[t] step")]

    assert len(lines(logging.INFO)) == 100          # at most about MAX_LINES by default
    assert len(lines(logging.DEBUG)) == 300         # every logged step with --verbose
    assert lines(logging.WARNING) == []             # --quiet: none


def test_library_messages_follow_the_level(capsys):
    log = get_logger("jepa_domains.tests")
    log.info("shown")
    set_verbosity(logging.WARNING)
    log.info("hidden")
    log.warning("warned")
    captured = capsys.readouterr()
    assert captured.err.splitlines() == ["shown", "warned"] and captured.out == ""
    assert logging.getLogger(LIBRARY_LOGGER).propagate is False
    with pytest.raises(ValueError, match="got 'loud'"):
        set_verbosity("loud")
