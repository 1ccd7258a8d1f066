"""Graph-JEPA's evaluation protocol: stratified K-fold cross-validation in which every fold
pretrains its own encoder on the fold's training graphs, then a logistic regression on frozen
embeddings is scored on the held-out graphs. Baselines on the same folds, seeds and probes: the
random-init encoder and Weisfeiler–Lehman subtree histograms. Every method is probed with every
probe asked for (default logistic regression and linear SVM, each with its ``C`` chosen by inner
cross-validation on the fold's training graphs); the per-method summary uses the paper's pairing
(:data:`REFERENCE_PROBES`: encoders under the logistic probe, WL under the SVM on its raw,
row-normalised histograms, i.e. the normalised WL subtree kernel)."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import numpy as np

from jepa_domains.data.multi_source import evaluation_source
from jepa_domains.eval.embed import extract, load_run, load_runs, random_encoder
from jepa_domains.eval.protocols import probe_all, split_features, summarise_folds
from jepa_domains.logs import get_logger
from jepa_domains.modalities.base import resolve_data_root
from jepa_domains.modalities.graph.dataset import fold_indices
from jepa_domains.registry import get_modality
from jepa_domains.train.config import RunConfig, from_dict, modality_options, to_dict
from jepa_domains.train.trainer import Trainer

logger = get_logger(__name__)
REFERENCE_PROBES = {"jepa": "logistic", "random_init": "logistic", "wl_features": "svm_unscaled"}
DEFAULT_PROBES = ("logistic", "svm", "svm_unscaled")


def fold_config(cfg: RunConfig, fold: int) -> RunConfig:
    """A copy of ``cfg`` whose training split is fold ``fold``'s training part."""
    out = from_dict(RunConfig, copy.deepcopy(to_dict(cfg)))
    out.modality = {**out.modality, "fold": fold}
    return out


