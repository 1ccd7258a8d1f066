"""Fixed sine-cosine positional embeddings for 1-D sequences and 2-D grids."""

from __future__ import annotations

import torch
from torch import Tensor


def sincos_1d(positions: Tensor, dim: int, max_period: float = 10000.0) -> Tensor:
    """Sine-cosine embedding of (possibly fractional) positions.

    Args:
        positions: ``[...]`` float or long positions.
        dim: embedding width (even).

    Returns:
        ``[..., dim]`` float32.
    """
    if dim % 2 != 0:
        raise ValueError(f"sincos embedding width must be even, got {dim}")
    half = dim // 2
    freqs = torch.exp(-torch.arange(half, dtype=torch.float32, device=positions.device)
                      * (torch.log(torch.tensor(max_period)) / half))
    angles = positions.float().unsqueeze(-1) * freqs
    return torch.cat([angles.sin(), angles.cos()], dim=-1)


def sincos_2d(height: int, width: int, dim: int) -> Tensor:
    """2-D sine-cosine embedding of a ``(height, width)`` grid, row-major.

    Half the channels encode the row, half the column (as in MAE / I-JEPA).

    Returns:
        ``[height * width, dim]`` float32.
    """
    if dim % 4 != 0:
        raise ValueError(f"2-D sincos embedding width must be divisible by 4, got {dim}")
    rows = torch.arange(height).repeat_interleave(width)
    cols = torch.arange(width).repeat(height)
    return torch.cat([sincos_1d(rows, dim // 2), sincos_1d(cols, dim // 2)], dim=-1)
