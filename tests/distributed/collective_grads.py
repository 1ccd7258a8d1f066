"""Standalone check of the batch-spanning objectives under data parallelism (gloo, CPU).

``python collective_grads.py OUT.pt`` spawns 2 processes. Each holds half of a fixed batch and
computes, through a shared linear layer ``W``, the VICReg loss, the SIGReg loss and the masked
latent loss (ranks hold *different* numbers of valid tokens). The gradients of ``W`` are then
averaged across ranks as DDP does. Rank 0 saves, for every objective, the distributed loss and
averaged gradient next to the single-process loss and gradient on the whole batch.
"""

from __future__ import annotations

import os
import sys
import tempfile

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from jepa_domains.core.losses import latent_loss
from jepa_domains.core.regularizers import SIGRegRegularizer, VICRegRegularizer

WORLD = 2
N, D_IN, D = 12, 6, 5
SPLIT = 5  # rank 0 gets 5 rows, rank 1 gets 7: uneven shards exercise the padded gather


def fixed_inputs() -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    pad = torch.rand(N, 4, generator=gen) < 0.4
    pad[:SPLIT, :3] = True  # rank 0 has far fewer valid target tokens than rank 1
    return {"x": torch.randn(N, D_IN, generator=gen), "W": torch.randn(D_IN, D, generator=gen) * 0.5,
            "tokens": torch.randn(N, 4, D_IN, generator=gen), "target": torch.randn(N, 4, D, generator=gen),
            "pad": pad}


def objectives() -> dict:
    vicreg, sigreg = VICRegRegularizer(weight=1.0), SIGRegRegularizer(weight=1.0, num_slices=16)
    return {
        "vicreg": lambda inp, rows: vicreg(inp["x"][rows] @ inp["W"], seed=3)[0],
        "sigreg": lambda inp, rows: sigreg(inp["x"][rows] @ inp["W"], seed=3)[0],
        "latent_smooth_l1": lambda inp, rows: latent_loss(inp["tokens"][rows] @ inp["W"], inp["target"][rows],
                                                          inp["pad"][rows], "smooth_l1"),
    }


def loss_and_grad(fn, rows: slice) -> tuple[torch.Tensor, torch.Tensor]:
    inp = fixed_inputs()
    inp["W"].requires_grad_(True)
    loss = fn(inp, rows)
    loss.backward()
    return loss.detach(), inp["W"].grad


def worker(rank: int, store_path: str, out: str) -> None:
    # A file store, not a TCP one: no port to race other jobs for, and no rendezvous server
    # living in rank 0 that could shut down while rank 1 is still tearing down.
    dist.init_process_group("gloo", init_method=f"file://{store_path}", rank=rank, world_size=WORLD)
    torch.set_num_threads(1)
    rows = slice(0, SPLIT) if rank == 0 else slice(SPLIT, N)
    results = {}
    for name, fn in objectives().items():
        loss, grad = loss_and_grad(fn, rows)
        dist.all_reduce(grad)
        grad /= WORLD                                  # DDP averages gradients over ranks
        dist.all_reduce(loss)
        loss /= WORLD                                  # logged value: mean over ranks
        results[name] = {"ddp_loss": loss, "ddp_grad": grad}
    # Every collective has completed on both ranks before either tears the group down, and the
    # group is destroyed explicitly: left to interpreter exit, gloo's worker threads can abort.
    dist.barrier()
    dist.destroy_process_group()
    if rank == 0:
        for name, fn in objectives().items():           # reference: one process, whole batch
            loss, grad = loss_and_grad(fn, slice(0, N))
            results[name].update(single_loss=loss, single_grad=grad)
        torch.save(results, out)
    # Leave without running C++ destructors: even after destroy_process_group, a thread left by
    # the autograd-aware collectives can still be joinable at interpreter exit, and its destructor
    # then aborts the process ("terminate called without an active exception", seen in CI on
    # rank 1 after all its work was done). Everything this worker had to say is said by now.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        mp.spawn(worker, args=(os.path.join(tmp, "store"), sys.argv[1]), nprocs=WORLD, join=True)
