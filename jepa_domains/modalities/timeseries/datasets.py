"""Time-series datasets: UCR/UEA sets (sktime-shipped by name, or ``.ts`` by path), folders of
labelled CSV series, long CSV series cut into lookback windows (ETT layout), and the generated
SYNTHETIC set."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch.utils.data import Dataset

from jepa_domains.data.read_report import ReadReport
from jepa_domains.data.timeseries_readers import (
    CSV_FOLDER_LAYOUT,
    Series,
    TimeSplit,
    column_indices,
    ett_split,
    is_csv_class_folder,
    is_regression_ts,
    read_csv_class_folder,
    read_csv_series,
    read_ts_file,
    shipped_ucr_uea,
)
from jepa_domains.data.timeseries_synthetic import generate_series

ETT_NAMES = ("ETTh1", "ETTh2", "ETTm1", "ETTm2")


class SeriesDataset(Dataset):
    """A list of :class:`Series` with integer labels (or None), a description, a skip count,
    ``read_report`` (:class:`ReadReport`, naming the skipped series) and the ``kind`` of source
    it was read from (:func:`resolve_source`; None for in-memory series)."""

    def __init__(self, series: list[Series], *, description: str, class_names: list[str] | None = None,
                 skipped: int = 0, read_report: ReadReport | None = None, kind: str | None = None) -> None:
        if not series:
            raise ValueError(f"{description}: no series left to use")
        self.series, self.description, self.class_names, self.kind = series, description, class_names, kind
        self.read_report = read_report or ReadReport(source=description, read=len(series))
        self.skipped = len(self.read_report.skipped) if read_report is not None else skipped

    def __len__(self) -> int:
        return len(self.series)

    def __getitem__(self, index: int) -> Series:
        return self.series[index]

    @property
    def labels(self) -> np.ndarray | None:
        if any(s.label is None for s in self.series):
            return None
        return np.array([s.label for s in self.series], dtype=np.int64)

    @property
    def channels(self) -> int:
        return int(self.series[0].values.shape[0])


def check_series(series: list[Series], *, min_length: int, impute: bool, skip_bad: bool,
                 report: ReadReport | None = None) -> tuple[list[Series], int]:
    """Validate series: consistent channels, at least ``min_length`` steps, finite values.

    NaN/inf values are linearly interpolated when ``impute`` (edges take the nearest value);
    otherwise they raise, or the series is skipped, counted and named in ``report``.
    """
    report = report if report is not None else ReadReport()
    kept, skipped = [], 0
    channels = series[0].values.shape[0] if series else 0
    for s in series:
        problem = None
        if s.values.ndim != 2:
            problem = f"expected [channels, length], got shape {s.values.shape}"
        elif s.values.shape[0] != channels:
            problem = f"has {s.values.shape[0]} channels, the dataset has {channels}"
        elif s.values.shape[1] < min_length:
            problem = f"has {s.values.shape[1]} steps, shorter than one patch ({min_length})"
        elif not np.isfinite(s.values).all():
            if impute:
                s = Series(interpolate_nonfinite(s.values, s.id), s.label, s.id)
            else:
                problem = "contains NaN or inf (set modality.impute=true to interpolate)"
        if problem is None:
            kept.append(s)
        elif skip_bad:
            skipped += 1
            report.skipped.append((f"series {s.id}", problem))
        else:
            raise ValueError(f"series {s.id} {problem}")
    report.read += len(kept)
    return kept, skipped


def interpolate_nonfinite(values: np.ndarray, name: str) -> np.ndarray:
    """Linear interpolation of NaN/inf along time, per channel."""
    out = values.astype(np.float32).copy()
    steps = np.arange(out.shape[1])
    for c in range(out.shape[0]):
        good = np.isfinite(out[c])
        if not good.any():
            raise ValueError(f"series {name}: channel {c} has no finite value to interpolate from")
        out[c] = np.interp(steps, steps[good], out[c, good])
    return out


def encode_labels(raw: list[str] | None, classes: list[str] | None = None) -> tuple[list[int | None], list[str] | None]:
    if raw is None:
        return [None] * 0, None
    classes = classes or sorted(set(raw), key=lambda v: (len(v), v))
    index = {c: i for i, c in enumerate(classes)}
    unknown = sorted(set(raw) - set(index))
    if unknown:
        raise ValueError(f"labels {unknown[:5]} of the test split do not occur in the training split")
    return [index[v] for v in raw], classes


def load_ts_split(path_train: Path, path_test: Path | None, split: str, name: str) -> tuple[list[Series], list[str] | None]:
    """Read a UCR/UEA train/test pair; labels are encoded from the training file's classes.
    Regression files (``@targetLabel true``) load unlabelled: their targets are not classes."""
    regression = is_regression_ts(path_train)
    train, train_labels = read_ts_file(path_train)
    if regression:
        train_labels = None
    _, classes = encode_labels(train_labels)
    parts = {"train": [(path_train, train, train_labels)]}
    if path_test is not None and path_test.is_file():
        test, test_labels = read_ts_file(path_test)
        test_labels = None if regression else test_labels
        parts["test"] = [(path_test, test, test_labels)]
    if split == "all":
        chosen = parts["train"] + parts.get("test", [])
    elif split in parts:
        chosen = parts[split]
    else:
        raise ValueError(f"{name}: no {split!r} split (files: {path_train}, {path_test})")
    out = []
    for path, values, labels in chosen:
        encoded, _ = encode_labels(labels, classes) if labels is not None else ([None] * len(values), None)
        out.extend(Series(v, encoded[i] if labels is not None else None, f"{path.name}:{i}")
                   for i, v in enumerate(values))
    return out, classes


@dataclass
class WindowSource:
    """A long series cut into windows: standardised values ``[T, C]`` and the split borders."""

    name: str
    values: np.ndarray
    columns: list[str]
    split: TimeSplit


def load_long_series(path: Path, name: str, columns: tuple[str, ...] | list[str] = ()) -> WindowSource:
    """Read a CSV (its ``columns``, in order; empty: every column but a leading date) and
    standardise each column with the statistics of its training part."""
    values, columns = read_csv_series(path, columns)
    split = ett_split(name, len(values))
    train = values[split.train[0] : split.train[1]]
    mean, std = train.mean(0), train.std(0) + 1e-8
    return WindowSource(name=name, values=((values - mean) / std).astype(np.float32), columns=columns, split=split)


def target_channels(source: WindowSource, target: tuple[str, ...] | list[str]) -> list[int]:
    """Channel indices of the ``target`` columns among the columns read (every channel when
    ``target`` is empty); a one-line ``ValueError`` listing the columns read otherwise."""
    return column_indices(source.columns, target, what="modality.target", source=source.name)


def load_csv_folder_split(root: Path, split: str, *, columns: tuple[str, ...] | list[str] = (),
                          skip_bad: bool = False, report: ReadReport | None = None) -> tuple[list[Series], list[str]]:
    """Labelled series of a CSV class folder (``train/<class>/*.csv``, ``test/<class>/*.csv``):
    ``split`` ``"train"``, ``"test"`` (``"val"`` reads test, as for ``.ts`` pairs) or ``"all"``.
    Classes are the ``train/`` folders holding a ``.csv`` file, in sorted order; a test class
    absent from training raises. Series ids are file names relative to ``root``."""
    classes = sorted(d.name for d in (root / "train").iterdir() if d.is_dir() and any(d.glob("*.csv")))
    if not classes:
        raise ValueError(f"{root / 'train'}: no class folder holds a .csv file (layout: {CSV_FOLDER_LAYOUT})")
    parts = {"train": ["train"], "test": ["test"], "val": ["test"], "all": ["train", "test"]}[split]
    out = []
    for part in parts:
        read = read_csv_class_folder(root, part, columns=columns, skip_bad=skip_bad, report=report)
        labels, _ = encode_labels(read.classes, classes)
        out.extend(Series(v, label, name) for v, label, name in zip(read.values, labels, read.names))
    return out, classes


def window_series(source: WindowSource, *, split: str, window: int, stride: int) -> list[Series]:
    """Lookback windows of ``window`` steps lying inside ``split`` (``[C, window]`` each)."""
    lo, hi = {"train": source.split.train, "val": source.split.val, "test": source.split.test,
              "all": (0, source.split.test[1])}[split]
    starts = range(lo, hi - window + 1, stride)
    out = [Series(source.values[s : s + window].T.copy(), None, f"{source.name}@{s}") for s in starts]
    if not out:
        raise ValueError(f"{source.name}: split {split!r} has fewer than {window} steps for one window")
    return out


def resolve_source(source: str | None, data_root: Path | None) -> tuple[str, Path | None]:
    """Classify a ``--data`` value: returns (kind, path) with kind in
    ``{"synthetic", "shipped", "ts", "csv", "csv_folder"}``: a folder is ``"ts"`` when it holds
    a ``*_TRAIN.ts`` file, ``"csv_folder"`` when it has a ``train/`` folder."""
    if source is None or source == "synthetic":
        return "synthetic", None
    shipped = {k.lower(): v for k, v in shipped_ucr_uea().items()}
    if source.lower() in shipped:
        return "shipped", shipped[source.lower()]
    if source in ETT_NAMES or source.lower().startswith("ett:"):
        name = source.split(":", 1)[-1]
        if data_root is None:
            raise ValueError(f"dataset {name!r} needs --data-root or JEPA_DOMAINS_DATA")
        path = data_root / "ett" / "ETT-small" / f"{name}.csv"
        if not path.is_file():
            raise FileNotFoundError(f"dataset {name!r}: no file {path}")
        return "csv", path
    path = Path(source).expanduser()
    if path.is_dir():
        if any(path.glob("*_TRAIN.ts")):
            return "ts", path
        if is_csv_class_folder(path):
            return "csv_folder", path
        raise FileNotFoundError(f"{path}: neither a NAME_TRAIN.ts/NAME_TEST.ts pair nor a CSV class folder "
                                f"({CSV_FOLDER_LAYOUT})")
    if path.suffix == ".ts":
        return "ts", path
    if path.suffix == ".csv":
        return "csv", path
    known = ", ".join(["synthetic", *sorted(shipped_ucr_uea()), *ETT_NAMES])
    raise ValueError(f"unknown time-series dataset {source!r}: not a known name ({known}) nor a .ts/.csv "
                     "file or a folder of them")


def synthetic_dataset(split: str) -> list[Series]:
    """Train and test halves of the generated set (disjoint seeds)."""
    if split == "all":
        return synthetic_dataset("train") + synthetic_dataset("test")
    return generate_series(40, seed=0 if split == "train" else 1)
