"""Tar shards: lossless round trip for every modality's samples, exactly-once streaming across
2 ranks x 2 workers, mid-epoch resume with another world size, training from shards."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader
from typer.testing import CliRunner

from jepa_domains.cli.app import app
from jepa_domains.data.shard_stream import StreamingShardDataset, StreamProgress
from jepa_domains.data.shards import ShardDataset, decode_sample, encode_sample, read_index, write_shards
from jepa_domains.registry import get_modality, list_modalities
from jepa_domains.train.config import resolve
from jepa_domains.train.trainer import Trainer
from tests.conftest import TINY


OWN = (__name__,)  # the toy sample class below lives in this test module


@dataclasses.dataclass
class _Toy:
    values: np.ndarray
    label: int | None
    id: str


def toy_samples(n: int) -> list[_Toy]:
    return [_Toy(values=np.full((i % 3 + 1, 2), i, dtype=np.float32), label=i % 4, id=f"s{i}") for i in range(n)]


def assert_same(a, b, where=""):
    if dataclasses.is_dataclass(a):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, (np.ndarray, torch.Tensor)):
        assert type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape, where
        assert np.array_equal(np.asarray(a), np.asarray(b)), where
    elif type(a).__name__ == "Data":                                   # PyG graph
        da, db = a.to_dict(), b.to_dict()
        assert set(da) == set(db), where
        for k in da:
            assert_same(da[k], db[k], f"{where}.{k}")
    else:
        assert a == b, where


@pytest.mark.parametrize("modality", list_modalities())
def test_every_modality_round_trips_losslessly(modality, tmp_path):
    adapter = get_modality(modality)
    dataset = adapter.load_dataset(adapter.Config(), None, split="train")
    samples = [dataset[i] for i in range(7)]
    index = write_shards(samples, tmp_path, samples_per_shard=3, modality=modality)
    assert [s["num_samples"] for s in index["shards"]] == [3, 3, 1]
    stored = ShardDataset(tmp_path)
    assert len(stored) == 7 and stored.labels is not None
    for i, sample in enumerate(samples):
        assert_same(sample, stored[i], f"{modality}[{i}]")
    assert stored.labels.tolist() == [s.label for s in samples]


def streamed(dataset: StreamingShardDataset, *, workers: int, batches: int | None = None):
    """Keys a rank's DataLoader yields (all of them, or the first ``batches`` batches)."""
    loader = DataLoader(dataset, batch_size=3, num_workers=workers, collate_fn=lambda items: [k for k, _ in items])
    keys = []
    for b, batch in enumerate(loader):
        if batches is not None and b == batches:
            break
        keys += batch
    return keys


def test_streaming_sees_every_sample_once_per_epoch_across_2_ranks_x_2_workers(tmp_path):
    write_shards(toy_samples(53), tmp_path, samples_per_shard=5)         # 11 shards, last one short
    for epoch in (0, 1):
        per_rank = [streamed(StreamingShardDataset(tmp_path, rank=r, world_size=2, seed=3, epoch=epoch, allowed_modules=OWN), workers=2)
                    for r in range(2)]
        seen = [k.index for keys in per_rank for k in keys]
        assert sorted(seen) == list(range(53)), epoch                  # exactly once, nothing missing
        assert all(len(keys) > 10 for keys in per_rank)                # both ranks got work
    # the shard order changes with the epoch (so do the shards' (rank, worker) owners)
    orders = [StreamingShardDataset(tmp_path, seed=3, epoch=e).shard_order() for e in (0, 1)]
    assert orders[0] != orders[1] and sorted(orders[0]) == list(range(11))


def test_streaming_resumes_mid_epoch_with_another_world_size(tmp_path):
    write_shards(toy_samples(47), tmp_path, samples_per_shard=4)
    progress = StreamProgress()
    first = []
    for r in range(2):                                                  # 2 ranks x 2 workers, interrupted
        keys = streamed(StreamingShardDataset(tmp_path, rank=r, world_size=2, seed=1, allowed_modules=OWN), workers=2, batches=3)
        progress.update(keys)
        first += [k.index for k in keys]
    state = json.loads(json.dumps(StreamProgress.merge([progress.state_dict()])))   # as saved in a checkpoint
    rest = streamed(StreamingShardDataset(tmp_path, rank=0, world_size=1, seed=1, progress=state,
                                                      allowed_modules=OWN), workers=1)
    second = [k.index for k in rest]
    assert 0 < len(first) < 47
    assert sorted(first + second) == list(range(47))                   # the rest, exactly once


def test_unsafe_or_broken_shards_are_refused(tmp_path):
    write_shards(toy_samples(3), tmp_path / "ok")
    with pytest.raises(ValueError, match="refusing to import sample class"):
        ShardDataset(tmp_path / "ok")[0]                                 # class lives outside jepa_domains
    assert ShardDataset(tmp_path / "ok", allowed_modules=OWN)[2].id == "s2"
    with pytest.raises(ValueError, match="already holds shards"):
        write_shards(toy_samples(3), tmp_path / "ok")
    with pytest.raises(FileNotFoundError, match="not a shard folder"):
        read_index(tmp_path)
    with pytest.raises(ValueError, match="object arrays"):
        encode_sample(_Toy(values=np.array([object()]), label=None, id="bad"))
    # a corrupted array member names the shard and the sample; a truncated shard names the file
    stored = ShardDataset(tmp_path / "ok", allowed_modules=OWN)
    name, offset, size = next(m for m in stored.locations[1].members if m[0].endswith(".npy"))
    shard = tmp_path / "ok" / "shard-000000.tar"
    raw = bytearray(shard.read_bytes())
    raw[offset : offset + 8] = b"garbage!"
    shard.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"shard-000000.tar: sample 1 is corrupt"):
        stored[1]
    shard.write_bytes(bytes(raw[:700]))
    with pytest.raises(ValueError, match=r"shard-000000.tar: (unreadable shard|\d+ samples, index.json says 3)"):
        ShardDataset(tmp_path / "ok", allowed_modules=OWN)
    meta, arrays = encode_sample(toy_samples(1)[0])
    meta["class"] = "os:system"
    with pytest.raises(ValueError, match="refusing"):
        decode_sample(meta, arrays)


def test_cli_shard_then_training_on_shards_equals_training_on_the_source(tmp_path):
    result = CliRunner().invoke(app, ["shard", "timeseries", str(tmp_path / "shards"), "--data", "GunPoint",
                                      "--samples-per-shard", "16"])
    assert result.exit_code == 0, result.output
    assert "50 samples in 4 shards" in result.output
    base = TINY + ["train.steps=2", "data.batch_size=8", "train.checkpoint_every=100"]
    Trainer(resolve("timeseries", overrides=base + ["data.source=GunPoint"]), run_dir=tmp_path / "a").fit()
    Trainer(resolve("timeseries", overrides=base + [f"data.source={tmp_path / 'shards'}"]), run_dir=tmp_path / "b").fit()
    a = torch.load(tmp_path / "a" / "checkpoints" / "last.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "b" / "checkpoints" / "last.pt", weights_only=True)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)                      # same samples, same order, same masks
