"""Patch tokenizer for time series: RevIN-style per-channel normalisation, patching with
length/stride, linear or small convolutional patch embedding, 1-D sin-cos positions."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from jepa_domains.core import Batch, Tokens, sincos_1d


@dataclass
class SeriesBatch(Batch):
    """Collated series.

    Attributes:
        values: ``[R, C', L]`` float32, right-padded with zeros. Channel-independent mode has
            one row per (sample, channel) and ``C' = 1``; channel-mixing mode one row per
            sample and ``C' = C``.
        lengths: ``[R]`` long, valid time steps per row.
    """

    values: Tensor = None  # type: ignore[assignment]
    lengths: Tensor = None  # type: ignore[assignment]


def num_patches(length: int, patch_len: int, stride: int) -> int:
    """Patches of ``patch_len`` with ``stride`` that fit in ``length`` steps (0 if none)."""
    return 0 if length < patch_len else (length - patch_len) // stride + 1


class RevIN(nn.Module):
    """Reversible instance normalisation (Kim et al., 2022): each row and channel is
    standardised over its valid steps, then scaled by a learnable per-channel affine map."""

    def __init__(self, *, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        """``x``: ``[R, C, L]``; ``lengths``: ``[R]``. Returns normalised ``[R, C, L]`` (padding 0)."""
        valid = (torch.arange(x.shape[-1], device=x.device) < lengths[:, None]).unsqueeze(1).to(x.dtype)
        count = valid.sum(-1, keepdim=True).clamp_min(1.0)
        mean = (x * valid).sum(-1, keepdim=True) / count
        var = ((x - mean).square() * valid).sum(-1, keepdim=True) / count
        z = (x - mean) / torch.sqrt(var + self.eps)
        return (z * self.weight[:, None] + self.bias[:, None]) * valid


class PatchTokenizer(nn.Module):
    """``[R, C, L]`` series -> ``[R, N, D]`` patch tokens.

    Args:
        dim: token width ``D``.
        channels: ``C`` input channels per row (1 in channel-independent mode).
        patch_len, stride: patching of the time axis.
        embed: ``"linear"`` (one linear map per patch) or ``"conv"`` (a small 1-D conv stack
            over the steps of each patch, then a linear map).
        revin: apply :class:`RevIN` first.
        max_patches: size of the positional table.
    """

    def __init__(self, *, dim: int, channels: int, patch_len: int, stride: int, embed: str = "linear",
                 revin: bool = True, conv_channels: int = 16) -> None:
        super().__init__()
        if patch_len < 1 or stride < 1:
            raise ValueError(f"patch_len and stride must be >= 1, got {patch_len}, {stride}")
        if embed not in ("linear", "conv"):
            raise ValueError(f"embed must be 'linear' or 'conv', got {embed!r}")
        self.dim, self.channels, self.patch_len, self.stride = dim, channels, patch_len, stride
        self.revin = RevIN(channels=channels) if revin else None
        if embed == "linear":
            self.local = None
            self.proj = nn.Linear(channels * patch_len, dim)
        else:
            self.local = nn.Sequential(nn.Conv1d(channels, conv_channels, 3, padding=1), nn.GELU(),
                                       nn.Conv1d(conv_channels, conv_channels, 3, padding=1), nn.GELU())
            self.proj = nn.Linear(conv_channels * patch_len, dim)

    def forward(self, batch: SeriesBatch) -> Tokens:
        x = batch.values
        if x.shape[1] != self.channels:
            raise ValueError(f"tokenizer built for {self.channels} channels per row, got {x.shape[1]}")
        if self.revin is not None:
            x = self.revin(x, batch.lengths)
        patches = x.unfold(-1, self.patch_len, self.stride)                    # [R, C, N, P]
        r, c, n, p = patches.shape
        if self.local is None:
            feats = patches.permute(0, 2, 1, 3).reshape(r, n, c * p)
        else:
            local = self.local(patches.permute(0, 2, 1, 3).reshape(r * n, c, p))  # [RN, H, P]
            feats = local.reshape(r, n, -1)
        tokens = self.proj(feats)
        pos = sincos_1d(torch.arange(n, device=x.device), self.dim).to(tokens.dtype).expand(r, -1, -1)
        valid = ((batch.lengths - self.patch_len) // self.stride + 1).clamp_min(0)
        pad = torch.arange(n, device=x.device)[None, :] >= valid[:, None]
        return Tokens(x=tokens, pos=pos, pad=pad)
