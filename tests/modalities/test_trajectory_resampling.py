"""Inputs that do not change under down-sampling, and the pretraining augmentation."""

import numpy as np
import pytest
import torch

from jepa_domains.data.trajectory_synthetic import synthetic_tracks
from jepa_domains.data.trajectory_track import Track
from jepa_domains.modalities.trajectory.collate import (
    arclength_resample,
    augment_track,
    collate_tracks,
    geometry_features,
    motion_features,
    window_bounds,
)
from jepa_domains.modalities.trajectory.evaluate import similarity_search


def spiral(n=401, seconds=800.0):
    """A densely sampled curved track with uneven speed (metres, seconds)."""
    u = np.linspace(0.0, 1.0, n)
    t = seconds * u
    angle = 3 * np.pi * u ** 1.5
    r = 100.0 + 400.0 * u
    return Track(t=t, xy=np.stack([r * np.cos(angle), r * np.sin(angle)], 1), label=0, id="spiral")


def every_other(track, start=0):
    return Track(t=track.t[start::2], xy=track.xy[start::2], label=track.label, id=track.id + f"/{start}")


def random_drop(track, rate, seed):
    keep = np.random.default_rng(seed).random(len(track)) >= rate
    keep[[0, -1]] = True
    return Track(t=track.t[keep], xy=track.xy[keep], label=track.label, id=track.id + "/drop")


def test_arclength_points_of_a_track_and_its_2x_downsampled_copy_are_close():
    tr = spiral()
    spacing = np.hypot(*np.diff(tr.xy, axis=0).T).sum() / 63
    t_a, a = arclength_resample(tr.t, tr.xy, 64)
    # endpoints kept (2x down-sampling of 401 points, random drops): every resampled point moves
    # by well under a tenth of the spacing of the 64-point grid, and its time as little
    for copy in (every_other(tr, 0), random_drop(tr, 0.5, seed=1)):
        t_b, b = arclength_resample(copy.t, copy.xy, 64)
        assert a.shape == b.shape == (64, 2)
        assert np.hypot(*(a - b).T).max() < 0.1 * spacing
        assert np.abs(t_a - t_b).max() < 0.1 * (tr.t[-1] / 63)
    # the odd half loses both endpoints (one raw step each): the shift stays within those steps
    t_b, b = arclength_resample(*(lambda c: (c.t, c.xy))(every_other(tr, 1)), 64)
    raw_step = np.hypot(*np.diff(tr.xy, axis=0).T)
    assert np.hypot(*(a - b).T).max() < raw_step[[0, -1]].max() + 1e-9
    # the raw index-based points do not line up at all: twin points are a whole step apart
    np.testing.assert_allclose(arclength_resample(tr.t, tr.xy, 2)[1], tr.xy[[0, -1]])


def test_invariant_features_survive_2x_downsampling_but_raw_time_gaps_do_not():
    tr = spiral()
    half = every_other(tr)
    geo = [geometry_features(arclength_resample(x.t, x.xy, 64)[1], cell_size=50.0) for x in (tr, half)]
    assert np.abs(geo[0] - geo[1]).max() < 0.02
    mot = [motion_features(*arclength_resample(x.t, x.xy, 64), speed_scale=1.0, gap_scale=1.0) for x in (tr, half)]
    assert np.abs(mot[0] - mot[1]).max() < 0.02
    # the original tokens (recorded points, time gaps): the gap feature moves by log(2)-ish
    raw = [motion_features(x.t, x.xy, speed_scale=1.0, gap_scale=1.0) for x in (tr, half)]
    assert raw[1][1:, 0].mean() - raw[0][1:, 0].mean() > 0.3
    # geometry: arc fraction runs 0 -> 1, the length feature is the same on every point
    assert geo[0][0, 0] == 0.0 and geo[0][-1, 0] == pytest.approx(1.0)
    assert np.ptp(geo[0][:, 1]) == 0.0


def test_collate_arclength_gives_every_track_max_points_and_checks_its_options():
    tracks = [spiral(), every_other(spiral()), synthetic_tracks(num_per_class=1, seed=0).tracks[0]]
    batch = collate_tracks(tracks, max_points=32, speed_scale=1.0, gap_scale=1.0, generators=None,
                           resample="arclength", inputs="geometry", cell_size=50.0)
    assert batch.xy.shape == (3, 32, 2) and batch.lengths.tolist() == [32, 32, 32]
    assert torch.allclose(batch.xy[0], batch.xy[1], atol=1.0) and torch.allclose(batch.features[0], batch.features[1],
                                                                                   atol=0.02)
    with pytest.raises(ValueError, match="unknown trajectory inputs 'speed'"):
        collate_tracks(tracks, max_points=8, speed_scale=1.0, gap_scale=1.0, generators=None, inputs="speed")
    with pytest.raises(ValueError, match="unknown trajectory resampling 'time'"):
        collate_tracks(tracks, max_points=8, speed_scale=1.0, gap_scale=1.0, generators=None, resample="time")


