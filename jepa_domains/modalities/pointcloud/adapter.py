"""The ``pointcloud`` modality (Point-JEPA, arXiv 2404.16432): FPS + kNN point groups through a
mini-PointNet, ordered by a greedy sequencer, masked with contiguous spans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from jepa_domains.core import Batch, Layout, SpanMasker
from jepa_domains.data.pointcloud_datasets import PointCloudDataset, PointCloudSample, ReadOptions, read_path
from jepa_domains.data.pointcloud_synthetic import synthetic_shapes
from jepa_domains.modalities.base import ModalityAdapter, max_mean_pool
from jepa_domains.modalities.pointcloud.features import DESCRIPTORS, descriptor_features
from jepa_domains.modalities.pointcloud.tokenizer import PointGroupTokenizer
from jepa_domains.registry import register_modality

# name -> (folder under data_root, label column, minimum models per class, description)
NAMED_DATASETS: dict[str, tuple[str, str, int, str]] = {
    "furniture3d": ("pointclouds/furniture3d", "category", 0,
                    "SweetHome3D furniture, 820 models x 2048 points, room-category labels (12 classes)"),
    "furniture3d:shape_class": ("pointclouds/furniture3d", "shape_class", 10,
                                "furniture3d object-class labels, classes with >= 10 models (11 classes)"),
    "modelnet40": ("pointclouds/ModelNet40", "label", 0, "ModelNet40 (.off meshes or PointNet HDF5)"),
    "modelnet10": ("pointclouds/ModelNet10", "label", 0, "ModelNet10 (.off meshes)"),
}
NAMED_DATASETS["furniture3d:category"] = NAMED_DATASETS["furniture3d"]


@dataclass
class PointCloudConfig:
    """Options of the pointcloud modality (``--set modality.<field>=...``).

    Attributes:
        num_points: points per cloud fed to the tokenizer (subsampled from the stored cloud).
        num_groups: ``G`` FPS centres = tokens per cloud.
        group_size: ``k`` nearest neighbours per centre.
        pointnet_width: hidden width of the mini-PointNet.
        order: token sequencer, ``"greedy"`` (Point-JEPA), ``"morton"`` or ``"none"``.
        mesh_points: points sampled on each mesh at load time.
        mesh_sampling: ``"uniform"`` or ``"poisson"`` (Poisson-disk).
        use_normals: feed surface normals to the mini-PointNet (triangle normals for meshes,
            open3d-estimated for point files).
        voxel_size: voxel down-sampling size in unit-sphere units (0: off).
        label_column: label column of a metadata-CSV folder given by path.
        min_class_count: leave out classes with fewer models (metadata-CSV folders by path).
        augment: random anisotropic scale and translation at training time.
        scale_range: ``(min, max)`` per-axis scale factor of the augmentation.
        translate: maximum per-axis shift of the augmentation.
        rotate: with ``augment``, also a random rotation about the up axis at training time
            (Point-JEPA's pretraining augmentation); uniform over ``[0, 360)`` degrees.
        up_axis: index of the up axis for ``rotate`` (1: y, the furniture3d convention).
        jitter: with ``augment``, per-point Gaussian noise of this std (unit-sphere units; 0: off).
        descriptor: hand-crafted baseline of the evaluation, ``"d2"`` (D2 histogram + extents) or
            ``"shape_distributions"`` (D1, D2, D3, A3 histograms + extents).
        num_targets, target_ratio, context_ratio: Point-JEPA's span masking.
        synthetic_per_class: shapes per class of the generated default set.
    """

    num_points: int = 1024
    num_groups: int = 64
    group_size: int = 32
    pointnet_width: int = 128
    order: str = "greedy"
    mesh_points: int = 2048
    mesh_sampling: str = "uniform"
    use_normals: bool = False
    voxel_size: float = 0.0
    label_column: str = "label"
    min_class_count: int = 0
    augment: bool = True
    scale_range: tuple[float, ...] = (2 / 3, 3 / 2)
    translate: float = 0.2
    rotate: bool = False
    up_axis: int = 1
    jitter: float = 0.0
    descriptor: str = "d2"
    num_targets: int = 4
    target_ratio: tuple[float, ...] = (0.15, 0.2)
    context_ratio: tuple[float, ...] = (0.4, 0.75)
    synthetic_per_class: int = 40

    def __post_init__(self) -> None:
        for name in ("num_points", "num_groups", "group_size", "pointnet_width", "mesh_points", "num_targets",
                     "synthetic_per_class"):
            if getattr(self, name) < 1:
                raise ValueError(f"modality.{name} must be >= 1, got {getattr(self, name)}")
        if self.num_points < max(self.num_groups, self.group_size):
            raise ValueError(f"modality.num_points={self.num_points} must be >= num_groups={self.num_groups} "
                             f"and group_size={self.group_size}")
        if self.order not in ("greedy", "morton", "none"):
            raise ValueError(f"modality.order must be 'greedy', 'morton' or 'none', got {self.order!r}")
        if self.mesh_sampling not in ("uniform", "poisson"):
            raise ValueError(f"modality.mesh_sampling must be 'uniform' or 'poisson', got {self.mesh_sampling!r}")
        if len(self.scale_range) != 2 or not 0 < self.scale_range[0] <= self.scale_range[1]:
            raise ValueError(f"modality.scale_range must be (min, max) with 0 < min <= max, got {self.scale_range}")
        if self.up_axis not in (0, 1, 2):
            raise ValueError(f"modality.up_axis must be 0, 1 or 2, got {self.up_axis}")
        if self.descriptor not in DESCRIPTORS:
            raise ValueError(f"modality.descriptor must be one of {', '.join(DESCRIPTORS)}, got {self.descriptor!r}")
        if self.voxel_size < 0 or self.translate < 0 or self.jitter < 0:
            raise ValueError(f"modality.voxel_size, translate and jitter must be >= 0, got {self.voxel_size}, "
                             f"{self.translate}, {self.jitter}")


@dataclass
class PointCloudBatch(Batch):
    """Collated clouds: ``points [B, P, 3]`` and, with normals, ``normals [B, P, 3]``;
    ``groups [B, G, k, C]`` and ``centers [B, G, 3]`` once the tokenizer has grouped them."""

    points: Tensor | None = None
    normals: Tensor | None = None
    groups: Tensor | None = None
    centers: Tensor | None = None


def _choose_points(n_stored: int, n: int, generator: torch.Generator | None) -> Tensor:
    """Indices of ``n`` of ``n_stored`` points: random without replacement when training; the
    first ``n`` (clouds are stored shuffled) at evaluation; repeated when the cloud is short."""
    if n_stored >= n:
        return torch.randperm(n_stored, generator=generator)[:n] if generator is not None else torch.arange(n)
    # Short clouds repeat points; duplicates never change FPS centres or kNN groups much.
    return torch.arange(n) % n_stored


def up_rotation(angle: float, up_axis: int = 1) -> Tensor:
    """``[3, 3]`` rotation by ``angle`` radians about coordinate axis ``up_axis`` (row vectors:
    ``points @ R``)."""
    c, s = float(np.cos(angle)), float(np.sin(angle))
    i, j = [a for a in range(3) if a != up_axis]
    rot = torch.eye(3)
    rot[i, i], rot[i, j], rot[j, i], rot[j, j] = c, s, -s, c
    return rot


def _augment(points: Tensor, normals: Tensor | None, cfg: PointCloudConfig,
             generator: torch.Generator) -> tuple[Tensor, Tensor | None]:
    """Random rotation about the up axis (``cfg.rotate``), anisotropic scale, translation and
    per-point jitter (``cfg.jitter``): Point-MAE / Point-JEPA pretraining augmentation."""
    if cfg.rotate:
        rot = up_rotation(2 * np.pi * float(torch.rand((), generator=generator)), cfg.up_axis)
        points = points @ rot
        normals = normals @ rot if normals is not None else None
    if cfg.jitter > 0:
        points = points + cfg.jitter * torch.randn(points.shape, generator=generator)
    low, high = cfg.scale_range
    scale = low + (high - low) * torch.rand(3, generator=generator)
    shift = (2 * torch.rand(3, generator=generator) - 1) * cfg.translate
    if normals is not None:  # normals transform with the inverse scale
        normals = torch.nn.functional.normalize(normals / scale, dim=-1)
    return points * scale + shift, normals


@register_modality("pointcloud")
class PointCloudAdapter(ModalityAdapter):
    """Point clouds and meshes (Point-JEPA): FPS+kNN groups, mini-PointNet, span masking."""

    Config = PointCloudConfig
    tasks = ("classify",)
    default_dataset = "synthetic"
    # Config defaults are Point-JEPA's (1024 points, 64 groups of 32, PointNet width 128); the run
    # defaults size a run for a few CPU minutes at the same 2x point coverage (64 groups x 16 of
    # 512 points). On a GPU, --set them back (modality.num_points=1024 modality.group_size=32 ...).
    run_defaults = {
        "train.steps": 200, "optim.warmup_steps": 20, "data.batch_size": 32,
        "model.dim": 128, "model.depth": 4, "model.num_heads": 4,
        "model.pred_dim": 64, "model.pred_depth": 2, "model.pred_heads": 4,
        "modality.num_points": 512, "modality.group_size": 16, "modality.pointnet_width": 32,
        # I-JEPA's 0.996 is tuned for 100k+ steps; after 200 steps its EMA target would still be
        # ~2/3 random init, so a short run starts the momentum lower.
        "objective.ema_start": 0.98,
    }
    quick_overrides = {
        "modality.num_points": 512, "modality.num_groups": 32, "modality.group_size": 16,
        "modality.pointnet_width": 32, "train.steps": 40,
    }

    # --- model pieces -------------------------------------------------------------------
    def build_tokenizer(self, cfg: PointCloudConfig, dim: int) -> PointGroupTokenizer:
        return PointGroupTokenizer(dim=dim, num_groups=cfg.num_groups, group_size=cfg.group_size,
                                   width=cfg.pointnet_width, order=cfg.order, use_normals=cfg.use_normals)

    def build_masker(self, cfg: PointCloudConfig) -> SpanMasker:
        return SpanMasker(num_targets=cfg.num_targets, target_ratio=tuple(cfg.target_ratio),
                          context_ratio=tuple(cfg.context_ratio), context_mode="contiguous")

    # --- data ---------------------------------------------------------------------------
    def collate(self, cfg: PointCloudConfig, samples: Sequence[PointCloudSample],
                generators: Sequence[torch.Generator] | None) -> PointCloudBatch:
        points, normals = [], []
        for i, sample in enumerate(samples):
            gen = generators[i] if generators is not None else None
            cloud = torch.as_tensor(sample.points)
            if cloud.ndim != 2 or cloud.shape[1] < 3 or len(cloud) < max(cfg.num_groups, cfg.group_size):
                raise ValueError(f"sample {sample.id}: points of shape {tuple(cloud.shape)}; need [P >= "
                                 f"{max(cfg.num_groups, cfg.group_size)}, 3]")
            if not torch.isfinite(cloud).all():
                raise ValueError(f"sample {sample.id}: NaN/inf coordinates")
            if cfg.use_normals and cloud.shape[1] < 6:
                raise ValueError(f"sample {sample.id}: use_normals is set but the cloud has no normals")
            cloud = cloud[_choose_points(len(cloud), cfg.num_points, gen)]
            xyz, nrm = cloud[:, :3], (cloud[:, 3:6] if cfg.use_normals else None)
            if gen is not None and cfg.augment:
                xyz, nrm = _augment(xyz, nrm, cfg, gen)
            points.append(xyz)
            normals.append(nrm)
        b = len(samples)
        labels = [s.label for s in samples]
        return PointCloudBatch(
            layout=Layout((cfg.num_groups,), valid=torch.full((b,), cfg.num_groups, dtype=torch.long)),
            labels=None if any(l is None for l in labels) else torch.tensor(labels, dtype=torch.long),
            ids=[s.id for s in samples],
            points=torch.stack(points).float(),
            normals=torch.stack(normals).float() if cfg.use_normals else None,
        )

    def datasets(self) -> dict[str, str]:
        out = {"synthetic": "SYNTHETIC generated shapes (8 open3d primitive classes), the default"}
        out.update({name: spec[3] for name, spec in NAMED_DATASETS.items()})
        return out

    def load_dataset(self, cfg: PointCloudConfig, source: str | None, *, split: str = "train",
                     data_root: Path | None = None, skip_bad: bool = False) -> PointCloudDataset:
        if source in (None, "", "synthetic"):
            return synthetic_shapes(split, per_class=cfg.synthetic_per_class, num_points=max(cfg.num_points, 1024))
        options = ReadOptions(num_points=cfg.mesh_points, mesh_sampling=cfg.mesh_sampling, normals=cfg.use_normals,
                              voxel_size=cfg.voxel_size, min_points=max(cfg.num_groups, cfg.group_size),
                              skip_bad=skip_bad)
        if source in NAMED_DATASETS:
            folder, column, min_count, _ = NAMED_DATASETS[source]
            if data_root is None:
                raise ValueError(f"dataset {source!r} needs --data-root or JEPA_DOMAINS_DATA")
            path = Path(data_root) / folder
            if not path.is_dir():
                raise ValueError(f"dataset {source!r}: {path} does not exist under the data root")
            return read_path(path, split, options, label_column=column, min_class_count=min_count)
        path = Path(source).expanduser()
        if path.exists():
            return read_path(path, split, options, label_column=cfg.label_column, min_class_count=cfg.min_class_count)
        raise ValueError(f"unknown pointcloud dataset {source!r}: not a path, and not one of "
                         f"{', '.join(self.datasets())}")

    # --- evaluation ---------------------------------------------------------------------
    def pool(self, cfg: PointCloudConfig, latents: Tensor, pad: Tensor, batch: Batch) -> Tensor:
        """Point-JEPA's embedding: max- and mean-pooled tokens concatenated, ``[B, 2D]``."""
        return max_mean_pool(latents, pad)

    def feature_baseline(self, cfg: PointCloudConfig, dataset: PointCloudDataset) -> np.ndarray:
        """The hand descriptor ``cfg.descriptor``: D2 histogram (32 bins) + sorted extents,
        ``[n, 35]``, or the four shape distributions + extents, ``[n, 131]``."""
        return descriptor_features([dataset[i].points for i in range(len(dataset))], cfg.descriptor)
