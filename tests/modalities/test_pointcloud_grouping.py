"""Batched FPS / kNN / sequencers against references, and the Point-JEPA masker bounds."""

import numpy as np
import open3d as o3d
import pytest
import torch

from jepa_domains.modalities.pointcloud import PointCloudAdapter, PointCloudConfig
from jepa_domains.modalities.pointcloud.grouping import (
    farthest_point_sample,
    gather_points,
    greedy_sequence,
    group_points,
    knn_indices,
    morton_sequence,
)


def _clouds(b=3, p=512, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).normal(size=(b, p, 3)))  # float64: no near-ties


BACKENDS = ["torch", "compiled"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("start", [0, 7])
def test_fps_matches_open3d(start, backend):
    points = _clouds()
    ours = farthest_point_sample(points, 48, start=start, backend=backend)
    assert ours.shape == (3, 48) and (ours[:, 0] == start).all()
    for b in range(3):
        cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(points[b].numpy()))
        ref = np.asarray(cloud.farthest_point_down_sample(48, start_index=start).points)
        # open3d returns the selected points in index order, so compare as sets of indices
        ref_idx = {int(np.argmin(((points[b].numpy() - r) ** 2).sum(1))) for r in ref}
        assert ref_idx == set(ours[b].tolist())


@pytest.mark.parametrize("backend", BACKENDS)
def test_fps_indices_unique_and_spread(backend):
    points = _clouds(b=2, p=256).float()
    idx = farthest_point_sample(points, 32, backend=backend)
    assert all(len(set(row.tolist())) == 32 for row in idx)
    centers = gather_points(points, idx)
    # FPS centres are farther apart than a random subset of the same size
    d_fps = torch.cdist(centers, centers) + torch.eye(32) * 1e9
    rand = points[:, :32]
    d_rand = torch.cdist(rand, rand) + torch.eye(32) * 1e9
    assert (d_fps.amin((1, 2)) > d_rand.amin((1, 2))).all()


def test_fps_rejects_bad_sizes():
    with pytest.raises(ValueError, match="num_samples"):
        farthest_point_sample(_clouds(p=10), 11)


@pytest.mark.parametrize("backend", BACKENDS)
def test_knn_matches_brute_force(backend):
    points = _clouds(b=2, p=300)
    queries = points[:, :20] + 0.01
    idx = knn_indices(queries, points, 16, backend=backend)
    assert idx.shape == (2, 20, 16)
    for b in range(2):
        d = ((queries[b, :, None] - points[b, None]) ** 2).sum(-1).numpy()
        ref = np.argsort(d, axis=1)[:, :16]
        np.testing.assert_array_equal(idx[b].numpy(), ref)


def test_compiled_and_torch_paths_agree_on_float32_clouds():
    points = _clouds(b=4, p=1024, seed=3).float()
    fps = farthest_point_sample(points, 64, backend="compiled")
    assert torch.equal(fps, farthest_point_sample(points, 64, backend="torch"))
    assert farthest_point_sample(points, 64).dtype == torch.long  # auto on CPU = compiled
    centers = gather_points(points, fps)
    knn_c = knn_indices(centers, points, 32, backend="compiled")
    knn_t = knn_indices(centers, points, 32, backend="torch")
    # the torch path expands |q - p|^2, so near-equal distances may swap; the neighbour sets agree
    same = (knn_c.sort(-1).values == knn_t.sort(-1).values).all(-1).float().mean()
    assert same > 0.99 and (knn_c[..., 0] == fps).all()  # every centre is its own nearest neighbour


def test_backend_names_and_devices_are_checked():
    with pytest.raises(ValueError, match="backend must be one of auto, torch, compiled, got 'numba'"):
        farthest_point_sample(_clouds(), 4, backend="numba")
    if torch.cuda.is_available():
        with pytest.raises(ValueError, match="runs on the CPU"):
            knn_indices(_clouds().cuda(), _clouds().cuda(), 4, backend="compiled")


def test_greedy_sequence_is_a_permutation_starting_at_min_sum_and_keeps_neighbours_close():
    centers = _clouds(b=4, p=64, seed=1).float()
    order = greedy_sequence(centers)
    assert (order.sort(1).values == torch.arange(64)).all()
    assert (order[:, 0] == centers.sum(-1).argmin(1)).all()
    walked = gather_points(centers, order)
    step = (walked[:, 1:] - walked[:, :-1]).norm(dim=-1).mean()
    random_step = (centers[:, 1:] - centers[:, :-1]).norm(dim=-1).mean()
    assert step < 0.5 * random_step
    # the first step is to the nearest centre of the start
    d = torch.cdist(walked[:, :1], walked[:, 1:]).squeeze(1)
    assert (d.argmin(1) == 0).all()


def test_morton_sequence_keeps_neighbours_close():
    centers = _clouds(b=4, p=64, seed=2).float()
    order = morton_sequence(centers)
    assert (order.sort(1).values == torch.arange(64)).all()
    walked = gather_points(centers, order)
    step = (walked[:, 1:] - walked[:, :-1]).norm(dim=-1).mean()
    assert step < 0.8 * (centers[:, 1:] - centers[:, :-1]).norm(dim=-1).mean()


def test_group_points_are_relative_and_contain_their_centre():
    points = _clouds(b=2, p=256).float()
    groups, centers = group_points(points, 16, 8)
    assert groups.shape == (2, 16, 8, 3) and centers.shape == (2, 16, 3)
    # the nearest neighbour of a centre is itself: offset zero
    assert groups[:, :, 0].abs().max() == 0
    dist = groups.norm(dim=-1)
    assert (dist.diff(dim=-1) >= 0).all()  # nearest first
    # nothing outside a group is closer to its centre than the group's farthest member
    all_d = torch.cdist(centers, points)  # [B, G, P]
    assert ((all_d < dist[..., -1:] - 1e-5).sum(-1) <= 7).all()
    with pytest.raises(ValueError, match="order"):
        group_points(points, 16, 8, order="spiral")


def test_masker_is_point_jepa_spans():
    masker = PointCloudAdapter().build_masker(PointCloudConfig())
    from jepa_domains.core import Layout

    layout = Layout((64,), valid=torch.full((50,), 64))
    plan = masker(layout, [torch.Generator().manual_seed(i) for i in range(50)])
    assert plan.targets.shape[1] == 4
    for r in range(50):
        ctx = plan.context[r][~plan.context_pad[r]]
        covered = set()
        for m in range(4):
            t = plan.targets[r, m][~plan.target_pad[r, m]]
            assert round(0.15 * 64) <= t.numel() <= round(0.2 * 64)
            assert (t.diff() == 1).all()
            covered |= set(t.tolist())
        assert not covered & set(ctx.tolist())
        rest = [i for i in range(64) if i not in covered]
        start = rest.index(int(ctx[0]))
        assert ctx.tolist() == rest[start : start + ctx.numel()]  # one contiguous run of the remaining tokens
        rest = len(rest)
        assert round(0.4 * rest) <= ctx.numel() <= round(0.75 * rest)
