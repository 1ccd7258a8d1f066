"""Point-cloud datasets in their own on-disk formats: ModelNet (class folders of ``.off`` meshes
or the PointNet HDF5 release), folders of files (one subfolder per class, or a metadata CSV with
labels and split), and the furniture3d benchmark (a metadata CSV with two label columns).

Points are read, validated and normalised once, at load, and kept in memory; the collate only
subsamples and augments them.
"""

from __future__ import annotations

import csv
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch.utils.data import Dataset

from jepa_domains.data.pointcloud_io import CLOUD_SUFFIXES, normalize_unit_sphere, read_cloud, validate_points
from jepa_domains.data.read_report import ReadReport

SPLITS = ("train", "test", "all")


@dataclass
class PointCloudSample:
    """One shape: ``points [P, 3]`` (``[P, 6]`` with normals), unit-sphere normalised, float32."""

    points: np.ndarray
    label: int | None
    id: str


@dataclass(frozen=True)
class ReadOptions:
    """How files become clouds (mirrors the modality Config fields of the same names)."""

    num_points: int = 2048
    mesh_sampling: str = "uniform"
    normals: bool = False
    voxel_size: float = 0.0
    min_points: int = 32
    skip_bad: bool = False


class PointCloudDataset(Dataset):
    """In-memory list of :class:`PointCloudSample`.

    Attributes:
        labels: ``[n]`` int array (or None when unlabelled).
        class_names: label index -> name.
        description: one line saying what the data is.
        skipped: number of bad files skipped (``skip_bad=True``).
        read_report: :class:`ReadReport` naming what was read, skipped and ignored.
    """

    def __init__(self, samples: Sequence[PointCloudSample], *, class_names: Sequence[str] = (),
                 description: str = "", skipped: int = 0, read_report: ReadReport | None = None) -> None:
        if not samples:
            raise ValueError(f"no samples in dataset: {description or 'unnamed'}")
        self.samples = list(samples)
        self.class_names = list(class_names)
        self.description = description
        self.read_report = read_report or ReadReport(source=description, read=len(self.samples))
        self.skipped = len(self.read_report.skipped) if read_report is not None else skipped
        labels = [s.label for s in self.samples]
        self.labels = None if any(l is None for l in labels) else np.asarray(labels, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> PointCloudSample:
        return self.samples[index]


def shuffle_points(points: np.ndarray, key: str) -> np.ndarray:
    """Points in a fixed random order (seeded by the sample id), so that taking the first ``n``
    at evaluation time is a uniform, deterministic subsample."""
    seed = zlib.crc32(key.encode())
    return points[np.random.default_rng(seed).permutation(len(points))]


def _or_skip(options: ReadOptions, report: ReadReport, name: str,
             read: Callable[[], np.ndarray]) -> np.ndarray | None:
    """``read()``; a bad sample's ``ValueError`` propagates, or, when ``options.skip_bad``, is
    recorded in ``report`` under ``name`` and ``None`` is returned."""
    try:
        return read()
    except ValueError as err:
        report.skip_or_raise(name, err, skip_bad=options.skip_bad)
        return None


def read_files(entries: Iterable[tuple[Path, int | None, str]], options: ReadOptions,
               report: ReadReport) -> list[PointCloudSample]:
    """Read ``(path, label, id)`` entries; bad files raise, or are named as skips in ``report``."""
    samples = []
    for path, label, sample_id in entries:
        points = _or_skip(options, report, str(path), lambda: read_cloud(
            path, num_points=options.num_points, mesh_sampling=options.mesh_sampling, normals=options.normals,
            voxel_size=options.voxel_size, min_points=options.min_points))
        if points is not None:
            samples.append(PointCloudSample(points=shuffle_points(points, sample_id), label=label, id=sample_id))
    report.read += len(samples)
    return samples


def _finish(samples: list[PointCloudSample], report: ReadReport, *, class_names: Sequence[str],
            description: str) -> PointCloudDataset:
    """The dataset, after announcing the report when anything was skipped or ignored."""
    report.announce()
    return PointCloudDataset(samples, class_names=class_names, description=description, read_report=report)


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def read_modelnet_meshes(root: str | Path, split: str, options: ReadOptions) -> PointCloudDataset:
    """ModelNet10/40 as distributed: ``root/<class>/{train,test}/<class>_NNNN.off``."""
    _check_split(split)
    root = Path(root)
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and any((p / s).is_dir() for s in ("train", "test")))
    if not classes:
        raise ValueError(f"{root}: no ModelNet class folders with train/ or test/ subfolders")
    wanted = ("train", "test") if split == "all" else (split,)
    entries = [(f, label, f"{name}/{part}/{f.name}") for label, name in enumerate(classes) for part in wanted
               for f in sorted((root / name / part).glob("*.off"))]
    report = ReadReport(source=str(root))
    samples = read_files(entries, options, report)
    return _finish(samples, report, class_names=classes,
                   description=f"ModelNet{len(classes)} meshes from {root} ({split}, {len(samples)} shapes)")


