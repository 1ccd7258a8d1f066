"""Frozen-encoder embedding extraction, from a trained run or a random-init twin."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from jepa_domains.core import Encoder
from jepa_domains.modalities.base import ModalityAdapter
from jepa_domains.registry import get_modality
from jepa_domains.train import checkpoint as ckpt
from jepa_domains.train.build import build_encoder
from jepa_domains.train.config import RunConfig, from_dict, modality_options


@dataclass
class LoadedRun:
    """A trained run ready for frozen evaluation."""

    run_dir: Path
    cfg: RunConfig
    adapter: ModalityAdapter
    options: Any
    encoder: Encoder
    step: int


@dataclass
class Embeddings:
    """``X``: ``[n, E]`` float32; ``y``: ``[n]`` int labels or None; ``ids``: sample ids."""

    X: np.ndarray
    y: np.ndarray | None
    ids: list


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def load_run(run: str | Path, *, which: str = "target") -> LoadedRun:
    """Load the encoder of a run directory (or checkpoint file).

    Args:
        which: ``"target"`` (the EMA encoder, used for evaluation as in I-JEPA) or ``"context"``.
    """
    if which not in ("target", "context"):
        raise ValueError(f"which must be 'target' or 'context', got {which!r}")
    state = ckpt.load(run)
    cfg = from_dict(RunConfig, state["config"])
    adapter = get_modality(cfg.modality_name)
    options = modality_options(adapter.Config, cfg.modality)
    encoder = build_encoder(adapter, options, cfg)
    prefix = "target_encoder." if which == "target" else "encoder."
    weights = {k[len(prefix):]: v for k, v in state["model"].items() if k.startswith(prefix)}
    encoder.load_state_dict(weights)
    encoder.eval().requires_grad_(False)
    run_dir = Path(run) if Path(run).is_dir() else Path(run).parent.parent
    return LoadedRun(run_dir=run_dir, cfg=cfg, adapter=adapter, options=options, encoder=encoder,
                     step=int(state["step"]))


def random_encoder(cfg: RunConfig, adapter: ModalityAdapter, options: Any) -> Encoder:
    """The same architecture with random initialisation (seeded by ``cfg.train.seed``)."""
    torch.manual_seed(cfg.train.seed)
    return build_encoder(adapter, options, cfg).eval().requires_grad_(False)


@torch.no_grad()
def extract(encoder: Encoder, adapter: ModalityAdapter, options: Any, dataset: Dataset, *,
            batch_size: int = 64, device: torch.device | str | None = None, num_workers: int = 0,
            pool: Any = None) -> Embeddings:
    """Embed every sample of ``dataset`` with a frozen encoder.

    Collates deterministically (``generators=None``) and pools with ``adapter.pool`` (or
    ``pool(options, latents, pad, batch)`` when given).
    """
    device = torch.device(device) if device is not None else default_device()
    encoder = encoder.to(device).eval()
    pool = pool or adapter.pool
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers,
                        collate_fn=lambda samples: adapter.collate(options, samples, None))
    chunks, labels, ids = [], [], []
    for batch in loader:
        batch = batch.to(device)
        latents, pad = encoder(batch)
        emb = pool(options, latents.float(), pad, batch)
        if not torch.isfinite(emb).all():
            raise ValueError(f"non-finite embedding for samples {batch.ids[:8] if batch.ids else '?'}")
        chunks.append(emb.cpu().numpy())
        if batch.labels is not None:
            labels.append(batch.labels.cpu().numpy())
        ids.extend(batch.ids if batch.ids is not None else [None] * emb.shape[0])
    X = np.concatenate(chunks).astype(np.float32)
    y = np.concatenate(labels).astype(np.int64) if len(labels) == len(chunks) and labels else None
    return Embeddings(X=X, y=y, ids=ids)
