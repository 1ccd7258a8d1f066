"""Report tables from hand-made results: seed statistics, deltas and anchor matching."""

import base64
import json

import pytest

from jepa_domains.benchmarks.harness.report import build_tables, render_html, render_markdown, summary_text


def _rows():
    rows = []
    for seed, (j96, j192, l96, l192) in enumerate([(0.40, 0.45, 0.42, 0.50), (0.44, 0.47, 0.42, 0.50)]):
        for method, h, v in (("jepa", 96, j96), ("jepa", 192, j192), ("linear_raw", 96, l96), ("linear_raw", 192, l192)):
            rows.append({"entry": "ett", "task": "forecast", "dataset": "ETTh1", "method": method, "horizon": h,
                         "metric": "mse", "value": v, "seed": seed})
    return rows


RESULTS = {
    "suite": "hand", "description": "made up", "rows": _rows(), "errors": [], "skipped": [],
    "environment": {"device": "cpu"}, "runs": {},
    "entries": {"ett": {"baselines": ["linear_raw", "naive_last"], "anchors": [
        {"task": "forecast", "metric": "mse", "horizon": 96, "value": 0.370, "std": None, "method": "jepa",
         "dataset": None, "probe": None, "provenance": "memory", "citation": "PatchTST/64"},
        {"task": "forecast", "metric": "mse", "horizon": 192, "value": 0.49, "std": None, "method": "linear_raw",
         "dataset": "ETTh1", "probe": None, "provenance": "measured", "citation": "a linear model elsewhere"}]}},
}


def test_deltas_and_anchors_by_horizon():
    (table,) = build_tables(RESULTS, with_plots=False)
    # naive_last is a listed baseline without rows here: no column for it
    assert table.header == ["dataset", "setting", "metric", "seeds", "jepa", "linear_raw", "Δ jepa−linear_raw",
                            "published", "Δ to published"]
    h96, h192 = table.rows
    assert h96[:5] == ["ETTh1", "horizon=96", "mse", "2", f"0.4200 ± {0.02828427:.4f}"]
    assert h96[5] == "0.4200 ± 0.0000"
    assert h96[6] == "0.0000"
    assert h96[7] == "0.3700 (memory)" and h96[8] == "0.0500"
    # the 192 anchor describes the linear baseline, so it is compared with that method
    assert h192[6] == f"{0.46 - 0.50:.4f}"
    assert h192[7] == "0.4900 [linear_raw]" and h192[8] == "0.0100 [linear_raw]"


def test_renderers_show_errors_and_citations():
    results = dict(RESULTS, errors=[{"entry": "ett", "seed": 1, "task": "forecast", "error": "ValueError: bad"}],
                   skipped=["real: needs --data-root or JEPA_DOMAINS_DATA"])
    tables = build_tables(results, with_plots=False)
    md, page = render_markdown(results, tables, None), render_html(results, tables, None)
    for text in (md, page):
        assert "ValueError: bad" in text and "needs --data-root" in text
        assert "PatchTST/64 [memory]" in text and "a linear model elsewhere [measured]" in text
    assert page.startswith("<!DOCTYPE html>") and "<table>" in page and "<img" not in page
    assert "| ETTh1 | horizon=96 | mse | 2 |" in md


@pytest.mark.parametrize("seeds", [1, 3])
def test_single_seed_has_no_spread(seeds):
    rows = [dict(r, seed=s) for r in _rows()[:1] for s in range(seeds)]
    (table,) = build_tables(dict(RESULTS, rows=rows), with_plots=False)
    assert table.rows[0][4] == ("0.4000" if seeds == 1 else "0.4000 ± 0.0000")


def _accuracy_rows(jepa, base, chance=0.5):
    rows = []
    for seed, (j, b) in enumerate(zip(jepa, base)):
        for method, v in (("jepa", j), ("random_init", b), ("chance", chance)):
            rows.append({"entry": "ts", "task": "classify", "dataset": "GunPoint", "method": method,
                         "probe": "-" if method == "chance" else "logistic", "encoder": "context",
                         "metric": "accuracy", "value": v, "seed": seed})
    return rows


def test_verdicts_under_each_table_and_chance_as_a_line(monkeypatch):
    from jepa_domains.benchmarks.harness import plots

    seen = {}
    monkeypatch.setattr(plots, "score_bars", lambda *a, **k: seen.update(methods=a[2], chance=k.get("chance")) or "png")
    rows = _accuracy_rows([0.80, 0.84, 0.79, 0.86], [0.60, 0.62, 0.61, 0.63])
    results = dict(RESULTS, rows=rows, entries={"ts": {"baselines": ["random_init"], "anchors": []}})
    (table,) = build_tables(results, with_plots=True)
    (line,) = table.verdicts
    assert line.startswith("verdict: ts GunPoint classify logistic [context]: jepa 0.823 vs random_init 0.615: +0.208")
    assert "(paired_t, 4 units) -> better than random_init" in line
    # chance is drawn as a line at its value, not as a bar
    assert "chance" not in seen["methods"] and list(seen["chance"].values()) == [0.5]
    md = render_markdown(results, [table], None)
    assert f"- `{line}`" in md and "majority-class share" in md
    assert line in summary_text(results, [table])


def test_collapsed_runs_are_flagged_and_online_probes_plotted(tmp_path):
    from jepa_domains.benchmarks.harness import plots
    from jepa_domains.benchmarks.harness.report import collapsed_runs

    runs = {}
    for i, collapsed in enumerate((True, False, None)):
        run = tmp_path / f"run{i}"
        run.mkdir()
        summary = {"steps": 4} if collapsed is None else {
            "steps": 4, "collapse": {"collapsed": collapsed, "reasons": ["target std 1e-05 < 0.01"] if collapsed else []}}
        (run / "run.json").write_text(json.dumps(summary))
        runs[f"k{i}"] = {"run_dir": str(run), "entry": "ts", "seed": i}
    assert collapsed_runs({"runs": runs}) == [f"ts seed 0 (run0): target std 1e-05 < 0.01"]
    results = dict(RESULTS, runs=runs)
    assert "**collapsed** pretraining run ts seed 0 (run0)" in render_markdown(results, [], None)
    assert "collapsed pretraining run ts seed 0" in render_html(results, [], None)
    assert plots.online_probe_curves(runs) is None                   # no metrics.csv: nothing to plot
    (tmp_path / "run0" / "metrics.csv").write_text(
        "step,name,value\n0,probe_knn,0.4\n0,loss,1.0\n5,probe_knn,0.7\n10,probe_knn,0.8\n0,probe_linear,0.5\n")
    png = plots.online_probe_curves(runs)
    assert png is not None and len(base64.b64decode(png)) > 1000
