import math

import numpy as np
import pandas as pd
import pytest
import torch

from jepa_domains.data.trajectory_readers import read_ts_file, tracks_from_table
from jepa_domains.data.trajectory_track import (
    CleaningRules,
    Track,
    clean_track,
    project_equirectangular,
    resample_track,
    split_track,
    unproject_equirectangular,
)
from jepa_domains.modalities.trajectory.collate import collate_tracks, motion_features
from jepa_domains.modalities.trajectory.tokenizer import (
    CENTRE,
    TrajectoryTokenizer,
    cell_of,
    hash_cells,
    location_features,
    neighbour_cells,
)
from jepa_domains.registry import get_modality


@pytest.fixture(scope="module")
def adapter():
    return get_modality("trajectory")


def line_track(n=10, speed=2.0, dt=1.0, label=0, id="line"):
    t = np.arange(n) * dt
    return Track(t=t, xy=np.stack([t * speed, np.zeros(n)], 1), label=label, id=id)


# --- cells ---------------------------------------------------------------------------------
def test_cell_assignment_including_negative_coordinates():
    xy = torch.tensor([[0.0, 0.0], [9.99, 10.0], [-0.01, -10.0], [25.0, -25.1]])
    np.testing.assert_array_equal(cell_of(xy, 10.0).numpy(), [[0, 0], [0, 1], [-1, -1], [2, -3]])


def test_neighbour_lookup_is_the_3x3_block_with_centre_at_index_4():
    cells = torch.tensor([[5, -2]])
    nb = neighbour_cells(cells)[0]
    assert nb.shape == (9, 2)
    assert nb[CENTRE].tolist() == [5, -2]
    assert {tuple(c) for c in nb.tolist()} == {(5 + dx, -2 + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)}
    buckets = hash_cells(nb, 8192)
    assert ((buckets >= 0) & (buckets < 8192)).all()
    assert len(set(buckets.tolist())) == 9  # the 9 neighbours do not collide here


def test_adjfuse_is_the_weighted_sum_of_the_neighbour_embeddings(adapter):
    torch.manual_seed(0)
    tok = TrajectoryTokenizer(dim=16, cell_size=10.0, hash_buckets=97)
    batch = collate_tracks([line_track()], max_points=64, speed_scale=1.0, gap_scale=1.0, generators=None)
    out = tok(batch)
    assert out.x.shape == (1, 10, 16) and out.pos.shape == (1, 10, 16) and not out.pad.any()
    w = tok.fuse_weights().detach()
    assert float(w.sum()) == pytest.approx(1.0) and int(w.argmax()) == CENTRE
    # reference: own computation of point 3's fused cell embedding
    cell = cell_of(batch.xy[0, 3], 10.0)
    ref = (tok.cells.weight[hash_cells(neighbour_cells(cell), 97)] * w[:, None]).sum(0)
    inside = batch.xy[0, 3] / 10.0 - cell - 0.5
    motion = tok.motion(torch.cat([batch.features[0, 3], inside]))
    torch.testing.assert_close(out.x[0, 3], ref + motion)


def test_location_features_are_each_points_own_and_far_tracks_differ():
    xy = torch.tensor([[[4_000_000.0, 300_000.0], [4_000_050.0, 300_010.0]]])      # UTM-sized metres
    f = location_features(xy, 50.0, 3)
    assert f.shape == (1, 2, 12)
    x = torch.tensor(4_000_000.0, dtype=torch.float64)
    assert float(f[0, 0, 0]) == pytest.approx(math.sin(4_000_000.0 / 50.0), abs=1e-5)      # sin x / s, k = 0
    assert float(f[0, 0, 5]) == pytest.approx(float(torch.cos(x / 200.0)), abs=1e-5)       # cos x / 4s, k = 2
    assert torch.equal(location_features(xy[:, 1:], 50.0, 3)[0, 0], f[0, 1])                # other points do not matter
    assert torch.equal(location_features(xy, 50.0, 1, base=4.0), f[..., [2, 5, 8, 11]])      # base: start at 4 cells
    # the same line 5 km away: tokens move by the location map's difference, nothing else of the option
    near, far = line_track(), line_track()
    far.xy = far.xy + np.array([5_000.0, 0.0])
    batches = [collate_tracks([tr], max_points=64, speed_scale=1.0, gap_scale=1.0, generators=None)
               for tr in (near, far)]
    torch.manual_seed(0)
    plain = TrajectoryTokenizer(dim=16, cell_size=10.0, hash_buckets=97)
    torch.manual_seed(0)
    tok = TrajectoryTokenizer(dim=16, cell_size=10.0, hash_buckets=97, location_octaves=4)
    assert torch.equal(tok.motion[0].weight, plain.motion[0].weight) and plain.location is None
    moved = tok(batches[1]).x - tok(batches[0]).x
    located = [tok.location(location_features(b.xy, 10.0, 4)) for b in batches]
    expected = plain(batches[1]).x - plain(batches[0]).x + located[1] - located[0]
    torch.testing.assert_close(moved, expected)
    assert moved.abs().mean() > 5 * (plain(batches[1]).x - plain(batches[0]).x).abs().mean()
    for bad in ({"location_octaves": -1}, {"location_octaves": 2, "location_base": 0.0}):
        with pytest.raises(ValueError, match="location_octaves .*location_base"):
            get_modality("trajectory").Config(**bad)


