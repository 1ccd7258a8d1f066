"""The time-series adapter: readers, bad input, tokenizer, collate, forecasting protocol."""

import numpy as np
import pytest
import torch

from jepa_domains.data.timeseries_readers import Series, read_csv_series
from jepa_domains.modalities.timeseries import TimeSeriesAdapter, TimeSeriesConfig
from jepa_domains.modalities.timeseries.evaluate import forecast_run
from jepa_domains.modalities.timeseries.tokenizer import PatchTokenizer

adapter = TimeSeriesAdapter()


def test_shipped_sets_equal_unequal_uni_multi():
    cfg = TimeSeriesConfig(patch_len=4, stride=2)
    gun = adapter.load_dataset(cfg, "GunPoint", split="test")
    assert len(gun) == 150 and gun[0].values.shape == (1, 150) and set(gun.labels) == {0, 1}
    vowels = adapter.load_dataset(cfg, "JapaneseVowels", split="train")
    lengths = {s.values.shape[1] for s in vowels}
    assert vowels.channels == 12 and len(lengths) > 5 and len(set(vowels.labels)) == 9
    plaid = adapter.load_dataset(TimeSeriesConfig(), "PLAID", split="train")
    assert len({s.values.shape[1] for s in plaid}) > 10


def test_collate_channel_independent_and_mixing():
    samples = [Series(np.random.randn(3, n).astype(np.float32), i, f"s{i}") for i, n in enumerate((40, 24, 17))]
    cfg = TimeSeriesConfig(patch_len=8, stride=4, channels=3)
    batch = adapter.collate(cfg, samples, None)
    assert batch.values.shape == (9, 1, 40) and batch.layout.rows_per_sample == 3
    assert batch.layout.valid.tolist() == [9, 9, 9, 5, 5, 5, 3, 3, 3]
    tokens = adapter.build_tokenizer(cfg, 16)(batch)
    assert tokens.x.shape == (9, 9, 16) and tokens.pad[3].tolist() == [False] * 5 + [True] * 4
    mixed = TimeSeriesConfig(patch_len=8, stride=4, channels=3, channel_mode="mixing")
    batch = adapter.collate(mixed, samples, None)
    assert batch.values.shape == (3, 3, 40)
    assert adapter.build_tokenizer(mixed, 16)(batch).x.shape == (3, 9, 16)
    pooled = adapter.pool(cfg, torch.randn(9, 9, 16), torch.zeros(9, 9, dtype=torch.bool),
                          adapter.collate(cfg, samples, None))
    assert pooled.shape == (3, 48)


def test_revin_makes_tokens_invariant_to_shift_and_scale():
    torch.manual_seed(0)
    cfg = TimeSeriesConfig(patch_len=8, stride=8)
    tok = adapter.build_tokenizer(cfg, 16)
    x = np.random.randn(1, 64).astype(np.float32)
    a = tok(adapter.collate(cfg, [Series(x, 0, "a")], None)).x
    b = tok(adapter.collate(cfg, [Series(5 * x + 3, 0, "b")], None)).x
    assert torch.allclose(a, b, atol=1e-4)


def test_instance_stats_give_back_level_and_scale_and_only_them():
    x = np.random.default_rng(0).normal(size=(1, 64)).astype(np.float32)
    plain, with_stats = (TimeSeriesConfig(patch_len=8, stride=8, instance_stats=flag) for flag in (False, True))
    torch.manual_seed(0)
    tok_plain = adapter.build_tokenizer(plain, 16)
    torch.manual_seed(0)
    tok = adapter.build_tokenizer(with_stats, 16)
    # the other weights are drawn as without the option: the same series shape, the same patch embedding
    assert torch.equal(tok.proj.weight, tok_plain.proj.weight) and tok_plain.stats is None
    embed = lambda t, v: t(adapter.collate(with_stats, [Series(v, 0, "s")], None)).x  # noqa: E731
    a, b = embed(tok, x), embed(tok, 5 * x + 3)
    # RevIN's invariance is gone: level and scale move every token, by one shared offset per row
    assert not torch.allclose(a, b, atol=1e-3)
    offset = b - a
    assert torch.allclose(offset, offset[:, :1].expand_as(offset), atol=1e-4)
    # and the offset is exactly the statistics' embedding (nothing else of the series changed)
    from jepa_domains.modalities.timeseries.tokenizer import instance_statistics
    stats = lambda v: tok.stats(instance_statistics(torch.tensor(v.mean(1, keepdims=True)),  # noqa: E731
                                                    torch.tensor(v.std(1, keepdims=True))))
    assert torch.allclose(offset[0, 0], (stats(5 * x + 3) - stats(x))[0], atol=1e-3)
    assert torch.allclose(embed(tok_plain, x), embed(tok_plain, 5 * x + 3), atol=1e-4)


