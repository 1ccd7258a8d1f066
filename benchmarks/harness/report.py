"""Reports of a suite run, rendered from ``results.json`` alone (so ``bench report DIR`` can
redo them): per entry and task, mean ± std over seeds of every method, the delta of the JEPA
encoder to each baseline and to the published anchor, the paired verdict of the JEPA encoder
against each baseline (:mod:`jepa_domains.eval.verdicts`), the chance level, runs flagged as
collapsed, plus the training, online-probe and score plots. Written as Markdown and as one
standalone HTML page (plots embedded as base64 PNG)."""

from __future__ import annotations

import base64
import html
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from jepa_domains.benchmarks.harness import plots
from jepa_domains.benchmarks.harness.runner import load_results
from jepa_domains.eval.verdicts import verdicts

VARIANT_KEYS = ("protocol", "probe", "encoder", "horizon")
CHANCE = "chance"


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[str]]
    plot: str | None = None  # base64 PNG
    verdicts: list[str] = field(default_factory=list)   # "verdict: ..." lines


def variant(row: dict[str, Any]) -> str:
    """The protocol setting that splits a metric (probe, horizon), e.g. ``"probe=knn"``."""
    parts = [f"{k}={row[k]}" for k in VARIANT_KEYS if row.get(k) not in (None, "", "-")]
    return " ".join(parts) or "-"


def aggregate(rows: list[dict[str, Any]]) -> dict[tuple, dict[str, float]]:
    """``{(entry, task, dataset, variant, metric, method): {mean, std, n}}`` over seeds
    (std: sample standard deviation, 0 for one seed)."""
    values: dict[tuple, list[float]] = defaultdict(list)
    for r in rows:
        key = (r["entry"], r["task"], r["dataset"], variant(r), r["metric"], r["method"])
        values[key].append(float(r["value"]))
    out = {}
    for key, vals in values.items():
        arr = np.asarray(vals, dtype=float)
        out[key] = {"mean": float(arr.mean()), "std": float(arr.std(ddof=1)) if arr.size > 1 else 0.0,
                    "n": int(arr.size)}
    return out


def _fmt(value: float | None, std: float | None = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.4f}" if std is None else f"{value:.4f} ± {std:.4f}"


def _anchor_for(anchors: list[dict[str, Any]], task: str, dataset: str, var: str, metric: str) -> dict | None:
    for a in anchors:
        if a["task"] != task or a["metric"] != metric:
            continue
        if a.get("dataset") not in (None, dataset):
            continue
        if a.get("horizon") is not None and f"horizon={a['horizon']}" not in var.split():
            continue
        if a.get("probe") is not None and f"probe={a['probe']}" not in var.split():
            continue
        return a
    return None


def build_tables(results: dict[str, Any], *, with_plots: bool = True) -> list[Table]:
    """One table per (entry, task): rows = dataset x setting x metric, columns = methods,
    deltas (jepa − baseline) and the anchor; below it, the paired verdicts of ``jepa`` against
    every other method. In the bar plots the ``chance`` method is a line, not a bar."""
    stats = aggregate(results["rows"])
    entries = results.get("entries", {})
    found = verdicts(results["rows"])
    tables = []
    for entry, task in dict.fromkeys((k[0], k[1]) for k in stats):
        info = entries.get(entry, {})
        keys = [k for k in stats if k[0] == entry and k[1] == task]
        methods = list(dict.fromkeys(k[5] for k in keys))
        methods.sort(key=lambda m: (m != "jepa", m))
        baselines = [b for b in info.get("baselines", []) if b in methods and b != "jepa"]
        anchors = info.get("anchors", [])
        groups = list(dict.fromkeys(k[2:5] for k in keys))
        header = ["dataset", "setting", "metric", "seeds", *methods, *(f"Δ jepa−{b}" for b in baselines),
                  "published", "Δ to published"]
        body, bar_stats, bar_anchor, bar_chance = [], {}, {}, {}
        for dataset, var, metric in groups:
            cells = {m: stats.get((entry, task, dataset, var, metric, m)) for m in methods}
            n = max((c["n"] for c in cells.values() if c), default=0)
            row = [dataset, var, metric, str(n)]
            # one seed has no spread to show
            row += [_fmt(c["mean"], c["std"] if c["n"] > 1 else None) if c else "—" for c in cells.values()]
            jepa = cells.get("jepa")
            for b in baselines:
                row.append(_fmt(jepa["mean"] - cells[b]["mean"]) if jepa and cells.get(b) else "—")
            anchor = _anchor_for(anchors, task, dataset, var, metric)
            if anchor and cells.get(anchor.get("method", "jepa")) is None:
                anchor = None  # that method has no row in this setting (e.g. another probe)
            if anchor:
                # the anchor may describe a baseline (e.g. a classical figure), compared with that method
                method = anchor.get("method", "jepa")
                mark = " (memory)" if anchor["provenance"] == "memory" else ""
                who = "" if method == "jepa" else f" [{method}]"
                row.append(_fmt(anchor["value"], anchor.get("std")) + mark + who)
                ours = cells.get(method)
                row.append(_fmt(ours["mean"] - anchor["value"]) + who if ours else "—")
            else:
                row += ["—", "—"]
            body.append(row)
            label = f"{dataset} {var} {metric}".replace(" -", "")
            for m, c in cells.items():
                if c and m != CHANCE:
                    bar_stats[(label, m)] = (c["mean"], c["std"])
            if cells.get(CHANCE):
                bar_chance[label] = cells[CHANCE]["mean"]
            if anchor:
                bar_anchor[label] = anchor["value"]
        plot = None
        if with_plots and bar_stats:
            labels = list(dict.fromkeys(g for g, _ in bar_stats))
            plot = plots.score_bars(f"{entry} · {task}", labels, [m for m in methods if m != CHANCE], bar_stats,
                                    bar_anchor, chance=bar_chance)
        lines = [v.line() for v in found if v.group.get("entry") == entry and v.group.get("task") == task]
        tables.append(Table(title=f"{entry} · {task}", header=header, rows=body, plot=plot, verdicts=lines))
    return tables