def read_modelnet_h5(root: str | Path, split: str, options: ReadOptions) -> PointCloudDataset:
    """The PointNet HDF5 release: ``ply_data_{train,test}*.h5`` with ``data [n, P, 3]`` and
    ``label [n, 1]``; class names from ``shape_names.txt`` when present."""
    try:
        import h5py
    except ImportError as err:  # optional dependency: only this reader needs it
        raise ImportError("reading ModelNet HDF5 files needs h5py: pip install h5py") from err
    _check_split(split)
    root = Path(root)
    wanted = ("train", "test") if split == "all" else (split,)
    files = [f for part in wanted for f in sorted(root.glob(f"ply_data_{part}*.h5"))]
    if not files:
        raise ValueError(f"{root}: no ply_data_{split}*.h5 files")
    names_file = root / "shape_names.txt"
    class_names = names_file.read_text().split() if names_file.is_file() else []
    samples, report = [], ReadReport(source=str(root))
    for f in files:
        try:
            with h5py.File(f, "r") as h5:
                data, label = np.asarray(h5["data"]), np.asarray(h5["label"]).reshape(-1)
        except (OSError, KeyError) as err:
            raise ValueError(f"{f}: not a PointNet HDF5 file with 'data' and 'label' ({err})") from None
        if data.ndim != 3 or len(data) != len(label):
            raise ValueError(f"{f}: 'data' must be [n, P, 3] with one label each, got {data.shape} and {label.shape}")
        for i, (points, y) in enumerate(zip(data, label)):
            sample_id = f"{f.name}#{i}"
            points = _or_skip(options, report, sample_id, lambda: normalize_unit_sphere(
                validate_points(points, sample_id, min_points=options.min_points)))
            if points is None:
                continue
            samples.append(PointCloudSample(points=shuffle_points(points, sample_id), label=int(y), id=sample_id))
    if not class_names:
        class_names = [str(i) for i in range(int(max(s.label for s in samples)) + 1)] if samples else []
    report.read = len(samples)
    return _finish(samples, report, class_names=class_names,
                   description=f"ModelNet HDF5 from {root} ({split}, {len(samples)} shapes)")


