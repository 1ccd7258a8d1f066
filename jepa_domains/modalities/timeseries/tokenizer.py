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
        return self.normalise(x, lengths)[0]

    def normalise(self, x: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """The normalised ``[R, C, L]`` (padding 0) and the statistics it removed: each row and
        channel's mean and standard deviation over its valid steps, ``[R, C]`` each."""
        valid = (torch.arange(x.shape[-1], device=x.device) < lengths[:, None]).unsqueeze(1).to(x.dtype)
        count = valid.sum(-1, keepdim=True).clamp_min(1.0)
        mean = (x * valid).sum(-1, keepdim=True) / count
        var = ((x - mean).square() * valid).sum(-1, keepdim=True) / count
        std = torch.sqrt(var + self.eps)
        z = (x - mean) / std
        return (z * self.weight[:, None] + self.bias[:, None]) * valid, mean[..., 0], std[..., 0]


def instance_statistics(mean: Tensor, std: Tensor) -> Tensor:
    """``[R, C]`` means and standard deviations -> ``[R, 2C]`` scale-free inputs: the signed
    ``log1p`` of each mean and the log of each standard deviation (a level of 10^4 W and one of
    0.3 both land within about ±10)."""
    return torch.cat([torch.sign(mean) * torch.log1p(mean.abs()), torch.log(std)], dim=-1)


class PatchTokenizer(nn.Module):
    """``[R, C, L]`` series -> ``[R, N, D]`` patch tokens.

    Args:
        dim: token width ``D``.
        channels: ``C`` input channels per row (1 in channel-independent mode).
        patch_len, stride: patching of the time axis.
        embed: ``"linear"`` (one linear map per patch) or ``"conv"`` (a small 1-D conv stack
            over the steps of each patch, then a linear map).
        revin: apply :class:`RevIN` first.
        instance_stats: give back what RevIN removed: the row's :func:`instance_statistics`
            (each channel's level and spread), through a linear map, are added to every token of
            the row (Non-stationary Transformers' argument: instance normalisation also erases
            the level and scale that can tell classes apart). Needs ``revin``.
    """

    def __init__(self, *, dim: int, channels: int, patch_len: int, stride: int, embed: str = "linear",
                 revin: bool = True, conv_channels: int = 16, instance_stats: bool = False) -> None:
        super().__init__()
        if patch_len < 1 or stride < 1:
            raise ValueError(f"patch_len and stride must be >= 1, got {patch_len}, {stride}")
        if embed not in ("linear", "conv"):
            raise ValueError(f"embed must be 'linear' or 'conv', got {embed!r}")
        self.dim, self.channels, self.patch_len, self.stride = dim, channels, patch_len, stride
        if instance_stats and not revin:
            raise ValueError("instance_stats gives back the statistics RevIN removes; it needs revin=True")
        self.revin = RevIN(channels=channels) if revin else None
        if embed == "linear":
            self.local = None
            self.proj = nn.Linear(channels * patch_len, dim)
        else:
            self.local = nn.Sequential(nn.Conv1d(channels, conv_channels, 3, padding=1), nn.GELU(),
                                       nn.Conv1d(conv_channels, conv_channels, 3, padding=1), nn.GELU())
            self.proj = nn.Linear(conv_channels * patch_len, dim)
        # built last, so that the other weights draw the same initial values with and without it
        self.stats = nn.Linear(2 * channels, dim) if instance_stats else None

    def forward(self, batch: SeriesBatch) -> Tokens:
        x = batch.values
        if x.shape[1] != self.channels:
            raise ValueError(f"tokenizer built for {self.channels} channels per row, got {x.shape[1]}")
        stats = None
        if self.revin is not None:
            x, mean, std = self.revin.normalise(x, batch.lengths)
            if self.stats is not None:
                stats = self.stats(instance_statistics(mean, std))[:, None, :]      # [R, 1, D]
        patches = x.unfold(-1, self.patch_len, self.stride)                    # [R, C, N, P]
        r, c, n, p = patches.shape
        if self.local is None:
            feats = patches.permute(0, 2, 1, 3).reshape(r, n, c * p)
        else:
            local = self.local(patches.permute(0, 2, 1, 3).reshape(r * n, c, p))  # [RN, H, P]
            feats = local.reshape(r, n, -1)
        tokens = self.proj(feats)
        if stats is not None:
            tokens = tokens + stats
        pos = sincos_1d(torch.arange(n, device=x.device), self.dim).to(tokens.dtype).expand(r, -1, -1)
        valid = ((batch.lengths - self.patch_len) // self.stride + 1).clamp_min(0)
        pad = torch.arange(n, device=x.device)[None, :] >= valid[:, None]
        return Tokens(x=tokens, pos=pos, pad=pad)
