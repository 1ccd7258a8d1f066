"""Exponential moving average of the context encoder into the target encoder."""

from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def ema_update(target: nn.Module, online: nn.Module, momentum: float) -> None:
    """``target = momentum * target + (1 - momentum) * online`` for parameters; buffers copied.

    Both modules must have the same structure (the target is a deep copy of the online one).
    """
    t_params = [p for p in target.parameters()]
    o_params = [p.detach() for p in online.parameters()]
    if len(t_params) != len(o_params):
        raise ValueError("target and online modules have different parameter counts")
    torch._foreach_lerp_(t_params, o_params, 1.0 - momentum)
    for tb, ob in zip(target.buffers(), online.buffers()):
        tb.copy_(ob)
