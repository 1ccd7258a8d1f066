"""Collectives that keep batch-spanning statistics exact under data parallelism.

All functions are identity operations when ``torch.distributed`` is not initialised, so the
single-process path pays nothing. Gathers are autograd-aware: the gradient of a statistic
computed on the gathered batch flows back to every rank's own slice (a plain ``all_gather`` or
``all_reduce`` would silently drop it).
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import Tensor


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def gather_with_grad(x: Tensor) -> Tensor:
    """Concatenate ``x`` (``[n_r, ...]``, sizes may differ per rank) over ranks along dim 0."""
    if not is_distributed():
        return x
    from torch.distributed.nn.functional import all_gather

    sizes = [torch.zeros(1, dtype=torch.long, device=x.device) for _ in range(world_size())]
    dist.all_gather(sizes, torch.tensor([x.shape[0]], device=x.device))
    n_max = int(max(s.item() for s in sizes))
    padded = torch.cat([x, x.new_zeros(n_max - x.shape[0], *x.shape[1:])]) if x.shape[0] < n_max else x
    parts = all_gather(padded)
    return torch.cat([p[: int(s.item())] for p, s in zip(parts, sizes)])


def sum_with_grad(x: Tensor) -> Tensor:
    """Sum ``x`` over ranks, keeping the gradient path to every rank's contribution."""
    if not is_distributed():
        return x
    from torch.distributed.nn.functional import all_reduce

    return all_reduce(x)


def sum_no_grad(x: Tensor) -> Tensor:
    """Sum a count or statistic over ranks (no gradient)."""
    if not is_distributed():
        return x
    x = x.detach().clone()
    dist.all_reduce(x)
    return x
