"""Point-cloud and mesh file I/O with open3d: read, sample meshes, validate, normalise.

Every function that reads a file raises a ``ValueError`` naming the file and the problem
(unreadable, empty, non-finite, degenerate, too few points); dataset readers turn it into a
counted skip when asked to.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

POINT_SUFFIXES = (".ply", ".pcd", ".xyz", ".pts", ".xyzn", ".xyzrgb")
MESH_SUFFIXES = (".off", ".obj", ".stl", ".ply", ".gltf")
ARRAY_SUFFIXES = (".npy", ".npz")
CLOUD_SUFFIXES = tuple(sorted(set(POINT_SUFFIXES + MESH_SUFFIXES + ARRAY_SUFFIXES)))
# Suffixes users may expect but that are refused, with the reason (named in the error).
UNSUPPORTED_SUFFIXES = {".glb": "open3d cannot read binary glTF back; convert it to .gltf, .ply or .obj"}
PLY_TYPE_BYTES = {"char": 1, "uchar": 1, "int8": 1, "uint8": 1, "short": 2, "ushort": 2, "int16": 2,
                  "uint16": 2, "int": 4, "uint": 4, "int32": 4, "uint32": 4, "float": 4, "float32": 4,
                  "double": 8, "float64": 8}


def validate_points(points: np.ndarray, name: str, *, min_points: int = 1) -> np.ndarray:
    """``[P, C>=3]`` float array checked for shape, finiteness, size and spread; returns float32.

    Raises:
        ValueError: naming ``name`` and what is wrong.
    """
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] < 3:
        raise ValueError(f"{name}: expected points of shape [P, 3], got {points.shape}")
    if points.shape[0] == 0:
        raise ValueError(f"{name}: empty point cloud")
    if not np.isfinite(points).all():
        bad = int((~np.isfinite(points)).any(axis=1).sum())
        raise ValueError(f"{name}: {bad} points with NaN/inf coordinates")
    if points.shape[0] < min_points:
        raise ValueError(f"{name}: {points.shape[0]} points, fewer than the {min_points} needed "
                         "(group size / number of groups)")
    xyz = points[:, :3]
    if np.ptp(xyz, axis=0).max() <= 1e-9 * max(1.0, float(np.abs(xyz).max())):
        raise ValueError(f"{name}: all {points.shape[0]} points coincide (degenerate cloud)")
    return points.astype(np.float32, copy=False)


def normalize_unit_sphere(points: np.ndarray) -> np.ndarray:
    """Centre ``[P, 3(+C)]`` points on their centroid and scale into the unit sphere (xyz only)."""
    xyz = points[:, :3] - points[:, :3].mean(axis=0, keepdims=True)
    radius = float(np.sqrt((xyz**2).sum(axis=1)).max())
    if radius <= 0:
        raise ValueError("cannot normalise a cloud whose points all coincide")
    out = points.copy()
    out[:, :3] = xyz / radius
    return out


def _is_mesh(path: Path) -> bool:
    if path.suffix.lower() in (".off", ".obj", ".stl", ".gltf"):
        return True
    if path.suffix.lower() != ".ply":
        return False
    # A .ply can be either; a mesh has faces in its header.
    with open(path, "rb") as fh:
        header = fh.read(4096).split(b"end_header")[0]
    return b"element face" in header and b"element face 0\n" not in header


def _ply_header(path: Path) -> tuple[str, list[tuple[str, int, int | None]], int]:
    """``(format, [(element, count, bytes per row or None for list properties)], header bytes)``."""
    with open(path, "rb") as fh:
        head = fh.read(65536)
    end = head.find(b"end_header")
    if not head.startswith(b"ply") or end < 0:
        raise ValueError(f"{path}: not a PLY file (no 'ply' magic or no 'end_header')")
    body_start = head.index(b"\n", end) + 1 if b"\n" in head[end:] else len(head)
    fmt, elements = "", []
    for line in head[:end].decode("ascii", "replace").splitlines():
        words = line.split()
        if words[:1] == ["format"] and len(words) > 1:
            fmt = words[1]
        elif words[:1] == ["element"] and len(words) == 3:
            elements.append([words[1], int(words[2]), 0])
        elif words[:1] == ["property"] and elements and elements[-1][2] is not None:
            size = PLY_TYPE_BYTES.get(words[1]) if len(words) == 3 else None
            elements[-1][2] = None if size is None else elements[-1][2] + size
    return fmt, [tuple(e) for e in elements], body_start


def check_ply_complete(path: Path) -> int:
    """Declared vertex count of a PLY file, after checking that the file can hold that many.

    Binary files: the body must have the bytes of every element up to and including ``vertex``
    (elements with list properties before it are not checked). ASCII files: it must have at
    least as many lines. Raises a ``ValueError`` naming the file for a truncated file.
    """
    fmt, elements, body_start = _ply_header(path)
    names = [e[0] for e in elements]
    if "vertex" not in names:
        raise ValueError(f"{path}: PLY header declares no 'element vertex'")
    upto = elements[: names.index("vertex") + 1]
    declared = upto[-1][1]
    if fmt == "ascii":
        with open(path, "rb") as fh:
            fh.seek(body_start)
            lines = sum(1 for line in fh if line.strip())
        held = lines - sum(count for _, count, _ in upto[:-1])
    elif any(size is None for _, _, size in upto):
        return declared
    else:
        body = path.stat().st_size - body_start - sum(count * size for _, count, size in upto[:-1])
        held = body // upto[-1][2] if upto[-1][2] else declared
    if held < declared:
        raise ValueError(f"{path}: truncated PLY (header declares {declared} vertices, "
                         f"the file holds only {max(held, 0)})")
    return declared


def sample_mesh(path: str | Path, num_points: int, *, method: str = "uniform", normals: bool = False,
                seed: int = 0) -> np.ndarray:
    """Sample ``num_points`` on a mesh's surface: ``[P, 3]`` (``[P, 6]`` with normals).

    Args:
        method: ``"uniform"`` (area-weighted) or ``"poisson"`` (Poisson-disk, more even).
        seed: open3d's sampling seed, so that a dataset is the same on every load.
    """
    import open3d as o3d

    path = Path(path)
    if method not in ("uniform", "poisson"):
        raise ValueError(f"mesh sampling method must be 'uniform' or 'poisson', got {method!r}")
    mesh = o3d.io.read_triangle_mesh(str(path))
    if len(mesh.triangles) == 0 or len(mesh.vertices) == 0:
        raise ValueError(f"{path}: mesh has no triangles (unreadable or empty file)")
    vertices = np.asarray(mesh.vertices)
    if not np.isfinite(vertices).all():
        raise ValueError(f"{path}: mesh has NaN/inf vertex coordinates")
    if mesh.get_surface_area() <= 0:
        raise ValueError(f"{path}: degenerate mesh (zero surface area)")
    o3d.utility.random.seed(seed)
    if method == "uniform":
        cloud = mesh.sample_points_uniformly(number_of_points=num_points, use_triangle_normal=normals)
    else:
        cloud = mesh.sample_points_poisson_disk(number_of_points=num_points, use_triangle_normal=normals)
    points = np.asarray(cloud.points)
    if normals:
        points = np.concatenate([points, np.asarray(cloud.normals)], axis=1)
    return points


def _read_array(path: Path) -> np.ndarray:
    if path.suffix.lower() == ".npy":
        return np.load(path, allow_pickle=False)
    with np.load(path, allow_pickle=False) as data:
        key = "points" if "points" in data else (data.files[0] if data.files else None)
        if key is None:
            raise ValueError(f"{path}: empty .npz archive")
        return data[key]


def read_cloud(path: str | Path, *, num_points: int = 2048, mesh_sampling: str = "uniform",
               normals: bool = False, voxel_size: float = 0.0, min_points: int = 1,
               seed: int = 0) -> np.ndarray:
    """Read a point cloud or a mesh file into validated, unit-sphere-normalised ``[P, 3(+3)]`` float32.

    Point files are read as they are; meshes are sampled to ``num_points``. ``voxel_size > 0``
    down-samples after normalisation (so the size is in unit-sphere units). With ``normals``,
    point clouds get open3d-estimated normals and meshes their triangle normals.
    """
    import open3d as o3d

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in UNSUPPORTED_SUFFIXES:
        raise ValueError(f"{path}: unsupported suffix {suffix!r} ({UNSUPPORTED_SUFFIXES[suffix]})")
    if suffix not in CLOUD_SUFFIXES:
        raise ValueError(f"{path}: unsupported suffix {suffix!r}; expected one of {', '.join(CLOUD_SUFFIXES)}")
    declared = check_ply_complete(path) if suffix == ".ply" else None
    try:
        if suffix in ARRAY_SUFFIXES:
            points = _read_array(path)
        elif _is_mesh(path):
            points = sample_mesh(path, num_points, method=mesh_sampling, normals=normals, seed=seed)
        else:
            cloud = o3d.io.read_point_cloud(str(path))
            points = np.asarray(cloud.points)
            if declared is not None and len(points) != declared:
                raise ValueError(f"{path}: read {len(points)} of the {declared} vertices its PLY header declares")
    except ValueError:
        raise
    except Exception as err:  # open3d raises RuntimeError for corrupt files
        raise ValueError(f"{path}: cannot read ({err})") from None
    points = validate_points(points, str(path), min_points=1)
    keep = 6 if normals and points.shape[1] >= 6 else 3  # extra columns (colours, intensity) dropped
    points = normalize_unit_sphere(points[:, :keep])
    if voxel_size > 0:
        cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(points[:, :3].astype(np.float64)))
        points = np.asarray(cloud.voxel_down_sample(voxel_size).points, dtype=np.float32)
    if normals and points.shape[1] == 3:
        points = np.concatenate([points, estimate_normals(points)], axis=1)
    return validate_points(points, str(path), min_points=min_points)


def estimate_normals(points: np.ndarray, *, neighbours: int = 16) -> np.ndarray:
    """Unit normals ``[P, 3]`` of ``[P, 3]`` points from open3d's kNN PCA, oriented outwards."""
    import open3d as o3d

    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(points[:, :3].astype(np.float64)))
    cloud.estimate_normals(o3d.geometry.KDTreeSearchParamKNN(knn=neighbours))
    normals = np.asarray(cloud.normals, dtype=np.float32)
    # Orient away from the centroid (clouds are centred), a cheap global consistency.
    flip = (normals * points[:, :3]).sum(axis=1) < 0
    normals[flip] *= -1
    return normals
