"""Pretraining on several sources (``data.source = "A+B"``): parsing, the union dataset, a run
trained on it, and evaluations that must name the set they probe."""

import json
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

from jepa_domains.data.multi_source import MultiSourceDataset, evaluation_source, split_sources
from jepa_domains.data.shards import open_dataset
from jepa_domains.modalities.timeseries import TimeSeriesAdapter, TimeSeriesConfig

SEARCH = Path(__file__).resolve().parents[2] / "benchmarks" / "timeseries_recipe_search.py"


def test_split_sources_parses_plus_joined_names(tmp_path):
    assert split_sources("ACSF1+ArrowHead + GunPoint") == ["ACSF1", "ArrowHead", "GunPoint"]
    assert split_sources("GunPoint") == ["GunPoint"] and split_sources(None) == [None]
    folder = tmp_path / "owner+name"          # an existing path keeps its '+'
    folder.mkdir()
    assert split_sources(str(folder)) == [str(folder)]
    with pytest.raises(ValueError, match="empty name"):
        split_sources("A++B")
    with pytest.raises(ValueError, match="'A' named more than once"):
        split_sources("A+B+A")


class _Part:
    """A minimal dataset: series of constant value, with any extra attributes."""

    def __init__(self, values: list[int], description: str, **attrs) -> None:
        from jepa_domains.data.timeseries_readers import Series

        self.samples = [Series(np.full((1, 8), v, dtype=np.float32), v % 2, f"{description}{v}") for v in values]
        self.description = description
        self.labels = np.array([s.label for s in self.samples])
        self.__dict__.update(attrs)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int):
        return self.samples[i]


def test_union_is_back_to_back_unlabelled_and_forwards_shared_attributes():
    a, b = _Part([0, 1, 2], "A", channels=1, kind="x"), _Part([10, 11], "B", channels=1, kind="y")
    union = MultiSourceDataset([("A", a), ("B", b)])
    assert len(union) == 5 and union.sizes() == {"A": 3, "B": 2}
    assert [union[i].id for i in range(5)] == ["A0", "A1", "A2", "B10", "B11"]
    assert union.locate(3) == (1, 0) and union.labels is None
    assert union.description == "A + B" and union.channels == 1
    with pytest.raises(ValueError, match=r"disagree on 'kind' \(A: 'x', B: 'y'\)"):
        _ = union.kind
    with pytest.raises(IndexError, match="sample 5 out of range for 5 samples"):
        union[5]
    with pytest.raises(ValueError, match="source 'B' has no samples"):
        MultiSourceDataset([("A", a), ("B", _Part([], "B"))])
    assert set(union.read_report.as_dict()["sources"]) == {"A", "B"}


def test_open_dataset_unions_the_training_splits_of_shipped_sets():
    adapter, cfg = TimeSeriesAdapter(), TimeSeriesConfig(patch_len=8, stride=8)
    union = open_dataset(adapter, cfg, "GunPoint+ArrowHead", split="train")
    assert len(union) == 50 + 36 and union.channels == 1 and adapter.labels(union) is None
    assert union[50].values.shape == (1, 251)                  # the first ArrowHead series
    mixed = open_dataset(adapter, cfg, "GunPoint+BasicMotions", split="train")
    with pytest.raises(ValueError, match=r"disagree on 'channels' \(GunPoint: 1, BasicMotions: 6\)"):
        adapter.prepare(cfg, mixed)


@pytest.fixture(scope="module")
def union_run(tmp_path_factory):
    from jepa_domains.train.config import resolve
    from jepa_domains.train.trainer import Trainer

    from tests.conftest import TINY

    run_dir = tmp_path_factory.mktemp("union_run")
    cfg = resolve("timeseries", overrides=TINY + ["train.steps=4", "data.batch_size=16",
                                                  "data.source=GunPoint+ArrowHead", "modality.patch_len=16",
                                                  "modality.stride=16"])
    Trainer(cfg, run_dir=run_dir).fit()
    return run_dir


def test_a_union_run_trains_and_its_evaluation_names_the_set(union_run, tmp_path, monkeypatch):
    from jepa_domains.modalities.timeseries.evaluate import classify_run

    summary = json.loads((union_run / "run.json").read_text())
    assert summary["dataset"].startswith("GunPoint (train") and "ArrowHead (train" in summary["dataset"]
    assert set(summary["data_report"]["sources"]) == {"GunPoint", "ArrowHead"}
    with pytest.raises(ValueError, match=r"pretrained on several sources \(GunPoint\+ArrowHead\).*--data GunPoint"):
        classify_run(union_run, probes=("logistic",))
    rows = classify_run(union_run, source="ArrowHead", probes=("logistic",))
    jepa = [r for r in rows if r["method"] == "jepa" and r["metric"] == "accuracy"]
    assert jepa and all(r["dataset"] == "ArrowHead" for r in jepa)
    log = tmp_path / "cv.jsonl"                                 # the training-split search takes --data too
    monkeypatch.setattr(sys, "argv", ["timeseries_recipe_search.py", str(union_run), "--data", "GunPoint",
                                      "--log", str(log)])
    runpy.run_path(str(SEARCH), run_name="__main__")
    record = json.loads(log.read_text().splitlines()[-1])
    assert record["dataset"] == "GunPoint" and record["train_series"] == 50


def test_evaluation_source_defaults_to_a_single_pretraining_set():
    assert evaluation_source(None, "GunPoint") == "GunPoint" and evaluation_source("X", "A+B") == "X"
    assert evaluation_source(None, None) is None
    with pytest.raises(ValueError, match="name the one to evaluate on"):
        evaluation_source(None, "A+B")