def collapsed_runs(results: dict[str, Any]) -> list[str]:
    """Runs whose ``run.json`` says ``"collapse": {"collapsed": true, "reasons": [...]}`` (an
    optional key), as ``"<entry> seed <s> (<run folder>): <reasons>"``."""
    flagged = []
    for info in results.get("runs", {}).values():
        try:
            summary = json.loads((Path(info["run_dir"]) / "run.json").read_text())
        except (OSError, ValueError, KeyError):
            continue
        collapse = summary.get("collapse") if isinstance(summary, dict) else None
        if isinstance(collapse, dict) and collapse.get("collapsed") is True:
            details = "; ".join(str(r) for r in collapse.get("reasons") or [])
            flagged.append(f"{info.get('entry', '?')} seed {info.get('seed', '?')} ({Path(info['run_dir']).name})"
                           + (f": {details}" if details else ""))
    return flagged


def _citations(results: dict[str, Any]) -> list[str]:
    seen = []
    for name, info in results.get("entries", {}).items():
        for a in info.get("anchors", []):
            text = f"{a['citation']} [{a['provenance']}]"
            if text not in seen:
                seen.append(text)
    return seen


def render_markdown(results: dict[str, Any], tables: list[Table], curves: str | None,
                    link: Any = None, probes: str | None = None) -> str:
    """Markdown report; ``link(name, png_base64) -> str`` places an image (default: a data URI,
    which not every Markdown viewer shows; :func:`write_report` saves PNG files instead)."""
    link = link or (lambda name, data: f"data:image/png;base64,{data}")
    env = results.get("environment", {})
    lines = [f"# Benchmark report: suite `{results['suite']}`", "", results.get("description", ""), "",
             f"- written {results.get('written', '?')}; wall time of the last invocation "
             f"{results.get('wall_seconds_last_invocation', 0):.1f} s",
             "- environment: " + ", ".join(f"{k} {v}" for k, v in env.items()),
             f"- {len(results['rows'])} result rows; {len(results.get('errors', []))} failed cells; "
             f"{len(results.get('skipped', []))} skipped entries", ""]
    for err in results.get("errors", []):
        lines.append(f"- **failed** {err['entry']} seed {err['seed']} {err['task']}: {err['error']}")
    for msg in collapsed_runs(results):
        lines.append(f"- **collapsed** pretraining run {msg}")
    for msg in results.get("skipped", []):
        lines.append(f"- skipped {msg}")
    lines.append("")
    lines.append("Values are mean ± sample std over seeds (and folds); Δ columns are raw differences "
                 "(for mse/mae lower is better, for accuracy higher is better). `chance` is the majority-class "
                 "share of the test part (dashed line in the plots). Verdicts pair jepa with each baseline over "
                 "seeds x folds (paired t-test) or, for one split and one seed, over test samples (McNemar); "
                 "see docs/evaluation.md.")
    for table in tables:
        lines += ["", f"## {table.title}", "", "| " + " | ".join(table.header) + " |",
                  "|" + "---|" * len(table.header)]
        lines += ["| " + " | ".join(r) + " |" for r in table.rows]
        if table.verdicts:
            lines += [""] + [f"- `{v}`" for v in table.verdicts]
        if table.plot:
            lines += ["", f"![{table.title}]({link(table.title, table.plot)})"]
    if curves:
        lines += ["", "## Pretraining curves", "", f"![pretraining]({link('pretraining', curves)})"]
    if probes:
        lines += ["", "## Online probes", "", f"![online probes]({link('online_probes', probes)})"]
    cites = _citations(results)
    if cites:
        lines += ["", "## Published anchors", ""] + [f"- {c}" for c in cites]
    return "\n".join(lines) + "\n"


