import numpy as np
import pytest
from typer.testing import CliRunner

from jepa_domains.cli.app import app
from jepa_domains.data.trajectory_synthetic import synthetic_tracks
from jepa_domains.data.trajectory_track import Track, TrackDataset
from jepa_domains.eval.embed import extract, load_run, random_encoder
from jepa_domains.modalities.trajectory.distances import distance_matrix, paired_distances
from jepa_domains.modalities.trajectory.evaluate import (
    dtw_1nn_accuracy,
    forecast_next_positions,
    forecast_windows,
    _run_encoders,
    similarity_search,
    twin_sets,
)


def _reference(a, b, kind):
    """Textbook O(n m) double loop."""
    c = np.linalg.norm(a[:, None] - b[None], axis=-1)
    if kind == "hausdorff":
        return max(c.min(1).max(), c.min(0).max())
    acc = np.full((len(a), len(b)), np.inf)
    for i in range(len(a)):
        for j in range(len(b)):
            prev = 0.0 if i == j == 0 else min(
                acc[i - 1, j] if i else np.inf, acc[i, j - 1] if j else np.inf,
                acc[i - 1, j - 1] if i and j else np.inf)
            acc[i, j] = c[i, j] + prev if kind == "dtw" else max(c[i, j], prev)
    return acc[-1, -1]


@pytest.mark.parametrize("metric", ["dtw", "frechet", "hausdorff"])
def test_batched_distances_match_the_reference_on_ragged_pairs(metric):
    rng = np.random.default_rng(0)
    a = [rng.normal(size=(n, 2)) for n in (3, 7, 5, 1)]
    b = [rng.normal(size=(m, 2)) for m in (6, 2, 5, 4)]
    got = paired_distances(a, b, metric)
    np.testing.assert_allclose(got, [_reference(x, y, metric) for x, y in zip(a, b)], rtol=1e-10)


def test_distance_properties():
    line = np.stack([np.arange(5.0), np.zeros(5)], 1)
    shifted = line + [0.0, 2.0]
    d = distance_matrix([line], [line, shifted], "frechet")
    np.testing.assert_allclose(d, [[0.0, 2.0]])
    assert distance_matrix([line], [shifted], "dtw")[0, 0] == pytest.approx(10.0)
    with pytest.raises(ValueError, match="unknown trajectory distance"):
        paired_distances([line], [line], "edr")


def test_twin_sets_use_odd_and_even_points_and_classical_search_finds_twins():
    ds = synthetic_tracks(num_per_class=10, seed=3)
    q, d = twin_sets(ds, num_queries=8, num_database=30, seed=0)
    assert len(q) == 8 and len(d) == 30
    # twins interleave: the query's first point is the database twin's second original point
    rows = similarity_search({}, None, None, ds, num_queries=8, num_database=30, rates=(0.0,),
                             classical=("dtw", "frechet"))
    assert {r["method"] for r in rows} == {"dtw", "frechet"}
    for r in rows:
        assert 1.0 <= r["mean_rank"] <= 1.5  # unperturbed odd/even halves are each other's nearest
    with pytest.raises(ValueError, match="num_queries <= num_database"):
        twin_sets(ds, num_queries=50, num_database=30)


def test_forecast_windows_constant_velocity_is_exact_on_a_straight_line():
    t = np.arange(30.0)
    tracks = [Track(t=t, xy=np.stack([3 * t + k, -t], 1), label=0, id=str(k)) for k in range(4)]
    windows, future, constant = forecast_windows(TrackDataset(tracks, description="lines"), history=8, horizon=3)
    assert future.shape == (len(windows), 3, 2) and all(len(w) <= 8 for w in windows.tracks)
    np.testing.assert_allclose(constant, future)
    np.testing.assert_allclose(future[0, -1], [9.0, -3.0])


def test_dtw_1nn_separates_two_shapes():
    t = np.arange(20.0)
    make = lambda k, s: Track(t=t, xy=np.stack([t, s * np.sin(t / 3) + 0.01 * k], 1), label=int(s > 0), id=f"{s}{k}")
    train = TrackDataset([make(k, s) for k in range(3) for s in (-5, 5)], description="train")
    test = TrackDataset([make(k + 7, s) for k in range(2) for s in (-5, 5)], description="test")
    assert dtw_1nn_accuracy(train, test)["accuracy"] == 1.0