def test_a_still_track_resamples_to_copies_of_its_point():
    t, xy = arclength_resample(np.arange(5.0), np.ones((5, 2)), 4)
    np.testing.assert_allclose(xy, np.ones((4, 2)))
    np.testing.assert_allclose(t, [0.0, 4 / 3, 8 / 3, 4.0])


def test_augmentation_is_deterministic_per_sample_seed_and_off_by_default():
    tr = spiral(n=200)
    gen = lambda s: torch.Generator().manual_seed(s)  # noqa: E731
    a = augment_track(tr.t, tr.xy, gen(7), downsample=0.5, distort=0.5)
    b = augment_track(tr.t, tr.xy, gen(7), downsample=0.5, distort=0.5)
    c = augment_track(tr.t, tr.xy, gen(8), downsample=0.5, distort=0.5)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert len(a[0]) != len(c[0]) or not np.array_equal(a[1], c[1])
    assert 2 <= len(a[0]) < len(tr.t) and a[0][0] == tr.t[0] and a[0][-1] == tr.t[-1]
    same = augment_track(tr.t, tr.xy, gen(7), downsample=0.0, distort=0.0)
    assert same[0] is tr.t and same[1] is tr.xy
    # only jitter: same times, moved points by about one step (~10 m here), never far
    _, moved = augment_track(tr.t, tr.xy, gen(3), downsample=0.0, distort=0.9)
    shift = np.hypot(*(moved - tr.xy).T)
    step = np.median(np.hypot(*np.diff(tr.xy, axis=0).T))
    assert (shift > 0).any() and shift.max() < 6 * step
    # in a batch: generators (training) augment, no generators (evaluation) never does
    samples = [tr, tr]
    train = [collate_tracks(samples, max_points=300, speed_scale=1.0, gap_scale=1.0,
                            generators=[gen(1), gen(2)], aug_downsample=0.5) for _ in range(2)]
    assert torch.equal(train[0].xy, train[1].xy) and train[0].lengths.tolist() == train[1].lengths.tolist()
    assert train[0].lengths[0] != train[0].lengths[1]
    evaluation = collate_tracks(samples, max_points=300, speed_scale=1.0, gap_scale=1.0, generators=None,
                                aug_downsample=0.5)
    assert evaluation.lengths.tolist() == [200, 200]


def test_similarity_rows_time_each_method_at_the_same_database_size():
    ds = synthetic_tracks(num_per_class=8, seed=2)
    rows = similarity_search({}, None, None, ds, num_queries=6, num_database=20, rates=(0.0, 0.5),
                             classical=("dtw", "hausdorff"))
    assert len(rows) == 4
    for r in rows:
        assert r["database_size"] == 20 and r["query_ms"] > 0 and r["index_ms"] == 0.0
        assert len(r["ranks"]) == 6 and 1.0 <= r["mean_rank"] <= 20.0


def test_jitter_around_a_standstill_becomes_a_stop_at_its_centroid():
    rng = np.random.default_rng(0)
    jitter = np.array([500.0, -20.0]) + rng.normal(0.0, 0.3, size=(9, 2))
    track = Track(t=np.arange(9.0), xy=jitter, label=0, id="still")
    moving = spiral()
    batch = collate_tracks([track, moving], max_points=16, speed_scale=1.0, gap_scale=1.0, generators=None,
                           resample="arclength", cell_size=10.0, still_length=0.5)
    np.testing.assert_allclose(batch.xy[0].numpy(), np.repeat(jitter.mean(0, keepdims=True), 16, 0), rtol=1e-6)
    assert float(batch.features[0, :, 2:].abs().max()) == 0.0  # no heading, no turn
    assert float(batch.features[1, 1:, 4:].abs().max()) > 0.5  # a real track keeps its headings
    off = collate_tracks([track], max_points=16, speed_scale=1.0, gap_scale=1.0, generators=None,
                         resample="arclength", cell_size=10.0)
    assert float(off.features[0, 1:, 4:].abs().max()) > 0.5   # default: the old behaviour, jitter headings


