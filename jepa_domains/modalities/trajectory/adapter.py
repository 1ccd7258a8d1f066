"""The ``trajectory`` modality (T-JEPA, arXiv 2406.12913): GPS and planar tracks as sequences
of point tokens, span masking, similarity search / classification / forecasting downstream."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch import Tensor

from jepa_domains.core import SpanMasker
from jepa_domains.data.trajectory_readers import read_gotrack, read_mat_raw, read_table_file, read_ts_file, read_uea
from jepa_domains.data.trajectory_synthetic import synthetic_tracks
from jepa_domains.data.trajectory_track import TrackDataset, resample_track, split_track
from jepa_domains.modalities.base import ModalityAdapter, check_pool, mean_pool, segment_pool
from jepa_domains.modalities.trajectory.collate import NUM_MOTION_FEATURES, collate_tracks
from jepa_domains.modalities.trajectory.features import data_scales, features_matrix
from jepa_domains.modalities.trajectory.tokenizer import TrajectoryTokenizer
from jepa_domains.registry import register_modality

DATASETS = {
    "synthetic": "SYNTHETIC movement models (Brownian, correlated walk, Lévy flight, commute with stops), 4 classes",
    "gotrack": "Go!Track GPS tracks, Aracaju (UCI), car vs bus, 163 tracks; deterministic stratified 70/30 split",
    "animals": "MAT raw Animals (Starkey elk/deer/cattle), 3 classes, 70/32 tracks",
    "vehicles": "MAT raw Vehicles (Athens trucks/buses, metres), 2 classes, 227/154 tracks",
    "pendigits": "UEA PenDigits pen trajectories, 10 classes, 8 points each, 7494/3498",
    "libras": "UEA Libras hand trajectories, 15 classes, 45 points each, 180/180",
}
POOLS = ("mean", "segments")
_FOLDERS = {"gotrack": "trajectories/gotrack", "animals": "trajectories/mat_raw/Animals",
            "vehicles": "trajectories/mat_raw/Vehicles", "pendigits": "trajectories/uea/PenDigits",
            "libras": "trajectories/uea/Libras"}


@dataclass
class TrajectoryConfig:
    """Options of the trajectory modality (``--set modality.<field>=...``).

    ``cell_size``, ``speed_scale`` and ``gap_scale`` at 0 mean "measure on the training set"
    (:meth:`TrajectoryAdapter.prepare` stores the values in the run).
    """

    cell_size: float = 0.0              # grid cell side in coordinate units (metres for GPS)
    cells_per_track: float = 16.0       # auto cell size = median track extent / this
    hash_buckets: int = 8192            # rows of the hashed cell-embedding table
    speed_scale: float = 0.0
    gap_scale: float = 0.0
    max_points: int = 128               # longer tracks are down-sampled in the collate
    num_targets: int = 3                # T-JEPA's M target spans
    target_ratios: tuple[float, ...] = (0.2, 0.3, 0.4)
    contiguous_prob: float = 0.5
    context_ratio: tuple[float, ...] = (0.85, 1.0)
    coordinates: str = "auto"           # for user files: auto | geographic | planar
    max_speed: float = 0.0              # for user files: drop points reached faster than this; 0 = off
    resample_interval: float = 0.0      # >0: resample every track at this time step
    segment_points: int = 0             # >0: split tracks into segments of at most this many points
    split_seed: int = 0                 # seed of the split of sets that ship without one (Go!Track)
    skip_bad_tracks: bool = False       # like data.skip_bad, but stored with the run so that
                                        # evaluation (which loads data without data.skip_bad) skips too
    # robustness to re-sampling (docs/recipes/trajectory.md); the defaults keep the original tokens
    inputs: str = "motion"              # motion: time gap, speed, turn, heading | geometry: arc-length
                                        # fraction, path length in cells, turn, heading (no time)
    resample: str = "index"             # index: at most max_points recorded points | arclength: exactly
                                        # max_points points evenly spaced along the path
    aug_downsample: float = 0.0         # pretraining: drop inner points at a rate ~ U(0, this)
    aug_distort: float = 0.0            # pretraining: jitter points (one median step) at a rate ~ U(0, this)
    aug_view: str = "sample"            # sample: augment the whole sample | context: only the context encoder
                                        # reads the augmented track, the target encoder the clean one (T-JEPA;
                                        # needs resample=arclength)
    still_length: float = 0.0           # >0: a track whose path is shorter than this many cells is a stop
                                        # (its centroid), not a shape made of GPS jitter
    min_step: float = 0.0               # >0: drop points closer than this many cells to the previous kept
                                        # one (stops inside a track stop adding jitter path length)
    location_octaves: int = 0           # >0: sine-cosine features of absolute position at this many scales
                                        # (one cell, then doubling) added to every token: where a track
                                        # is, not only its shape (0: off, the original tokens)
    location_base: float = 1.0          # the finest of those scales, in cells
    time_window: int = 1                # motion inputs: each token's time gap and speed over this many
                                        # segments around it (a wait between two fixes is spread over
                                        # whatever path the kept fixes span; the time over a longer
                                        # stretch does not depend on that)
    # evaluation: how token latents become one embedding
    pool: str = "mean"                  # mean: over all tokens | segments: means over pool_segments equal,
                                        # consecutive parts, concatenated (with resample=arclength: the same
                                        # stretches of path on every track, so the order survives)
    pool_segments: int = 4

    def __post_init__(self) -> None:
        check_pool(self.pool, self.pool_segments, POOLS)
        if self.location_octaves < 0 or not self.location_base > 0:
            raise ValueError(f"modality.location_octaves must be >= 0 and modality.location_base > 0, got "
                             f"{self.location_octaves} and {self.location_base}")


@register_modality("trajectory")
class TrajectoryAdapter(ModalityAdapter):
    """Trajectories (GPS / planar tracks): hashed cells + AdjFuse + motion tokens, T-JEPA spans."""

    Config = TrajectoryConfig
    tasks = ("classify", "similarity", "forecast")
    default_dataset = "synthetic"
    # sized for a few minutes on a laptop CPU; raise model.* and train.steps on a GPU
    run_defaults = {"model.dim": 96, "model.depth": 4, "model.num_heads": 4, "model.pred_dim": 48,
                    "model.pred_depth": 2, "model.pred_heads": 4, "train.steps": 200, "data.batch_size": 32,
                    "modality.max_points": 64, "optim.warmup_steps": 20, "train.checkpoint_every": 100,
                    # runs of a few hundred CPU steps: a slower EMA would leave the target encoder
                    # (the one evaluated) close to its random initialisation
                    "objective.ema_start": 0.99, "objective.ema_end": 0.999}
    quick_overrides = {"train.steps": 40, "data.batch_size": 16, "modality.max_points": 64,
                       "objective.ema_start": 0.98}

    # --- model pieces -------------------------------------------------------------------
    def build_tokenizer(self, cfg: TrajectoryConfig, dim: int) -> TrajectoryTokenizer:
        return TrajectoryTokenizer(dim=dim, cell_size=cfg.cell_size, hash_buckets=cfg.hash_buckets,
                                   num_features=NUM_MOTION_FEATURES, location_octaves=cfg.location_octaves,
                                   location_base=cfg.location_base)

    def build_masker(self, cfg: TrajectoryConfig) -> SpanMasker:
        if len(cfg.context_ratio) != 2:
            raise ValueError(f"context_ratio must be (min, max), got {cfg.context_ratio}")
        return SpanMasker(num_targets=cfg.num_targets, target_ratio_choices=cfg.target_ratios,
                          contiguous_prob=cfg.contiguous_prob, context_mode="random",
                          context_ratio=(cfg.context_ratio[0], cfg.context_ratio[1]))

    # --- data ---------------------------------------------------------------------------
    def collate(self, cfg: TrajectoryConfig, samples, generators):
        if cfg.max_points < 2:
            raise ValueError(f"max_points must be >= 2, got {cfg.max_points}")
        if not (0.0 <= cfg.aug_downsample < 1.0 and cfg.aug_distort >= 0.0):
            raise ValueError(f"aug_downsample must be in [0, 1) and aug_distort >= 0, got {cfg.aug_downsample} "
                             f"and {cfg.aug_distort}")
        return collate_tracks(samples, max_points=cfg.max_points, speed_scale=cfg.speed_scale or 1.0,
                              gap_scale=cfg.gap_scale or 1.0, generators=generators, inputs=cfg.inputs,
                              resample=cfg.resample, cell_size=cfg.cell_size or 1.0,
                              aug_downsample=cfg.aug_downsample, aug_distort=cfg.aug_distort,
                              still_length=cfg.still_length, min_step=cfg.min_step, aug_view=cfg.aug_view,
                              time_window=cfg.time_window)

    def datasets(self) -> dict[str, str]:
        return dict(DATASETS)

    def load_dataset(self, cfg: TrajectoryConfig, source: str | None, *, split: str = "train",
                     data_root: Path | None = None, skip_bad: bool = False) -> TrackDataset:
        if split not in ("train", "test", "all"):
            raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")
        source = source or self.default_dataset
        skip_bad = skip_bad or cfg.skip_bad_tracks
        if source == "synthetic":
            dataset = _synthetic(split)
        elif source in _FOLDERS:
            if data_root is None:
                raise ValueError(f"dataset {source!r} needs --data-root or JEPA_DOMAINS_DATA")
            dataset = _named(source, Path(data_root) / _FOLDERS[source], split, cfg, skip_bad)
        elif Path(source).exists():
            dataset = _from_path(Path(source), split, cfg, skip_bad)
        else:
            raise ValueError(f"unknown trajectory dataset {source!r}: not a file or folder, and not one of "
                             f"{', '.join(DATASETS)}")
        return _postprocess(dataset, cfg)

    def samples_dataset(self, cfg: TrajectoryConfig, samples) -> TrackDataset:
        return TrackDataset(list(samples), description=f"in-memory tracks ({len(samples)})")

    def prepare(self, cfg: TrajectoryConfig, dataset: TrackDataset) -> TrajectoryConfig:
        scales = data_scales(dataset.tracks, cells_per_track=cfg.cells_per_track)
        updates = {k: v for k, v in scales.items() if getattr(cfg, k) <= 0}
        return dataclasses.replace(cfg, **updates)

    # --- evaluation ---------------------------------------------------------------------
    def pool(self, cfg: TrajectoryConfig, latents: Tensor, pad: Tensor, batch) -> Tensor:
        """``[B, N, D]`` token latents -> ``[B, D]`` (``pool="mean"``: over the valid tokens) or
        ``[B, K * D]`` (``"segments"``: masked means over ``K = pool_segments`` equal, consecutive
        parts of each track's valid tokens, concatenated in path order)."""
        if cfg.pool == "mean":
            return mean_pool(latents, pad, batch.layout.rows_per_sample)
        rows = segment_pool(latents, pad, cfg.pool_segments).flatten(1)                      # [R, K * D]
        return rows.reshape(-1, batch.layout.rows_per_sample * rows.shape[1])

    def protocols(self) -> dict[str, Any]:
        """The shared train/test probe plus 1-NN DTW, T-JEPA's self-similarity search and next-positions
        forecasting."""
        from jepa_domains.modalities.trajectory.evaluate import classify_dtw_run, forecast_run, similarity_run

        return {**super().protocols(), "classify": classify_dtw_run, "similarity": similarity_run,
                "forecast": forecast_run}

    def feature_baseline(self, cfg: TrajectoryConfig, dataset: TrackDataset) -> np.ndarray:
        return features_matrix(dataset.tracks)


def _synthetic(split: str) -> TrackDataset:
    # train and test are two seeds of the same generator; "all" is both
    if split == "all":
        a, b = synthetic_tracks(seed=0), synthetic_tracks(seed=1, num_per_class=32)
        return TrackDataset(a.tracks + b.tracks, description=a.description + " + test seed 1", classes=a.classes)
    return synthetic_tracks(seed=0) if split == "train" else synthetic_tracks(seed=1, num_per_class=32)


def _named(name: str, folder: Path, split: str, cfg: TrajectoryConfig, skip_bad: bool) -> TrackDataset:
    if not folder.is_dir():
        raise FileNotFoundError(f"dataset {name!r}: folder {folder} not found under the data root")
    if name == "gotrack":
        return _stratified_split(read_gotrack(folder, skip_bad=skip_bad), split, cfg.split_seed)
    if name in ("animals", "vehicles"):
        return read_mat_raw(folder, split, skip_bad=skip_bad)
    return read_uea(folder, split, skip_bad=skip_bad)


def _from_path(path: Path, split: str, cfg: TrajectoryConfig, skip_bad: bool) -> TrackDataset:
    if path.is_file():
        if path.suffix == ".ts":
            return read_ts_file(path, skip_bad=skip_bad)
        if path.suffix in (".csv", ".parquet"):
            return read_table_file(path, coordinates=cfg.coordinates, max_speed=cfg.max_speed, skip_bad=skip_bad)
        raise ValueError(f"{path}: unsupported trajectory file type {path.suffix!r} (use .csv, .parquet or .ts)")
    if (path / "go_track_trackspoints.csv").is_file():
        return _stratified_split(read_gotrack(path, skip_bad=skip_bad), split, cfg.split_seed)
    if (path / "specific_train.csv").is_file():
        return read_mat_raw(path, split, skip_bad=skip_bad)
    if list(path.glob("*_TRAIN.ts")):
        return read_uea(path, split, skip_bad=skip_bad)
    raise ValueError(f"{path}: folder has no Go!Track, MAT raw (specific_train.csv) or UEA (*_TRAIN.ts) files")


def _stratified_split(dataset: TrackDataset, split: str, seed: int, test_fraction: float = 0.3) -> TrackDataset:
    """Deterministic per-class 70/30 split of a set that ships without one."""
    if split == "all":
        return dataset
    rng = np.random.default_rng(seed)
    test = np.zeros(len(dataset), dtype=bool)
    for c in np.unique(dataset.labels):
        members = rng.permutation(np.nonzero(dataset.labels == c)[0])
        test[members[: round(test_fraction * len(members))]] = True
    keep = test if split == "test" else ~test
    tracks = [tr for tr, k in zip(dataset.tracks, keep) if k]
    return TrackDataset(tracks, description=f"{dataset.name} [{split} split, seed {seed}]", classes=dataset.classes,
                        cleaning=dataset.cleaning, announce=False,
                        read_report=dataset.read_report)


def _postprocess(dataset: TrackDataset, cfg: TrajectoryConfig) -> TrackDataset:
    if cfg.resample_interval <= 0 and cfg.segment_points <= 0:
        return dataset
    tracks = dataset.tracks
    if cfg.resample_interval > 0:
        tracks = [resample_track(tr, cfg.resample_interval) for tr in tracks]
    if cfg.segment_points > 0:
        tracks = [seg for tr in tracks for seg in split_track(tr, cfg.segment_points)]
    return TrackDataset(tracks, description=f"{dataset.name} [resample {cfg.resample_interval}, "
                                            f"segments <= {cfg.segment_points or 'inf'} points]",
                        classes=dataset.classes, cleaning=dataset.cleaning, announce=False,
                        read_report=dataset.read_report)
