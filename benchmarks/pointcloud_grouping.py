"""Time the point grouping (FPS + kNN) on a batch of clouds, side by side in one run: the batched
torch path, the compiled CPU path (what ``backend="auto"`` uses on the CPU) and open3d's
per-sample FPS plus a KD-tree kNN per centre; ratios against open3d.

    python benchmarks/pointcloud_grouping.py [--batch 32 --points 1024 --groups 64 --k 32 --device cpu]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from jepa_domains.modalities.pointcloud.grouping import farthest_point_sample, gather_points, knn_indices


def library_grouping(points: torch.Tensor, groups: int, k: int, backend: str) -> torch.Tensor:
    """FPS + kNN as the tokenizer runs them: ``[B, P, 3]`` -> ``[B, G, k]`` neighbour indices."""
    centers = gather_points(points, farthest_point_sample(points, groups, backend=backend))
    return knn_indices(centers, points, k, backend=backend)


def open3d_grouping(clouds: np.ndarray, groups: int, k: int) -> list[np.ndarray]:
    """open3d per sample: ``farthest_point_down_sample`` then a KD-tree kNN query per centre."""
    import open3d as o3d

    out = []
    for cloud in clouds:
        pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(cloud.astype(np.float64)))
        centers = np.asarray(pcd.farthest_point_down_sample(groups).points)
        tree = o3d.geometry.KDTreeFlann(pcd)
        out.append(np.stack([np.asarray(tree.search_knn_vector_3d(c, k)[1]) for c in centers]))
    return out


def best_time(fn, repeats: int, sync=lambda: None) -> float:
    fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--points", type=int, default=1024)
    parser.add_argument("--groups", type=int, default=64)
    parser.add_argument("--k", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    clouds = np.random.default_rng(0).normal(size=(args.batch, args.points, 3)).astype(np.float32)
    points = torch.from_numpy(clouds).to(args.device)
    sync = torch.cuda.synchronize if points.is_cuda else (lambda: None)
    times = {"batched torch": best_time(lambda: library_grouping(points, args.groups, args.k, "torch"),
                                        args.repeats, sync)}
    if not points.is_cuda:
        times["compiled CPU"] = best_time(lambda: library_grouping(points, args.groups, args.k, "compiled"),
                                          args.repeats)
    times["open3d per-sample"] = best_time(lambda: open3d_grouping(clouds, args.groups, args.k), args.repeats)
    print(f"grouping {args.batch} x {args.points} points -> {args.groups} groups x {args.k} "
          f"(torch threads {torch.get_num_threads()}, device {args.device})")
    for name, seconds in times.items():
        print(f"  {name:20s} {seconds * 1e3:9.2f} ms   speed vs open3d {times['open3d per-sample'] / seconds:5.2f}x")


if __name__ == "__main__":
    main()
