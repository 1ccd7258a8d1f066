"""Multi-process helpers: the Fabric strategy of a run, BatchNorm under data parallelism, and
distributed embedding into per-rank ``.npz`` shards.

In :func:`embed_distributed` each process embeds a contiguous slice of the dataset (rank ``r`` of ``w`` takes samples
``[r*n//w, (r+1)*n//w)``) with the run's frozen encoder (``encoder``: context, target, or the
modality's default) and writes
``embeddings-rank{r:05d}-of-{w:05d}.npz`` holding ``X [n_r, E]``, ``index [n_r]`` (positions in
the dataset), ``ids [n_r]`` (the samples' own ids) and ``y [n_r]`` when labelled; rank 0 then
writes ``embeddings.json`` listing the files. :func:`read_embedding_shards` joins them back in
dataset order.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from lightning_fabric import Fabric
from torch.utils.data import Subset

MANIFEST = "embeddings.json"


def make_strategy(name: str) -> Any:
    """The Fabric strategy for ``train.strategy``.

    ``fsdp`` wraps the online and the EMA target encoder as separate FSDP units: both then have
    identical flat-parameter layouts, so every rank holds matching shards and the EMA update runs
    on local shards with no communication. Checkpoints are gathered to one full state dict on
    rank 0 (``state_dict_type="full"``) so that they load into single-process runs, ``eval`` and
    ``embed`` unchanged.
    """
    if name != "fsdp":
        return name
    from lightning_fabric.strategies import FSDPStrategy

    from jepa_domains.core.jepa import Encoder

    return FSDPStrategy(auto_wrap_policy={Encoder}, state_dict_type="full")


def sync_batch_norm(model: torch.nn.Module, fabric: Fabric) -> torch.nn.Module:
    """BatchNorm statistics would span only a rank's share of the batch under data parallelism.
    The built-in tokenizers use LayerNorm (batch-independent); a plug-in tokenizer with BatchNorm
    gets SyncBatchNorm on GPUs, and a warning on CPU, where PyTorch has no SyncBatchNorm."""
    if fabric.world_size == 1 or not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules()):
        return model
    if fabric.device.type == "cuda":
        return torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    if fabric.global_rank == 0:
        warnings.warn("the model has BatchNorm layers and SyncBatchNorm needs GPUs: batch statistics are per "
                      "process, so results depend on the number of processes (prefer LayerNorm)", stacklevel=2)
    return model


def rank_slice(num_samples: int, rank: int, world_size: int) -> range:
    """The contiguous part of ``range(num_samples)`` that ``rank`` embeds (sizes differ by <= 1)."""
    return range(rank * num_samples // world_size, (rank + 1) * num_samples // world_size)


def embed_distributed(run: str | Path, out_dir: str | Path, *, source: str | None = None, split: str = "all",
                      data_root: str | Path | None = None, batch_size: int = 64, devices: int = 1,
                      num_nodes: int = 1, accelerator: str = "auto", encoder: str | None = None) -> dict[str, Any] | None:
    """Embed a dataset with the encoder of ``run`` on ``devices x num_nodes`` processes.

    ``encoder``: ``"context"``, ``"target"`` or None (the modality's ``default_encoder``).

    Launches through Fabric (which re-executes the command for the extra local ranks, so call
    this from a script or the CLI, not an interactive session). Returns the manifest on rank 0,
    None on the other ranks.
    """
    from jepa_domains.data.shards import open_dataset
    from jepa_domains.eval.embed import extract, load_run
    from jepa_domains.modalities.base import resolve_data_root

    world = devices * num_nodes
    fabric = Fabric(accelerator=accelerator, devices=devices, num_nodes=num_nodes,
                    strategy="ddp" if world > 1 else "auto")
    fabric.launch()
    loaded = load_run(run, which=encoder)
    root = resolve_data_root(data_root or loaded.cfg.data.data_root)
    source = source if source is not None else loaded.cfg.data.source
    dataset = open_dataset(loaded.adapter, loaded.options, source, split=split, data_root=root)
    rank, world = fabric.global_rank, fabric.world_size
    part = rank_slice(len(dataset), rank, world)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = f"embeddings-rank{rank:05d}-of-{world:05d}.npz"
    if len(part):
        emb = extract(loaded.encoder, loaded.adapter, loaded.options, Subset(dataset, part), batch_size=batch_size,
                      device=fabric.device)
        arrays = {"X": emb.X, "index": np.asarray(part, dtype=np.int64), "ids": np.asarray([str(i) for i in emb.ids])}
        if emb.y is not None:
            arrays["y"] = emb.y
    else:  # more ranks than samples: an empty, still well-formed shard
        arrays = {"X": np.zeros((0, loaded.cfg.model.dim), np.float32), "index": np.zeros(0, np.int64),
                  "ids": np.asarray([], dtype=str)}
    np.savez(out / name, **arrays)
    fabric.barrier()
    if rank != 0:
        return None
    manifest = {"run": str(loaded.run_dir), "step": loaded.step, "source": source, "split": split,
                "num_samples": len(dataset), "world_size": world,
                "files": [f"embeddings-rank{r:05d}-of-{world:05d}.npz" for r in range(world)]}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return manifest


def read_embedding_shards(folder: str | Path) -> dict[str, np.ndarray]:
    """Join the per-rank files of :func:`embed_distributed` in dataset order: ``X``, ``index``,
    ``ids`` and ``y`` (when every shard has labels). Raises if a sample is missing or doubled."""
    folder = Path(folder)
    manifest = json.loads((folder / MANIFEST).read_text())
    parts = [np.load(folder / f, allow_pickle=False) for f in manifest["files"]]
    index = np.concatenate([p["index"] for p in parts])
    order = np.argsort(index, kind="stable")
    if not np.array_equal(index[order], np.arange(manifest["num_samples"])):
        raise ValueError(f"{folder}: embedding shards do not cover samples 0..{manifest['num_samples'] - 1} once")
    out = {"X": np.concatenate([p["X"] for p in parts])[order], "index": index[order],
           "ids": np.concatenate([p["ids"] for p in parts])[order]}
    if all("y" in p for p in parts):
        out["y"] = np.concatenate([p["y"] for p in parts])[order]
    return out