def read_metadata_folder(root: str | Path, split: str, options: ReadOptions, *, label_column: str = "label",
                         min_class_count: int = 0, name: str = "") -> PointCloudDataset:
    """A folder with ``metadata.csv`` (columns ``file``, a label column, optional ``split``).

    Rows with an empty label are not part of this labelling (e.g. furniture3d's ``shape_class``
    exists for 315 of 820 models); classes with fewer than ``min_class_count`` models over the
    whole CSV are left out too. Both selections are stated in the description. Class indices are
    computed over all splits, so train and test agree.
    """
    _check_split(split)
    root = Path(root)
    meta = root / "metadata.csv"
    with open(meta, newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or "file" not in rows[0] or label_column not in rows[0]:
        columns = ", ".join(rows[0]) if rows else "none"
        raise ValueError(f"{meta}: needs columns 'file' and {label_column!r}; has {columns}")
    labelled = [r for r in rows if (r[label_column] or "").strip()]
    counts = Counter(r[label_column] for r in labelled)
    classes = sorted(c for c, n in counts.items() if n >= min_class_count)
    index = {c: i for i, c in enumerate(classes)}
    kept = [r for r in labelled if r[label_column] in index]
    has_split = "split" in rows[0]
    chosen = [r for r in kept if split == "all" or (r["split"] if has_split else _fallback_split(r["file"])) == split]
    entries = [(root / r["file"], index[r[label_column]], r["file"]) for r in chosen]
    report = ReadReport(source=str(root))
    samples = read_files(entries, options, report)
    note = f"{len(kept)}/{len(rows)} rows labelled by {label_column!r}"
    if min_class_count:
        note += f" in {len(classes)} classes with >= {min_class_count} models"
    return _finish(samples, report, class_names=classes,
                   description=f"{name or root.name} ({split}, {len(samples)} shapes; {note})")


def _fallback_split(file: str) -> str:
    """Deterministic 80/20 split by file name when a folder has no split information."""
    return "test" if zlib.crc32(file.encode()) % 5 == 0 else "train"


def read_class_folders(root: str | Path, split: str, options: ReadOptions) -> PointCloudDataset:
    """One subfolder per class holding cloud/mesh files (optionally under ``train/``/``test/``).

    Without ``train``/``test`` subfolders, a deterministic 80/20 split by file name is used.
    """
    _check_split(split)
    root = Path(root)
    classes = sorted(p.name for p in root.iterdir() if p.is_dir())
    if not classes:
        raise ValueError(f"{root}: no class subfolders")
    entries, report = [], ReadReport(source=str(root))
    _ignore_loose_files(root, report)
    for label, name in enumerate(classes):
        files = sorted(f for f in (root / name).rglob("*") if f.is_file())
        for f in files:
            if f.suffix.lower() not in CLOUD_SUFFIXES:
                report.ignore(str(f.relative_to(root)), f"suffix {f.suffix or '(none)'!r} is not a point-cloud format")
                continue
            rel = f.relative_to(root / name)
            part = rel.parts[0] if len(rel.parts) > 1 and rel.parts[0] in ("train", "test") else _fallback_split(rel.as_posix())
            if split in ("all", part):
                entries.append((f, label, f"{name}/{rel.as_posix()}"))
    samples = read_files(entries, options, report)
    return _finish(samples, report, class_names=classes,
                   description=f"class folders {root} ({split}, {len(samples)} shapes, {len(classes)} classes)")


def _ignore_loose_files(root: Path, report: ReadReport) -> None:
    """Files directly in a class-folder root belong to no class: name them as ignored."""
    for f in sorted(p for p in root.iterdir() if p.is_file()):
        report.ignore(f.name, "file outside the class subfolders")


def read_path(path: str | Path, split: str, options: ReadOptions, *, label_column: str = "label",
              min_class_count: int = 0) -> PointCloudDataset:
    """Pick the reader a path's layout calls for: HDF5 release, metadata CSV, ModelNet, class folders."""
    path = Path(path).expanduser()
    if not path.is_dir():
        raise ValueError(f"{path}: not a directory (expected a dataset folder)")
    if any(path.glob("ply_data_*.h5")):
        return read_modelnet_h5(path, split, options)
    if (path / "metadata.csv").is_file():
        return read_metadata_folder(path, split, options, label_column=label_column, min_class_count=min_class_count)
    subdirs = [p for p in path.iterdir() if p.is_dir()]
    if subdirs and all((p / "train").is_dir() or (p / "test").is_dir() for p in subdirs) \
            and any(p.glob("*/*.off") for p in subdirs):
        return read_modelnet_meshes(path, split, options)
    return read_class_folders(path, split, options)
