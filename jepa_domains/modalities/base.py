"""The unit a user registers: a :class:`ModalityAdapter` bundles a modality's tokenizer,
masker, collate, dataset readers, pooling and downstream tasks. The core never imports one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import Dataset

from jepa_domains.core.batch import Batch
from jepa_domains.core.maskers import Masker


@dataclass
class NoOptions:
    """Config of a modality with no options of its own."""


class ModalityAdapter:
    """Base class of a modality. Subclass it, set :attr:`Config`, implement the builders, and
    register it with ``@register_modality("name")`` or an entry point in the group
    ``jepa_domains.modalities``.

    The adapter itself is stateless; every method receives the modality config ``cfg`` (an
    instance of :attr:`Config`).

    Attributes:
        Config: dataclass of the modality's options (``--set modality.<field>=...``).
        tasks: downstream protocols it supports (``"classify"``, ``"forecast"``, ``"similarity"``).
        default_dataset: dataset used by ``jepa-domains train NAME`` without ``--data``.
        run_defaults: dotted overrides of the run config this modality prefers
            (e.g. ``{"model.dim": 192}``), applied before user overrides.
        quick_overrides: dotted overrides applied by ``--quick`` (a run of a minute or two).
        default_encoder: the encoder frozen evaluation uses when none is asked for
            (``"context"`` or ``"target"``; ``eval --encoder`` / ``encoder=`` overrides it).
    """

    name: ClassVar[str] = ""
    Config: ClassVar[type] = NoOptions
    tasks: ClassVar[tuple[str, ...]] = ("classify",)
    default_dataset: ClassVar[str] = ""
    run_defaults: ClassVar[dict[str, Any]] = {}
    quick_overrides: ClassVar[dict[str, Any]] = {}
    default_encoder: ClassVar[str] = "context"
    """Evaluate the gradient-trained context encoder by default. Graph-JEPA, Point-JEPA, TS-JEPA
    and T-JEPA evaluate it; I-JEPA and Audio-JEPA evaluate the EMA target, but only after ~1e5
    steps at momentum 0.996+. At the run lengths a CPU affords (hundreds to a few thousand steps)
    the target is still largely its random initialisation, so it would understate what was learned."""

    # --- model pieces -------------------------------------------------------------------
    def build_tokenizer(self, cfg: Any, dim: int) -> nn.Module:
        """An ``nn.Module`` mapping a collated :class:`Batch` to ``Tokens`` of width ``dim``."""
        raise NotImplementedError

    def build_masker(self, cfg: Any) -> Masker:
        """A core masker (or a composition of them) for this modality's layout."""
        raise NotImplementedError

    def build_target_head(self, cfg: Any, dim: int) -> nn.Module | None:
        """Optional module applied to predictions and targets before the loss (e.g. Graph-JEPA's
        hyperbolic coordinates); None compares latents directly."""
        return None

    # --- data ---------------------------------------------------------------------------
    def collate(self, cfg: Any, samples: Sequence[Any], generators: Sequence[torch.Generator] | None) -> Batch:
        """Build a raw :class:`Batch` (with its layout) from dataset samples, on the CPU.

        ``generators`` (one per sample, seeded by sample and epoch) drive every random choice of
        training-time augmentation (crops, edge dropping); ``None`` means evaluation: the
        collate must then be deterministic.
        """
        raise NotImplementedError

    def datasets(self) -> dict[str, str]:
        """Named datasets this modality reads (name -> one-line description)."""
        return {}

    def load_dataset(self, cfg: Any, source: str | None, *, split: str = "train",
                     data_root: Path | None = None, skip_bad: bool = False) -> Dataset:
        """Load a dataset by name (see :meth:`datasets`) or by path; ``None`` = the default.

        ``split`` is ``"train"``, ``"test"`` or ``"all"``. Samples expose ``.label`` (int or
        None). Bad samples raise a ``ValueError`` naming them, or are skipped and counted when
        ``skip_bad`` is True (the count is reported through the dataset's ``skipped`` attribute).
        """
        raise NotImplementedError

    def pretrain_split(self, cfg: Any) -> str:
        """The split the trainer pretrains on: ``"train"``; an adapter may return ``"all"`` for
        a transductive protocol whose encoder sees every sample unlabelled (Graph-JEPA)."""
        return "train"

    def samples_dataset(self, cfg: Any, samples: Sequence[Any]) -> Dataset:
        """A dataset of in-memory samples (e.g. ``JEPAEmbedder.fit(X)``), of the type
        :meth:`prepare` and :meth:`feature_baseline` expect. Default: :class:`SampleList`."""
        return SampleList(samples)

    def prepare(self, cfg: Any, dataset: Dataset) -> Any:
        """Compute anything the run must store before training (e.g. feature statistics) and
        return the updated config. Called once, on the training set."""
        return cfg

    # --- evaluation ---------------------------------------------------------------------
    def pool(self, cfg: Any, latents: Tensor, pad: Tensor, batch: Batch) -> Tensor:
        """Per-sample embedding ``[B, E]`` from token latents ``[R, N, D]`` and padding ``[R, N]``.

        Default: mean over valid tokens, then mean over the rows of a sample.
        """
        return mean_pool(latents, pad, batch.layout.rows_per_sample)

    def protocols(self) -> dict[str, Callable[..., list[dict[str, Any]]]]:
        """Downstream protocols by task name: ``fn(run_dir, *, source, data_root, encoder, **options)``
        returning result rows (each with an ``encoder`` field; ``encoder`` is ``"context"``,
        ``"target"``, ``"both"`` or None for :attr:`default_encoder`). The default offers the
        train/test classification probe."""
        from jepa_domains.eval.protocols import classify_run

        return {"classify": classify_run} if "classify" in self.tasks else {}

    def feature_baseline(self, cfg: Any, dataset: Dataset) -> np.ndarray | None:
        """Hand-crafted features ``[n, F]`` of every sample for the classical baseline (optional)."""
        return None

    def labels(self, dataset: Dataset) -> np.ndarray | None:
        """``[n]`` integer labels of a dataset, or None when it is unlabelled."""
        labels = getattr(dataset, "labels", None)
        if labels is None:
            return None
        arr = np.asarray(labels)
        return None if arr.size == 0 or (arr < 0).any() else arr.astype(np.int64)


