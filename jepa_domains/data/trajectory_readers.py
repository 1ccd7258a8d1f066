"""Readers of trajectory data on disk: long-format CSV/Parquet tables (one row per point), the
Go!Track GPS set, the MAT-analysis raw sets (Animals, Vehicles) and UEA ``.ts`` pen/hand
trajectories. Every reader returns a :class:`TrackDataset` in a local planar frame."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from jepa_domains.data.read_report import ReadReport
from jepa_domains.data.trajectory_track import CleaningRules, Track, TrackDataset, centre_tracks, clean_track

ID_COLUMNS = ("track_id", "tid", "trajectory_id", "traj_id", "id")
TIME_COLUMNS = ("time", "timestamp", "t", "datetime")
X_COLUMNS = ("longitude", "lon", "lng", "x")
Y_COLUMNS = ("latitude", "lat", "y")
LABEL_COLUMNS = ("label", "class", "mode", "y_label")
GOTRACK_MAX_SPEED = 70.0  # m/s; above any car or bus in Aracaju, below GPS glitches


def _pick(columns: list[str], choices: tuple[str, ...], what: str, source: str, required: bool = True) -> str | None:
    lower = {c.lower(): c for c in columns}
    for c in choices:
        if c in lower:
            return lower[c]
    if required:
        raise ValueError(f"{source}: no {what} column (looked for {', '.join(choices)}; found {', '.join(columns)})")
    return None


def require_columns(table: pd.DataFrame, columns: tuple[str, ...], source: str | Path) -> None:
    """Raise a one-line ``ValueError`` naming ``source`` and the columns it lacks."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{source}: missing column(s) {', '.join(map(repr, missing))} "
                         f"(has {', '.join(map(str, table.columns))})")


def _check_last_line(path: Path) -> None:
    """Raise if the last non-empty line has fewer fields than the header (a file cut mid-line)."""
    with open(path, newline="") as fh:
        rows = csv.reader(fh)
        header = next(rows, [])
        last = None
        for line_no, row in enumerate(rows, 2):
            if row:
                last = (line_no, row)
    if last is not None and len(last[1]) < len(header):
        raise ValueError(f"{path}:{last[0]}: last line has {len(last[1])} of the {len(header)} fields "
                         "of the header (file cut?)")


def read_csv_checked(path: Path) -> pd.DataFrame:
    """``pd.read_csv`` with one-line errors naming the file, refusing a last line cut short."""
    try:
        table = pd.read_csv(path)
    except (ValueError, pd.errors.ParserError) as err:
        raise ValueError(f"{path}: cannot read CSV table: {err}") from None
    _check_last_line(path)
    return table


def _seconds(values: pd.Series, source: str) -> np.ndarray:
    """Numeric times as they are; date-time strings as seconds since the epoch."""
    if pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(dtype=np.float64)
    parsed = pd.to_datetime(values, errors="coerce")
    if parsed.isna().any():
        bad = values[parsed.isna()].iloc[0]
        raise ValueError(f"{source}: cannot parse time value {bad!r}")
    return (parsed - pd.Timestamp(0)).dt.total_seconds().to_numpy()