def test_quick_training_end_to_end_then_frozen_protocols(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["train", "trajectory", "--quick", "--out", str(out),
                                      "--set", "train.progress=false", "--set", "train.steps=6",
                                      "--set", "train.checkpoint_every=3", "--set", "model.depth=1"])
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.output and "done: 6 steps" in result.output
    run = load_run(out)
    assert run.options.cell_size > 0 and run.options.max_points == 64  # prepared and quick options saved
    encoders = {"jepa": run.encoder, "random_init": random_encoder(run.cfg, run.adapter, run.options)}
    ds = run.adapter.load_dataset(run.options, None, split="test")
    rows = similarity_search(encoders, run.adapter, run.options, ds, num_queries=10, num_database=40,
                             rates=(0.0, 0.3), classical=("hausdorff",))
    assert len(rows) == 6 and all(1.0 <= r["mean_rank"] <= 40.0 for r in rows)
    small = TrackDataset(ds.tracks[:40], description="small")
    fc = forecast_next_positions(encoders, run.adapter, run.options, small, small, history=16, horizon=3)
    assert [r["method"] for r in fc] == ["constant_velocity", "ridge[jepa]+cv", "ridge[random_init]+cv"]
    assert all(np.isfinite(r["ade"]) and r["fde"] >= 0 for r in fc)
    # The same protocols at run level, as `jepa-domains eval RUN --task similarity|forecast` calls them.
    protocols = run.adapter.protocols()
    assert {"classify", "similarity", "forecast"} <= set(protocols)
    sim = protocols["similarity"](out, num_queries=8, num_database=30, rates=(0.0,), kinds=("downsample",))
    assert {r["method"] for r in sim} == {"jepa", "random_init", "frechet", "hausdorff", "dtw"}
    ranks = [r for r in sim if r["metric"] == "mean_rank"]
    assert len(ranks) == 5 and all(1.0 <= r["value"] <= 30.0 for r in ranks)
    # timing rows: every method's query time at the same database size, the encoders' DTW speed-up
    times = {r["method"]: r for r in sim if r["metric"] == "query_ms"}
    assert set(times) == {"jepa", "random_init", "frechet", "hausdorff", "dtw"}
    assert {r["database_size"] for r in times.values()} == {30} and all(r["value"] > 0 for r in times.values())
    speed = {r["method"]: r["value"] for r in sim if r["metric"] == "dtw_speedup"}
    assert set(speed) == {"jepa", "random_init"}
    assert speed["jepa"] == pytest.approx(times["dtw"]["value"] / times["jepa"]["value"])
    # classify = the shared probe rows + 1-NN DTW per probe, paired per test track
    cls = protocols["classify"](out, probes=("logistic",), dtw_points=16)
    dtw = [r for r in cls if r["method"] == "dtw_1nn"]
    jepa = [r for r in cls if r["method"] == "jepa"]
    assert len(dtw) == 1 and dtw[0]["probe"] == "logistic" and len(dtw[0]["per_sample"]) == len(jepa[0]["per_sample"])
    # 4 movement models, chance 0.25: DTW on raw positions reads little of them (0.39 here), but more than chance
    assert dtw[0]["value"] == pytest.approx(np.mean(dtw[0]["per_sample"])) and dtw[0]["value"] > 0.3
    assert {r["method"] for r in cls} >= {"jepa", "random_init", "features", "features_no_sampling", "dtw_1nn", "chance"}
    # the per-track features without the recording's sampling statistics, probed on the same split
    free = [r for r in cls if r["method"] == "features_no_sampling"]
    assert len(free) == 1 and free[0]["probe"] == "logistic" and len(free[0]["per_sample"]) == len(jepa[0]["per_sample"])
    assert free[0]["value"] == pytest.approx(np.mean(free[0]["per_sample"]))
    only_probes = protocols["classify"](out, probes=("logistic",), dtw=False, sampling_free=False)
    assert {r["method"] for r in only_probes} == {"jepa", "random_init", "features", "chance"}
    # pool=segments at evaluation: every encoder (pretrained and random-init) embeds 4 path parts
    run_s, _, _, encs = _run_encoders(out, None, None, None, pool="segments")
    assert run_s.options.pool == "segments" and run.options.pool == "mean"
    dim = run.cfg.model.dim
    for enc in encs.values():
        assert extract(enc, run_s.adapter, run_s.options, small).X.shape == (40, 4 * dim)
    seg = protocols["similarity"](out, num_queries=8, num_database=30, rates=(0.0,), kinds=("downsample",),
                                  pool="segments")
    assert all(1.0 <= r["value"] <= 30.0 for r in seg if r["metric"] == "mean_rank")
    seg_cls = protocols["classify"](out, probes=("logistic",), dtw=False, sampling_free=False, pool="segments")
    assert {r["method"] for r in seg_cls} == {"jepa", "random_init", "features", "chance"}
    with pytest.raises(ValueError, match="modality.pool must be one of 'mean', 'segments'"):
        protocols["similarity"](out, num_queries=8, num_database=30, rates=(0.0,), pool="max")


def test_cli_reports_bad_track_file_clearly(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("track_id,time,x,y\nA,0,0,0\nA,1,1,1\nB,0,5,5\n")
    result = CliRunner().invoke(app, ["train", "trajectory", "--data", str(path), "--quick", "--out",
                                      str(tmp_path / "r"), "--set", "train.progress=false"])
    assert result.exit_code == 2 and "track 'B'" in result.output and "1 point" in result.output


def test_sampling_free_features_drop_what_reads_the_recording():
    from jepa_domains.modalities.trajectory.features import FEATURE_NAMES, SAMPLING_FEATURES, features_matrix

    rng = np.random.default_rng(0)
    xy = np.cumsum(rng.normal(size=(41, 2)), axis=0)
    dense = Track(t=np.arange(41.0), xy=xy, id="dense")
    sparse = Track(t=np.arange(0.0, 41.0, 2.0), xy=xy[::2], id="sparse")   # the same path, every other fix
    full, free = features_matrix([dense, sparse]), features_matrix([dense, sparse], sampling=False)
    assert full.shape == (2, len(FEATURE_NAMES)) and free.shape == (2, len(FEATURE_NAMES) - len(SAMPLING_FEATURES))
    names = [n for n in FEATURE_NAMES if n not in SAMPLING_FEATURES]
    assert np.array_equal(free, full[:, [FEATURE_NAMES.index(n) for n in names]])
    # what tells the two recordings apart is in the sampling statistics: point count and time gap
    gap = FEATURE_NAMES.index("gap_mean")
    assert full[1, gap] == pytest.approx(2 * full[0, gap])
    assert free[0, names.index("log_duration")] == pytest.approx(free[1, names.index("log_duration")])
