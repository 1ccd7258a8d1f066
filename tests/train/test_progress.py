"""Progress off a terminal: plain, bounded lines without carriage returns."""

import io

from jepa_domains.train.progress import Progress, format_line, line_interval
from jepa_domains.train.trainer import Trainer
from tests.train.test_trainer import ts_config


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_plain_lines_off_a_terminal():
    stream = io.StringIO()
    progress = Progress(total=200, desc="train audio", log_every=10, stream=stream)
    for step in range(1, 201):
        progress.set_metrics(loss=1.0 / step, lr=3e-4, samples_per_second=12.3)
        if step == 37:
            progress.set_metrics(probe_knn=0.61, probe_linear=0.7)
            progress.request_line()
        progress.update(1)
    progress.close()
    text = stream.getvalue()
    lines = text.splitlines()
    assert "\r" not in text and len(lines) == 21                      # every 10 steps, plus the probe step
    assert lines[0] == "[train audio] step 10/200 loss 0.1000 lr 3.0e-04 12.3 samples/s"
    assert lines[3].startswith("[train audio] step 37/200") and "probe_knn 0.610" in lines[3]
    assert lines[-1].startswith("[train audio] step 200/200")


def test_line_count_is_bounded_for_long_runs():
    assert line_interval(200, 10) == 10
    assert line_interval(100_000, 10) == 1000                          # 100 lines, not 10,000
    stream = io.StringIO()
    progress = Progress(total=5000, desc="t", log_every=1, stream=stream)
    for _ in range(5000):
        progress.update(1)
    progress.close()
    assert len(stream.getvalue().splitlines()) == 100


def test_a_terminal_gets_a_bar_and_disabled_prints_nothing():
    tty = FakeTerminal()
    progress = Progress(total=3, desc="t", log_every=1, stream=tty)
    assert progress.bar is not None and not progress.plain
    progress.update(3)
    progress.close()
    silent = io.StringIO()
    progress = Progress(total=3, desc="t", log_every=1, enabled=False, stream=silent)
    progress.update(3)
    progress.close()
    assert silent.getvalue() == ""
    assert format_line("x", 1, 2, {}) == "[x] step 1/2"


def test_trainer_progress_in_a_pipe(tmp_path, capsys):
    Trainer(ts_config("train.steps=6", "train.progress=true", "train.log_every=2", "train.probe_every=0"),
            run_dir=tmp_path / "r").fit()
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("[train timeseries]")]
    assert "\r" not in err
    assert [line.split()[3] for line in lines] == ["2/6", "4/6", "6/6"]
