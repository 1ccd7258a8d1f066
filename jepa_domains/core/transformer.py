"""Pre-norm transformer blocks on ``scaled_dot_product_attention`` with key-padding masks."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class Attention(nn.Module):
    """Multi-head self-attention; padded keys are never attended to."""

    def __init__(self, *, dim: int, num_heads: int, qkv_bias: bool = True) -> None:
        super().__init__()
        if dim % num_heads != 0:
            raise ValueError(f"dim {dim} must be divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor, pad: Tensor | None = None) -> Tensor:
        """``x``: ``[B, N, D]``; ``pad``: ``[B, N]`` bool (True = padding). Returns ``[B, N, D]``."""
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.num_heads, d // self.num_heads).permute(2, 0, 3, 1, 4)
        mask = None if pad is None else (~pad)[:, None, None, :]  # True = may attend
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.proj(out.transpose(1, 2).reshape(b, n, d))


class Block(nn.Module):
    """``x + attn(norm(x))`` then ``x + mlp(norm(x))``."""

    def __init__(self, *, dim: int, num_heads: int, mlp_ratio: float = 4.0) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim=dim, num_heads=num_heads)
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x: Tensor, pad: Tensor | None = None) -> Tensor:
        x = x + self.attn(self.norm1(x), pad)
        return x + self.mlp(self.norm2(x))


class Transformer(nn.Module):
    """A stack of :class:`Block` followed by a final LayerNorm.

    Args:
        dim: token width ``D``.
        depth: number of blocks.
        num_heads: attention heads.
        mlp_ratio: hidden width of the MLP relative to ``D``.
    """

    def __init__(self, *, dim: int, depth: int, num_heads: int, mlp_ratio: float = 4.0) -> None:
        super().__init__()
        if depth < 1:
            raise ValueError(f"depth must be >= 1, got {depth}")
        self.blocks = nn.ModuleList(Block(dim=dim, num_heads=num_heads, mlp_ratio=mlp_ratio) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.apply(init_weights)

    def forward(self, x: Tensor, pad: Tensor | None = None, *, layers: int = 1) -> Tensor:
        """``x``: ``[B, N, D]``, ``pad``: ``[B, N]`` bool. Returns ``[B, N, D]``: the last block's
        output through the final norm.

        ``layers = K > 1`` returns ``[B, N, K * D]``: the last ``K`` of the ``depth + 1``
        representations (the input, then each block's output), each through the final norm,
        concatenated on the feature axis, shallowest first (the last ``D`` columns are the
        ``layers = 1`` output).
        """
        if not 1 <= layers <= len(self.blocks) + 1:
            raise ValueError(f"layers must lie in [1, depth + 1 = {len(self.blocks) + 1}], got {layers}")
        kept = [x] if layers == len(self.blocks) + 1 else []
        for i, block in enumerate(self.blocks):
            x = block(x, pad)
            if i >= len(self.blocks) - layers:
                kept.append(x)
        return torch.cat([self.norm(h) for h in kept], dim=-1)


def init_weights(module: nn.Module) -> None:
    """Truncated-normal linear weights and unit LayerNorms, as in ViT / I-JEPA."""
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