def render_html(results: dict[str, Any], tables: list[Table], curves: str | None, probes: str | None = None) -> str:
    esc = html.escape
    env = results.get("environment", {})
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'>",
             f"<title>jepa-domains bench: {esc(results['suite'])}</title>",
             "<style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;"
             "font-size:13px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
             "td:first-child,td:nth-child(2),td:nth-child(3){text-align:left}th{background:#eee}"
             ".err{color:#b00}</style></head><body>",
             f"<h1>Benchmark report: suite <code>{esc(results['suite'])}</code></h1>",
             f"<p>{esc(results.get('description', ''))}</p><ul>",
             f"<li>written {esc(str(results.get('written', '?')))}; wall time of the last invocation "
             f"{results.get('wall_seconds_last_invocation', 0):.1f} s</li>",
             "<li>environment: " + esc(", ".join(f"{k} {v}" for k, v in env.items())) + "</li>",
             f"<li>{len(results['rows'])} result rows</li></ul>"]
    for err in results.get("errors", []):
        parts.append(f"<p class='err'>failed {esc(err['entry'])} seed {err['seed']} {esc(err['task'])}: "
                     f"{esc(str(err['error']))}</p>")
    for msg in collapsed_runs(results):
        parts.append(f"<p class='err'>collapsed pretraining run {esc(msg)}</p>")
    for msg in results.get("skipped", []):
        parts.append(f"<p>skipped {esc(msg)}</p>")
    parts.append("<p>Values are mean ± sample std over seeds; Δ columns are raw differences.</p>")
    for table in tables:
        parts.append(f"<h2>{esc(table.title)}</h2><table><tr>"
                     + "".join(f"<th>{esc(h)}</th>" for h in table.header) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in table.rows]
        parts.append("</table>")
        if table.verdicts:
            parts.append("<ul>" + "".join(f"<li><code>{esc(v)}</code></li>" for v in table.verdicts) + "</ul>")
        if table.plot:
            parts.append(f"<img alt='{esc(table.title)}' src='data:image/png;base64,{table.plot}'>")
    if curves:
        parts.append(f"<h2>Pretraining curves</h2><img alt='pretraining' src='data:image/png;base64,{curves}'>")
    if probes:
        parts.append(f"<h2>Online probes</h2><img alt='online probes' src='data:image/png;base64,{probes}'>")
    cites = _citations(results)
    if cites:
        parts.append("<h2>Published anchors</h2><ul>" + "".join(f"<li>{esc(c)}</li>" for c in cites) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def summary_text(results: dict[str, Any], tables: list[Table] | None = None) -> str:
    """The report's tables as plain text (what ``bench run`` prints at the end)."""
    tables = tables if tables is not None else build_tables(results, with_plots=False)
    lines = []
    for t in tables:
        widths = [max(len(h), *(len(r[i]) for r in t.rows)) if t.rows else len(h) for i, h in enumerate(t.header)]
        lines += ["", t.title, "  ".join(h.ljust(w) for h, w in zip(t.header, widths))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in t.rows]
        lines += t.verdicts
    lines += [f"collapsed: {msg}" for msg in collapsed_runs(results)]
    return "\n".join(lines)


def write_report(out: str | Path, *, with_plots: bool = True) -> tuple[Path, Path]:
    """Render ``OUT/report.md`` and ``OUT/report.html`` from ``OUT/results.json``."""
    out = Path(out)
    results = load_results(out)
    tables = build_tables(results, with_plots=with_plots)
    curves = plots.training_curves(results.get("runs", {})) if with_plots else None
    probes = plots.online_probe_curves(results.get("runs", {})) if with_plots else None
    md, page = out / "report.md", out / "report.html"

    def save_png(name: str, data: str) -> str:
        slug = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name).strip("_")
        path = out / "plots" / f"{slug}.png"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return f"plots/{path.name}"

    md.write_text(render_markdown(results, tables, curves, link=save_png, probes=probes))
    page.write_text(render_html(results, tables, curves, probes=probes))
    return md, page
