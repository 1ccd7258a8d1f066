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
    if bins < 1 or pairs < 1:
        raise ValueError(f"bins and pairs must be >= 1, got {bins}, {pairs}")
    xyz = np.asarray(points, dtype=np.float64)[:, :3]
    if len(xyz) < 2:
        raise ValueError(f"D2 needs at least two points, got {len(xyz)}")
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, len(xyz), size=(2, pairs))
    dist = np.linalg.norm(xyz[a] - xyz[b], axis=1)
    hist, _ = np.histogram(dist, bins=bins, range=(0.0, 2.0), density=True)
    extents = np.sort(np.ptp(xyz, axis=0))[::-1]
    return np.concatenate([hist, extents]).astype(np.float32)


def d2_features(clouds, *, bins: int = 32, pairs: int = 10_000, seed: int = 0) -> np.ndarray:
    """``[n, bins + 3]`` D2 features of a sequence of ``[P, 3]`` clouds (pairs seeded per sample)."""
    return np.stack([d2_histogram(c, bins=bins, pairs=pairs, seed=seed + i) for i, c in enumerate(clouds)])
