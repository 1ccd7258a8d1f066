"""A deterministic SYNTHETIC labelled set of movement models, the default data of the
trajectory modality (no download, same tracks on every machine).

Classes: 0 Brownian motion, 1 correlated random walk, 2 Lévy flight, 3 directed commute with
stops. Units: metres and seconds; tracks start near the origin of a ~4 km area.
"""

from __future__ import annotations

import numpy as np

from jepa_domains.data.trajectory_track import Track, TrackDataset

MOVEMENT_MODELS = ("brownian", "correlated_walk", "levy_flight", "commute_with_stops")


def _brownian(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.cumsum(rng.normal(0.0, 8.0, size=(n, 2)), axis=0)


def _correlated_walk(rng: np.random.Generator, n: int) -> np.ndarray:
    heading = np.cumsum(rng.normal(0.0, 0.25, size=n)) + rng.uniform(0, 2 * np.pi)
    step = rng.gamma(4.0, 2.5, size=n)
    return np.cumsum(np.stack([np.cos(heading), np.sin(heading)], 1) * step[:, None], axis=0)


def _levy_flight(rng: np.random.Generator, n: int) -> np.ndarray:
    heading = rng.uniform(0, 2 * np.pi, size=n)
    step = np.minimum(3.0 * (rng.pareto(1.5, size=n) + 1.0), 400.0)  # capped heavy tail
    return np.cumsum(np.stack([np.cos(heading), np.sin(heading)], 1) * step[:, None], axis=0)


def _commute(rng: np.random.Generator, n: int) -> np.ndarray:
    goal = rng.normal(0.0, 1500.0, size=2)
    pos, out = np.zeros(2), []
    stop_left = 0
    for _ in range(n):
        if stop_left > 0:  # waiting at a stop: GPS jitter only
            stop_left -= 1
        else:
            if rng.random() < 0.06:
                stop_left = int(rng.integers(3, 9))
            direction = goal - pos
            dist = np.linalg.norm(direction) + 1e-9
            pos = pos + direction / dist * min(dist, 12.0) + rng.normal(0.0, 1.0, size=2)
        out.append(pos + rng.normal(0.0, 0.5, size=2))
    return np.asarray(out)


_GENERATORS = (_brownian, _correlated_walk, _levy_flight, _commute)


def synthetic_tracks(*, num_per_class: int = 64, min_points: int = 40, max_points: int = 120,
                     seed: int = 0) -> TrackDataset:
    """``4 * num_per_class`` labelled tracks, each ``min_points..max_points`` points with
    irregular 1 s ± 0.3 s sampling. The same ``seed`` gives the same tracks."""
    if num_per_class < 1 or not 2 <= min_points <= max_points:
        raise ValueError(f"need num_per_class >= 1 and 2 <= min_points <= max_points, got "
                         f"{num_per_class}, {min_points}, {max_points}")
    rng = np.random.default_rng(seed)
    tracks = []
    for i in range(num_per_class):
        for label, make in enumerate(_GENERATORS):
            n = int(rng.integers(min_points, max_points + 1))
            t = np.cumsum(rng.uniform(0.7, 1.3, size=n))
            origin = rng.normal(0.0, 300.0, size=2)
            tracks.append(Track(t=t - t[0], xy=make(rng, n) + origin, label=label,
                                id=f"{MOVEMENT_MODELS[label]}-{seed}-{i}"))
    return TrackDataset(tracks, description=f"SYNTHETIC movement models ({len(tracks)} tracks, seed {seed}: "
                                             + ", ".join(MOVEMENT_MODELS) + ")", classes=MOVEMENT_MODELS)