def test_instance_stats_read_only_the_valid_steps_and_need_revin():
    torch.manual_seed(0)
    cfg = TimeSeriesConfig(patch_len=4, stride=4, instance_stats=True)
    tok = adapter.build_tokenizer(cfg, 8)
    short = Series((np.arange(12, dtype=np.float32) * 2 + 40)[None], 0, "short")
    long = Series(np.random.default_rng(1).normal(size=(1, 40)).astype(np.float32), 1, "long")
    alone = tok(adapter.collate(cfg, [short], None)).x[0]
    padded = tok(adapter.collate(cfg, [short, long], None)).x[0, :3]  # zero padding after step 12
    assert torch.allclose(alone, padded, atol=1e-5)
    with pytest.raises(ValueError, match="modality.instance_stats .* needs modality.revin=true"):
        TimeSeriesConfig(revin=False, instance_stats=True)


def test_conv_embedding_shapes():
    cfg = TimeSeriesConfig(patch_len=8, stride=4, embed="conv")
    tok = adapter.build_tokenizer(cfg, 16)
    batch = adapter.collate(cfg, [Series(np.random.randn(1, 32).astype(np.float32), 0, "a")], None)
    assert tok(batch).x.shape == (1, 7, 16)


def test_training_crop_is_seeded_and_eval_crop_is_centred():
    cfg = TimeSeriesConfig(max_length=32)
    s = [Series(np.arange(100, dtype=np.float32)[None], 0, "long")]
    g = lambda seed: [torch.Generator().manual_seed(seed)]
    a, b = adapter.collate(cfg, s, g(1)).values, adapter.collate(cfg, s, g(1)).values
    assert torch.equal(a, b) and a.shape[-1] == 32
    assert adapter.collate(cfg, s, None).values[0, 0, 0].item() == 34.0


def test_augmentation_is_seeded_training_only_and_keeps_the_length():
    ramp = Series(np.arange(200, dtype=np.float32)[None], 0, "ramp")
    cfg = TimeSeriesConfig(max_length=512, aug_crop=0.5)
    g = lambda seed: [torch.Generator().manual_seed(seed)]
    a, b = adapter.collate(cfg, [ramp], g(3)).values, adapter.collate(cfg, [ramp], g(3)).values
    assert torch.equal(a, b) and a.shape[-1] == 200
    assert not torch.equal(a, adapter.collate(cfg, [ramp], g(4)).values)
    assert torch.equal(adapter.collate(cfg, [ramp], None).values[0, 0], torch.arange(200.0))   # evaluation: untouched
    slope = torch.diff(a[0, 0])                        # a stretched part of the ramp: one slope in [crop, 1]
    assert torch.allclose(slope, slope.mean(), atol=1e-3) and 0.5 - 1e-3 <= slope.mean().item() <= 1.0
    assert a[0, 0, 0] >= 0 and a[0, 0, -1] <= 199


