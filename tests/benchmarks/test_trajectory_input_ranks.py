"""benchmarks/trajectory_input_ranks.py: which input channels move under down-sampling, training split only."""

import runpy
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "trajectory_input_ranks.py"


def test_input_ranks_read_the_training_split_with_the_recipe_tokens(trajectory_script, monkeypatch, capsys):
    script, splits = trajectory_script("trajectory_input_ranks")
    r = script["input_ranks"](None, windows=(1, 4), rates=(0.0, 0.5), num_queries=40, num_database=120)
    assert splits == ["train"] and r["dataset"] == "synthetic" and (r["queries"], r["database"]) == (40, 120)
    ranks = r["ranks"]
    assert list(ranks) == ["positions", "turn_heading", "time_w1", "time_w4"]
    assert all(len(v) == 2 and all(1.0 <= x <= 120 for x in v) for v in ranks.values())
    # the recipe's arc-length positions find the twin at both rates; the time channels of one
    # segment are the least stable inputs at rate 0.5, and reading them over 4 segments helps
    assert ranks["positions"][1] < 1.1
    assert ranks["time_w4"][1] < ranks["time_w1"][1] and ranks["time_w1"][1] > ranks["time_w1"][0]


def test_recipe_config_applies_the_recipe_then_overrides():
    script = runpy.run_path(str(SCRIPT))
    cfg = script["recipe_config"]("t-jepa-robust", ["modality.time_window=4"])
    assert (cfg.resample, cfg.max_points, cfg.cells_per_track, cfg.time_window) == ("arclength", 64, 64.0, 4)
    assert script["recipe_config"](None).resample == "index"
    with pytest.raises(Exception, match="no trajectory recipe of that name"):
        script["recipe_config"]("nope")
    with pytest.raises(ValueError, match="modality.inputs='geometry' has no time channels"):
        script["input_ranks"](None, overrides=["modality.inputs=geometry"])


def test_input_ranks_prints_one_line_per_group(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["trajectory_input_ranks.py", "--windows", "1", "--rates", "0", "0.3"])
    runpy.run_path(str(SCRIPT), run_name="__main__")
    out = capsys.readouterr().out
    assert "synthetic: 100 queries, 256-track database (training split)" in out
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["positions", "turn_heading", "time_w1"]
