"""The user's own series: a long CSV with chosen columns and forecast target, and a folder of
labelled series (``.ts`` pair or ``train/<class>/*.csv``) for classification, end to end."""

import json
import shutil

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from jepa_domains.cli.app import app
from jepa_domains.data.timeseries_readers import sktime_data_dir
from jepa_domains.modalities.timeseries import TimeSeriesAdapter, TimeSeriesConfig
from jepa_domains.modalities.timeseries.datasets import load_long_series
from jepa_domains.modalities.timeseries.evaluate import forecast_run
from tests.conftest import TINY

adapter = TimeSeriesAdapter()
runner = CliRunner()
SMALL = ["modality.patch_len=8", "modality.stride=8", "modality.max_length=64", "modality.window=32",
         "modality.window_stride=16", "data.batch_size=8", "train.steps=2"]


def _sets(overrides):
    return [arg for o in overrides for arg in ("--set", o)]


def _write_long_csv(path, rows=900, seed=0, text=True):
    """Columns date, a (noise), b (daily sine), c (slow drift + noise) and (``text``) site."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    a, b = rng.normal(size=rows), np.sin(2 * np.pi * t / 24) + 0.05 * rng.normal(size=rows)
    c = 0.01 * t + rng.normal(size=rows)
    site = (",site", ",north") if text else ("", "")
    lines = [f"date,a,b,c{site[0]}"]
    lines += [f"2020-01-01 {i},{a[i]:.5f},{b[i]:.5f},{c[i]:.5f}{site[1]}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_columns_choose_and_order_the_channels(tmp_path):
    csv = _write_long_csv(tmp_path / "plant.csv")
    with pytest.raises(ValueError, match=r"column 'site' is not numeric \(choose the numeric columns"):
        adapter.load_dataset(TimeSeriesConfig(window=32), str(csv))
    cfg = TimeSeriesConfig(window=32, columns=("c", "a"))
    train = adapter.load_dataset(cfg, str(csv), split="train")
    assert train.channels == 2 and train[0].values.shape == (2, 32)
    source = load_long_series(csv, "plant", ("a", "b", "c"))
    np.testing.assert_allclose(train[0].values, source.values[:32, [2, 0]].T, atol=1e-6)


def test_unknown_columns_and_targets_are_one_line_errors(tmp_path):
    csv = _write_long_csv(tmp_path / "plant.csv")
    with pytest.raises(ValueError, match=r"plant.csv: no column 'zz'; available: date, a, b, c, site$"):
        adapter.load_dataset(TimeSeriesConfig(window=32, columns=("a", "zz")), str(csv))
    with pytest.raises(ValueError, match=r"modality.target 'b' not among modality.columns \(a, c\)"):
        TimeSeriesConfig(columns=("a", "c"), target=("b",))
    numeric = _write_long_csv(tmp_path / "meter.csv", text=False)
    with pytest.raises(ValueError, match=r"meter: modality.target 'OT' not among the columns read \(a, b, c\)"):
        adapter.load_dataset(TimeSeriesConfig(window=32, target=("OT",)), str(numeric))
    with pytest.raises(ValueError, match=r"modality.columns names 'a' more than once"):
        TimeSeriesConfig(columns=("a", "b", "a"))
    cfg = TimeSeriesConfig(columns=("a",))
    with pytest.raises(ValueError, match=r"modality.columns names CSV columns; the training set GunPoint \(train"):
        adapter.prepare(cfg, adapter.load_dataset(cfg, "GunPoint"))
    result = runner.invoke(app, ["train", "timeseries", "--data", str(csv), "--out", str(tmp_path / "run"),
                                 *_sets(TINY + SMALL + ["modality.columns=[a,b]", "modality.target=[q]"])])
    assert result.exit_code != 0 and "modality.target 'q' not among modality.columns (a, b)" in result.output
    assert "Traceback" not in result.output


def _naive_last_mse(csv, columns, channel, lookback, horizon):
    """The naive last-value forecast's MSE on one channel's test windows, by hand."""
    data = load_long_series(csv, csv.stem, columns)
    lo, hi = data.split.test[0] - lookback, data.split.test[1]
    x = data.values[:, channel]
    errs = [np.mean((x[s + lookback: s + lookback + horizon] - x[s + lookback - 1]) ** 2)
            for s in range(lo, hi - lookback - horizon + 1)]
    return float(np.mean(errs))


def test_forecast_fits_and_scores_only_the_target(tmp_path):
    csv = _write_long_csv(tmp_path / "plant.csv")
    run = tmp_path / "run"
    result = runner.invoke(app, ["train", "timeseries", "--data", str(csv), "--out", str(run),
                                 *_sets(TINY + SMALL + ["modality.columns=[a,b,c]", "modality.target=b"])])
    assert result.exit_code == 0, result.output
    stored = yaml.safe_load((run / "config.yaml").read_text())["modality"]
    assert stored["columns"] == ["a", "b", "c"] and stored["target"] == ["b"] and stored["channels"] == 3
    result = runner.invoke(app, ["eval", str(run), "--task", "forecast", "--option", "horizons=[8]",
                                 "--option", "train_stride=8"])
    assert result.exit_code == 0, result.output
    rows = json.loads((run / "eval-forecast.json").read_text())
    assert {r["dataset"] for r in rows} == {"plant[b]"}
    assert {r["method"] for r in rows} == {"jepa", "random_init", "linear_raw", "naive_last", "naive_seasonal"}
    by = {(r["method"], r["metric"]): r for r in rows}
    expected = {ch: _naive_last_mse(csv, ("a", "b", "c"), ch, 32, 8) for ch in range(3)}
    assert by[("naive_last", "mse")]["value"] == pytest.approx(expected[1], rel=1e-5)
    assert len(by[("jepa", "mse")]["per_sample"]) == 180 - 8 + 1          # test part: last 20 % of 900 rows
    # the daily sine is predictable from its own past: every fitted model beats the last value
    assert by[("linear_raw", "mse")]["value"] < 0.5 * by[("naive_last", "mse")]["value"]
    # an empty target scores every channel: the naive error is then the mean of the channels'
    result = runner.invoke(app, ["eval", str(run), "--task", "forecast", "--option", "horizons=[8]",
                                 "--option", "train_stride=8", "--option", "target=[]",
                                 "--out", str(tmp_path / "all.json")])
    assert result.exit_code == 0, result.output
    every = json.loads((tmp_path / "all.json").read_text())
    naive = next(r for r in every if r["method"] == "naive_last" and r["metric"] == "mse")
    assert naive["dataset"] == "plant" and naive["value"] == pytest.approx(np.mean(list(expected.values())), rel=1e-5)
    with pytest.raises(ValueError, match=r"modality.target 'site' not among the columns read \(a, b, c\)"):
        forecast_run(run, horizons=(8,), target=("site",))


def test_mixing_run_forecasts_the_target_from_all_columns(tmp_path):
    from jepa_domains.train.config import resolve
    from jepa_domains.train.trainer import Trainer

    csv = _write_long_csv(tmp_path / "plant.csv")
    cfg = resolve("timeseries", overrides=TINY + SMALL + [f"data.source={csv}", "modality.channel_mode=mixing",
                                                          "modality.columns=[a,b]", "modality.target=[b]"])
    Trainer(cfg, run_dir=tmp_path / "run").fit()
    rows = forecast_run(tmp_path / "run", horizons=(8,), train_stride=8)
    by = {(r["method"], r["metric"]): r["value"] for r in rows}
    assert {r["dataset"] for r in rows} == {"plant[b]"} and all(np.isfinite(v) for v in by.values())
    assert by[("naive_last", "mse")] == pytest.approx(_naive_last_mse(csv, ("a", "b"), 1, 32, 8), rel=1e-5)


def _write_class_folder(root, *, per_class=(6, 3), seed=0):
    """``root/{train,test}/{rise,wave}/k.csv``: columns time, x, y; 40-60 steps each."""
    rng = np.random.default_rng(seed)
    for split, count in zip(("train", "test"), per_class):
        for label in ("rise", "wave"):
            (root / split / label).mkdir(parents=True)
            for k in range(count):
                n = int(rng.integers(40, 61))
                t = np.arange(n)
                x = t / n if label == "rise" else np.sin(2 * np.pi * t / 10)
                y = rng.normal(size=n)
                lines = ["time,x,y"] + [f"{i},{x[i] + 0.05 * rng.normal():.5f},{y[i]:.5f}" for i in range(n)]
                (root / split / label / f"{k:02d}.csv").write_text("\n".join(lines) + "\n")
    return root


def test_csv_class_folder_trains_and_classifies_end_to_end(tmp_path):
    folder = _write_class_folder(tmp_path / "moves")
    cfg = TimeSeriesConfig(patch_len=8, stride=8)
    test = adapter.load_dataset(cfg, str(folder), split="test")
    assert len(test) == 6 and test.channels == 2 and test.class_names == ["rise", "wave"]
    assert sorted(set(test.labels)) == [0, 1] and test[0].id == "test/rise/00.csv"
    assert len({s.values.shape[1] for s in test}) > 1                        # lengths may differ
    only_y = adapter.load_dataset(TimeSeriesConfig(patch_len=8, stride=8, columns=("y",)), str(folder))
    assert only_y.channels == 1 and len(only_y) == 12
    run = tmp_path / "run"
    result = runner.invoke(app, ["train", "timeseries", "--data", str(folder), "--out", str(run),
                                 *_sets(TINY + SMALL)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["eval", str(run), "--task", "classify", "--option", "probes=[knn]"])
    assert result.exit_code == 0, result.output
    rows = json.loads((run / "eval-classify.json").read_text())
    assert {r["method"] for r in rows} == {"jepa", "random_init", "features", "chance"}
    jepa = next(r for r in rows if r["method"] == "jepa")
    assert len(jepa["per_sample"]) == 6 and 0.0 <= jepa["value"] <= 1.0


def test_a_folder_with_one_ts_pair_of_any_name(tmp_path):
    shipped = sktime_data_dir() / "GunPoint"
    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(shipped / "GunPoint_TRAIN.ts", folder / "Pistol_TRAIN.ts")
    shutil.copy(shipped / "GunPoint_TEST.ts", folder / "Pistol_TEST.ts")
    cfg = TimeSeriesConfig(patch_len=8, stride=8)
    assert len(adapter.load_dataset(cfg, str(folder), split="train")) == 50
    assert len(adapter.load_dataset(cfg, str(folder), split="test")) == 150
    shutil.copy(shipped / "GunPoint_TRAIN.ts", folder / "Other_TRAIN.ts")
    with pytest.raises(ValueError, match=r"holds 2 \*_TRAIN.ts files \(Other_TRAIN.ts, Pistol_TRAIN.ts\)"):
        adapter.load_dataset(cfg, str(folder))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match=r"neither a NAME_TRAIN.ts/NAME_TEST.ts pair nor a CSV class folder"):
        adapter.load_dataset(cfg, str(empty))


def test_bad_csv_files_are_named_or_skipped_and_counted(tmp_path):
    folder = _write_class_folder(tmp_path / "moves")
    (folder / "train" / "wave" / "03.csv").write_text("time,x\n0,1.0\n1,2.0\n")
    (folder / "train" / "rise" / "notes.txt").write_text("not a series\n")
    cfg = TimeSeriesConfig(patch_len=8, stride=8)
    with pytest.raises(ValueError, match=r"moves/train/wave/03.csv: columns \['x'\] differ from \['x', 'y'\] of "
                                         r"train/rise/00.csv \(pass --skip-bad to skip bad files\)$"):
        adapter.load_dataset(cfg, str(folder))
    train = adapter.load_dataset(cfg, str(folder), skip_bad=True)
    assert len(train) == 11 and train.skipped == 1
    assert train.read_report.skipped == [("train/wave/03.csv",
                                          "columns ['x'] differ from ['x', 'y'] of train/rise/00.csv")]
    assert train.read_report.ignored == [("train/rise/notes.txt", "not a .csv file")]
    (folder / "train" / "rise" / "04.csv").write_text("time,x,y\n0,1.0,oops\n1,2.0,3.0\n")
    with pytest.raises(ValueError, match=r"train/rise/04.csv: column 'y' is not numeric"):
        adapter.load_dataset(cfg, str(folder), skip_bad=False)
    assert adapter.load_dataset(cfg, str(folder), skip_bad=True).skipped == 2
    gaps = "".join(f"{i},{i}.0,{'' if i % 3 else i}\n" for i in range(20))     # empty y cells: NaN
    (folder / "test" / "rise" / "05.csv").write_text("time,x,y\n" + gaps)
    with pytest.raises(ValueError, match=r"series test/rise/05.csv contains NaN or inf"):
        adapter.load_dataset(cfg, str(folder), split="test")
    imputed = adapter.load_dataset(TimeSeriesConfig(patch_len=8, stride=8, impute=True), str(folder), split="test")
    assert len(imputed) == 7 and np.isfinite(np.concatenate([s.values.ravel() for s in imputed])).all()
    (folder / "test" / "jump").mkdir()
    shutil.copy(folder / "test" / "wave" / "00.csv", folder / "test" / "jump" / "00.csv")
    with pytest.raises(ValueError, match=r"labels \['jump'\] of the test split do not occur in the training split"):
        adapter.load_dataset(cfg, str(folder), split="test", skip_bad=True)