def test_crop_factor_spans_its_range_and_jitter_scales_with_the_channel():
    ramp = np.arange(101, dtype=np.float32)[None]
    from jepa_domains.modalities.timeseries.adapter import augment_series

    slopes = [np.diff(augment_series(ramp, torch.Generator().manual_seed(s), crop=0.6)[0]).mean() for s in range(200)]
    assert 0.6 - 1e-6 <= min(slopes) < 0.65 and 0.95 < max(slopes) <= 1.0 + 1e-6
    rng = np.random.default_rng(0)
    x = np.stack([rng.normal(0, 1, 4000), rng.normal(5, 10, 4000), np.full(4000, 3.0)]).astype(np.float32)
    noise = augment_series(x, torch.Generator().manual_seed(0), jitter=0.1) - x
    assert np.allclose(noise.std(1), [0.1, 1.0, 0.0], rtol=0.06, atol=1e-6)   # relative to each channel; constant: none


def test_defaults_draw_nothing_more_from_the_generator():
    s = [Series(np.random.randn(1, 64).astype(np.float32), 0, "a")]
    g1, g2 = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    from jepa_domains.modalities.timeseries.adapter import _crop

    adapter.collate(TimeSeriesConfig(max_length=32), s, [g1])   # crop only: runs without augmentation are unchanged
    _crop(s[0].values, 32, g2)
    assert torch.equal(torch.rand(3, generator=g1), torch.rand(3, generator=g2))
    g3, g4 = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    adapter.collate(TimeSeriesConfig(max_length=32, aug_jitter=0.1), s, [g3])   # the control: jitter draws
    _crop(s[0].values, 32, g4)
    assert not torch.equal(torch.rand(3, generator=g3), torch.rand(3, generator=g4))
    with pytest.raises(ValueError, match="aug_crop"):
        TimeSeriesConfig(aug_crop=0.0)
    with pytest.raises(ValueError, match="aug_jitter"):
        TimeSeriesConfig(aug_jitter=-0.1)


def test_bad_input_errors_name_the_series(tmp_path):
    cfg = TimeSeriesConfig(patch_len=16)
    from jepa_domains.modalities.timeseries.datasets import check_series

    nan = Series(np.array([[1.0, np.nan, 3.0] + [0.0] * 20], dtype=np.float32), 0, "file.ts:7")
    short = Series(np.zeros((1, 5), dtype=np.float32), 0, "file.ts:8")
    good = Series(np.zeros((1, 30), dtype=np.float32), 0, "file.ts:9")
    with pytest.raises(ValueError, match=r"file.ts:7 contains NaN"):
        check_series([good, nan], min_length=16, impute=False, skip_bad=False)
    with pytest.raises(ValueError, match=r"file.ts:8 has 5 steps, shorter than one patch"):
        check_series([good, short], min_length=16, impute=False, skip_bad=False)
    wide = Series(np.zeros((2, 30), dtype=np.float32), 0, "file.ts:10")
    with pytest.raises(ValueError, match=r"file.ts:10 has 2 channels"):
        check_series([good, wide], min_length=16, impute=False, skip_bad=False)
    kept, skipped = check_series([good, nan, short], min_length=16, impute=False, skip_bad=True)
    assert len(kept) == 1 and skipped == 2
    kept, _ = check_series([nan], min_length=16, impute=True, skip_bad=False)
    assert kept[0].values[0, 1] == pytest.approx(2.0)
    csv = tmp_path / "bad.csv"
    csv.write_text("date,a,b\n2020-01-01,1,2\n2020-01-02,nan,3\n")
    with pytest.raises(ValueError, match=r"bad.csv: non-finite value in column 'a' at data row 1"):
        read_csv_series(csv)
    with pytest.raises(ValueError, match="unknown time-series dataset"):
        adapter.load_dataset(cfg, "NotADataset")