def test_exact_duplicate_tracks_are_dropped_and_named_before_similarity_search():
    from jepa_domains.data.trajectory_track import TrackDataset
    from jepa_domains.modalities.trajectory.evaluate import drop_duplicates

    a, b = spiral(), every_other(spiral())
    copy = Track(t=a.t + 100.0, xy=a.xy.copy(), label=1, id="copy")
    kept, dropped = drop_duplicates(TrackDataset([a, b, copy], description="three"))
    assert dropped == ["copy"] and [t.id for t in kept.tracks] == [a.id, b.id]
    same, none = drop_duplicates(TrackDataset([a, b], description="two"))
    assert none == [] and len(same) == 2


def test_thinning_makes_a_stop_inside_a_track_one_point_whatever_the_sampling():
    from jepa_domains.modalities.trajectory.collate import thin_track

    rng = np.random.default_rng(1)
    go = np.stack([np.linspace(0, 1000, 50), np.zeros(50)], 1)
    stop = np.array([1000.0, 0.0]) + rng.normal(0, 2.0, size=(200, 2))     # 200 fixes of jitter
    back = np.stack([1000 + np.linspace(10, 1000, 50), np.zeros(50)], 1)
    xy = np.concatenate([go, stop, back])
    t = np.arange(len(xy), dtype=float)
    full_t, full = thin_track(t, xy, 20.0)
    half_t, half = thin_track(t[::2], xy[::2], 20.0)
    # jitter gone: both path lengths within 2 % of the 2000 m travelled, the stop is <= 2 points
    for p in (full, half):
        length = np.hypot(*np.diff(p, axis=0).T).sum()
        assert abs(length - 2000) < 40 and ((np.hypot(*(p - [1000, 0]).T) < 10).sum() <= 2)
    assert full_t[0] == 0 and full_t[-1] == t[-1]
    a = arclength_resample(full_t, full, 32)[1]
    b = arclength_resample(half_t, half, 32)[1]
    assert np.hypot(*(a - b).T).max() < 30.0   # one 64 m grid spacing would be the failure
    # without thinning, the jitter's path length shifts the arc-length grid by far more
    c = arclength_resample(t, xy, 32)[1]
    d = arclength_resample(t[::2], xy[::2], 32)[1]
    assert np.hypot(*(c - d).T).max() > 100.0
    np.testing.assert_array_equal(thin_track(t, xy, 0.0)[1], xy)


def test_context_only_augmentation_pairs_a_perturbed_batch_with_its_clean_target_view():
    """``aug_view="context"``: the batch is the down-sampled/jittered copy, its ``target_view``
    the clean tracks exactly as evaluation collates them; ``"sample"`` keeps one view."""
    ds = synthetic_tracks(num_per_class=1, seed=0)
    tracks = [ds[i] for i in range(4)]
    gens = lambda: [torch.Generator().manual_seed(i) for i in range(len(tracks))]  # noqa: E731
    common = dict(max_points=32, speed_scale=1.0, gap_scale=1.0, resample="arclength",
                  aug_downsample=0.5, aug_distort=0.5)
    two = collate_tracks(tracks, generators=gens(), aug_view="context", **common)
    clean = collate_tracks(tracks, generators=None, **common)
    one = collate_tracks(tracks, generators=gens(), aug_view="sample", **common)
    assert one.target_view is None and clean.target_view is None
    assert torch.equal(two.target_view.xy, clean.xy) and torch.equal(two.target_view.features, clean.features)
    assert torch.equal(two.xy, one.xy)                                   # the context: the same perturbed copy
    assert not torch.equal(two.xy, clean.xy)
    assert torch.equal(two.layout.valid, two.target_view.layout.valid)
    assert collate_tracks(tracks, generators=None, aug_view="context", **common).target_view is None
    with pytest.raises(ValueError, match="aug_view='context' needs resample='arclength'"):
        collate_tracks(tracks, generators=gens(), aug_view="context", **{**common, "resample": "index"})


def waiting_line(n=401, wait=600.0, at=200):
    """A straight track at 10 m/s recorded every 2 s, with no fix for ``wait`` seconds between
    fixes ``at`` and ``at + 1`` (a stop the logger did not record)."""
    t = 2.0 * np.arange(n)
    t[at + 1:] += wait
    x = 20.0 * np.arange(n, dtype=np.float64)
    return Track(t=t, xy=np.stack([x, np.zeros(n)], 1), label=0, id="waiting")


