"""The trajectory sample (:class:`Track`), its dataset, and the cleaning every reader shares:
projection of geographic coordinates to a local metric frame, validation, removal of duplicate
timestamps and impossible jumps, resampling and splitting of long tracks.

Units: geographic input is degrees (longitude, latitude); after :func:`project_equirectangular`
coordinates are metres east/north of the dataset centre. Planar input keeps its own units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from torch.utils.data import Dataset

from jepa_domains.data.read_report import ReadReport

EARTH_RADIUS_M = 6_371_008.8


@dataclass
class Track:
    """One trajectory.

    Attributes:
        t: ``[n]`` float64 times (seconds for GPS data, the source's unit otherwise), increasing.
        xy: ``[n, 2]`` float64 planar coordinates (metres in a local frame for GPS data).
        label: class index or None.
        id: identifier used in error messages and joins.
    """

    t: np.ndarray
    xy: np.ndarray
    label: int | None = None
    id: str = ""

    def __len__(self) -> int:
        return int(self.t.shape[0])


class TrackDataset(Dataset):
    """A list of :class:`Track` with the attributes the trainer and the eval API read.

    Attributes:
        labels: ``[n]`` int array, or None when unlabelled.
        classes: class names (index = label).
        description: one line, says SYNTHETIC for generated sets; ends with the skip and
            cleaning counts.
        name: the description without those counts.
        skipped: number of tracks dropped as bad (only when ``skip_bad``).
        read_report: :class:`ReadReport` naming the tracks read, skipped and ignored.
        cleaning: counts of points removed by the cleaning rules (never silent).
    """

    def __init__(self, tracks: list[Track], *, description: str, classes: tuple[str, ...] = (),
                 skipped: int = 0, cleaning: dict[str, int] | None = None, announce: bool = True,
                 read_report: ReadReport | None = None) -> None:
        if read_report is not None:
            skipped = len(read_report.skipped)
        if not tracks:
            raise ValueError(f"dataset {description!r} has no usable tracks (skipped {skipped})")
        self.tracks = tracks
        self.classes = tuple(classes)
        self.skipped = skipped
        self.read_report = read_report or ReadReport(source=description, read=len(tracks))
        self.cleaning = dict(cleaning or {})
        labelled = all(tr.label is not None for tr in tracks)
        self.labels = np.array([tr.label for tr in tracks], dtype=np.int64) if labelled else None
        self.name = description  # without the counts, for derived sets (splits, segments)
        extra = f"; skipped {skipped} bad tracks" if skipped else ""
        removed = {k: v for k, v in self.cleaning.items() if v}
        extra += f"; cleaning removed {removed}" if removed else ""
        self.description = description + extra
        if announce:
            self.read_report.announce()

    def __len__(self) -> int:
        return len(self.tracks)

    def __getitem__(self, index: int) -> Track:
        return self.tracks[index]


@dataclass
class CleaningRules:
    """Point-level filters applied by :func:`clean_track`.

    Attributes:
        max_speed: points reached at a speed above this (coordinate units per time unit, e.g.
            m/s) are impossible jumps and removed; 0 disables the filter. For GPS tracks 70 m/s
            (252 km/h) is above any car or bus and below typical GPS glitches.
        geographic: coordinates are (longitude, latitude) degrees, range-checked.
        counts: removed-point counters, updated in place.
    """

    max_speed: float = 0.0
    geographic: bool = False
    counts: dict[str, int] = field(default_factory=lambda: {"duplicate_timestamps": 0, "impossible_jumps": 0})


def check_track(track: Track, *, geographic: bool = False) -> None:
    """Raise ``ValueError`` naming the track if it cannot be used as is."""
    name = f"track {track.id!r}"
    if track.xy.ndim != 2 or track.xy.shape[1] != 2 or track.t.shape != (track.xy.shape[0],):
        raise ValueError(f"{name}: expected t [n] and xy [n, 2], got {track.t.shape} and {track.xy.shape}")
    if len(track) < 2:
        raise ValueError(f"{name}: has {len(track)} point(s), needs at least 2")
    if not np.isfinite(track.xy).all() or not np.isfinite(track.t).all():
        raise ValueError(f"{name}: contains NaN or infinite coordinates or times")
    if geographic:
        lon, lat = track.xy[:, 0], track.xy[:, 1]
        if (np.abs(lat) > 90).any() or (np.abs(lon) > 180).any():
            raise ValueError(f"{name}: longitude/latitude out of range "
                             f"(lon {lon.min():.3f}..{lon.max():.3f}, lat {lat.min():.3f}..{lat.max():.3f})")
    dt = np.diff(track.t)
    if (dt < 0).any():
        first = int(np.nonzero(dt < 0)[0][0])
        raise ValueError(f"{name}: time goes backwards at point {first + 1} "
                         f"({track.t[first]} -> {track.t[first + 1]})")


def clean_track(track: Track, rules: CleaningRules) -> Track:
    """Validate, then drop points with a repeated timestamp and points reached by an impossible
    jump (speed above ``rules.max_speed`` from the last kept point). Counts go to ``rules.counts``."""
    check_track(track, geographic=rules.geographic)
    keep = np.ones(len(track), dtype=bool)
    keep[1:] = np.diff(track.t) > 0
    rules.counts["duplicate_timestamps"] += int((~keep).sum())
    t, xy = track.t[keep], track.xy[keep]
    if rules.max_speed > 0 and len(t) > 1:
        kept = [0]
        for i in range(1, len(t)):  # sequential: a jump is judged against the last kept point
            j = kept[-1]
            step = xy[i] - xy[j]
            dist = _geo_distance(xy[j], xy[i]) if rules.geographic else math.hypot(step[0], step[1])
            if dist / (t[i] - t[j]) <= rules.max_speed:
                kept.append(i)
        rules.counts["impossible_jumps"] += len(t) - len(kept)
        t, xy = t[kept], xy[kept]
    out = replace(track, t=t, xy=xy)
    if len(out) < 2:
        raise ValueError(f"track {track.id!r}: fewer than 2 points left after cleaning")
    return out


def _geo_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Equirectangular distance in metres between two (lon, lat) points (accurate at city scale)."""
    lat0 = math.radians(0.5 * (a[1] + b[1]))
    dx = math.radians(b[0] - a[0]) * math.cos(lat0)
    dy = math.radians(b[1] - a[1])
    return EARTH_RADIUS_M * math.hypot(dx, dy)


def project_equirectangular(lonlat: np.ndarray, centre: tuple[float, float]) -> np.ndarray:
    """(lon, lat) degrees ``[n, 2]`` -> metres east/north of ``centre`` ``[n, 2]`` (local
    tangent plane; error below 0.1 % within ~50 km of the centre)."""
    lon0, lat0 = centre
    k = math.cos(math.radians(lat0))
    x = np.radians(lonlat[:, 0] - lon0) * EARTH_RADIUS_M * k
    y = np.radians(lonlat[:, 1] - lat0) * EARTH_RADIUS_M
    return np.stack([x, y], axis=1)


def unproject_equirectangular(xy: np.ndarray, centre: tuple[float, float]) -> np.ndarray:
    """Inverse of :func:`project_equirectangular`: metres ``[n, 2]`` -> (lon, lat) degrees."""
    lon0, lat0 = centre
    k = math.cos(math.radians(lat0))
    lon = lon0 + np.degrees(xy[:, 0] / (EARTH_RADIUS_M * k))
    lat = lat0 + np.degrees(xy[:, 1] / EARTH_RADIUS_M)
    return np.stack([lon, lat], axis=1)


def centre_tracks(tracks: list[Track], *, geographic: bool) -> tuple[list[Track], tuple[float, float]]:
    """Express every track in one local frame around the dataset centre (the mean of the
    per-track means): projected to metres when geographic, translated otherwise. Keeping
    coordinates near zero preserves float32 precision in the tokenizer."""
    means = np.stack([tr.xy.mean(0) for tr in tracks])
    centre = (float(means[:, 0].mean()), float(means[:, 1].mean()))
    if geographic:
        return [replace(tr, xy=project_equirectangular(tr.xy, centre)) for tr in tracks], centre
    c = np.asarray(centre)
    return [replace(tr, xy=tr.xy - c) for tr in tracks], centre


def resample_track(track: Track, interval: float) -> Track:
    """Linear interpolation at a fixed time ``interval`` from the first timestamp."""
    if interval <= 0:
        raise ValueError(f"resampling interval must be > 0, got {interval}")
    t = np.arange(track.t[0], track.t[-1] + 1e-9 * interval, interval)
    if len(t) < 2:
        t = track.t[[0, -1]]
    xy = np.stack([np.interp(t, track.t, track.xy[:, k]) for k in range(2)], axis=1)
    return replace(track, t=t, xy=xy)


def split_track(track: Track, max_points: int) -> list[Track]:
    """Consecutive segments of at most ``max_points`` points (the last one merged into its
    predecessor when shorter than 2 points), ids suffixed ``#k``."""
    if max_points < 2:
        raise ValueError(f"segment length must be >= 2, got {max_points}")
    n = len(track)
    if n <= max_points:
        return [track]
    starts = list(range(0, n, max_points))
    if n - starts[-1] < 2:
        starts.pop()
    bounds = starts[1:] + [n]
    return [replace(track, t=track.t[a:b], xy=track.xy[a:b], id=f"{track.id}#{k}")
            for k, (a, b) in enumerate(zip(starts, bounds))]
