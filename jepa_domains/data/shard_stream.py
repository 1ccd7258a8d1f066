"""Streaming reader of tar shards (format in :mod:`jepa_domains.data.shards`) for data-parallel
loops: each shard goes to exactly one (rank, DataLoader worker) per epoch, and a loop resumes
mid-epoch from per-shard progress, also with another number of ranks or workers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from jepa_domains.data.shards import iter_shard, read_index


@dataclass(frozen=True)
class StreamKey:
    """Identity of one streamed sample: its shard, its position in it, its global index."""

    epoch: int
    shard: int
    offset: int
    index: int


class StreamingShardDataset(torch.utils.data.IterableDataset):
    """Streams ``(StreamKey, sample)`` pairs from a shard folder, each shard read by exactly one
    (rank, DataLoader worker) per epoch, so every sample is seen exactly once per epoch.

    The shard order is a permutation seeded by ``(seed, epoch)``; slot ``rank * num_workers +
    worker`` reads shards ``order[slot::world_size * num_workers]``. Resume state is per shard
    (samples already consumed from it, see :class:`StreamProgress`), not per slot, so a run may
    resume mid-epoch with a different number of ranks or workers. Ranks may receive different
    numbers of samples (shards differ in size and count); write many more shards than
    ``ranks x workers`` and end DDP epochs by step count.

    Args:
        folder: a shard folder (see module docstring).
        rank, world_size: this process among the data-parallel group (default: from
            ``torch.distributed`` if initialised, else 0 / 1).
        seed, epoch: shard-order seed and current epoch (:meth:`set_epoch` to advance).
        progress: ``{shard: samples consumed}`` for the current epoch (resume point).
    """

    def __init__(self, folder: str | Path, *, rank: int | None = None, world_size: int | None = None, seed: int = 0,
                 epoch: int = 0, shuffle_shards: bool = True, progress: dict[int, int] | None = None,
                 allowed_modules: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.index = read_index(self.folder)
        dist_on = torch.distributed.is_available() and torch.distributed.is_initialized()
        self.rank = rank if rank is not None else (torch.distributed.get_rank() if dist_on else 0)
        self.world_size = world_size if world_size is not None else (
            torch.distributed.get_world_size() if dist_on else 1)
        if not 0 <= self.rank < self.world_size:
            raise ValueError(f"rank {self.rank} is not in a world of {self.world_size}")
        self.seed, self.epoch, self.shuffle_shards = seed, epoch, shuffle_shards
        self.progress = {int(k): int(v) for k, v in (progress or {}).items()}
        self.allowed_modules = tuple(allowed_modules)
        counts = [s["num_samples"] for s in self.index["shards"]]
        self.shard_start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int).tolist()
        self.description = self.index.get("description", "")

    def set_epoch(self, epoch: int) -> None:
        self.epoch, self.progress = epoch, {}

    def shard_order(self) -> list[int]:
        n = len(self.index["shards"])
        if not self.shuffle_shards:
            return list(range(n))
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        return torch.randperm(n, generator=gen).tolist()

    def assigned_shards(self, worker: int = 0, num_workers: int = 1) -> list[int]:
        slots = self.world_size * num_workers
        return self.shard_order()[self.rank * num_workers + worker :: slots]

    def __iter__(self) -> Iterator[tuple[StreamKey, Any]]:
        info = torch.utils.data.get_worker_info()
        worker, num_workers = (info.id, info.num_workers) if info is not None else (0, 1)
        for s in self.assigned_shards(worker, num_workers):
            shard = self.index["shards"][s]
            skip = self.progress.get(s, 0)
            if skip >= shard["num_samples"]:
                continue
            for j, sample in enumerate(iter_shard(self.folder / shard["name"], self.allowed_modules, skip=skip)):
                offset = skip + j
                yield StreamKey(self.epoch, s, offset, self.shard_start[s] + offset), sample


class StreamProgress:
    """Tracks what the training loop consumed from a :class:`StreamingShardDataset`.

    ``update`` with the keys of each consumed batch; ``state_dict`` gives ``{shard: consumed}``
    (JSON-able; merge the dicts of all ranks with :meth:`merge` before saving — shards are
    disjoint across ranks). Within a shard samples are consumed in order (one worker reads
    it), so the count is the position after the last consumed sample.
    """

    def __init__(self) -> None:
        self.consumed: dict[int, int] = {}

    def update(self, keys: Iterable[StreamKey]) -> None:
        for k in keys:
            self.consumed[k.shard] = max(self.consumed.get(k.shard, 0), k.offset + 1)

    def state_dict(self) -> dict[int, int]:
        return dict(self.consumed)

    @staticmethod
    def merge(states: Iterable[dict[int, int]]) -> dict[int, int]:
        out: dict[int, int] = {}
        for state in states:
            for shard, n in state.items():
                out[int(shard)] = max(out.get(int(shard), 0), int(n))
        return out
