"""Readers for time series in their own formats: UCR/UEA ``.ts`` files (and the copies sktime
ships), CSV long series in the ETT layout (a date column plus one column per variable), and
folders of labelled CSV series (``train/<class>/*.csv``, ``test/<class>/*.csv``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from jepa_domains.data.read_report import ReadReport

DATE_COLUMNS = ("date", "time", "timestamp", "datetime")
CSV_FOLDER_LAYOUT = "train/<class>/*.csv and test/<class>/*.csv"


@dataclass
class Series:
    """One multivariate series: ``values`` ``[C, L]`` float32, an int ``label`` (or None) and
    an ``id`` naming it in error messages (``file:index``)."""

    values: np.ndarray
    label: int | None
    id: str


def sktime_data_dir() -> Path:
    import sktime

    return Path(os.path.dirname(sktime.__file__)) / "datasets" / "data"


def shipped_ucr_uea() -> dict[str, Path]:
    """UCR/UEA classification sets shipped inside sktime (readable offline): name -> folder.
    Regression sets (``@targetLabel true`` in the header) are left out."""
    root = sktime_data_dir()
    return {p.name: p for p in sorted(root.iterdir())
            if p.is_dir() and (p / f"{p.name}_TRAIN.ts").is_file() and p.name != "UnitTest"
            and not is_regression_ts(p / f"{p.name}_TRAIN.ts")}


def _header_flag(path: Path, key: str) -> str | None:
    """The value of ``@key`` in a ``.ts`` header (lower case), or None when absent."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            line = line.strip().lower()
            if line.startswith(f"@{key.lower()}"):
                return line.split()[-1]
            if line.startswith("@data"):
                return None
    return None


def is_regression_ts(path: Path) -> bool:
    """True when a ``.ts`` header declares a regression target (``@targetLabel true``)."""
    return _header_flag(path, "targetLabel") == "true"