def test_window_bounds_centre_on_the_own_segment_and_stay_inside_the_track():
    lo, hi = window_bounds(6, 1)
    assert lo.tolist() == hi.tolist() == [1, 2, 3, 4, 5]
    lo, hi = window_bounds(6, 3)
    assert lo.tolist() == [1, 1, 2, 3, 3] and hi.tolist() == [3, 3, 4, 5, 5]
    lo, hi = window_bounds(4, 8)  # fewer segments than the window: all of them
    assert lo.tolist() == [1, 1, 1] and hi.tolist() == [3, 3, 3]
    with pytest.raises(ValueError, match="time_window must be >= 1"):
        window_bounds(6, 0)


def test_time_window_one_is_the_segment_before_each_point_and_constant_motion_ignores_the_window():
    tr = spiral(n=41)
    f1 = motion_features(tr.t, tr.xy, speed_scale=2.0, gap_scale=3.0)
    dist = np.hypot(*np.diff(tr.xy, axis=0).T)
    np.testing.assert_allclose(f1[1:, 0], np.log1p(np.diff(tr.t) / 3.0))
    np.testing.assert_allclose(f1[1:, 1], np.log1p(dist / np.diff(tr.t) / 2.0))
    np.testing.assert_array_equal(f1, motion_features(tr.t, tr.xy, speed_scale=2.0, gap_scale=3.0, time_window=1))
    line = waiting_line(wait=0.0)
    f8 = motion_features(line.t, line.xy, speed_scale=1.0, gap_scale=1.0, time_window=8)
    np.testing.assert_allclose(f8[1:, :2], motion_features(line.t, line.xy, speed_scale=1.0, gap_scale=1.0)[1:, :2])
    # the angles never depend on the window
    np.testing.assert_array_equal(motion_features(tr.t, tr.xy, speed_scale=2.0, gap_scale=3.0, time_window=5)[:, 2:],
                                  f1[:, 2:])


def test_a_wait_between_fixes_moves_windowed_time_features_less_under_downsampling():
    tr = waiting_line()
    diffs = {}
    for w in (1, 16):
        tokens = [motion_features(*arclength_resample(x.t, x.xy, 64), speed_scale=10.0, gap_scale=2.0, time_window=w)
                  for x in (every_other(tr, 0), random_drop(every_other(tr, 1), 0.5, seed=3))]
        diffs[w] = np.abs(tokens[0][:, :2] - tokens[1][:, :2]).sum()
    # the wait is spread over the path between the fixes either side of it, which down-sampling
    # widens: one segment's time moves a lot, the time over 16 segments barely
    assert diffs[16] < 0.5 * diffs[1]
    with pytest.raises(ValueError, match="time_window must be >= 1 segment, got 0"):
        collate_tracks([tr], max_points=8, speed_scale=1.0, gap_scale=1.0, generators=None, time_window=0)
    with pytest.raises(ValueError, match="time_window=4 reads the motion inputs' time channels; inputs='geometry'"):
        collate_tracks([tr], max_points=8, speed_scale=1.0, gap_scale=1.0, generators=None, inputs="geometry",
                       time_window=4)


def test_segment_pooling_keeps_the_order_along_the_path_and_mean_is_the_default():
    from jepa_domains.modalities.trajectory.adapter import TrajectoryAdapter, TrajectoryConfig

    adapter = TrajectoryAdapter()
    latents = torch.arange(8, dtype=torch.float32).reshape(1, 8, 1).repeat(2, 1, 1)  # [2, 8, 1]
    latents[1] = latents[1].flip(0)                                                     # the same tokens, reversed
    pad = torch.zeros(2, 8, dtype=torch.bool)
    batch = collate_tracks([spiral(), spiral()], max_points=8, speed_scale=1.0, gap_scale=1.0, generators=None)
    assert batch.layout.rows_per_sample == 1
    mean = adapter.pool(TrajectoryConfig(), latents, pad, batch)
    assert mean.shape == (2, 1) and torch.equal(mean[0], mean[1])                      # a bag: order lost
    seg = adapter.pool(TrajectoryConfig(pool="segments"), latents, pad, batch)
    assert seg.shape == (2, 4)
    assert seg[0].tolist() == [0.5, 2.5, 4.5, 6.5] and seg[1].tolist() == [6.5, 4.5, 2.5, 0.5]
    # padding is ignored: a track with 4 valid tokens pools one token per part
    pad[0, 4:] = True
    assert adapter.pool(TrajectoryConfig(pool="segments"), latents, pad, batch)[0].tolist() == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="modality.pool must be one of 'mean', 'segments'"):
        TrajectoryConfig(pool="max")
    with pytest.raises(ValueError, match="pool_segments >= 1"):
        TrajectoryConfig(pool="segments", pool_segments=0)