def test_tokenizer_refuses_unmeasured_cell_size():
    tok = TrajectoryTokenizer(dim=8, cell_size=0.0)
    batch = collate_tracks([line_track()], max_points=8, speed_scale=1.0, gap_scale=1.0, generators=None)
    with pytest.raises(ValueError, match="cell_size is 0"):
        tok(batch)
    with pytest.raises(ValueError, match="dim"):
        TrajectoryTokenizer(dim=7, cell_size=1.0)


# --- projection and cleaning ----------------------------------------------------------------
def test_projection_round_trip_and_scale():
    centre = (-37.06, -10.94)  # Aracaju
    rng = np.random.default_rng(0)
    lonlat = np.array(centre) + rng.uniform(-0.2, 0.2, size=(50, 2))
    back = unproject_equirectangular(project_equirectangular(lonlat, centre), centre)
    np.testing.assert_allclose(back, lonlat, atol=1e-9)
    # one degree of latitude north of the centre is ~111.2 km
    north = project_equirectangular(np.array([[centre[0], centre[1] + 1.0]]), centre)
    assert north[0, 0] == pytest.approx(0.0, abs=1e-6) and north[0, 1] == pytest.approx(111_195, rel=1e-3)
    east = project_equirectangular(np.array([[centre[0] + 0.01, centre[1]]]), centre)
    assert east[0, 0] == pytest.approx(1111.95 * math.cos(math.radians(centre[1])), rel=1e-3)


def test_cleaning_counts_duplicates_and_impossible_jumps():
    t = np.array([0.0, 1.0, 1.0, 2.0, 3.0, 4.0])
    xy = np.array([[0, 0], [1, 0], [1.5, 0], [2, 0], [500, 0], [4, 0]], dtype=float)
    rules = CleaningRules(max_speed=10.0)
    out = clean_track(Track(t=t, xy=xy, id="a"), rules)
    assert rules.counts == {"duplicate_timestamps": 1, "impossible_jumps": 1}
    np.testing.assert_array_equal(out.t, [0, 1, 2, 4])


@pytest.mark.parametrize("t, xy, geographic, message", [
    ([0.0], [[0.0, 0.0]], False, "1 point"),
    ([0.0, 1.0], [[0.0, np.nan], [1.0, 1.0]], False, "NaN"),
    ([0.0, 1.0], [[0.0, 95.0], [1.0, 1.0]], True, "out of range"),
    ([0.0, 2.0, 1.0], [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]], False, "time goes backwards"),
])
def test_bad_tracks_are_named(t, xy, geographic, message):
    track = Track(t=np.array(t), xy=np.array(xy), id="bad-7")
    with pytest.raises(ValueError, match=message) as err:
        clean_track(track, CleaningRules(geographic=geographic))
    assert "bad-7" in str(err.value)


def test_table_reader_skips_and_counts_bad_tracks():
    table = pd.DataFrame({
        "tid": [1, 1, 1, 2, 3, 3], "time": [0, 1, 2, 0, 0, 1],
        "x": [0, 1, 2, 5, 0, np.nan], "y": [0, 0, 0, 5, 0, 1], "label": ["a", "a", "a", "b", "b", "b"],
    })
    with pytest.raises(ValueError, match="track '2'"):
        tracks_from_table(table, source="t.csv")
    ds = tracks_from_table(table, source="t.csv", skip_bad=True)
    assert len(ds) == 1 and ds.skipped == 2 and ds.labels.tolist() == [0]
    assert "skipped 2" in ds.description


def test_resample_and_split():
    tr = line_track(n=11, dt=1.0)
    rs = resample_track(tr, 0.5)
    assert len(rs) == 21 and rs.xy[1, 0] == pytest.approx(1.0)
    segs = split_track(line_track(n=11), 4)
    assert [len(s) for s in segs] == [4, 4, 3] and segs[1].id == "line#1"
    assert [len(s) for s in split_track(line_track(n=9), 4)] == [4, 5]  # a 1-point tail is merged


def test_ts_reader(tmp_path):
    path = tmp_path / "Tiny_TRAIN.ts"
    path.write_text("@problemName Tiny\n@timeStamps false\n@missing false\n@univariate false\n@dimensions 2\n"
                    "@equalLength true\n@seriesLength 4\n@classLabel true 1 2\n@data\n"
                    "1,2,3,4:5,6,7,8:1\n0,0,1,1:0,1,1,0:2\n")
    ds = read_ts_file(path)
    assert len(ds) == 2 and ds.labels.tolist() == [0, 1]
    np.testing.assert_array_equal(ds[0].xy[:, 1], [5, 6, 7, 8])