def tracks_from_table(table: pd.DataFrame, *, source: str, coordinates: str = "auto", max_speed: float = 0.0,
                      skip_bad: bool = False, classes: tuple[str, ...] | None = None,
                      report: ReadReport | None = None) -> TrackDataset:
    """Group a long-format table (track id, time, x/lon, y/lat, optional label) into tracks.

    Rows with an empty track id and bad tracks raise, or (``skip_bad``) are named as skips in
    ``report`` (a new one for ``source`` when None), which the dataset keeps as ``read_report``.

    Args:
        coordinates: ``"geographic"`` (lon/lat degrees, projected to metres), ``"planar"``, or
            ``"auto"`` (geographic when the columns are named lon/lat and every value is in range).
        classes: label names in index order; default: the sorted distinct labels.
    """
    report = report if report is not None else ReadReport(source=source)
    if coordinates not in ("auto", "geographic", "planar"):
        raise ValueError(f"coordinates must be 'auto', 'geographic' or 'planar', got {coordinates!r}")
    cols = [str(c) for c in table.columns]
    id_col = _pick(cols, ID_COLUMNS, "track id", source)
    t_col = _pick(cols, TIME_COLUMNS, "time", source)
    x_col = _pick(cols, X_COLUMNS, "x/longitude", source)
    y_col = _pick(cols, Y_COLUMNS, "y/latitude", source)
    label_col = _pick(cols, LABEL_COLUMNS, "label", source, required=False)
    if coordinates == "auto":
        named_geo = x_col.lower() in ("longitude", "lon", "lng") and y_col.lower() in ("latitude", "lat")
        in_range = table[x_col].abs().max() <= 180 and table[y_col].abs().max() <= 90
        coordinates = "geographic" if named_geo and in_range else "planar"
    geographic = coordinates == "geographic"
    table = _drop_rows_without_id(table, id_col, report, skip_bad=skip_bad)
    times = _seconds(table[t_col], source)
    if label_col is not None and classes is None:
        classes = tuple(sorted({str(v) for v in table[label_col].dropna().unique()}))
    class_index = {c: i for i, c in enumerate(classes or ())}
    rules = CleaningRules(max_speed=max_speed, geographic=geographic)
    tracks = []
    table = table.assign(_t=times)
    for track_id, group in table.groupby(id_col, sort=True):
        # rows keep their file order: sorting by time would hide a non-monotonic clock
        label = None
        if label_col is not None:
            values = {str(v) for v in group[label_col].dropna().unique()}
            if len(values) != 1 or next(iter(values)) not in class_index:
                raise ValueError(f"{source}: track {track_id!r} has labels {sorted(values)}, expected one of {classes}")
            label = class_index[values.pop()]
        xy = group[[x_col, y_col]].to_numpy(dtype=np.float64)
        track = Track(t=group["_t"].to_numpy(), xy=xy, label=label, id=str(track_id))
        try:
            tracks.append(clean_track(track, rules))
        except ValueError as err:
            report.skip_or_raise(f"track {str(track_id)!r}", f"{source}: {err}", skip_bad=skip_bad)
    tracks, _ = centre_tracks(tracks, geographic=geographic) if tracks else (tracks, None)
    report.read += len(tracks)
    kind = "lon/lat projected to metres" if geographic else "planar"
    return TrackDataset(tracks, description=f"{source} ({len(tracks)} tracks, {kind})",
                        classes=tuple(classes or ()), cleaning=rules.counts, read_report=report)


def _drop_rows_without_id(table: pd.DataFrame, id_col: str, report: ReadReport, *, skip_bad: bool) -> pd.DataFrame:
    """``table`` without rows whose track id is empty; they raise, or are named as skips."""
    empty = table[id_col].isna() | (table[id_col].astype(str).str.strip() == "")
    if not empty.any():
        return table
    rows = [f"row {i + 1}" for i in np.nonzero(empty.to_numpy())[0]]
    report.skip_many_or_raise(rows, "rows with an empty track id", skip_bad=skip_bad, total=len(table))
    return table[~empty]


