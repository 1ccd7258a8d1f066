"""Nested selection: choose among pretraining variants per outer fold, on training data only.

A cross-validated protocol (the graph modality's ``classify_cv``) reports the mean over outer
test folds. Comparing variants (recipes, encoders) on those means and keeping the best is
selection on the reporting folds: the winner's figure is biased upwards. Nested selection makes
the choice inside every outer fold, from the probe's inner cross-validation accuracy on that
fold's *training* part (``inner_accuracy`` in the probe rows), and reports the chosen
candidate's outer accuracy. The figure estimates the whole procedure "pretrain these variants,
keep the one the training labels prefer", and its controls come from the chosen candidate's own
run (its random-init twin and baselines on the same fold).

Rows are the protocol's per-fold accuracy rows (``entry``, ``dataset``, ``seed``, ``fold``,
``method``, ``probe``, ``encoder``, ``value``, ``inner_accuracy``, ``per_sample``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

Candidate = tuple[str, str]      # (entry, encoder)


def nested_select(rows: Sequence[dict[str, Any]], candidates: Sequence[Candidate], *, probe: str,
                  name: str = "nested") -> tuple[list[dict[str, Any]], Counter]:
    """Choose, in every ``(dataset, seed, fold)``, the candidate with the best inner accuracy.

    Args:
        rows: per-fold accuracy rows of every candidate entry (other rows are ignored).
        candidates: the ``(entry, encoder)`` pairs to choose from; ties go to the earlier one.
        probe: the probe whose rows (and inner accuracies) are used.
        name: the ``entry`` of the returned rows.

    Returns:
        ``(selected, picks)``: rows ``{entry: name, dataset, seed, fold, probe, encoder:
        "selected", method, metric: "accuracy", value, per_sample, picked}`` for ``jepa`` (the
        chosen candidate's outer accuracy) and for every other method of the chosen candidate's
        entry and encoder on that fold (its random-init twin, baselines, chance), ready for
        :func:`jepa_domains.eval.verdicts.verdicts`; and how often each candidate was chosen.

    Raises:
        ValueError: a candidate lacks a row, or its ``inner_accuracy``, on some fold (rows written
            before probes reported it, or by a fixed-value probe), or no candidate is given.
    """
    if not candidates:
        raise ValueError("nested_select: no candidates to choose from")
    by_unit: dict[tuple, dict[tuple[str, str, str], dict[str, Any]]] = defaultdict(dict)
    for r in rows:
        if r.get("metric") != "accuracy" or r.get("probe") not in (probe, "-") or r.get("fold") is None:
            continue
        unit = (r.get("dataset"), r.get("seed"), r["fold"])
        by_unit[unit][(str(r["entry"]), str(r["encoder"]), str(r["method"]))] = r
    if not any(key[2] != "chance" for cells in by_unit.values() for key in cells):
        raise ValueError(f"nested_select: no per-fold accuracy rows under probe {probe!r}")
    out: list[dict[str, Any]] = []
    picks: Counter = Counter()
    for unit in sorted(by_unit, key=lambda u: tuple(str(x) for x in u)):
        cells = by_unit[unit]
        inner = []
        for entry, encoder in candidates:
            row = cells.get((entry, encoder, "jepa"))
            if row is None:
                raise ValueError(f"nested_select: {entry} [{encoder}] has no row for dataset {unit[0]}, seed {unit[1]}, "
                                 f"fold {unit[2]} under probe {probe!r} (not run for that seed?)")
            if row.get("inner_accuracy") is None:
                raise ValueError(f"nested_select: {entry} [{encoder}] has no inner_accuracy for dataset {unit[0]}, "
                                 f"seed {unit[1]}, fold {unit[2]} (re-run its evaluation with a searching probe)")
            inner.append(float(row["inner_accuracy"]))
        entry, encoder = candidates[int(np.argmax(inner))]
        picks[(entry, encoder)] += 1
        for (e, enc, method), row in cells.items():
            if e == entry and enc == encoder:
                out.append({"entry": name, "dataset": unit[0], "seed": unit[1], "fold": unit[2], "probe": probe,
                            "encoder": "selected", "method": method, "metric": "accuracy",
                            "value": float(row["value"]), "per_sample": row.get("per_sample"),
                            "picked": f"{entry} [{encoder}]"})
    return out, picks


def seed_means(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per ``(entry, dataset, probe, encoder, method, seed)``: the mean over its folds
    (``fold`` dropped), so that verdicts pair seeds rather than folds."""
    groups: dict[tuple, list[float]] = defaultdict(list)
    for r in rows:
        if r.get("metric") == "accuracy" and r.get("fold") is not None:
            key = tuple((k, r.get(k)) for k in ("entry", "dataset", "probe", "encoder", "method", "seed"))
            groups[key].append(float(r["value"]))
    return [{**dict(key), "metric": "accuracy", "value": float(np.mean(vals)), "folds": len(vals)}
            for key, vals in groups.items()]