# --- collate, motion features, masker -----------------------------------------------------------
def test_motion_features_of_a_straight_constant_speed_line():
    tr = line_track(n=5, speed=3.0, dt=2.0)
    f = motion_features(tr.t, tr.xy, speed_scale=3.0, gap_scale=2.0)
    np.testing.assert_allclose(f[1:, 0], math.log(2.0))  # gap / scale = 1
    np.testing.assert_allclose(f[1:, 1], math.log(2.0))  # speed / scale = 1
    np.testing.assert_allclose(f[2:, 3], 1.0)            # no turning
    np.testing.assert_allclose(f[1:, 5], 1.0)            # heading east
    assert (f[0] == 0).all()


def test_collate_pads_bounds_and_is_deterministic_at_eval(adapter):
    cfg = adapter.Config(max_points=16, cell_size=1.0, speed_scale=1.0, gap_scale=1.0)
    tracks = [line_track(n=5, id="a"), line_track(n=40, id="b", label=1)]
    b = adapter.collate(cfg, tracks, None)
    assert b.xy.shape == (2, 16, 2) and b.lengths.tolist() == [5, 16]
    assert b.layout.shape == (16,) and b.labels.tolist() == [0, 1] and b.ids == ["a", "b"]
    assert (b.xy[0, 5:] == 0).all() and b.xy[1, 15, 0] == pytest.approx(39 * 2.0)  # endpoint kept
    torch.testing.assert_close(adapter.collate(cfg, tracks, None).xy, b.xy)
    gens = [torch.Generator().manual_seed(i) for i in range(2)]
    trained = adapter.collate(cfg, tracks, gens)
    assert trained.lengths.tolist() == [5, 16] and trained.xy[1, 0, 0] == 0.0


def test_masker_bounds(adapter):
    cfg = adapter.Config()
    masker = adapter.build_masker(cfg)
    from jepa_domains.core import Layout

    lengths = torch.tensor([100, 37, 2, 64] * 8)
    gens = [torch.Generator().manual_seed(i) for i in range(len(lengths))]
    plan = masker(Layout((100,), valid=lengths), gens)
    assert plan.targets.shape[1] == cfg.num_targets
    for r, n in enumerate(lengths.tolist()):
        ctx = plan.context[r][~plan.context_pad[r]]
        assert ctx.numel() >= 1 and (ctx < n).all()
        covered = set()
        for m in range(cfg.num_targets):
            tgt = plan.targets[r, m][~plan.target_pad[r, m]]
            assert (tgt < n).all()
            covered |= set(tgt.tolist())
            if n >= 37:  # span sizes are one of the ratio choices of the valid length
                assert tgt.numel() in {round(c * n) for c in cfg.target_ratios}
        if n >= 37:
            assert not covered & set(ctx.tolist())
            rest = n - len(covered)
            assert 0.85 * rest - 1 <= ctx.numel() <= rest


# --- datasets ---------------------------------------------------------------------------------
def test_default_dataset_is_synthetic_deterministic_and_labelled(adapter):
    cfg = adapter.Config()
    a = adapter.load_dataset(cfg, None)
    b = adapter.load_dataset(cfg, None)
    test = adapter.load_dataset(cfg, None, split="test")
    assert "SYNTHETIC" in a.description and len(a) == 256 and len(test) == 128
    assert sorted(set(a.labels.tolist())) == [0, 1, 2, 3]
    np.testing.assert_array_equal(a[17].xy, b[17].xy)
    assert not np.array_equal(a[0].xy, test[0].xy)
    cfg = adapter.prepare(cfg, a)
    assert cfg.cell_size > 0 and cfg.speed_scale > 0 and cfg.gap_scale == pytest.approx(1.0, rel=0.1)
    assert adapter.feature_baseline(cfg, test).shape == (128, 17)


def test_named_dataset_needs_a_data_root_and_unknown_names_fail(adapter):
    with pytest.raises(ValueError, match="needs --data-root or JEPA_DOMAINS_DATA"):
        adapter.load_dataset(adapter.Config(), "gotrack")
    with pytest.raises(ValueError, match="unknown trajectory dataset 'nope'"):
        adapter.load_dataset(adapter.Config(), "nope")


def test_csv_path_with_geographic_coordinates(adapter, tmp_path):
    rows = []
    for k in range(3):
        for i in range(6):
            rows.append({"track_id": f"T{k}", "time": f"2024-01-01 10:00:{10 * i:02d}",
                         "latitude": -10.9 + 1e-4 * i, "longitude": -37.0 + 1e-4 * k, "label": "car" if k else "bus"})
    path = tmp_path / "tracks.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    ds = adapter.load_dataset(adapter.Config(), str(path))
    assert len(ds) == 3 and "projected to metres" in ds.description
    step = np.diff(ds[0].xy, axis=0)
    np.testing.assert_allclose(step[:, 1], 11.12, rtol=1e-2)   # 1e-4 degree of latitude in metres
    np.testing.assert_allclose(np.diff(ds[0].t), 10.0)
