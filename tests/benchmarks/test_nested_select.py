"""benchmarks/nested_select.py: per-fold choice among bench entries from training-part scores."""

import json
import re
import runpy
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "nested_select.py"


def write_rows(out: Path, entry: str, *, jepa: float, inner: float, random_init: float, seeds=(0, 1, 2), folds=4):
    rows = []
    for seed in seeds:
        for fold in range(folds):
            for encoder in ("context", "target"):
                base = {"entry": entry, "dataset": "D", "seed": seed, "fold": fold, "probe": "logistic",
                        "encoder": encoder, "metric": "accuracy"}
                rows += [{**base, "method": "jepa", "value": jepa + 0.01 * fold, "inner_accuracy": inner},
                         {**base, "method": "random_init", "value": random_init + 0.005 * fold, "inner_accuracy": 0.5}]
    (out / "rows").mkdir(parents=True)
    (out / "rows" / f"{entry}__s0__classify_cv.json").write_text(json.dumps({"rows": rows}))


def run(monkeypatch, *argv):
    monkeypatch.setattr(sys, "argv", ["nested_select.py", *map(str, argv)])
    return runpy.run_path(str(SCRIPT), run_name="__main__")


def test_the_entry_with_the_better_inner_score_is_chosen_and_judged_against_its_own_twin(tmp_path, monkeypatch, capsys):
    write_rows(tmp_path / "a", "A", jepa=0.90, inner=0.60, random_init=0.50)    # best on the test folds
    write_rows(tmp_path / "b", "B", jepa=0.70, inner=0.80, random_init=0.60)    # best on the training parts
    with pytest.raises(SystemExit) as done:
        run(monkeypatch, tmp_path / "a", tmp_path / "b", "--entries", "A", "B")
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "12 (seed, fold) units" in out and "B [context]: 12" in out and "A [" not in out
    assert re.search(r"jepa\s+71\.5 ", out) and re.search(r"random_init\s+60\.[78] ", out)
    assert "vs random_init" in out and "-> better" in out


def test_missing_folders_and_scores_are_one_line_errors(tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit, match="has no rows/"):
        run(monkeypatch, tmp_path / "empty", "--entries", "A")
    write_rows(tmp_path / "a", "A", jepa=0.9, inner=None, random_init=0.5)
    with pytest.raises(SystemExit, match=r"A \[context\] has no inner_accuracy"):
        run(monkeypatch, tmp_path / "a", "--entries", "A")
