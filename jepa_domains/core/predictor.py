"""The narrow predictor: context latents + mask tokens at target positions -> target latents."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from jepa_domains.core.transformer import Transformer, init_weights


class Predictor(nn.Module):
    """Predicts the latents of each target group from the context latents.

    Every target group is predicted independently (I-JEPA): the context is repeated once per
    group, mask tokens carrying the group's positions are appended, and a narrow transformer
    reads both. The predictor is narrower (``pred_dim``) and shallower than the encoder.

    Args:
        dim: encoder width ``D`` (input and output).
        pred_dim: predictor width.
        depth: predictor blocks.
        num_heads: predictor heads.
    """

    def __init__(self, *, dim: int, pred_dim: int, depth: int, num_heads: int, mlp_ratio: float = 4.0) -> None:
        super().__init__()
        self.embed = nn.Linear(dim, pred_dim)
        self.pos_embed = nn.Linear(dim, pred_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, pred_dim))
        self.transformer = Transformer(dim=pred_dim, depth=depth, num_heads=num_heads, mlp_ratio=mlp_ratio)
        self.out = nn.Linear(pred_dim, dim)
        for m in (self.embed, self.pos_embed, self.out):
            m.apply(init_weights)
        nn.init.trunc_normal_(self.mask_token, std=0.02)

    def forward(self, context: Tensor, context_pos: Tensor, context_pad: Tensor,
                target_pos: Tensor, target_pad: Tensor) -> Tensor:
        """
        Args:
            context: ``[R, Nc, D]`` context latents from the encoder.
            context_pos: ``[R, Nc, D]`` positions of the context tokens.
            context_pad: ``[R, Nc]`` bool.
            target_pos: ``[R, M, Nt, D]`` positions of the target tokens.
            target_pad: ``[R, M, Nt]`` bool.

        Returns:
            ``[R, M, Nt, D]`` predicted target latents.
        """
        r, m, nt, _ = target_pos.shape
        nc = context.shape[1]
        ctx = self.embed(context) + self.pos_embed(context_pos)                      # [R, Nc, P]
        ctx = ctx.unsqueeze(1).expand(-1, m, -1, -1).reshape(r * m, nc, -1)
        queries = self.mask_token + self.pos_embed(target_pos.reshape(r * m, nt, -1))  # [RM, Nt, P]
        pad = torch.cat([context_pad.unsqueeze(1).expand(-1, m, -1).reshape(r * m, nc),
                         target_pad.reshape(r * m, nt)], dim=1)
        h = self.transformer(torch.cat([ctx, queries], dim=1), pad)
        return self.out(h[:, nc:]).reshape(r, m, nt, -1)
