"""Readers on small generated files in ModelNet / PointNet-HDF5 / folder layouts; bad input."""

import csv

import h5py
import numpy as np
import open3d as o3d
import pytest
import torch

from jepa_domains.data.pointcloud_datasets import ReadOptions, read_path
from jepa_domains.data.pointcloud_io import normalize_unit_sphere, read_cloud
from jepa_domains.data.pointcloud_synthetic import SHAPE_CLASSES, synthetic_shapes
from jepa_domains.modalities.pointcloud import PointCloudAdapter, PointCloudConfig

OPTS = ReadOptions(num_points=256, min_points=16)


def _write_off(path, scale=(1.0, 1.0, 1.0), degenerate=False):
    v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], float) * scale
    if degenerate:
        v[:] = 0.5
    faces = [(0, 1, 2), (0, 1, 3), (0, 2, 3), (1, 2, 3)]
    lines = ["OFF", f"{len(v)} {len(faces)} 0"] + [" ".join(map(str, p)) for p in v]
    lines += [f"3 {a} {b} {c}" for a, b, c in faces]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def _write_ply(path, points):
    path.parent.mkdir(parents=True, exist_ok=True)
    o3d.io.write_point_cloud(str(path), o3d.geometry.PointCloud(o3d.utility.Vector3dVector(points)))


def test_modelnet_off_layout(tmp_path):
    for cls, scale in (("chair", (1, 2, 1)), ("desk", (3, 1, 0.5))):
        for split, n in (("train", 3), ("test", 2)):
            for i in range(n):
                _write_off(tmp_path / cls / split / f"{cls}_{i:04d}.off", scale)
    train = read_path(tmp_path, "train", OPTS)
    test = read_path(tmp_path, "test", OPTS)
    assert (len(train), len(test)) == (6, 4)
    assert train.class_names == ["chair", "desk"] and sorted(set(train.labels)) == [0, 1]
    pts = train[0].points
    assert pts.shape == (256, 3) and pts.dtype == np.float32
    # unit sphere around the centroid
    assert np.allclose(pts.mean(0), 0, atol=1e-5) and np.isclose(np.linalg.norm(pts, axis=1).max(), 1, atol=1e-5)


def test_modelnet_hdf5_layout(tmp_path):
    rng = np.random.default_rng(0)
    for part, n in (("train", 5), ("test", 3)):
        with h5py.File(tmp_path / f"ply_data_{part}0.h5", "w") as h5:
            h5["data"] = rng.normal(size=(n, 64, 3)).astype(np.float32) * 3 + 1
            h5["label"] = np.arange(n, dtype=np.uint8).reshape(n, 1) % 2
    (tmp_path / "shape_names.txt").write_text("airplane\nbathtub\n")
    train, test = read_path(tmp_path, "train", OPTS), read_path(tmp_path, "test", OPTS)
    assert (len(train), len(test)) == (5, 3)
    assert train.class_names == ["airplane", "bathtub"] and train.labels.tolist() == [0, 1, 0, 1, 0]
    assert np.isclose(np.linalg.norm(train[0].points, axis=1).max(), 1, atol=1e-5)
    assert len(read_path(tmp_path, "all", OPTS)) == 8


