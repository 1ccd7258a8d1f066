"""Deterministic, resumable, rank-sharded data order and the collate that builds masks.

The order of samples depends only on ``(seed, epoch)``; a global batch is a fixed slice of that
order and every rank takes its own contiguous part of it. Resuming skips the global batches
already consumed, so a run continues with the samples it has not seen, whatever the number of
processes before and after. Every random choice of a sample (augmentation, mask) comes from a
generator seeded by ``(seed, epoch, sample index)``, so masks do not depend on batch
composition or world size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.data import Dataset, Sampler

from jepa_domains.core.batch import Batch
from jepa_domains.core.maskers import Masker
from jepa_domains.core.tokens import MaskPlan
from jepa_domains.modalities.base import ModalityAdapter

_MIX = 0x9E3779B97F4A7C15
_MASK64 = (1 << 63) - 1


def sample_seed(seed: int, epoch: int, index: int, salt: int = 0) -> int:
    """A 63-bit seed mixing run seed, epoch, sample index and a salt (splitmix64 finaliser)."""
    z = (seed * 1_000_003 + epoch * 7_919 + index * 104_729 + salt * 15_485_863 + _MIX) & ((1 << 64) - 1)
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & ((1 << 64) - 1)
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & ((1 << 64) - 1)
    return (z ^ (z >> 31)) & _MASK64


@dataclass(frozen=True)
class SampleKey:
    """Identity of one draw: dataset ``index`` in ``epoch``, consumed at optimiser ``step``."""

    index: int
    epoch: int
    step: int


class ShardedBatchSampler(Sampler[list[SampleKey]]):
    """Yields this rank's part of each global batch, forever, from ``start_batch`` on.

    Args:
        num_samples: dataset length.
        global_batch: samples per global micro-batch (all ranks together).
        rank, world_size: this process among the data-parallel group.
        seed: run seed.
        start_batch: number of global micro-batches already consumed (resume point).
        accumulate: micro-batches per optimiser step (to report the step of each sample).
    """

    def __init__(self, *, num_samples: int, global_batch: int, rank: int = 0, world_size: int = 1,
                 seed: int = 0, start_batch: int = 0, accumulate: int = 1) -> None:
        if global_batch % world_size != 0:
            raise ValueError(f"global batch {global_batch} must be divisible by world size {world_size}")
        if num_samples < global_batch:
            raise ValueError(f"dataset has {num_samples} samples, fewer than one global batch of {global_batch}; "
                             "lower data.batch_size")
        self.num_samples, self.global_batch = num_samples, global_batch
        self.rank, self.world_size, self.seed = rank, world_size, seed
        self.start_batch, self.accumulate = start_batch, accumulate
        self.per_rank = global_batch // world_size

    @property
    def batches_per_epoch(self) -> int:
        return self.num_samples // self.global_batch

    def epoch_order(self, epoch: int) -> torch.Tensor:
        gen = torch.Generator().manual_seed(sample_seed(self.seed, epoch, -1, salt=1))
        return torch.randperm(self.num_samples, generator=gen)

    def __iter__(self) -> Iterator[list[SampleKey]]:
        batch = self.start_batch
        while True:
            epoch, pos = divmod(batch, self.batches_per_epoch)
            order = self.epoch_order(epoch)
            for b in range(pos, self.batches_per_epoch):
                lo = b * self.global_batch + self.rank * self.per_rank
                step = (epoch * self.batches_per_epoch + b) // self.accumulate
                yield [SampleKey(int(i), epoch, step) for i in order[lo : lo + self.per_rank]]
            batch = (epoch + 1) * self.batches_per_epoch

    def __len__(self) -> int:  # one epoch
        return self.batches_per_epoch


class KeyedDataset(Dataset):
    """Wraps a dataset so that items come back with their :class:`SampleKey`."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def __getitem__(self, key: SampleKey) -> tuple[SampleKey, Any]:
        return key, self.dataset[key.index]

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]


class MaskingCollator:
    """Collate keyed samples into ``(batch, plan, keys)``: the adapter builds the raw batch with
    per-sample generators, then the masker builds the plan with per-row generators.

    Args:
        adapter, cfg: the modality and its options.
        masker: the masker to apply.
        seed: run seed.
        total_steps: optimiser steps of the run (masker progress = step / total_steps).
    """

    def __init__(self, adapter: ModalityAdapter, cfg: Any, masker: Masker, *, seed: int, total_steps: int) -> None:
        self.adapter, self.cfg, self.masker = adapter, cfg, masker
        self.seed, self.total_steps = seed, total_steps

    def __call__(self, items: list[tuple[SampleKey, Any]]) -> tuple[Batch, MaskPlan, list[SampleKey]]:
        keys = [k for k, _ in items]
        gens = [torch.Generator().manual_seed(sample_seed(self.seed, k.epoch, k.index)) for k in keys]
        batch = self.adapter.collate(self.cfg, [s for _, s in items], gens)
        rows = batch.layout.rows_per_sample
        row_gens = [
            torch.Generator().manual_seed(sample_seed(self.seed, k.epoch, k.index, salt=2 + r))
            for k in keys for r in range(rows)
        ]
        progress = keys[0].step / max(1, self.total_steps)
        plan = self.masker(batch.layout, row_gens, progress=progress)
        return batch, plan, keys
