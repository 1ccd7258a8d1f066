"""VICReg, SIGReg and the latent loss under 2-process data parallelism give the single-process
loss and gradient on the concatenated batch (uneven shards, uneven valid-token counts)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from jepa_domains.core.distributed import gather_with_grad, sum_no_grad, sum_with_grad, world_size
from tests.distributed.dist_helpers import HERE, REPO, single_thread_env


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("grads") / "grads.pt"
    proc = subprocess.run([sys.executable, str(HERE / "collective_grads.py"), str(out)], cwd=REPO,
                          env=single_thread_env(), capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return torch.load(out, weights_only=True)


@pytest.mark.parametrize("objective", ["vicreg", "sigreg", "latent_smooth_l1"])
def test_distributed_gradient_equals_single_process(results, objective):
    r = results[objective]
    assert r["single_grad"].abs().max() > 1e-3                     # a real gradient, not zeros
    torch.testing.assert_close(r["ddp_grad"], r["single_grad"], rtol=1e-5, atol=1e-6)
    # regularisers: every rank computes the global value on the gathered batch; latent loss:
    # each rank holds its share times the world size, so the mean over ranks is the global loss
    torch.testing.assert_close(r["ddp_loss"], r["single_loss"], rtol=1e-5, atol=1e-6)


def test_collectives_are_identities_without_a_process_group():
    x = torch.randn(3, 2, requires_grad=True)
    assert world_size() == 1
    assert gather_with_grad(x) is x and sum_with_grad(x) is x
    torch.testing.assert_close(sum_no_grad(x), x)
