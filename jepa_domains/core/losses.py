"""Latent prediction losses: smooth-L1, L2 and cosine, masked and normalised globally."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from jepa_domains.core.distributed import sum_no_grad, world_size

LOSSES = ("smooth_l1", "l2", "cosine")


def latent_loss(pred: Tensor, target: Tensor, pad: Tensor, kind: str = "smooth_l1") -> Tensor:
    """Mean per-token loss over the non-padding target tokens.

    The mean is taken over the tokens of the *global* batch: under data parallelism the local
    sum is divided by the all-reduced count and multiplied by the world size, so that DDP's
    gradient averaging reproduces the single-process gradient even when ranks hold different
    numbers of valid tokens.

    Args:
        pred: ``[..., D]`` predicted latents.
        target: ``[..., D]`` target latents (no gradient).
        pad: ``[...]`` bool, True where the token is padding.
        kind: ``"smooth_l1"``, ``"l2"`` or ``"cosine"``.

    Returns:
        scalar tensor.
    """
    if kind == "smooth_l1":
        per_token = F.smooth_l1_loss(pred, target, reduction="none").mean(-1)
    elif kind == "l2":
        per_token = (pred - target).square().mean(-1)
    elif kind == "cosine":
        per_token = 1.0 - F.cosine_similarity(pred, target, dim=-1)
    else:
        raise ValueError(f"unknown loss {kind!r}; known: {', '.join(LOSSES)}")
    keep = (~pad).to(per_token.dtype)
    count = sum_no_grad(keep.sum()).clamp_min(1.0)
    return (per_token * keep).sum() * world_size() / count
