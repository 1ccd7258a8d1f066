"""Readers for time series in their own formats: UCR/UEA ``.ts`` files (and the copies sktime
ships), and CSV long series in the ETT layout (a date column plus one column per variable)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


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


def read_csv_series(path: str | Path) -> tuple[np.ndarray, list[str]]:
    """Read a long multivariate CSV (ETT layout): returns ``[T, C]`` float32 and column names.

    A first column named ``date``/``time``/``timestamp`` is dropped. Non-numeric columns and
    NaN/inf values raise ``ValueError`` naming the column and row.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no CSV file at {path}")
    try:
        frame = pd.read_csv(path)
    except Exception as err:
        raise ValueError(f"cannot parse {path}: {err}") from None
    if frame.columns[0].lower() in ("date", "time", "timestamp", "datetime"):
        frame = frame.iloc[:, 1:]
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise ValueError(f"{path}: no numeric data")
    for col in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            raise ValueError(f"{path}: column {col!r} is not numeric")
    values = frame.to_numpy(dtype=np.float32)
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(f"{path}: non-finite value in column {frame.columns[col]!r} at data row {row}")
    return values, [str(c) for c in frame.columns]