def read_table_file(path: Path, **kwargs) -> TrackDataset:
    """A long-format ``.csv`` or ``.parquet`` file of points."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"trajectory file not found: {path}")
    if path.suffix != ".parquet":
        return tracks_from_table(read_csv_checked(path), source=str(path), **kwargs)
    try:
        table = pd.read_parquet(path)
    except (ValueError, ImportError) as err:
        raise ValueError(f"{path}: cannot read trajectory table: {err}") from None
    return tracks_from_table(table, source=str(path), **kwargs)


def read_gotrack(folder: Path, *, skip_bad: bool = False) -> TrackDataset:
    """Go!Track: ``go_track_trackspoints.csv`` points, labels car(0)/bus(1) from ``go_track_tracks.csv``."""
    folder = Path(folder)
    points_file, tracks_file = folder / "go_track_trackspoints.csv", folder / "go_track_tracks.csv"
    for f in (points_file, tracks_file):
        if not f.is_file():
            raise FileNotFoundError(f"Go!Track file missing: {f}")
    points, meta = read_csv_checked(points_file), read_csv_checked(tracks_file)
    require_columns(meta, ("id", "car_or_bus"), tracks_file)
    require_columns(points, ("track_id", "latitude", "longitude", "time"), points_file)
    report = ReadReport(source=str(points_file))
    # A points file cut short loses whole tracks: every track of the tracks file must have points.
    without_points = sorted(set(meta["id"]) - set(points["track_id"].dropna()))
    report.skip_many_or_raise([f"track {i}" for i in without_points],
                              f"tracks listed in {tracks_file.name} without points (file cut?)",
                              skip_bad=skip_bad, total=len(meta))
    label = dict(zip(meta["id"], meta["car_or_bus"].map({1: "car", 2: "bus"})))
    points = points.assign(label=points["track_id"].map(label))
    points = points.rename(columns={"id": "point_id"})
    return tracks_from_table(points, source="gotrack", coordinates="geographic", max_speed=GOTRACK_MAX_SPEED,
                             skip_bad=skip_bad, classes=("car", "bus"), report=report)


def read_mat_raw(folder: Path, split: str, *, skip_bad: bool = False) -> TrackDataset:
    """MAT-analysis ``specific_{train,test}.csv`` (``time, lat, lon, tid, label``), planar (the
    Animals values are transformed, the Vehicles values projected metres). Classes come from the
    training file so that train and test share indices."""
    folder = Path(folder)
    files = {s: folder / f"specific_{s}.csv" for s in ("train", "test")}
    for f in files.values():
        if not f.is_file():
            raise FileNotFoundError(f"MAT raw file missing: {f}")
    train, test = read_csv_checked(files["train"]), read_csv_checked(files["test"])
    for part, table in (("train", train), ("test", test)):
        require_columns(table, ("time", "lat", "lon", "tid", "label"), files[part])
    classes = tuple(sorted({str(v) for v in train["label"].unique()}))
    # both files are read and centred together so that train and test share one local frame
    test = test.assign(tid=lambda d: d["tid"].astype(str) + "t")
    table = pd.concat([train.assign(tid=train["tid"].astype(str)), test], ignore_index=True)
    table = table.rename(columns={"lon": "x", "lat": "y"})
    everything = tracks_from_table(table, source=f"{folder.name}", coordinates="planar",
                                   skip_bad=skip_bad, classes=classes)
    if split == "all":
        return everything
    want_test = split == "test"
    tracks = [tr for tr in everything.tracks if tr.id.endswith("t") == want_test]
    return TrackDataset(tracks, description=f"{everything.name} [{split}]", classes=classes,
                        cleaning=everything.cleaning, announce=False, read_report=everything.read_report)


def read_ts_file(path: Path, *, skip_bad: bool = False, classes: tuple[str, ...] | None = None) -> TrackDataset:
    """A UEA ``.ts`` file with 2 dimensions (x, y); time is the sample index."""
    from sktime.datasets import load_from_tsfile

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f".ts file not found: {path}")
    X, y = load_from_tsfile(str(path), return_data_type="numpy3d")
    if X.ndim != 3 or X.shape[1] != 2:
        raise ValueError(f"{path}: expected 2 dimensions (x, y), got array of shape {X.shape}")
    classes = classes or tuple(sorted({str(v) for v in y}, key=lambda s: (len(s), s)))
    index = {c: i for i, c in enumerate(classes)}
    rules = CleaningRules()
    tracks, report = [], ReadReport(source=str(path))
    for i in range(X.shape[0]):
        track = Track(t=np.arange(X.shape[2], dtype=np.float64), xy=X[i].T.astype(np.float64),
                      label=index[str(y[i])], id=f"{path.stem}:{i}")
        try:
            tracks.append(clean_track(track, rules))
        except ValueError as err:
            report.skip_or_raise(track.id, f"{path}: {err}", skip_bad=skip_bad)
    report.read = len(tracks)
    return TrackDataset(tracks, description=f"{path.stem} ({len(tracks)} tracks, planar)", classes=classes,
                        cleaning=rules.counts, read_report=report)


def read_uea(folder: Path, split: str, *, skip_bad: bool = False) -> TrackDataset:
    """``<NAME>_TRAIN.ts`` / ``<NAME>_TEST.ts`` in ``folder`` (split ``all`` = both)."""
    folder = Path(folder)
    parts = ["TRAIN", "TEST"] if split == "all" else [split.upper()]
    sets = [read_ts_file(folder / f"{folder.name}_{p}.ts", skip_bad=skip_bad) for p in parts]
    if len(sets) == 1:
        return sets[0]
    tracks = [tr for s in sets for tr in s.tracks]
    return TrackDataset(tracks, description=f"{folder.name}/all ({len(tracks)} tracks, planar)",
                        classes=sets[0].classes, announce=False,
                        read_report=sets[0].read_report.merge(sets[1].read_report))