class SampleList(Dataset):
    """In-memory modality samples as a dataset: ``.labels`` from each sample's ``.label``,
    ``.description`` and ``.skipped`` as the trainer and the evaluation read them."""

    def __init__(self, samples: Sequence[Any], description: str = "in-memory samples") -> None:
        self.samples = list(samples)
        if not self.samples:
            raise ValueError("no samples given (the list is empty)")
        labels = [getattr(s, "label", None) for s in self.samples]
        self.labels = None if any(v is None for v in labels) else np.asarray(labels, dtype=np.int64)
        self.description = f"{description} ({len(self.samples)})"
        self.skipped = 0

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> Any:
        return self.samples[index]


def mean_pool(latents: Tensor, pad: Tensor, rows_per_sample: int = 1) -> Tensor:
    """Masked mean over tokens, then mean over the ``rows_per_sample`` rows of each sample.

    ``latents``: ``[R, N, D]``; ``pad``: ``[R, N]``. Returns ``[R // rows_per_sample, D]``.
    """
    keep = (~pad).unsqueeze(-1).to(latents.dtype)
    pooled = (latents * keep).sum(1) / keep.sum(1).clamp_min(1.0)
    return pooled.view(-1, rows_per_sample, pooled.shape[-1]).mean(1)


def max_mean_pool(latents: Tensor, pad: Tensor) -> Tensor:
    """Masked max and masked mean over each row's valid tokens, side by side (Point-JEPA's
    sequence embedding).

    ``latents``: ``[R, N, D]``; ``pad``: ``[R, N]``. Returns ``[R, 2 * D]`` (max first); a row
    without valid tokens gives zeros.
    """
    keep = (~pad).unsqueeze(-1)
    mean = (latents * keep).sum(1) / keep.sum(1).clamp_min(1)
    top = latents.masked_fill(~keep, float("-inf")).amax(1)
    top = torch.where(keep.any(1), top, torch.zeros_like(top))
    return torch.cat([top, mean], dim=-1)


def check_pool(pool: str, segments: int, known: tuple[str, ...]) -> None:
    """One-line error unless ``pool`` (a ``modality.pool`` value) is in ``known`` and
    ``segments`` (``modality.pool_segments``) is at least 1."""
    if pool not in known or segments < 1:
        raise ValueError(f"modality.pool must be one of {', '.join(map(repr, known))} (pool_segments >= 1), got "
                         f"{pool!r}, {segments!r}")


def segment_pool(latents: Tensor, pad: Tensor, parts: int) -> Tensor:
    """Masked means over ``parts`` equal, consecutive parts of each row's valid tokens.

    ``latents``: ``[R, N, D]``; ``pad``: ``[R, N]``, valid tokens first (right padding).
    Returns ``[R, parts, D]``. Token ``i`` belongs to part ``j`` when ``[i, i + 1)`` overlaps
    ``[j * n / parts, (j + 1) * n / parts)`` for the row's ``n`` valid tokens, so a row with
    fewer valid tokens than parts repeats them, and a row without any gives zeros.
    """
    if parts < 1:
        raise ValueError(f"segment_pool needs parts >= 1, got {parts}")
    keep = (~pad).to(latents.dtype)                                                  # [R, N]
    valid = keep.sum(1, keepdim=True)                                                # [R, 1]
    pos = torch.arange(latents.shape[1], device=latents.device, dtype=latents.dtype)[None, :, None]
    lo = torch.arange(parts, device=latents.device, dtype=latents.dtype)[None, None, :] * valid[..., None] / parts
    hi = lo + valid[..., None] / parts                                               # [R, 1, K]
    weights = ((pos < hi) & (pos + 1 > lo)).to(latents.dtype) * keep[..., None]     # [R, N, K]
    return torch.einsum("rnk,rnd->rkd", weights, latents) / weights.sum(1).clamp_min(1.0)[..., None]


def resolve_data_root(data_root: str | Path | None) -> Path | None:
    """``--data-root`` if given, else ``$JEPA_DOMAINS_DATA``, else None."""
    import os

    value = data_root or os.environ.get("JEPA_DOMAINS_DATA")
    return Path(value).expanduser() if value else None
