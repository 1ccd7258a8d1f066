"""The ``graph`` modality: Graph-JEPA (arXiv 2309.16014) on torch-geometric graphs."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from jepa_domains.core.maskers import GroupMasker, Masker
from jepa_domains.data.graph_synthetic import synthetic_graph_families
from jepa_domains.data.graph_tudataset import TU_DATASETS, read_tu_dataset
from jepa_domains.modalities.base import ModalityAdapter
from jepa_domains.modalities.graph.collate import GraphBatch, collate_graphs
from jepa_domains.modalities.graph.dataset import GraphDataset, fold_indices
from jepa_domains.modalities.graph.tokenizer import GraphPatchTokenizer, HyperbolicTargetHead
from jepa_domains.modalities.graph.wl_features import wl_subtree_features
from jepa_domains.registry import register_modality

SYNTHETIC = "synthetic"
TARGETS = ("latent", "hyperbolic")
PRETRAIN_ON = ("fold", "all")


@dataclass
class GraphConfig:
    """Options of the graph modality (``--set modality.<field>=...``).

    Attributes:
        num_patches: METIS parts ``P`` per graph (token slots; smaller graphs get fewer).
        num_targets: ``K`` target patches per graph (one context patch).
        drop_rate: fraction of edges dropped before each training-time partition.
        hops: neighbourhood expansion of every METIS part.
        metis_recursive: METIS recursive bisection (fast, fills all parts) or k-way.
        partition_pool: ``0``: a fresh edge drop and METIS call at every training visit of a graph
            (Graph-JEPA). ``N > 0``: each graph keeps ``N`` partitions, each from its own edge
            drop (seeded by the graph's id and the slot), and every visit draws one of them, so
            METIS runs at most ``N`` times per graph in a run.
        walk_length: random-walk PE steps.
        gnn_layers: GIN/GINE depth of the patch encoder.
        target: ``"latent"`` (layer-normed latents) or ``"hyperbolic"`` (unit-hyperbola coordinates).
        degree_cap: one-hot degree width - 1 for graphs without node features.
        in_features, edge_features: node/edge feature widths (set by ``prepare``; 0 = unknown).
        feature_mean, feature_std: node-feature standardisation (set by ``prepare``).
        fold, num_folds, split_seed: the stratified K-fold split behind ``split="train"/"test"``.
        pretrain_on: ``"fold"`` (pretrain on fold ``fold``'s training graphs) or ``"all"``
            (Graph-JEPA's transductive protocol: every graph, unlabelled; the probes still train
            on the fold's training labels only).
        wl_iterations: depth of the Weisfeiler–Lehman baseline.
        synthetic_per_class: graphs per family in the generated default set.
    """

    num_patches: int = 16
    num_targets: int = 4
    drop_rate: float = 0.3
    hops: int = 1
    metis_recursive: bool = True
    partition_pool: int = 0
    walk_length: int = 8
    gnn_layers: int = 2
    target: str = "latent"
    degree_cap: int = 64
    in_features: int = 0
    edge_features: int = 0
    feature_mean: tuple[float, ...] | None = None
    feature_std: tuple[float, ...] | None = None
    fold: int = 0
    num_folds: int = 10
    split_seed: int = 0
    pretrain_on: str = "fold"
    wl_iterations: int = 3
    synthetic_per_class: int = 100

    def __post_init__(self) -> None:
        checks = (("num_patches", self.num_patches, 2), ("num_targets", self.num_targets, 1), ("hops", self.hops, 0),
                  ("partition_pool", self.partition_pool, 0),
                  ("walk_length", self.walk_length, 1), ("gnn_layers", self.gnn_layers, 1),
                  ("degree_cap", self.degree_cap, 1), ("in_features", self.in_features, 0),
                  ("edge_features", self.edge_features, 0), ("num_folds", self.num_folds, 2),
                  ("wl_iterations", self.wl_iterations, 0), ("synthetic_per_class", self.synthetic_per_class, 1))
        for name, value, low in checks:
            if value < low:
                raise ValueError(f"modality.{name} must be >= {low}, got {value}")
        if not 0.0 <= self.drop_rate < 1.0:
            raise ValueError(f"modality.drop_rate must lie in [0, 1), got {self.drop_rate}")
        if self.target not in TARGETS:
            raise ValueError(f"modality.target must be one of {TARGETS}, got {self.target!r}")
        if self.pretrain_on not in PRETRAIN_ON:
            raise ValueError(f"modality.pretrain_on must be one of {PRETRAIN_ON}, got {self.pretrain_on!r}")
        if not 0 <= self.fold < self.num_folds:
            raise ValueError(f"modality.fold must lie in [0, {self.num_folds}), got {self.fold}")


def tu_folder(source: str, data_root: Path | str | None) -> Path | None:
    """The TU-format folder ``source`` names, or None when there is none.

    A bare name (any TU dataset, not only the five described in ``TU_DATASETS``) is looked up as
    ``DATA_ROOT/tudataset/NAME`` first; anything else is a path to the folder itself.
    """
    bare = Path(source).name == source
    if bare and data_root is not None:
        named = Path(data_root) / "tudataset" / source
        if named.is_dir():
            return named
        if source in TU_DATASETS:
            raise ValueError(f"dataset {source!r}: folder {named} not found under the data root")
    if bare and source in TU_DATASETS:
        return None  # a described name is only ever read from the data root
    folder = Path(source).expanduser()
    return folder if folder.is_dir() else None


@register_modality("graph")
class GraphAdapter(ModalityAdapter):
    """Graph-JEPA: METIS patches + GIN/GINE patch tokens, one context patch predicts K targets."""

    Config = GraphConfig
    tasks = ("classify",)
    default_dataset = SYNTHETIC
    run_defaults = {
        "train.steps": 200, "optim.warmup_steps": 20, "train.checkpoint_every": 100,
        "model.dim": 128, "model.depth": 4, "model.num_heads": 4,
        "model.pred_dim": 64, "model.pred_depth": 2, "model.pred_heads": 4,
        "data.batch_size": 32,
    }
    quick_overrides = {"modality.num_patches": 8, "train.steps": 40, "data.batch_size": 16}

    # --- model pieces -------------------------------------------------------------------
    def build_tokenizer(self, cfg: GraphConfig, dim: int) -> nn.Module:
        # Before ``prepare`` has seen the data the width is unknown; that first model is
        # discarded by the trainer, so any width does.
        return GraphPatchTokenizer(dim=dim, in_features=max(1, cfg.in_features), edge_features=cfg.edge_features,
                                   walk_length=cfg.walk_length, num_layers=cfg.gnn_layers,
                                   feature_mean=cfg.feature_mean if cfg.in_features else None,
                                   feature_std=cfg.feature_std if cfg.in_features else None)

    def build_masker(self, cfg: GraphConfig) -> Masker:
        return GroupMasker(num_targets=cfg.num_targets, num_context=1)

    def build_target_head(self, cfg: GraphConfig, dim: int) -> nn.Module | None:
        return HyperbolicTargetHead(dim=dim) if cfg.target == "hyperbolic" else None

    # --- data ---------------------------------------------------------------------------
    def collate(self, cfg: GraphConfig, samples: Sequence[Any],
                generators: Sequence[torch.Generator] | None) -> GraphBatch:
        return collate_graphs(samples, generators, num_patches=cfg.num_patches, drop_rate=cfg.drop_rate, hops=cfg.hops,
                              recursive=cfg.metis_recursive, pool=cfg.partition_pool)

    def datasets(self) -> dict[str, str]:
        return {SYNTHETIC: "SYNTHETIC: 4 x 100 generated graphs, random-graph families (ER, BA, WS, SBM)",
                **TU_DATASETS}

    def load_dataset(self, cfg: GraphConfig, source: str | None, *, split: str = "train",
                     data_root: Path | None = None, skip_bad: bool = False) -> GraphDataset:
        """``split``: ``"train"`` / ``"test"`` = the two sides of fold ``cfg.fold`` of a stratified
        ``cfg.num_folds``-fold split; ``"all"`` = every graph."""
        if split not in ("train", "test", "all"):
            raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")
        full = self._load_all(cfg, source, data_root=data_root, skip_bad=skip_bad)
        if split == "all":
            return full
        train, test = fold_indices(full.labels, len(full), fold=cfg.fold, num_folds=cfg.num_folds, seed=cfg.split_seed)
        index = train if split == "train" else test
        return full.subset(index, f"{full.description} [fold {cfg.fold}/{cfg.num_folds} {split}: {len(index)} graphs]")

    def pretrain_split(self, cfg: GraphConfig) -> str:
        """``"all"`` under Graph-JEPA's transductive protocol (``pretrain_on="all"``), else ``"train"``."""
        return "all" if cfg.pretrain_on == "all" else "train"

    def _load_all(self, cfg: GraphConfig, source: str | None, *, data_root: Path | None,
                  skip_bad: bool) -> GraphDataset:
        kwargs = dict(walk_length=cfg.walk_length, degree_cap=cfg.degree_cap, skip_bad=skip_bad)
        if source is None or source == SYNTHETIC:
            graphs = synthetic_graph_families(per_class=cfg.synthetic_per_class, seed=0)
            return GraphDataset(graphs, [f"synthetic/{i}" for i in range(len(graphs))],
                                description="SYNTHETIC random-graph families (ER/BA/WS/SBM), 4 classes", **kwargs)
        folder = tu_folder(source, data_root)
        if folder is None:
            if source in TU_DATASETS:
                raise ValueError(f"dataset {source!r} needs --data-root or JEPA_DOMAINS_DATA")
            looked = Path(data_root) / "tudataset" / source if data_root is not None else "DATA_ROOT/tudataset/NAME"
            raise ValueError(f"unknown graph dataset {source!r}: no folder {looked} and no such path "
                             f"(known names: {', '.join(self.datasets())})")
        name = folder.name
        tu = read_tu_dataset(folder, name)
        return GraphDataset(tu.graphs, [f"{name}/{i}" for i in range(len(tu.graphs))],
                            description=f"{TU_DATASETS.get(name, 'TU-format graphs')} (read from {folder})", **kwargs)

    def prepare(self, cfg: GraphConfig, dataset: GraphDataset) -> GraphConfig:
        """Store feature widths and node-feature mean/std of the training graphs in the run."""
        x = torch.cat([s.data.x for s in dataset.samples])
        std = x.std(0, unbiased=False)
        # One-hot columns are left as they are (mean 0, std 1); only continuous ones are scaled.
        binary = ((x == 0) | (x == 1)).all(0)
        mean = torch.where(binary, torch.zeros_like(std), x.mean(0))
        std = torch.where(binary | (std < 1e-6), torch.ones_like(std), std)
        return dataclasses.replace(cfg, in_features=dataset.num_features, edge_features=dataset.num_edge_features,
                                   feature_mean=tuple(float(v) for v in mean),
                                   feature_std=tuple(float(v) for v in std))

    # --- evaluation ---------------------------------------------------------------------
    def protocols(self) -> dict[str, Any]:
        """The shared train/test probe plus Graph-JEPA's K-fold protocol (``classify_cv``)."""
        from jepa_domains.modalities.graph.evaluate import classify_cv_run

        return {**super().protocols(), "classify_cv": classify_cv_run}

    def feature_baseline(self, cfg: GraphConfig, dataset: GraphDataset) -> np.ndarray:
        """Row-normalised Weisfeiler–Lehman subtree histograms ``[n, F]``: under the
        ``svm_unscaled`` probe, the normalised WL subtree kernel SVM."""
        return wl_subtree_features(dataset.samples, iterations=cfg.wl_iterations, normalise=True)
