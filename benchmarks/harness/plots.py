"""Report figures as base64 PNG (matplotlib Agg, no display needed): pretraining loss and
collapse diagnostics over steps, online-probe accuracy over steps, and downstream scores of
every method with seed error bars and the chance level."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend must be chosen first)

from jepa_domains.train.trainer import read_metrics  # noqa: E402

CURVES = (("loss", "pretraining loss"), ("target_std", "target std (collapse < 1e-2)"),
          ("pred_std", "prediction std"), ("effective_rank", "effective rank of pooled latents"))
MAX_GROUPS = 12
PROBE_SERIES = (("probe_knn", "online kNN probe"), ("probe_linear", "online linear probe"))


def to_base64_png(fig: plt.Figure) -> str:
    """Encode and close a figure."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _run_metrics(runs: dict[str, dict[str, Any]]) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """``{"<entry> s<seed>": read_metrics(run_dir/metrics.csv)}`` for the runs that have one."""
    series = {}
    for info in runs.values():
        path = Path(info["run_dir"]) / "metrics.csv"
        if path.is_file():
            series[f"{info['entry']} s{info['seed']}"] = read_metrics(path)
    return series


def online_probe_curves(runs: dict[str, dict[str, Any]]) -> str | None:
    """Online-probe accuracy over steps (series ``probe_knn`` / ``probe_linear`` of
    ``metrics.csv``), the step-0 value (the random-init level) as a dashed line in the run's
    colour; None when no run logged such a series."""
    series = {k: m for k, m in _run_metrics(runs).items() if any(m.get(name) for name, _ in PROBE_SERIES)}
    if not series:
        return None
    fig, axes = plt.subplots(1, len(PROBE_SERIES), figsize=(4.6 * len(PROBE_SERIES), 3.2), squeeze=False)
    for ax, (name, title) in zip(axes[0], PROBE_SERIES):
        for label, metrics in sorted(series.items()):
            points = sorted(metrics.get(name) or [])
            if not points:
                continue
            steps, values = zip(*points)
            (line,) = ax.plot(steps, values, label=label, linewidth=1.2, marker="o", markersize=2)
            if steps[0] == 0:
                ax.axhline(values[0], color=line.get_color(), linestyle="--", linewidth=1.0)
        ax.set_title(f"{title} (dashed: step 0 = random init)", fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        ax.tick_params(labelsize=7)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    return to_base64_png(fig)


def training_curves(runs: dict[str, dict[str, Any]]) -> str | None:
    """Loss and collapse diagnostics over steps for every run (``{key: {run_dir, entry, seed}}``);
    None when no run has a ``metrics.csv``."""
    series = _run_metrics(runs)
    if not series:
        return None
    fig, axes = plt.subplots(1, len(CURVES), figsize=(4.2 * len(CURVES), 3.2))
    for ax, (name, title) in zip(axes, CURVES):
        for label, metrics in sorted(series.items()):
            points = metrics.get(name)
            if points:
                steps, values = zip(*points)
                ax.plot(steps, values, label=label, linewidth=1.2, marker="o", markersize=2)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        lows = [v for m in series.values() for _, v in m.get(name, []) if v > 0]
        # log scale only where values span decades (a collapsing std), else ticks become unreadable
        if lows and max(lows) / min(lows) > 30:
            ax.set_yscale("log")
        ax.tick_params(labelsize=7)
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=7,
                   bbox_to_anchor=(0.5, -0.12 - 0.05 * (len(labels) // 4)))
    return to_base64_png(fig)


def score_bars(title: str, groups: list[str], methods: list[str],
               stats: dict[tuple[str, str], tuple[float, float]], anchors: dict[str, float] | None = None,
               chance: dict[str, float] | None = None) -> str:
    """Grouped bars: ``stats[(group, method)] = (mean, std)``; optional anchor ticks (dashed,
    black) and chance levels (dotted, red) per group."""
    groups = groups[:MAX_GROUPS]
    fig, ax = plt.subplots(figsize=(max(4.0, 1.1 * len(groups) * max(1, len(methods)) * 0.45 + 2), 3.2))
    width = 0.8 / max(1, len(methods))
    for i, method in enumerate(methods):
        xs, means, stds = [], [], []
        for g, group in enumerate(groups):
            if (group, method) in stats:
                mean, std = stats[(group, method)]
                xs.append(g + (i - (len(methods) - 1) / 2) * width)
                means.append(mean)
                stds.append(std)
        ax.bar(xs, means, width=width, yerr=stds, capsize=2, label=method)
    for g, group in enumerate(groups):
        if anchors and group in anchors:
            ax.hlines(anchors[group], g - 0.45, g + 0.45, colors="k", linestyles="--", linewidth=1.2,
                      label="published" if g == 0 or "published" not in ax.get_legend_handles_labels()[1] else None)
    for g, group in enumerate(groups):
        if chance and group in chance:
            ax.hlines(chance[group], g - 0.45, g + 0.45, colors="tab:red", linestyles=":", linewidth=1.6, zorder=3,
                      label="chance" if "chance" not in ax.get_legend_handles_labels()[1] else None)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups, rotation=20, ha="right", fontsize=7)
    ax.set_title(title, fontsize=9)
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(fontsize=7, ncol=2)
    return to_base64_png(fig)
