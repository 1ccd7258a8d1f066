"""Adapter contract: collate, pooling, baseline features, and the CLI end to end."""

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from jepa_domains.data.pointcloud_datasets import PointCloudSample
from jepa_domains.modalities.pointcloud import PointCloudAdapter, PointCloudConfig
from jepa_domains.modalities.pointcloud.adapter import up_rotation
from jepa_domains.modalities.pointcloud.features import d2_histogram, descriptor_features, shape_distributions
from jepa_domains.registry import get_modality


def _samples(n=3, p=300, seed=0):
    rng = np.random.default_rng(seed)
    return [PointCloudSample(rng.normal(size=(p, 3)).astype(np.float32), i % 2, f"s{i}") for i in range(n)]


def test_registered_and_config_validates():
    assert isinstance(get_modality("pointcloud"), PointCloudAdapter)
    with pytest.raises(ValueError, match="num_points=8"):
        PointCloudConfig(num_points=8)
    with pytest.raises(ValueError, match="order"):
        PointCloudConfig(order="spiral")


def test_collate_shapes_determinism_and_augmentation():
    adapter, cfg = PointCloudAdapter(), PointCloudConfig(num_points=256, num_groups=16, group_size=8)
    samples = _samples()
    a = adapter.collate(cfg, samples, None)
    b = adapter.collate(cfg, samples, None)
    assert a.points.shape == (3, 256, 3) and a.layout.shape == (16,) and a.labels.tolist() == [0, 1, 0]
    assert torch.equal(a.points, b.points)  # evaluation: deterministic
    gens = lambda: [torch.Generator().manual_seed(i) for i in range(3)]  # noqa: E731
    c, d = adapter.collate(cfg, samples, gens()), adapter.collate(cfg, samples, gens())
    assert torch.equal(c.points, d.points) and not torch.equal(a.points, c.points)
    # augmentation is a per-axis scale within the range plus a bounded shift
    extent = c.points.amax(1) - c.points.amin(1)
    assert (extent <= (a.points.amax(1) - a.points.amin(1)) * 1.5 + 1e-4).all()
    short = adapter.collate(cfg, _samples(p=100), None)  # fewer stored points than num_points: repeated
    assert short.points.shape == (3, 256, 3)
    with pytest.raises(ValueError, match="sample s0"):
        adapter.collate(cfg, _samples(p=10), None)
    bad = _samples(n=1)
    bad[0].points[5, 1] = np.nan
    with pytest.raises(ValueError, match="sample s0: NaN"):
        adapter.collate(cfg, bad, None)


def test_tokenizer_and_pool_shapes_and_max_mean_pool():
    adapter, cfg = PointCloudAdapter(), PointCloudConfig(num_points=256, num_groups=16, group_size=8,
                                                         pointnet_width=16)
    batch = adapter.collate(cfg, _samples(), None)
    tokens = adapter.build_tokenizer(cfg, 24)(batch)
    assert tokens.x.shape == tokens.pos.shape == (3, 16, 24) and not tokens.pad.any()
    latents = torch.randn(3, 16, 24)
    pad = torch.zeros(3, 16, dtype=torch.bool)
    pad[0, 8:] = True
    pooled = adapter.pool(cfg, latents, pad, batch)
    assert pooled.shape == (3, 48)
    torch.testing.assert_close(pooled[0, :24], latents[0, :8].amax(0))
    torch.testing.assert_close(pooled[0, 24:], latents[0, :8].mean(0))


def test_normals_flow_through_collate_and_tokenizer():
    adapter = PointCloudAdapter()
    cfg = PointCloudConfig(num_points=128, num_groups=8, group_size=8, pointnet_width=8, use_normals=True)
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(200, 3))
    nrm = pts / np.linalg.norm(pts, axis=1, keepdims=True)
    sample = PointCloudSample(np.concatenate([pts, nrm], 1).astype(np.float32), 0, "n")
    batch = adapter.collate(cfg, [sample], [torch.Generator().manual_seed(0)])
    assert batch.normals.shape == (1, 128, 3)
    torch.testing.assert_close(batch.normals.norm(dim=-1), torch.ones(1, 128))
    assert adapter.build_tokenizer(cfg, 16)(batch).x.shape == (1, 8, 16)
    with pytest.raises(ValueError, match="no normals"):
        adapter.collate(cfg, _samples(n=1), None)


