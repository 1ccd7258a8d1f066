"""benchmarks/graph_wl_baseline.py: the normalised WL kernel SVM, timed per fold."""

import re
import runpy
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "graph_wl_baseline.py"


def test_wl_baseline_script_times_and_scores_generated_graphs(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["graph_wl_baseline.py", "--datasets", "synthetic:80", "--folds", "2"])
    runpy.run_path(str(SCRIPT), run_name="__main__")
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("synthetic:80"))
    graphs, wl_s, cv_s, per_fold, acc, _, std = row.split()[1:]
    assert int(graphs) == 80 and abs(2 * float(per_fold) - float(cv_s)) <= 0.2
    assert 25.0 < float(acc) <= 100.0 and re.fullmatch(r"\d+\.\d", std)   # 4 families: well above chance
