"""Hand-crafted per-track features (the classical classification baseline) and the data
statistics the tokenizer needs (cell size, speed and time-gap scales)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from jepa_domains.data.trajectory_track import Track

FEATURE_NAMES = (
    "log_points", "log_duration", "log_path_length", "log_displacement", "straightness",
    "speed_mean", "speed_std", "speed_p10", "speed_p50", "speed_p90", "turn_abs_mean", "turn_abs_std",
    "log_extent_x", "log_extent_y", "gap_mean", "gap_std", "stop_fraction",
)
SAMPLING_FEATURES = ("log_points", "gap_mean", "gap_std")
"""The features that read how the track was *recorded* (how many fixes, how far apart in time)
rather than how it moved: on Go!Track ``gap_mean`` alone tells cars from buses (the two were
recorded every ~6 s and ~13 s), which no encoder built to be invariant to re-sampling can see."""


def track_features(track: Track) -> np.ndarray:
    """``[len(FEATURE_NAMES)]`` float64 summary of one track (scale-aware, in log units where the
    range spans orders of magnitude)."""
    t, xy = track.t, track.xy
    step = np.diff(xy, axis=0)
    dist = np.hypot(step[:, 0], step[:, 1])
    dt = np.maximum(np.diff(t), 1e-9)
    speed = dist / dt
    path = dist.sum()
    disp = float(np.hypot(*(xy[-1] - xy[0])))
    heading = np.arctan2(step[:, 1], step[:, 0])
    turn = np.abs(np.angle(np.exp(1j * np.diff(heading)))) if len(heading) > 1 else np.zeros(1)
    moving = dist > 1e-9 * max(1.0, path)
    p10, p50, p90 = np.percentile(speed, [10, 50, 90])
    ext = xy.max(0) - xy.min(0)
    return np.array([
        np.log(len(t)), np.log1p(t[-1] - t[0]), np.log1p(path), np.log1p(disp), disp / max(path, 1e-9),
        speed.mean(), speed.std(), p10, p50, p90, turn.mean(), turn.std(),
        np.log1p(ext[0]), np.log1p(ext[1]), dt.mean(), dt.std(), 1.0 - moving.mean(),
    ])


def features_matrix(tracks: Sequence[Track], *, sampling: bool = True) -> np.ndarray:
    """``[n, F]`` features of every track (``F = len(FEATURE_NAMES)``), or without the
    :data:`SAMPLING_FEATURES` (``sampling=False``: ``F = len(FEATURE_NAMES) - 3``)."""
    X = np.stack([track_features(tr) for tr in tracks])
    return X if sampling else X[:, [i for i, n in enumerate(FEATURE_NAMES) if n not in SAMPLING_FEATURES]]


def data_scales(tracks: Sequence[Track], *, cells_per_track: float, limit: int = 2000) -> dict[str, float]:
    """Median track extent / ``cells_per_track`` as cell size, and median step speed and time
    gap as feature scales, over at most ``limit`` evenly chosen tracks."""
    if cells_per_track <= 0:
        raise ValueError(f"cells_per_track must be > 0, got {cells_per_track}")
    chosen = [tracks[i] for i in np.unique(np.linspace(0, len(tracks) - 1, min(limit, len(tracks))).astype(int))]
    diag = np.array([np.hypot(*(tr.xy.max(0) - tr.xy.min(0))) for tr in chosen])
    gaps = np.concatenate([np.diff(tr.t) for tr in chosen])
    speeds = np.concatenate([np.hypot(*np.diff(tr.xy, axis=0).T) / np.maximum(np.diff(tr.t), 1e-9) for tr in chosen])
    positive = diag[diag > 0]
    cell = float(np.median(positive)) / cells_per_track if positive.size else 1.0
    return {
        "cell_size": cell,
        "speed_scale": float(np.median(speeds[speeds > 0])) if (speeds > 0).any() else 1.0,
        "gap_scale": float(np.median(gaps[gaps > 0])) if (gaps > 0).any() else 1.0,
    }
