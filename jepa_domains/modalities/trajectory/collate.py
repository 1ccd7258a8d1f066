"""Batching of :class:`Track` samples: bounded length, per-point motion features, padding."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from jepa_domains.core import Batch, Layout
from jepa_domains.data.trajectory_track import Track

NUM_MOTION_FEATURES = 6
"""Per-point features of both input kinds: ``motion`` = log1p time gap, log1p speed, sin/cos of
the heading change, sin/cos of the heading; ``geometry`` = arc-length fraction, log1p path
length in cells, sin/cos of the heading change, sin/cos of the heading (no time at all)."""
INPUTS = ("motion", "geometry")
RESAMPLING = ("index", "arclength")
AUG_VIEWS = ("sample", "context")


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


def window_bounds(n: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last segment ``([n-1], [n-1])`` of the ``window`` consecutive segments around
    each point ``1..n-1`` of a track of ``n`` points (segment ``j`` joins points ``j-1`` and
    ``j``): centred on the point's own segment, shifted inside the track at its ends, all
    ``n-1`` segments when the track has fewer than ``window``. ``window=1``: the point's own."""
    if window < 1:
        raise ValueError(f"time_window must be >= 1 segment, got {window}")
    own = np.arange(1, n)
    lo = np.clip(own - (window - 1) // 2, 1, max(1, n - window))
    hi = np.minimum(lo + window - 1, n - 1)
    return lo, hi


def motion_features(t: np.ndarray, xy: np.ndarray, *, speed_scale: float, gap_scale: float,
                    time_window: int = 1) -> np.ndarray:
    """Per-point features ``[n, 6]`` of a track with ``t [n]`` and ``xy [n, 2]``.

    The first point has zero gap and speed; a point that does not move has no heading (sin and
    cos both 0) so that GPS jitter at a stop does not produce random angles. ``time_window`` > 1:
    a point's time gap and speed are those of the ``time_window`` segments around it
    (:func:`window_bounds`: their mean gap, and their path over their time) — where inside a
    stretch of path a wait fell changes with every re-sampling, the time spent on it does not.
    """
    n = len(t)
    out = np.zeros((n, NUM_MOTION_FEATURES), dtype=np.float64)
    if n < 2:
        return out
    step = np.diff(xy, axis=0)                                  # [n-1, 2]
    dist = np.hypot(step[:, 0], step[:, 1])
    lo, hi = window_bounds(n, time_window)
    s = np.concatenate([[0.0], np.cumsum(dist)])                # path length at each point
    span = t[hi] - t[lo - 1]
    dt = span / (hi - lo + 1)                                   # mean gap of the window
    path = dist if time_window == 1 else s[hi] - s[lo - 1]      # (exactly the step when w = 1)
    speed = path / np.maximum(span, 1e-9)
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


def geometry_features(xy: np.ndarray, *, cell_size: float) -> np.ndarray:
    """Per-point features ``[n, 6]`` of ``xy [n, 2]`` that do not read time: the fraction of the
    path length travelled so far, the log1p path length in cells (the same on every point), and
    the turn and heading of :func:`motion_features`. Down-sampling a densely sampled track moves
    the arc-length fraction of a kept point only by the corners it cuts."""
    n = len(xy)
    out = np.zeros((n, NUM_MOTION_FEATURES), dtype=np.float64)
    if n < 2:
        return out
    dist = np.hypot(*np.diff(xy, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(dist)])
    length = s[-1]
    out[:, 0] = s / length if length > 0 else np.linspace(0.0, 1.0, n)
    out[:, 1] = np.log1p(length / cell_size)
    # the angle features are those of motion_features, which do not depend on the time scales
    out[:, 2:] = motion_features(np.arange(n, dtype=np.float64), xy, speed_scale=1.0, gap_scale=1.0)[:, 2:]
    return out


def arclength_resample(t: np.ndarray, xy: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points evenly spaced along the path of ``xy [m, 2]`` (linear interpolation, both
    endpoints kept), with their times interpolated at the same path positions: ``([n], [n, 2])``.

    Re-sampling the track in time (dropping points) changes the result only through the corners
    the dropped points cut, so every down-sampled copy of a track gives nearly the same points.
    A track that never moves gives ``n`` copies of its point, times evenly spread.
    """
    if n < 2:
        raise ValueError(f"arc-length resampling needs n >= 2, got {n}")
    dist = np.hypot(*np.diff(xy, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(dist)])
    if s[-1] <= 0:
        return np.linspace(t[0], t[-1], n), np.repeat(xy[:1], n, axis=0)
    # a stop (points that do not move) is one path position: keep its first point and time
    keep = np.concatenate([[True], dist > 0])
    s, t, xy = s[keep], t[keep], xy[keep]
    grid = np.linspace(0.0, s[-1], n)
    out_xy = np.stack([np.interp(grid, s, xy[:, 0]), np.interp(grid, s, xy[:, 1])], axis=1)
    return np.interp(grid, s, t), out_xy


def as_stop(xy: np.ndarray, min_length: float) -> np.ndarray:
    """``xy [n, 2]`` unchanged if its path is at least ``min_length`` long, else ``n`` copies of
    its centroid: the direction and turns of jitter around a standstill are noise that changes
    with every re-sampling, its place is not."""
    if np.hypot(*np.diff(xy, axis=0).T).sum() >= min_length:
        return xy
    return np.repeat(xy.mean(0, keepdims=True), len(xy), axis=0)


def thin_track(t: np.ndarray, xy: np.ndarray, min_step: float) -> tuple[np.ndarray, np.ndarray]:
    """Keep a point only when it is at least ``min_step`` away from the last kept one (the first
    and last points always kept): ``([k], [k, 2])``. GPS jitter during a stop adds path length
    that down-sampling removes, shifting every later arc-length position; after thinning, a
    stop is one point whatever the sampling rate."""
    if min_step <= 0 or len(t) <= 2:
        return t, xy
    keep = [0]
    last = xy[0]
    for i in range(1, len(t) - 1):
        if np.hypot(*(xy[i] - last)) >= min_step:
            keep.append(i)
            last = xy[i]
    keep.append(len(t) - 1)
    return t[keep], xy[keep]


def augment_track(t: np.ndarray, xy: np.ndarray, generator: torch.Generator, *, downsample: float,
                  distort: float) -> tuple[np.ndarray, np.ndarray]:
    """Pretraining augmentation of one track (``t [n]``, ``xy [n, 2]``), drawn from the sample's
    own generator (so the same sample seed gives the same augmented track):

    * ``downsample`` > 0: a rate ``r ~ U(0, downsample)``, then every inner point dropped with
      probability ``r`` (endpoints kept) — the similarity protocol's down-sampling;
    * ``distort`` > 0: a rate ``r ~ U(0, distort)``, then every point moved with probability ``r``
      by Gaussian noise of one median step of the track — its distortion.
    """
    if downsample > 0 and len(t) > 2:
        rate = float(torch.rand(1, generator=generator)) * downsample
        keep = (torch.rand(len(t), generator=generator) >= rate).numpy()
        keep[[0, -1]] = True
        t, xy = t[keep], xy[keep]
    if distort > 0:
        rate = float(torch.rand(1, generator=generator)) * distort
        moved = (torch.rand(len(t), generator=generator) < rate).numpy()
        steps = np.hypot(*np.diff(xy, axis=0).T)
        scale = float(np.median(steps[steps > 0])) if (steps > 0).any() else 0.0
        noise = torch.randn(len(t), 2, generator=generator, dtype=torch.float64).numpy() * scale
        xy = xy + moved[:, None] * noise
    return t, xy


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
                   generators: Sequence[torch.Generator] | None, inputs: str = "motion", resample: str = "index",
                   cell_size: float = 1.0, aug_downsample: float = 0.0, aug_distort: float = 0.0,
                   still_length: float = 0.0, min_step: float = 0.0, aug_view: str = "sample",
                   time_window: int = 1) -> TrajectoryBatch:
    """Pad tracks to the longest (at most ``max_points``) of the batch.

    ``resample="index"`` keeps at most ``max_points`` of the recorded points (evenly spaced at
    evaluation, a random subset in training); ``"arclength"`` gives every track exactly
    ``max_points`` points evenly spaced along its path (:func:`arclength_resample`).
    ``inputs`` picks :func:`motion_features` or :func:`geometry_features`. With ``generators``
    (training), :func:`augment_track` runs first when ``aug_downsample`` / ``aug_distort`` > 0:
    on the whole sample (``aug_view="sample"``), or on the context only (``"context"``, T-JEPA:
    the batch is the perturbed copy and its ``target_view`` the clean tracks, so the context of
    a sparse or jittered track predicts the latents of the clean one; needs ``"arclength"``,
    which gives both views the same ``max_points`` tokens).
    ``still_length`` > 0: a track whose path is shorter than ``still_length * cell_size`` (GPS
    jitter of a device that does not move) becomes a stop at its centroid (:func:`as_stop`).
    ``min_step`` > 0: points closer than ``min_step * cell_size`` to the previous kept point are
    dropped first (:func:`thin_track`). ``time_window``: segments each motion token's time gap
    and speed are read over (:func:`motion_features`; ``inputs="motion"`` only).
    """
    if not samples:
        raise ValueError("cannot collate an empty list of tracks")
    if inputs not in INPUTS:
        raise ValueError(f"unknown trajectory inputs {inputs!r}; known: {', '.join(INPUTS)}")
    if resample not in RESAMPLING:
        raise ValueError(f"unknown trajectory resampling {resample!r}; known: {', '.join(RESAMPLING)}")
    if aug_view not in AUG_VIEWS:
        raise ValueError(f"unknown trajectory aug_view {aug_view!r}; known: {', '.join(AUG_VIEWS)}")
    if aug_view == "context" and resample != "arclength":
        raise ValueError("aug_view='context' needs resample='arclength' (both views must give the same tokens)")
    if time_window < 1:
        raise ValueError(f"time_window must be >= 1 segment, got {time_window}")
    if time_window > 1 and inputs != "motion":
        raise ValueError(f"time_window={time_window} reads the motion inputs' time channels; inputs={inputs!r} has none")
    common = dict(max_points=max_points, speed_scale=speed_scale, gap_scale=gap_scale, inputs=inputs,
                  resample=resample, cell_size=cell_size, still_length=still_length, min_step=min_step,
                  time_window=time_window)
    if aug_view == "context" and generators is not None and (aug_downsample > 0 or aug_distort > 0):
        perturbed = collate_tracks(samples, generators=generators, aug_downsample=aug_downsample,
                                   aug_distort=aug_distort, **common)
        return dataclasses.replace(perturbed, target_view=collate_tracks(samples, generators=None, **common))
    picked = []
    for i, track in enumerate(samples):
        if len(track) < 2:
            raise ValueError(f"track {track.id!r} has {len(track)} point(s); tracks need at least 2")
        gen = None if generators is None else generators[i]
        t, p = track.t, track.xy
        if gen is not None and (aug_downsample > 0 or aug_distort > 0):
            t, p = augment_track(t, p, gen, downsample=aug_downsample, distort=aug_distort)
        if still_length > 0:
            p = as_stop(p, still_length * cell_size)
        if min_step > 0:
            t, p = thin_track(t, p, min_step * cell_size)
        if resample == "arclength":
            picked.append(arclength_resample(t, p, max_points))
        else:
            idx = choose_points(len(t), max_points, gen)
            picked.append((t[idx], p[idx]))
    n = max(len(t) for t, _ in picked)
    b = len(samples)
    xy = np.zeros((b, n, 2), dtype=np.float32)
    feats = np.zeros((b, n, NUM_MOTION_FEATURES), dtype=np.float32)
    times = np.zeros((b, n), dtype=np.float32)
    lengths = np.zeros(b, dtype=np.int64)
    for i, (t, p) in enumerate(picked):
        k = len(t)
        xy[i, :k], times[i, :k], lengths[i] = p, t - t[0], k
        feats[i, :k] = (motion_features(t, p, speed_scale=speed_scale, gap_scale=gap_scale, time_window=time_window)
                        if inputs == "motion"
                        else geometry_features(p, cell_size=cell_size))
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
