"""Classical shape descriptor for the baseline: the D2 shape distribution (Osada et al. 2002).

A histogram of distances between random point pairs of a unit-sphere-normalised cloud, plus its
sorted bounding-box extents; the same SVM probe is run on it as on the JEPA embeddings.
"""

from __future__ import annotations

import numpy as np


def d2_histogram(points: np.ndarray, *, bins: int = 32, pairs: int = 10_000, seed: int = 0) -> np.ndarray:
    """``[P, 3]`` unit-sphere points -> ``[bins + 3]`` D2 histogram (density over ``[0, 2]``) and
    sorted bounding-box extents (largest first).

    Raises:
        ValueError: for fewer than two points or a bad ``bins``/``pairs``.
    """
    xyz = _checked_xyz(points, bins=bins, draws=pairs, min_points=2, what="D2")
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, len(xyz), size=(2, pairs))
    dist = np.linalg.norm(xyz[a] - xyz[b], axis=1)
    hist, _ = np.histogram(dist, bins=bins, range=(0.0, 2.0), density=True)
    return np.concatenate([hist, sorted_extents(xyz)]).astype(np.float32)


def _checked_xyz(points: np.ndarray, *, bins: int, draws: int, min_points: int, what: str) -> np.ndarray:
    """``[P, 3+]`` -> ``[P, 3]`` float64 coordinates; ``ValueError`` for too few points or a bad
    ``bins`` / number of random ``draws``."""
    if bins < 1 or draws < 1:
        raise ValueError(f"bins and samples must be >= 1, got {bins}, {draws}")
    xyz = np.asarray(points, dtype=np.float64)[:, :3]
    if len(xyz) < min_points:
        raise ValueError(f"{what} needs at least {min_points} points, got {len(xyz)}")
    return xyz


def sorted_extents(xyz: np.ndarray) -> np.ndarray:
    """``[3]`` bounding-box extents of ``[P, 3]`` points, largest first."""
    return np.sort(np.ptp(xyz, axis=0))[::-1]


def d2_features(clouds, *, bins: int = 32, pairs: int = 10_000, seed: int = 0) -> np.ndarray:
    """``[n, bins + 3]`` D2 features of a sequence of ``[P, 3]`` clouds (pairs seeded per sample)."""
    return np.stack([d2_histogram(c, bins=bins, pairs=pairs, seed=seed + i) for i, c in enumerate(clouds)])


def shape_distributions(points: np.ndarray, *, bins: int = 32, samples: int = 10_000, seed: int = 0) -> np.ndarray:
    """``[P, 3]`` unit-sphere points -> ``[4 * bins + 3]`` shape distributions (Osada et al. 2002,
    the histogram part of ESF): D1 (distance to the centroid, over ``[0, 1]``), D2 (pair
    distances, ``[0, 2]``), D3 (square root of random triangles' areas, ``[0, 1.2]``), A3 (angle at
    the middle point of random triples, ``[0, pi]``), each a density over ``samples`` draws, plus
    the sorted bounding-box extents.

    Raises:
        ValueError: for fewer than three points or a bad ``bins``/``samples``.
    """
    xyz = _checked_xyz(points, bins=bins, draws=samples, min_points=3, what="shape distributions")
    rng = np.random.default_rng(seed)
    a, b, c = (xyz[i] for i in rng.integers(0, len(xyz), size=(3, samples)))
    d1 = np.linalg.norm(xyz - xyz.mean(0), axis=1)
    d2 = np.linalg.norm(a - b, axis=1)
    d3 = np.sqrt(0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1))
    u, v = a - b, c - b
    cos = (u * v).sum(1) / np.maximum(np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1), 1e-12)
    a3 = np.arccos(np.clip(cos, -1.0, 1.0))
    hists = [np.histogram(x, bins=bins, range=r, density=True)[0]
             for x, r in ((d1, (0.0, 1.0)), (d2, (0.0, 2.0)), (d3, (0.0, 1.2)), (a3, (0.0, np.pi)))]
    return np.concatenate([*hists, sorted_extents(xyz)]).astype(np.float32)


DESCRIPTORS = ("d2", "shape_distributions")


def descriptor_features(clouds, kind: str = "d2", *, bins: int = 32, seed: int = 0) -> np.ndarray:
    """``[n, F]`` hand descriptors of a sequence of ``[P, 3]`` clouds: ``"d2"`` (:func:`d2_histogram`,
    ``F = bins + 3``) or ``"shape_distributions"`` (:func:`shape_distributions`, ``F = 4 bins + 3``)."""
    if kind == "d2":
        return d2_features(clouds, bins=bins, seed=seed)
    if kind == "shape_distributions":
        return np.stack([shape_distributions(c, bins=bins, seed=seed + i) for i, c in enumerate(clouds)])
    raise ValueError(f"unknown descriptor {kind!r}; known: {', '.join(DESCRIPTORS)}")
