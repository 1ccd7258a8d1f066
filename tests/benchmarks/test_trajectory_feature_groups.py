"""benchmarks/trajectory_feature_groups.py: which per-track features carry the labels, training split only."""

import runpy
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "trajectory_feature_groups.py"


def test_feature_groups_read_the_training_split_only(trajectory_script, monkeypatch, capsys):
    script, splits = trajectory_script("trajectory_feature_groups")
    r = script["feature_groups"](None, seeds=(0,), folds=3, single=True)
    assert splits == ["train"] and r["dataset"] == "synthetic" and r["tracks"] == 256 and r["majority"] == 0.25
    groups = r["groups"]
    assert set(groups) == {"all", "sampling", "no_sampling", *script["FEATURE_NAMES"]}
    # the synthetic movement models are all recorded alike: the sampling statistics read nothing of
    # the class (chance 0.25), the motion features nearly all of it
    assert groups["sampling"] < 0.4 and groups["no_sampling"] > 0.9 and groups["all"] > 0.9
    monkeypatch.setattr(sys, "argv", ["trajectory_feature_groups.py", "--seeds", "0", "--folds", "3"])
    runpy.run_path(str(SCRIPT), run_name="__main__")
    out = capsys.readouterr().out
    assert "synthetic: 256 training tracks, majority class 0.250" in out and "no_sampling" in out
