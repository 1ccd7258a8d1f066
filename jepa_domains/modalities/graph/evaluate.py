"""Graph-JEPA's evaluation protocol: stratified K-fold cross-validation in which every fold
pretrains its own encoder on the fold's training graphs, then a logistic regression on frozen
embeddings is scored on the held-out graphs. Baselines on the same folds: the random-init
encoder under the same probe, and Weisfeiler–Lehman subtree histograms under a linear SVM."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import numpy as np

from jepa_domains.eval.embed import extract, load_run, random_encoder
from jepa_domains.eval.probes import linear_svm_probe, logistic_probe
from jepa_domains.modalities.base import resolve_data_root
from jepa_domains.modalities.graph.dataset import fold_indices
from jepa_domains.registry import get_modality
from jepa_domains.train.config import RunConfig, from_dict, modality_options, to_dict
from jepa_domains.train.trainer import Trainer

METHODS = (("jepa", "logistic"), ("random_init", "logistic"), ("wl_features", "linear_svm"))


def fold_config(cfg: RunConfig, fold: int) -> RunConfig:
    """A copy of ``cfg`` whose training split is fold ``fold``'s training part."""
    out = from_dict(RunConfig, copy.deepcopy(to_dict(cfg)))
    out.modality = {**out.modality, "fold": fold}
    return out


def cross_validate_pretraining(cfg: RunConfig, out_dir: str | Path, *, folds: int | None = None,
                               batch_size: int = 64, seed: int = 0, verbose: bool = True) -> dict[str, Any]:
    """Run the K-fold protocol for the graph run config ``cfg``.

    Args:
        cfg: resolved run config (``modality_name == "graph"``); its data source is the dataset.
        out_dir: one run directory per fold is written under it (``fold0``, ...).
        folds: evaluate only the first ``folds`` of the ``modality.num_folds`` folds (None: all).

    Returns:
        ``{"rows": [{dataset, fold, method, probe, metric, value}], "summary": {method:
        (mean, std)}, "seconds": {"pretrain": ..., "evaluate": ...}}`` with accuracies in [0, 1].
    """
    if cfg.modality_name != "graph":
        raise ValueError(f"cross_validate_pretraining needs a graph run config, got {cfg.modality_name!r}")
    adapter = get_modality("graph")
    options = modality_options(adapter.Config, cfg.modality)
    num_folds = options.num_folds if folds is None else folds
    if not 1 <= num_folds <= options.num_folds:
        raise ValueError(f"folds must lie in [1, {options.num_folds}], got {folds}")
    root = resolve_data_root(cfg.data.data_root)
    full = adapter.load_dataset(options, cfg.data.source, split="all", data_root=root, skip_bad=cfg.data.skip_bad)
    labels = adapter.labels(full)
    if labels is None:
        raise ValueError(f"{full.description}: no labels, cannot cross-validate a classifier")
    wl = adapter.feature_baseline(options, full)
    name = cfg.data.source or adapter.default_dataset
    rows: list[dict[str, Any]] = []
    seconds = {"pretrain": 0.0, "evaluate": 0.0}
    out_dir = Path(out_dir)
    for fold in range(num_folds):
        start = time.perf_counter()
        run_dir = out_dir / f"fold{fold}"
        Trainer(fold_config(cfg, fold), run_dir=run_dir).fit()
        seconds["pretrain"] += time.perf_counter() - start
        start = time.perf_counter()
        run = load_run(run_dir)
        train_idx, test_idx = fold_indices(labels, len(full), fold=fold, num_folds=options.num_folds,
                                           seed=options.split_seed)
        parts = {"train": full.subset(train_idx, "train"), "test": full.subset(test_idx, "test")}
        encoders = {"jepa": run.encoder, "random_init": random_encoder(run.cfg, run.adapter, run.options)}
        scores = {}
        for method, encoder in encoders.items():
            emb = {s: extract(encoder, run.adapter, run.options, d, batch_size=batch_size, device="cpu").X
                   for s, d in parts.items()}
            scores[method] = logistic_probe(emb["train"], labels[train_idx], emb["test"], labels[test_idx], seed=seed)
        scores["wl_features"] = linear_svm_probe(wl[train_idx], labels[train_idx], wl[test_idx], labels[test_idx],
                                                 seed=seed)
        seconds["evaluate"] += time.perf_counter() - start
        for method, probe in METHODS:
            rows.append({"dataset": name, "fold": fold, "method": method, "probe": probe, "metric": "accuracy",
                         "value": scores[method]["accuracy"]})
        if verbose:
            print(f"[graph-cv] {name} fold {fold}: " + ", ".join(
                f"{m} {scores[m]['accuracy']:.3f}" for m, _ in METHODS), flush=True)
    summary = {}
    for method, _ in METHODS:
        values = np.asarray([r["value"] for r in rows if r["method"] == method])
        summary[method] = (float(values.mean()), float(values.std()))
    return {"rows": rows, "summary": summary, "seconds": seconds}


def classify_cv_run(run_dir: str | Path, *, source: str | None = None, data_root: str | Path | None = None,
                    folds: int | None = None, **_: Any) -> list[dict[str, Any]]:
    """The K-fold protocol with the config of an existing run (its fold setting is replaced),
    in ``run_dir/cv``; returns summary rows ``{dataset, method, probe, metric, value}``."""
    run = load_run(run_dir)
    cfg = from_dict(RunConfig, copy.deepcopy(to_dict(run.cfg)))
    if source is not None:
        cfg.data.source = source
    if data_root is not None:
        cfg.data.data_root = str(data_root)
    result = cross_validate_pretraining(cfg, Path(run_dir) / "cv", folds=folds)
    name = cfg.data.source or "synthetic"
    return [{"dataset": name, "method": m, "probe": p, "metric": stat, "value": result["summary"][m][i]}
            for m, p in METHODS for i, stat in enumerate(("accuracy_mean", "accuracy_std"))]
