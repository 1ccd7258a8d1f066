"""Batching of :class:`Track` samples: bounded length, per-point motion features, padding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from jepa_domains.core import Batch, Layout
from jepa_domains.data.trajectory_track import Track

NUM_MOTION_FEATURES = 6
"""log1p time gap, log1p speed, sin/cos of the heading change, sin/cos of the heading."""


@dataclass
class TrajectoryBatch(Batch):
    """Padded trajectories.

    Attributes:
        xy: ``[B, N, 2]`` float32 planar coordinates (0 at padding).
        features: ``[B, N, F]`` float32 motion features (0 at padding).
        lengths: ``[B]`` long number of valid points.
        t: ``[B, N]`` float32 times relative to each track's first point.
    """

    xy: torch.Tensor = None  # type: ignore[assignment]
    features: torch.Tensor = None  # type: ignore[assignment]
    lengths: torch.Tensor = None  # type: ignore[assignment]
    t: torch.Tensor = None  # type: ignore[assignment]


def motion_features(t: np.ndarray, xy: np.ndarray, *, speed_scale: float, gap_scale: float) -> np.ndarray:
    """Per-point features ``[n, 6]`` of a track with ``t [n]`` and ``xy [n, 2]``.

    The first point has zero gap and speed; a point that does not move has no heading (sin and
    cos both 0) so that GPS jitter at a stop does not produce random angles.
    """
    n = len(t)
    out = np.zeros((n, NUM_MOTION_FEATURES), dtype=np.float64)
    if n < 2:
        return out
    step = np.diff(xy, axis=0)                                  # [n-1, 2]
    dist = np.hypot(step[:, 0], step[:, 1])
    dt = np.diff(t)
    speed = dist / np.maximum(dt, 1e-9)
    moving = dist > 1e-9
    heading = np.arctan2(step[:, 1], step[:, 0])
    turn = np.zeros(n - 1)
    turn[1:] = np.angle(np.exp(1j * (heading[1:] - heading[:-1])))  # wrapped to (-pi, pi]
    turn_ok = np.zeros(n - 1, dtype=bool)
    turn_ok[1:] = moving[1:] & moving[:-1]
    out[1:, 0] = np.log1p(dt / gap_scale)
    out[1:, 1] = np.log1p(speed / speed_scale)
    out[1:, 2] = np.where(turn_ok, np.sin(turn), 0.0)
    out[1:, 3] = np.where(turn_ok, np.cos(turn), 0.0)
    out[1:, 4] = np.where(moving, np.sin(heading), 0.0)
    out[1:, 5] = np.where(moving, np.cos(heading), 0.0)
    return out


def choose_points(n: int, max_points: int, generator: torch.Generator | None) -> np.ndarray:
    """Indices of at most ``max_points`` points covering the whole track, endpoints kept.

    Evaluation (``generator=None``) takes evenly spaced points; training takes a random sorted
    subset, a down-sampling augmentation of the kind the similarity protocol tests for.
    """
    if n <= max_points:
        return np.arange(n)
    if generator is None:
        return np.unique(np.round(np.linspace(0, n - 1, max_points)).astype(np.int64))
    inner = torch.randperm(n - 2, generator=generator)[: max_points - 2].numpy() + 1
    return np.sort(np.concatenate([[0, n - 1], inner]))


def collate_tracks(samples: Sequence[Track], *, max_points: int, speed_scale: float, gap_scale: float,
                   generators: Sequence[torch.Generator] | None) -> TrajectoryBatch:
    """Pad tracks to the longest (at most ``max_points``) of the batch."""
    if not samples:
        raise ValueError("cannot collate an empty list of tracks")
    picked = []
    for i, track in enumerate(samples):
        if len(track) < 2:
            raise ValueError(f"track {track.id!r} has {len(track)} point(s); tracks need at least 2")
        idx = choose_points(len(track), max_points, None if generators is None else generators[i])
        picked.append((track.t[idx], track.xy[idx]))
    n = max(len(t) for t, _ in picked)
    b = len(samples)
    xy = np.zeros((b, n, 2), dtype=np.float32)
    feats = np.zeros((b, n, NUM_MOTION_FEATURES), dtype=np.float32)
    times = np.zeros((b, n), dtype=np.float32)
    lengths = np.zeros(b, dtype=np.int64)
    for i, (t, p) in enumerate(picked):
        k = len(t)
        xy[i, :k], times[i, :k], lengths[i] = p, t - t[0], k
        feats[i, :k] = motion_features(t, p, speed_scale=speed_scale, gap_scale=gap_scale)
    if not (np.isfinite(xy).all() and np.isfinite(feats).all()):
        bad = [samples[i].id for i in range(b) if not (np.isfinite(xy[i]).all() and np.isfinite(feats[i]).all())]
        raise ValueError(f"non-finite coordinates or motion features in tracks {bad}")
    labels = [s.label for s in samples]
    lengths_t = torch.from_numpy(lengths)
    return TrajectoryBatch(
        layout=Layout((n,), valid=lengths_t),
        labels=None if any(v is None for v in labels) else torch.tensor(labels, dtype=torch.long),
        ids=[s.id for s in samples],
        xy=torch.from_numpy(xy), features=torch.from_numpy(feats), lengths=lengths_t, t=torch.from_numpy(times),
    )
