"""Downstream protocols shared by every modality: frozen-encoder classification on a
dataset's train/test split, with the random-init and hand-crafted-feature baselines side by
side (same split, same seed, same probe)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from jepa_domains.eval.embed import LoadedRun, extract, load_run, random_encoder
from jepa_domains.eval.probes import get_probe
from jepa_domains.modalities.base import resolve_data_root


def method_embeddings(run: LoadedRun, dataset: Any, *, batch_size: int = 64) -> dict[str, np.ndarray]:
    """Per-method features of a dataset: the pretrained encoder, its random-init twin and the
    modality's hand-crafted features (when it has some)."""
    out = {
        "jepa": extract(run.encoder, run.adapter, run.options, dataset, batch_size=batch_size).X,
        "random_init": extract(random_encoder(run.cfg, run.adapter, run.options), run.adapter, run.options,
                               dataset, batch_size=batch_size).X,
    }
    features = run.adapter.feature_baseline(run.options, dataset)
    if features is not None:
        out["features"] = np.asarray(features, dtype=np.float32)
    return out


def classify_run(run_dir: str | Path, *, source: str | None = None, data_root: str | Path | None = None,
                 probes: tuple[str, ...] = ("logistic", "knn"), seed: int = 0,
                 batch_size: int = 64) -> list[dict[str, Any]]:
    """Frozen-probe accuracy of a run on ``source``'s train/test split against the baselines.

    ``source`` defaults to the dataset the run was pretrained on. Returns one row per
    method x probe: ``{dataset, method, probe, metric, value}``.
    """
    run = load_run(run_dir)
    source = source if source is not None else run.cfg.data.source
    root = resolve_data_root(data_root or run.cfg.data.data_root)
    splits = {s: run.adapter.load_dataset(run.options, source, split=s, data_root=root, skip_bad=run.cfg.data.skip_bad)
              for s in ("train", "test")}
    labels = {s: run.adapter.labels(d) for s, d in splits.items()}
    if labels["train"] is None or labels["test"] is None:
        raise ValueError(f"dataset {source or run.adapter.default_dataset!r} has no labels to probe")
    feats = {s: method_embeddings(run, d, batch_size=batch_size) for s, d in splits.items()}
    name = source or run.adapter.default_dataset or "default"
    rows = []
    for method in feats["train"]:
        for probe in probes:
            score = get_probe(probe)(feats["train"][method], labels["train"], feats["test"][method],
                                     labels["test"], seed=seed)
            rows.extend({"dataset": name, "method": method, "probe": probe, "metric": k, "value": v}
                        for k, v in score.items())
    return rows


def format_rows(rows: list[dict[str, Any]]) -> str:
    """Result rows as an aligned text table (columns in first-seen order, floats to 4 places)."""
    if not rows:
        return "(no rows)"
    columns = list(dict.fromkeys(k for r in rows for k in r))
    cells = [[f"{r[c]:.4f}" if isinstance(r.get(c), float) else str(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)
