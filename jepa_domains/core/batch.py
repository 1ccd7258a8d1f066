"""Base class for a modality's raw batch: whatever the tokenizer needs, plus the layout."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from jepa_domains.core.tokens import Layout


@dataclass
class Batch:
    """A collated raw batch. Modalities subclass it with their own fields (tensors, PyG
    batches, ...); :meth:`to` moves every field that has a ``.to`` method.

    Attributes:
        layout: token arrangement for the masker (computed on the CPU, in the collate).
        labels: ``[B]`` long labels where the dataset has them, else None.
        ids: per-sample identifiers (dataset indices or file names) for joins and error messages.
        target_view: a second view of the same samples for the EMA target encoder, when the
            context encoder reads a perturbed copy (T-JEPA: the context sees a down-sampled or
            distorted track and predicts the latents of the clean one). It must tokenize to the
            same ``[R, N]`` token grid as this batch, since one mask plan indexes both. None: the
            target encoder reads this batch too.
    """

    layout: Layout
    labels: torch.Tensor | None = None
    ids: list | None = None
    target_view: Batch | None = None

    def to(self, device: torch.device | str) -> "Batch":
        changes = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name != "layout" and hasattr(value, "to") and not isinstance(value, (str, bytes)):
                changes[f.name] = value.to(device)
        return dataclasses.replace(self, **changes)

    @property
    def batch_size(self) -> int:
        rows = self.layout.valid.numel() if self.layout.valid is not None else None
        if self.ids is not None:
            return len(self.ids)
        if rows is None:
            raise ValueError("batch size unknown: set ids or layout.valid")
        return rows // self.layout.rows_per_sample