def test_metadata_folder_two_label_columns(tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for i in range(30):
        name = f"Cat{i % 3}/m{i}.ply"
        _write_ply(tmp_path / name, rng.normal(size=(100, 3)))
        shape = "" if i % 5 == 0 else ("table" if i < 20 else "lamp" if i < 27 else "rare")
        rows.append({"file": name, "category": f"Cat{i % 3}", "shape_class": shape,
                     "split": "test" if i % 4 == 0 else "train"})
    with open(tmp_path / "metadata.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    cat = read_path(tmp_path, "all", OPTS, label_column="category")
    assert len(cat) == 30 and cat.class_names == ["Cat0", "Cat1", "Cat2"]
    shape_test = read_path(tmp_path, "test", OPTS, label_column="shape_class", min_class_count=4)
    shape_train = read_path(tmp_path, "train", OPTS, label_column="shape_class", min_class_count=4)
    # empty labels and the 3-model 'rare' class are left out, and the description says so
    assert shape_train.class_names == ["lamp", "table"] == shape_test.class_names
    n_kept = sum(1 for r in rows if r["shape_class"] in ("lamp", "table"))
    assert len(shape_train) + len(shape_test) == n_kept
    assert "classes with >= 4 models" in shape_train.description
    with pytest.raises(ValueError, match="needs columns"):
        read_path(tmp_path, "all", OPTS, label_column="colour")


def test_class_folders_with_point_formats(tmp_path):
    rng = np.random.default_rng(1)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for i in range(10):
        pts = rng.normal(size=(80, 3))
        np.savetxt(tmp_path / "a" / f"s{i}.xyz", pts)
        np.save(tmp_path / "b" / f"s{i}.npy", pts * 2)
    data = read_path(tmp_path, "all", OPTS)
    assert len(data) == 20 and data.class_names == ["a", "b"]
    train, test = read_path(tmp_path, "train", OPTS), read_path(tmp_path, "test", OPTS)
    assert len(train) + len(test) == 20 and not {s.id for s in train} & {s.id for s in test}


@pytest.mark.parametrize("points,message", [
    (np.zeros((0, 3)), "empty"),
    (np.array([[0.0, 0, 0], [np.nan, 0, 0]] * 20), "NaN"),
    (np.ones((50, 3)), "coincide"),
    (np.random.default_rng(0).normal(size=(5, 3)), "fewer than"),
])
def test_bad_clouds_name_the_file(tmp_path, points, message):
    path = tmp_path / "bad.npy"
    np.save(path, points)
    with pytest.raises(ValueError, match=message) as err:
        read_cloud(path, min_points=16)
    assert "bad.npy" in str(err.value)


def test_degenerate_mesh_and_skip_counting(tmp_path, capsys):
    _write_off(tmp_path / "box" / "train" / "box_0000.off")
    _write_off(tmp_path / "box" / "train" / "box_0001.off", degenerate=True)
    (tmp_path / "box" / "train" / "box_0002.off").write_text("OFF\ngarbage\n")
    with pytest.raises(ValueError, match="box_0001.off|box_0002.off"):
        read_path(tmp_path, "train", OPTS)
    data = read_path(tmp_path, "train", ReadOptions(num_points=256, min_points=16, skip_bad=True))
    assert len(data) == 1 and data.skipped == 2
    err = capsys.readouterr().err
    assert "read 1; skipped 2" in err and "box_0001.off" in err and "box_0002.off" in err
    assert [name.endswith(("box_0001.off", "box_0002.off")) for name, _ in data.read_report.skipped] == [True, True]


def test_tokens_invariant_to_translation_and_scale_after_normalisation():
    rng = np.random.default_rng(3)
    cloud = rng.normal(size=(512, 3)).astype(np.float32) * (1, 2, 0.5)
    moved = cloud * 7.5 + np.array([10, -3, 4], np.float32)
    a, b = normalize_unit_sphere(cloud), normalize_unit_sphere(moved)
    np.testing.assert_allclose(a, b, atol=1e-5)
    adapter, cfg = PointCloudAdapter(), PointCloudConfig(num_points=512, num_groups=16, group_size=8)
    from jepa_domains.data.pointcloud_datasets import PointCloudSample

    tok = adapter.build_tokenizer(cfg, 32).eval()
    batch = adapter.collate(cfg, [PointCloudSample(a, 0, "a"), PointCloudSample(b, 0, "b")], None)
    with torch.no_grad():
        tokens = tok(batch)
    torch.testing.assert_close(tokens.x[0], tokens.x[1], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(tokens.pos[0], tokens.pos[1], atol=1e-4, rtol=1e-4)


def test_synthetic_default_is_deterministic_labelled_and_split():
    train = synthetic_shapes("train", per_class=5, num_points=256)
    test = synthetic_shapes("test", per_class=5, num_points=256)
    assert (len(train), len(test)) == (4 * len(SHAPE_CLASSES), len(SHAPE_CLASSES))
    assert "SYNTHETIC" in train.description
    assert sorted(set(test.labels.tolist())) == list(range(len(SHAPE_CLASSES)))
    from jepa_domains.data.pointcloud_synthetic import _generate

    _generate.cache_clear()  # regenerate from scratch: same seeds, same clouds
    np.testing.assert_array_equal(synthetic_shapes("train", per_class=5, num_points=256)[3].points, train[3].points)
    assert np.isfinite(train[0].points).all() and np.abs(np.linalg.norm(train[0].points, axis=1).max() - 1) < 1e-5


def test_named_dataset_needs_data_root_and_unknown_names_fail():
    adapter, cfg = PointCloudAdapter(), PointCloudConfig()
    with pytest.raises(ValueError, match="needs --data-root or JEPA_DOMAINS_DATA"):
        adapter.load_dataset(cfg, "furniture3d", data_root=None)
    with pytest.raises(ValueError, match="unknown pointcloud dataset 'nope'"):
        adapter.load_dataset(cfg, "nope")


@pytest.mark.parametrize("suffix", [".ply", ".obj", ".stl"])
@pytest.mark.parametrize("method", ["uniform", "poisson"])
def test_meshes_are_sampled_to_n_points_on_the_surface(tmp_path, suffix, method):
    mesh = o3d.geometry.TriangleMesh.create_box(2.0, 1.0, 0.5)
    mesh.compute_triangle_normals()
    path = tmp_path / f"box{suffix}"
    o3d.io.write_triangle_mesh(str(path), mesh)
    pts = read_cloud(path, num_points=300, mesh_sampling=method, normals=True)
    assert pts.shape[1] == 6 and abs(len(pts) - 300) <= 30  # Poisson-disk may return a few less
    np.testing.assert_allclose(np.linalg.norm(pts[:, 3:], axis=1), 1, atol=1e-4)
    # every sample lies on a face of the (normalised) box: one coordinate at its min or max
    lo, hi = pts[:, :3].min(0), pts[:, :3].max(0)
    on_face = (np.isclose(pts[:, :3], lo, atol=1e-4) | np.isclose(pts[:, :3], hi, atol=1e-4)).any(1)
    assert on_face.all()
    again = read_cloud(path, num_points=300, mesh_sampling=method, normals=True)
    np.testing.assert_array_equal(pts, again)  # seeded sampling: same cloud on every load


@pytest.mark.parametrize("suffix", [".pcd", ".pts", ".xyz"])
def test_point_files_and_voxel_downsampling(tmp_path, suffix):
    p = np.random.default_rng(0).uniform(-1, 1, size=(2000, 3))
    path = tmp_path / f"c{suffix}"
    if suffix == ".pts":
        path.write_text(f"{len(p)}\n" + "\n".join(" ".join(map(str, r)) for r in p) + "\n")
    else:
        o3d.io.write_point_cloud(str(path), o3d.geometry.PointCloud(o3d.utility.Vector3dVector(p)))
    full = read_cloud(path)
    assert full.shape == (2000, 3)
    coarse = read_cloud(path, voxel_size=0.25)
    assert 16 < len(coarse) < 2000
    assert read_cloud(path, normals=True).shape == (2000, 6)


def _cloud(seed=0, n=64):
    return np.random.default_rng(seed).normal(size=(n, 3))


@pytest.mark.parametrize("ascii_", [False, True])
def test_truncated_ply_is_refused_naming_the_file_or_a_named_skip(tmp_path, ascii_):
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(_cloud(n=2048)))
    good, cut = tmp_path / "chair" / "good.ply", tmp_path / "chair" / "cut.ply"
    good.parent.mkdir()
    o3d.io.write_point_cloud(str(good), cloud, write_ascii=ascii_)
    raw = good.read_bytes()
    cut.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match=r"cut\.ply: truncated PLY \(header declares 2048 vertices, the file holds only 10\d\d\)"):
        read_cloud(cut)
    data = read_path(tmp_path, "all", ReadOptions(num_points=256, min_points=16, skip_bad=True))
    assert [s.id for s in data.samples] == ["chair/good.ply"] and len(data.samples[0].points) == 2048
    assert data.skipped == 1 and data.read_report.skipped[0][0] == str(cut)
    assert data.read_report.read + data.skipped == 2


def test_glb_is_refused_with_its_reason(tmp_path):
    path = tmp_path / "model.glb"
    path.write_bytes(b"glTF")
    with pytest.raises(ValueError, match=r"model\.glb: unsupported suffix '\.glb' \(open3d cannot read binary glTF"):
        read_cloud(path)


def test_class_folders_name_the_files_they_ignore(tmp_path):
    for i in range(3):
        _write_ply(tmp_path / "a" / f"{i}.ply", _cloud(i))
    (tmp_path / "a" / "notes.txt").write_text("x")
    (tmp_path / "a" / "model.glb").write_bytes(b"glTF")
    (tmp_path / "README.md").write_text("x")
    data = read_path(tmp_path, "all", OPTS)
    assert len(data) == 3 and data.skipped == 0
    assert sorted(n for n, _ in data.read_report.ignored) == ["README.md", "a/model.glb", "a/notes.txt"]
    assert "ignored 3" in data.read_report.summary()
