"""Frozen-encoder embedding extraction, from a trained run or a random-init twin."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
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


ENCODERS = ("context", "target")
ENCODER_CHOICES = (*ENCODERS, "both")


@dataclass
class LoadedRun:
    """A trained run ready for frozen evaluation; ``which`` names the encoder loaded
    (``"context"``: the gradient-trained encoder, ``"target"``: its EMA copy)."""

    run_dir: Path
    cfg: RunConfig
    adapter: ModalityAdapter
    options: Any
    encoder: Encoder
    step: int
    which: str = "context"


@dataclass
class Embeddings:
    """``X``: ``[n, E]`` float32; ``y``: ``[n]`` int labels or None; ``ids``: sample ids."""

    X: np.ndarray
    y: np.ndarray | None
    ids: list


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def resolve_encoders(encoder: str | None, adapter: ModalityAdapter) -> tuple[str, ...]:
    """The encoders an evaluation runs: ``None`` -> the adapter's :attr:`default_encoder`,
    ``"both"`` -> ``("context", "target")``, else the one named."""
    if encoder is None:
        encoder = adapter.default_encoder
    if encoder not in ENCODER_CHOICES:
        raise ValueError(f"encoder must be one of {', '.join(ENCODER_CHOICES)} (or None for the "
                         f"modality's default), got {encoder!r}")
    return ENCODERS if encoder == "both" else (encoder,)


def _run_dir(run: str | Path) -> Path:
    return Path(run) if Path(run).is_dir() else Path(run).parent.parent


def _encoder_weights(state: dict[str, Any], which: str, run: str | Path) -> dict[str, Any]:
    prefix = "target_encoder." if which == "target" else "encoder."
    weights = {k[len(prefix):]: v for k, v in state["model"].items() if k.startswith(prefix)}
    if not weights:
        raise ValueError(f"checkpoint of {run} holds no '{prefix}*' weights, cannot load the {which} encoder")
    return weights


def load_runs(run: str | Path, *, encoder: str | None = None, pool: str | None = None,
              layers: int | None = None) -> dict[str, LoadedRun]:
    """Load the encoder(s) ``encoder`` (``context | target | both | None``, see
    :func:`resolve_encoders`) of a run directory or checkpoint, reading the checkpoint once.

    ``pool`` replaces the run's ``modality.pool`` (validated by the modality's config) for every
    embedding made from these runs: the pretrained, random-init and baseline rows alike.
    ``layers`` replaces ``model.readout_layers`` (how many of the encoder's last representations
    are concatenated, see :class:`~jepa_domains.core.jepa.Encoder`), for the pretrained and the
    random-init encoders alike (the latter is built from the returned ``cfg``).

    Returns ``{which: LoadedRun}`` in the order ``context``, ``target``.
    """
    state = ckpt.load(run)
    cfg = from_dict(RunConfig, state["config"])
    if layers is not None:
        if not 1 <= int(layers) <= cfg.model.depth + 1:
            raise ValueError(f"layers must lie in [1, depth + 1 = {cfg.model.depth + 1}] for {run}, got {layers}")
        cfg = replace(cfg, model=replace(cfg.model, readout_layers=int(layers)))
    adapter = get_modality(cfg.modality_name)
    options = modality_options(adapter.Config, cfg.modality)
    if pool is not None:
        if not any(f.name == "pool" for f in fields(options)):
            raise ValueError(f"modality {cfg.modality_name!r} has no pool option; cannot evaluate with pool={pool!r}")
        options = replace(options, pool=pool)
    out = {}
    for which in resolve_encoders(encoder, adapter):
        model = build_encoder(adapter, options, cfg)
        model.load_state_dict(_encoder_weights(state, which, run))
        model.eval().requires_grad_(False)
        out[which] = LoadedRun(run_dir=_run_dir(run), cfg=cfg, adapter=adapter, options=options, encoder=model,
                               step=int(state["step"]), which=which)
    return out


def load_run(run: str | Path, *, which: str | None = None) -> LoadedRun:
    """Load one encoder of a run directory (or checkpoint file).

    Args:
        which: ``"context"`` (the gradient-trained encoder), ``"target"`` (its EMA copy) or
            None: the modality's :attr:`~jepa_domains.modalities.base.ModalityAdapter.default_encoder`.
    """
    if which is not None and which not in ENCODERS:
        raise ValueError(f"which must be 'context', 'target' or None, got {which!r}")
    return next(iter(load_runs(run, encoder=which).values()))


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
