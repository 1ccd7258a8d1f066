"""Report tables from hand-made results: seed statistics, deltas and anchor matching."""

import pytest

from jepa_domains.benchmarks.harness.report import build_tables, render_html, render_markdown


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