def _write_hourly_csv(path, rows=14400, channels=3, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    cols = [np.sin(2 * np.pi * t / 24 + c) + 0.1 * rng.normal(size=rows) + 0.001 * t for c in range(channels)]
    dates = np.datetime64("2016-07-01T00") + t.astype("timedelta64[h]")
    lines = ["date," + ",".join(f"v{c}" for c in range(channels))]
    lines += [f"{d},{','.join(f'{col[i]:.5f}' for col in cols)}" for i, d in enumerate(dates.astype(str))]
    path.write_text("\n".join(lines) + "\n")


def test_csv_windows_and_forecast_protocol(tmp_path):
    from jepa_domains.train.config import resolve
    from jepa_domains.train.trainer import Trainer
    from tests.conftest import TINY

    csv = tmp_path / "ETTh9.csv"
    _write_hourly_csv(csv)
    cfg = TimeSeriesConfig(window=96, window_stride=24)
    train = adapter.load_dataset(cfg, str(csv), split="train")
    assert len(train) == (8640 - 96) // 24 + 1 and train[0].values.shape == (3, 96)
    values, _ = read_csv_series(csv)
    assert abs(float(np.stack([s.values for s in train]).mean())) < 0.2     # standardised with train stats
    run_cfg = resolve("timeseries", overrides=TINY + ["train.steps=3", "data.batch_size=8", f"data.source={csv}",
                                                      "modality.window=96", "modality.window_stride=48"])
    Trainer(run_cfg, run_dir=tmp_path / "run").fit()
    rows = forecast_run(tmp_path / "run", horizons=(24,), train_stride=48)
    by = {(r["method"], r["metric"]): r["value"] for r in rows}
    assert set(m for m, _ in by) == {"jepa", "random_init", "linear_raw", "naive_last", "naive_seasonal"}
    # A daily sine: the seasonal-naive forecast is near the noise floor, the last value is not.
    assert by[("naive_seasonal", "mse")] < 0.5 * by[("naive_last", "mse")]
    assert by[("linear_raw", "mse")] < by[("naive_last", "mse")]
    assert all(np.isfinite(v) for v in by.values())


def test_regression_ts_files_load_unlabelled_and_are_not_listed():
    from jepa_domains.data.timeseries_readers import shipped_ucr_uea, sktime_data_dir

    assert "Covid3Month" not in shipped_ucr_uea() and "GunPoint" in shipped_ucr_uea()
    path = sktime_data_dir() / "Covid3Month" / "Covid3Month_TRAIN.ts"
    ds = adapter.load_dataset(TimeSeriesConfig(patch_len=4, stride=2), str(path), split="train")
    assert len(ds) > 50 and ds.labels is None


def test_an_unlabelled_ts_file_loads_with_no_labels(tmp_path):
    from jepa_domains.data.timeseries_readers import read_ts_file

    rows = [",".join(str(float(i + j)) for j in range(40)) + ":" + ",".join(["?"] + ["1.5"] * 39) for i in range(3)]
    path = tmp_path / "unlabelled.ts"
    path.write_text("@problemName toy\n@timeStamps false\n@missing true\n@univariate false\n@dimensions 2\n"
                    "@equalLength true\n@seriesLength 40\n@classLabel false\n@data\n" + "\n".join(rows) + "\n")
    series, labels = read_ts_file(path)
    assert labels is None and len(series) == 3 and series[0].shape == (2, 40)
    assert series[2][0, 0] == 2.0 and np.isnan(series[0][1, 0]) and series[0][1, 1] == 1.5


def test_a_run_with_instance_stats_trains_and_both_encoders_read_them(tmp_path):
    from jepa_domains.eval.embed import load_runs
    from jepa_domains.eval.protocols import classify_run
    from jepa_domains.train.config import resolve
    from jepa_domains.train.trainer import Trainer
    from tests.conftest import TINY

    cfg = resolve("timeseries", overrides=TINY + ["train.steps=4", "data.batch_size=8", "data.source=BasicMotions",
                                                  "modality.patch_len=8", "modality.stride=8",
                                                  "modality.instance_stats=true"])
    Trainer(cfg, run_dir=tmp_path).fit()
    run = next(iter(load_runs(tmp_path).values()))
    assert run.options.instance_stats and run.encoder.tokenizer.stats is not None
    rows = classify_run(tmp_path, probes=("logistic",))
    values = {r["method"]: r["value"] for r in rows}
    assert {"jepa", "random_init"} <= set(values) and all(0.0 <= v <= 1.0 for v in values.values())
