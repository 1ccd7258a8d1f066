"""The two containers every modality and the core exchange: :class:`Tokens` and :class:`MaskPlan`.

A modality turns a raw batch into ``Tokens`` (its tokenizer) and describes the token arrangement
with a :class:`Layout` that maskers read to build a ``MaskPlan``. Everything downstream of those
two objects is modality-free.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor


@dataclass(frozen=True)
class Layout:
    """How the ``N`` tokens of each row are arranged, as much as a masker needs to know.

    Tokens are stored flat and row-major: a ``shape`` of ``(T, F)`` means token ``t * F + f``
    sits at grid cell ``(t, f)``. ``(N,)`` is a 1-D sequence (time series, trajectories,
    ordered point groups, graph patches).

    Attributes:
        shape: grid shape whose product is the number of token slots ``N``.
        valid: ``[R]`` long tensor, the number of valid (non-padding) positions along the
            first axis of every row (``None``: all positions valid). For a ``(T, F)`` grid a
            value ``v`` means rows ``t < v`` are real and the rest padding.
        rows_per_sample: how many token rows one dataset sample expands into (channel-
            independent series give one row per channel; sliding-window evaluation one row
            per window). ``R = batch_size * rows_per_sample``.
    """

    shape: tuple[int, ...]
    valid: Tensor | None = None
    rows_per_sample: int = 1

    def __post_init__(self) -> None:
        if not self.shape or any(int(s) <= 0 for s in self.shape):
            raise ValueError(f"Layout shape must be non-empty and positive, got {self.shape}")
        if self.rows_per_sample < 1:
            raise ValueError(f"rows_per_sample must be >= 1, got {self.rows_per_sample}")
        if self.valid is not None:
            if self.valid.dim() != 1:
                raise ValueError(f"Layout.valid must be 1-D [R], got shape {tuple(self.valid.shape)}")
            if (self.valid < 1).any() or (self.valid > self.shape[0]).any():
                raise ValueError(
                    f"Layout.valid must lie in [1, {self.shape[0]}], got {self.valid.tolist()}"
                )

    @property
    def num_tokens(self) -> int:
        n = 1
        for s in self.shape:
            n *= int(s)
        return n

    def valid_extent(self, row: int) -> int:
        """Number of valid positions along the first axis of ``row``."""
        return int(self.shape[0]) if self.valid is None else int(self.valid[row])

    def padding_mask(self, rows: int) -> Tensor:
        """``[R, N]`` bool, True where a token slot is padding."""
        n_first = int(self.shape[0])
        inner = self.num_tokens // n_first
        if self.valid is None:
            return torch.zeros(rows, self.num_tokens, dtype=torch.bool)
        first = torch.arange(n_first).unsqueeze(0) >= self.valid.unsqueeze(1)  # [R, T]
        return first.repeat_interleave(inner, dim=1)


@dataclass
class Tokens:
    """Output of a tokenizer.

    Attributes:
        x: ``[R, N, D]`` token embeddings (without positions).
        pos: ``[R, N, D]`` positional embeddings, added to ``x`` by the encoder.
        pad: ``[R, N]`` bool, True for padding slots (never attended to, never predicted).
    """

    x: Tensor
    pos: Tensor
    pad: Tensor

    def __post_init__(self) -> None:
        if self.x.dim() != 3:
            raise ValueError(f"Tokens.x must be [R, N, D], got shape {tuple(self.x.shape)}")
        if self.pos.shape != self.x.shape:
            raise ValueError(
                f"Tokens.pos shape {tuple(self.pos.shape)} must match x {tuple(self.x.shape)}"
            )
        if self.pad.shape != self.x.shape[:2]:
            raise ValueError(
                f"Tokens.pad shape {tuple(self.pad.shape)} must be [R, N] = {tuple(self.x.shape[:2])}"
            )


@dataclass
class MaskPlan:
    """Which token slots are context and which are targets, per row.

    Ragged cases (per-row counts differ) are padded with index 0 and flagged in the pad masks.

    Attributes:
        context: ``[R, Nc]`` long indices into the ``N`` token slots.
        targets: ``[R, M, Nt]`` long indices, ``M`` target groups per row.
        context_pad: ``[R, Nc]`` bool, True where ``context`` is padding.
        target_pad: ``[R, M, Nt]`` bool, True where ``targets`` is padding.
    """

    context: Tensor
    targets: Tensor
    context_pad: Tensor = field(default=None)  # type: ignore[assignment]
    target_pad: Tensor = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.context_pad is None:
            self.context_pad = torch.zeros_like(self.context, dtype=torch.bool)
        if self.target_pad is None:
            self.target_pad = torch.zeros_like(self.targets, dtype=torch.bool)
        if self.context.dim() != 2 or self.targets.dim() != 3:
            raise ValueError(
                "MaskPlan expects context [R, Nc] and targets [R, M, Nt], got "
                f"{tuple(self.context.shape)} and {tuple(self.targets.shape)}"
            )
        if (~self.context_pad).sum(1).min() < 1:
            raise ValueError("every row needs at least one context token")

    def to(self, device: torch.device | str) -> "MaskPlan":
        return MaskPlan(
            context=self.context.to(device, non_blocking=True),
            targets=self.targets.to(device, non_blocking=True),
            context_pad=self.context_pad.to(device, non_blocking=True),
            target_pad=self.target_pad.to(device, non_blocking=True),
        )

    @property
    def num_targets(self) -> int:
        return int(self.targets.shape[1])


def gather_tokens(x: Tensor, index: Tensor) -> Tensor:
    """Gather token vectors by index.

    Args:
        x: ``[R, N, D]``.
        index: ``[R, ...]`` long indices into ``N``.

    Returns:
        ``[R, ..., D]``.
    """
    r, _, d = x.shape
    flat = index.reshape(r, -1)
    out = torch.gather(x, 1, flat.unsqueeze(-1).expand(-1, -1, d))
    return out.reshape(*index.shape, d)