def test_d2_histogram_is_a_density_and_separates_shapes():
    rng = np.random.default_rng(0)
    sphere = rng.normal(size=(2000, 3))
    sphere /= np.linalg.norm(sphere, axis=1, keepdims=True)
    line = np.zeros((2000, 3))
    line[:, 0] = rng.uniform(-1, 1, 2000)
    h_sphere, h_line = d2_histogram(sphere), d2_histogram(line)
    assert h_sphere.shape == (35,)
    assert np.isclose(h_sphere[:32].sum() * 2 / 32, 1.0, atol=1e-5)
    # a segment's distances are mostly short; a sphere's peak near sqrt(2)
    assert np.argmax(h_line[:32]) < np.argmax(h_sphere[:32])
    np.testing.assert_allclose(h_line[32:], [2, 0, 0], atol=0.01)


def test_up_rotation_keeps_the_up_coordinate_and_lengths():
    rot = up_rotation(0.7, up_axis=1)
    pts = torch.randn(50, 3)
    out = pts @ rot
    torch.testing.assert_close(out[:, 1], pts[:, 1])
    torch.testing.assert_close(out.norm(dim=1), pts.norm(dim=1))
    torch.testing.assert_close(rot @ rot.T, torch.eye(3))
    assert not torch.allclose(out, pts)
    torch.testing.assert_close(up_rotation(0.0, 2), torch.eye(3))


def test_rotation_and_jitter_augmentation_only_when_training():
    adapter = PointCloudAdapter()
    base = dict(num_points=256, num_groups=16, group_size=8, scale_range=(1.0, 1.0), translate=0.0)
    samples = _samples()
    gens = lambda: [torch.Generator().manual_seed(i) for i in range(3)]  # noqa: E731
    plain = adapter.collate(PointCloudConfig(**base), samples, gens())
    rotated = adapter.collate(PointCloudConfig(**base, rotate=True), samples, gens())
    # rotation about y: same heights and radii, different x/z
    torch.testing.assert_close(rotated.points[..., 1], plain.points[..., 1])
    torch.testing.assert_close(rotated.points.norm(dim=-1), plain.points.norm(dim=-1))
    assert not torch.allclose(rotated.points, plain.points)
    jittered = adapter.collate(PointCloudConfig(**base, jitter=0.01), samples, gens())
    noise = (jittered.points - plain.points).std().item()
    assert 0.005 < noise < 0.02
    evaluated = adapter.collate(PointCloudConfig(**base, rotate=True, jitter=0.01), samples, None)
    torch.testing.assert_close(evaluated.points, adapter.collate(PointCloudConfig(**base), samples, None).points)
    with pytest.raises(ValueError, match="up_axis"):
        PointCloudConfig(up_axis=3)
    with pytest.raises(ValueError, match="jitter"):
        PointCloudConfig(jitter=-0.1)


def test_shape_distributions_descriptor():
    rng = np.random.default_rng(0)
    sphere = rng.normal(size=(2000, 3))
    sphere /= np.linalg.norm(sphere, axis=1, keepdims=True)
    plane = np.c_[rng.uniform(-0.7, 0.7, (2000, 2)), np.zeros(2000)]
    h_sphere, h_plane = shape_distributions(sphere), shape_distributions(plane)
    assert h_sphere.shape == (4 * 32 + 3,)
    for k, width in enumerate((1 / 32, 2 / 32, 1.2 / 32, np.pi / 32)):  # each block is a density
        assert np.isclose(h_sphere[32 * k:32 * (k + 1)].sum() * width, 1.0, atol=1e-3)
    assert np.argmax(h_sphere[:32]) >= 30  # every point of a unit sphere is at distance 1 from the centre
    assert not np.allclose(h_sphere[96:128], h_plane[96:128])  # angle distributions differ
    assert descriptor_features([sphere, plane], "d2").shape == (2, 35)
    assert descriptor_features([sphere, plane], "shape_distributions").shape == (2, 131)
    with pytest.raises(ValueError, match="unknown descriptor"):
        descriptor_features([sphere], "esf")
    with pytest.raises(ValueError, match="descriptor"):
        PointCloudConfig(descriptor="esf")


def test_cli_quick_end_to_end(tmp_path):
    from jepa_domains.cli.app import app

    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["train", "pointcloud", "--quick", "--out", str(out), "--set",
                                      "train.progress=false", "--set", "train.steps=4", "--set",
                                      "modality.synthetic_per_class=5", "--set", "train.checkpoint_every=4",
                                      "--set", "modality.num_points=128", "--set", "modality.num_groups=16",
                                      "--set", "modality.group_size=8", "--set", "modality.pointnet_width=8",
                                      "--set", "model.depth=1"])
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.output
    assert (out / "config.yaml").is_file()
    from jepa_domains.modalities.pointcloud.evaluate import evaluate_run

    rows = evaluate_run(out, probes=("svm",))
    by_method = {r["method"]: r["value"] for r in rows}
    assert set(by_method) == {"jepa", "random_init", "features", "chance"}
    assert all(0.0 <= v <= 1.0 for v in by_method.values())