def cross_validate_pretraining(cfg: RunConfig, out_dir: str | Path, *, folds: int | None = None,
                               batch_size: int = 64, seed: int = 0, probes: tuple[str, ...] = DEFAULT_PROBES,
                               encoder: str | None = None, verbose: bool = True,
                               pretrained: str | Path | None = None, layers: int | None = None) -> dict[str, Any]:
    """Run the K-fold protocol for the graph run config ``cfg``.

    ``modality.pretrain_on`` picks the protocol: ``"fold"`` (strict: each fold pretrains its own
    encoder on its training graphs) or ``"all"`` (Graph-JEPA's: one encoder pretrained on every
    graph, unlabelled, is probed on every fold; the probes still only see each fold's training
    labels).

    Args:
        cfg: resolved run config (``modality_name == "graph"``); its data source is the dataset.
        out_dir: one run directory per fold is written under it (``fold0``, ...).
        folds: evaluate only the first ``folds`` of the ``modality.num_folds`` folds (None: all).
        probes: probe names every method is scored with.
        encoder: ``"context"``, ``"target"``, ``"both"`` or None (the graph default, context).
        pretrained: an existing ``pretrain_on="all"`` run to probe instead of pretraining one.
        layers: how many of the encoders' last representations are read (None: the run's
            ``model.readout_layers``; see :func:`~jepa_domains.eval.embed.load_runs`).

    Returns:
        ``{"rows": [{dataset, fold, method, probe, encoder, metric, value, ...}], "summary":
        {method: (mean, std)}, "seconds": {"pretrain": ..., "evaluate": ...}}`` with accuracies in
        [0, 1]; ``summary`` is over folds, for the first encoder, under :data:`REFERENCE_PROBES`
        (or the first probe when that one was not run).
    """
    if cfg.modality_name != "graph":
        raise ValueError(f"cross_validate_pretraining needs a graph run config, got {cfg.modality_name!r}")
    adapter = get_modality("graph")
    options = modality_options(adapter.Config, cfg.modality)
    num_folds = options.num_folds if folds is None else folds
    if not 1 <= num_folds <= options.num_folds:
        raise ValueError(f"folds must lie in [1, {options.num_folds}], got {folds}")
    root = resolve_data_root(cfg.data.data_root)
    full = adapter.load_dataset(options, evaluation_source(None, cfg.data.source), split="all", data_root=root, skip_bad=cfg.data.skip_bad)
    labels = adapter.labels(full)
    if labels is None:
        raise ValueError(f"{full.description}: no labels, cannot cross-validate a classifier")
    wl = np.asarray(adapter.feature_baseline(options, full), dtype=np.float32)
    name = cfg.data.source or adapter.default_dataset
    rows: list[dict[str, Any]] = []
    seconds = {"pretrain": 0.0, "evaluate": 0.0}
    out_dir = Path(out_dir)
    transductive = options.pretrain_on == "all"
    if pretrained is not None and not transductive:
        raise ValueError(f"pretrained={pretrained}: only a pretrain_on='all' run serves every fold; "
                         "under pretrain_on='fold' each fold pretrains its own encoder")
    features = None
    for fold in range(num_folds):
        start = time.perf_counter()
        if features is None or not transductive:
            # strict: every fold pretrains on its own training graphs; transductive (Graph-JEPA's
            # protocol): one encoder pretrained on every graph, unlabelled, serves all folds
            run_dir = out_dir / ("all" if transductive else f"fold{fold}")
            if pretrained is None:
                Trainer(fold_config(cfg, fold), run_dir=run_dir).fit()
            seconds["pretrain"] += time.perf_counter() - start
            start = time.perf_counter()
            runs = load_runs(pretrained or run_dir, encoder=encoder, layers=layers)
            run = next(iter(runs.values()))
            embed = lambda model: extract(model, run.adapter, run.options, full, batch_size=batch_size,  # noqa: E731
                                          device="cpu").X
            shared = {"random_init": embed(random_encoder(run.cfg, run.adapter, run.options)), "wl_features": wl}
            features = {which: {"jepa": embed(r.encoder), **shared} for which, r in runs.items()}
        train_idx, test_idx = fold_indices(labels, len(full), fold=fold, num_folds=options.num_folds,
                                           seed=options.split_seed)
        fold_rows = probe_all(split_features(features, train_idx), split_features(features, test_idx),
                              labels[train_idx], labels[test_idx], probes=probes, seed=seed, dataset=name, fold=fold)
        seconds["evaluate"] += time.perf_counter() - start
        rows += fold_rows
        if verbose:
            logger.info(f"[graph-cv] {name} fold {fold}: " + ", ".join(
                f"{r['method']}/{r['probe']}[{r['encoder']}] {r['value']:.3f}" for r in fold_rows))
    first = rows[0]["encoder"]
    summary = {}
    for method, probe in REFERENCE_PROBES.items():
        probe = probe if probe in probes else probes[0]
        values = np.asarray([r["value"] for r in rows if (r["method"], r["probe"], r["encoder"]) == (method, probe, first)])
        summary[method] = (float(values.mean()), float(values.std()))
    return {"rows": rows, "summary": summary, "seconds": seconds}


def classify_cv_run(run_dir: str | Path, *, source: str | None = None, data_root: str | Path | None = None,
                    folds: int | None = None, probes: tuple[str, ...] = DEFAULT_PROBES, seed: int = 0,
                    encoder: str | None = None, layers: int | None = None, **_: Any) -> list[dict[str, Any]]:
    """The K-fold protocol with the config of an existing run: a ``pretrain_on="all"`` run is
    itself probed on every fold; otherwise every fold pretrains its own encoder (the run's fold
    setting replaced) in ``run_dir/cv``. Returns the per-fold ``accuracy`` rows (``fold`` field; paired over
    folds by the verdicts) and ``accuracy_mean`` / ``accuracy_std`` summary rows."""
    run = load_run(run_dir)
    cfg = from_dict(RunConfig, copy.deepcopy(to_dict(run.cfg)))
    if source is not None:
        cfg.data.source = source
    if data_root is not None:
        cfg.data.data_root = str(data_root)
    transductive = modality_options(get_modality("graph").Config, cfg.modality).pretrain_on == "all"
    result = cross_validate_pretraining(cfg, Path(run_dir) / "cv", folds=folds, probes=tuple(probes), seed=seed,
                                        encoder=encoder, pretrained=Path(run_dir) if transductive else None,
                                        layers=layers)
    return result["rows"] + summarise_folds(result["rows"])
