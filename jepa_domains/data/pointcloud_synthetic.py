"""A deterministic generated set of labelled 3-D shapes (SYNTHETIC), the default pointcloud data.

Eight classes built from open3d primitives, each varied so that global statistics alone do not
separate them: random anisotropic proportions (a stretched sphere is an ellipsoid, a flattened
box a slab), random rotation, surface noise and, for half the shapes, an occluding cut that
removes the points on one side of a random plane (as a single-view scan would).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from jepa_domains.data.pointcloud_datasets import PointCloudDataset, PointCloudSample
from jepa_domains.data.pointcloud_io import normalize_unit_sphere

SHAPE_CLASSES = ("box", "sphere", "cylinder", "cone", "torus", "capsule", "octahedron", "arrow")


def _primitive(name: str, rng: np.random.Generator):
    import open3d as o3d

    g = o3d.geometry.TriangleMesh
    if name == "box":
        return g.create_box(*rng.uniform(0.4, 1.6, 3))
    if name == "sphere":
        return g.create_sphere(radius=1.0, resolution=20)
    if name == "cylinder":
        return g.create_cylinder(radius=rng.uniform(0.3, 1.0), height=rng.uniform(0.8, 2.5), resolution=24)
    if name == "cone":
        return g.create_cone(radius=rng.uniform(0.4, 1.0), height=rng.uniform(0.8, 2.5), resolution=24)
    if name == "torus":
        return g.create_torus(torus_radius=1.0, tube_radius=rng.uniform(0.15, 0.5), radial_resolution=30,
                              tubular_resolution=16)
    if name == "capsule":
        radius, height = rng.uniform(0.3, 0.7), rng.uniform(0.8, 2.0)
        mesh = g.create_cylinder(radius=radius, height=height, resolution=24)
        for z in (-height / 2, height / 2):
            mesh += g.create_sphere(radius=radius, resolution=16).translate((0, 0, z))
        return mesh
    if name == "octahedron":
        return g.create_octahedron(radius=1.0)
    if name == "arrow":
        return g.create_arrow(cylinder_radius=rng.uniform(0.1, 0.3), cone_radius=rng.uniform(0.35, 0.6),
                              cylinder_height=rng.uniform(1.0, 2.0), cone_height=rng.uniform(0.4, 1.0))
    raise ValueError(f"unknown synthetic shape {name!r}; known: {', '.join(SHAPE_CLASSES)}")


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q *= np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


def make_shape(name: str, seed: int, num_points: int = 1024) -> np.ndarray:
    """One varied, rotated, noisy (possibly occluded) shape: ``[num_points, 3]`` float32, unit sphere."""
    import open3d as o3d

    rng = np.random.default_rng(seed)
    mesh = _primitive(name, rng)
    # Oversample so that an occluding cut still leaves num_points.
    o3d.utility.random.seed(seed % (2**31))
    points = np.asarray(mesh.sample_points_uniformly(number_of_points=2 * num_points).points)
    points = points - points.mean(axis=0)
    points = points * rng.uniform(0.6, 1.6, 3)  # proportions
    points = points @ _random_rotation(rng).T
    points = points + rng.normal(scale=rng.uniform(0.005, 0.03), size=points.shape)
    if rng.random() < 0.5:
        direction = rng.normal(size=3)
        direction /= np.linalg.norm(direction)
        height = points @ direction
        keep = height < np.quantile(height, rng.uniform(0.7, 0.9))
        points = points[keep]
    points = points[rng.permutation(len(points))[:num_points]]
    return normalize_unit_sphere(points.astype(np.float32))


@lru_cache(maxsize=4)
def _generate(per_class: int, num_points: int, seed: int) -> tuple[PointCloudSample, ...]:
    samples = []
    for i in range(per_class):
        for label, name in enumerate(SHAPE_CLASSES):
            shape_seed = seed * 1_000_003 + i * len(SHAPE_CLASSES) + label
            samples.append(PointCloudSample(points=make_shape(name, shape_seed, num_points), label=label,
                                            id=f"synthetic/{name}_{i:03d}"))
    return tuple(samples)


def synthetic_shapes(split: str = "train", *, per_class: int = 40, num_points: int = 1024,
                     seed: int = 0) -> PointCloudDataset:
    """The generated set: ``per_class`` shapes of each class, every 5th one in the test split."""
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")
    if per_class < 5:
        raise ValueError(f"per_class must be >= 5 so that both splits are non-empty, got {per_class}")
    samples = _generate(per_class, num_points, seed)
    n = len(SHAPE_CLASSES)
    chosen = [s for j, s in enumerate(samples)
              if split == "all" or ((j // n) % 5 == 4) == (split == "test")]
    return PointCloudDataset(chosen, class_names=SHAPE_CLASSES,
                             description=f"SYNTHETIC shapes generated with open3d primitives ({split}, "
                                         f"{len(chosen)} shapes, {n} classes; not real data)")