def _read_unlabelled_ts(path: Path) -> list[np.ndarray]:
    """The ``@data`` rows of a ``.ts`` file with ``@classLabel false`` (sktime's loader cannot
    read those): channels separated by ``:``, values by ``,``, ``?`` missing (NaN)."""
    series, in_data = [], False
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line_no, line in enumerate(fh, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            if not in_data:
                in_data = text.lower().startswith("@data")
                continue
            try:
                channels = [np.asarray([np.nan if v.strip() == "?" else float(v) for v in ch.split(",")])
                            for ch in text.split(":")]
            except ValueError:
                raise ValueError(f"{path}:{line_no}: cannot parse the series as numbers") from None
            if len({len(ch) for ch in channels}) != 1:
                raise ValueError(f"{path}:{line_no}: channels of different lengths "
                                 f"{sorted({len(ch) for ch in channels})}")
            series.append(np.stack(channels).astype(np.float32))
    if not series:
        raise ValueError(f"{path}: no series after @data")
    return series


def read_ts_file(path: str | Path) -> tuple[list[np.ndarray], list[str] | None]:
    """Read a ``.ts`` file into a list of ``[C, L_i]`` arrays and its class labels (strings).

    Raises ``ValueError`` naming the file when it cannot be parsed or channel counts differ.
    """
    from sktime.datasets import load_from_tsfile

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no .ts file at {path}")
    if _header_flag(path, "classLabel") == "false":
        return _read_unlabelled_ts(path), None
    try:
        X, y = load_from_tsfile(str(path), return_data_type="nested_univ")
    except Exception as err:
        raise ValueError(f"cannot parse {path}: {err}") from None
    series = []
    for i in range(len(X)):
        channels = [np.asarray(X.iloc[i, c], dtype=np.float64) for c in range(X.shape[1])]
        lengths = {len(ch) for ch in channels}
        if len(lengths) != 1:
            raise ValueError(f"{path}: series {i} has channels of different lengths {sorted(lengths)}")
        series.append(np.stack(channels).astype(np.float32))
    labels = None if y is None else [str(v) for v in y]
    return series, labels


@dataclass(frozen=True)
class TimeSplit:
    """Row borders ``[start, end)`` of the train/val/test parts of a long series."""

    train: tuple[int, int]
    val: tuple[int, int]
    test: tuple[int, int]


def ett_split(name: str, n_rows: int) -> TimeSplit:
    """The ETT literature's split: 12/4/4 months (hourly ETTh: 8640/2880/2880 rows; ETTm x4);
    other CSVs: 70/10/20 % by time (TSLib's custom split)."""
    upper = name.upper()
    if upper.startswith("ETTH") or upper.startswith("ETTM"):
        per_month = 30 * 24 * (4 if upper.startswith("ETTM") else 1)
        a, b, c = 12 * per_month, 16 * per_month, 20 * per_month
        if n_rows < c:
            raise ValueError(f"{name}: {n_rows} rows, fewer than the 20 months of the ETT split")
        return TimeSplit((0, a), (a, b), (b, c))
    a, b = int(n_rows * 0.7), int(n_rows * 0.8)
    return TimeSplit((0, a), (a, b), (b, n_rows))


def read_csv_series(path: str | Path, columns: Sequence[str] = (), *,
                    require_finite: bool = True) -> tuple[np.ndarray, list[str]]:
    """Read a long multivariate CSV (ETT layout): returns ``[T, C]`` float32 and column names.

    Args:
        columns: the columns read as channels, in this order; empty: every column, except a
            first column named ``date``/``time``/``timestamp``/``datetime``, which is dropped.
        require_finite: NaN/inf raise (otherwise they are kept, for :func:`check_series`
            to impute or refuse with the series' name).

    Raises ``ValueError`` naming the file and the column (and row): an unknown column (listing
    the available ones), a non-numeric column, a non-finite value.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no CSV file at {path}")
    try:
        frame = pd.read_csv(path)
    except Exception as err:
        raise ValueError(f"{path}: cannot parse the CSV: {err}".replace("\n", " ")) from None
    frame = _choose_columns(frame, list(columns), path)
    if frame.shape[0] == 0:
        raise ValueError(f"{path}: no data rows")
    for col in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            hint = "" if columns else " (choose the numeric columns with --set modality.columns=[a,b])"
            raise ValueError(f"{path}: column {col!r} is not numeric{hint}")
    values = frame.to_numpy(dtype=np.float32)
    bad = ~np.isfinite(values)
    if require_finite and bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(f"{path}: non-finite value in column {frame.columns[col]!r} at data row {row}")
    return values, [str(c) for c in frame.columns]


def _choose_columns(frame: pd.DataFrame, columns: list[str], path: Path) -> pd.DataFrame:
    """``columns`` of ``frame`` in that order, or every column but a leading date column."""
    frame.columns = [str(c) for c in frame.columns]
    if not columns:
        if frame.shape[1] and frame.columns[0].lower() in DATE_COLUMNS:
            frame = frame.iloc[:, 1:]
        if frame.shape[1] == 0:
            raise ValueError(f"{path}: no data column")
        return frame
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: no column {', '.join(map(repr, missing))}; available: "
                         f"{', '.join(frame.columns)}")
    return frame[columns]


def column_indices(available: Sequence[str], wanted: Sequence[str], *, what: str, source: str) -> list[int]:
    """Positions of ``wanted`` names in ``available`` (all positions when ``wanted`` is empty);
    a one-line ``ValueError`` naming the unknown ones and listing ``available``."""
    if not wanted:
        return list(range(len(available)))
    missing = [c for c in wanted if c not in available]
    if missing:
        raise ValueError(f"{source}: {what} {', '.join(map(repr, missing))} not among the columns read "
                         f"({', '.join(available)})")
    return [list(available).index(c) for c in wanted]


@dataclass
class LabelledSeries:
    """Series of a class-folder layout: ``values`` ``[C, L_i]`` float32 each (NaN kept), the
    class (folder) name of each and its file name relative to the layout's root."""

    values: list[np.ndarray]
    classes: list[str]
    names: list[str]


def is_csv_class_folder(path: Path) -> bool:
    """True when ``path`` has a ``train/`` folder (the CSV class-folder layout)."""
    return (path / "train").is_dir()


def read_csv_class_folder(root: str | Path, split: str, *, columns: Sequence[str] = (), skip_bad: bool = False,
                          report: ReadReport | None = None) -> LabelledSeries:
    """Read ``root/<split>/<class>/*.csv``: one series per file, rows are time steps, columns
    channels (a leading date/time column dropped; ``columns`` picks and orders them).

    Every file must hold the same columns: ``columns`` when given, else those of the first
    readable file of ``root/train`` (so that both splits agree). A file that cannot be read or
    holds other columns raises a ``ValueError`` naming it, or with ``skip_bad`` is a named skip
    in ``report``; files of other types, files beside the class folders and deeper folders are
    named as ignored. Lengths may differ from file to file.
    """
    root = Path(root)
    folder = root / split
    if not folder.is_dir():
        raise FileNotFoundError(f"{root}: no {split}/ folder (layout: {CSV_FOLDER_LAYOUT})")
    report = report if report is not None else ReadReport(source=str(root))
    reference, reference_file = (list(columns), None) if columns else _reference_columns(root / "train")
    out = LabelledSeries([], [], [])
    for path in _class_files(folder, root, report):
        try:
            values, names = read_csv_series(path, columns, require_finite=False)
            if reference is not None and names != reference:
                raise ValueError(f"{path}: columns {names} differ from {reference} of "
                                 f"{reference_file or 'modality.columns'}")
        except ValueError as err:
            report.skip_or_raise(str(path.relative_to(root)), err, skip_bad=skip_bad)
            continue
        out.values.append(values.T.copy())
        out.classes.append(path.parent.name)
        out.names.append(str(path.relative_to(root)))
    if not out.values:
        raise ValueError(f"{folder}: no readable .csv file in its class folders (layout: {CSV_FOLDER_LAYOUT})")
    return out


def _class_files(folder: Path, root: Path, report: ReadReport) -> list[Path]:
    """``folder/<class>/*.csv`` sorted; anything else is recorded as ignored."""
    files = []
    for entry in sorted(folder.iterdir()):
        if not entry.is_dir():
            report.ignore(str(entry.relative_to(root)), "a file beside the class folders")
            continue
        for path in sorted(entry.iterdir()):
            if path.is_dir():
                report.ignore(str(path.relative_to(root)), "a folder inside a class folder")
            elif path.suffix.lower() != ".csv":
                report.ignore(str(path.relative_to(root)), "not a .csv file")
            else:
                files.append(path)
    return files


def _reference_columns(train: Path) -> tuple[list[str] | None, str | None]:
    """The columns of the first readable CSV of ``train/<class>/`` and its name (None, None
    when no file reads: each file then raises or is skipped on its own)."""
    for path in sorted(train.glob("*/*.csv")):
        try:
            return read_csv_series(path, require_finite=False)[1], str(path.relative_to(train.parent))
        except ValueError:
            continue
    return None, None
