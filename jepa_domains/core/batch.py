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
    """

    layout: Layout
    labels: torch.Tensor | None = None
    ids: list | None = None

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
