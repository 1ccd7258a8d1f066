"""Latent losses and anti-collapse regularisers against hand-computed values."""

import pytest
import torch

from jepa_domains.core.losses import latent_loss
from jepa_domains.core.regularizers import SIGRegRegularizer, VICRegRegularizer, build_regularizer, effective_rank


def test_losses_match_definitions_and_ignore_padding():
    pred, target = torch.zeros(2, 3, 4), torch.ones(2, 3, 4)
    pad = torch.tensor([[False, False, True], [False, True, True]])
    target[pad] = 100.0                                       # padded targets must not count
    assert latent_loss(pred, target, pad, "l2").item() == pytest.approx(1.0)
    assert latent_loss(pred, target, pad, "smooth_l1").item() == pytest.approx(0.5)
    p = torch.tensor([[[1.0, 0.0]]])
    assert latent_loss(p, torch.tensor([[[0.0, 1.0]]]), torch.zeros(1, 1, dtype=torch.bool), "cosine").item() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unknown loss"):
        latent_loss(pred, target, pad, "hinge")


def test_sigreg_small_for_gaussian_large_for_collapsed():
    torch.manual_seed(0)
    reg = SIGRegRegularizer(num_slices=128)
    gaussian = reg(torch.randn(1024, 32))[1].item()
    collapsed = reg(torch.ones(1024, 32) * 0.3 + 0.01 * torch.randn(1024, 32))[1].item()
    shifted = reg(torch.randn(1024, 32) + 2.0)[1].item()
    # Under the null, E[N |phi_N(t) - phi(t)|^2] = 1 - exp(-t^2), so the statistic is about
    # 2 * int_0^3 (1 - exp(-t^2)) exp(-t^2 / 2) dt = 1.06.
    assert gaussian == pytest.approx(1.06, rel=0.3)
    assert collapsed > 50 * gaussian and shifted > 50 * gaussian


def test_sigreg_gradient_pushes_collapsed_embeddings_apart():
    z = (0.01 * torch.randn(256, 8)).requires_grad_()
    loss = SIGRegRegularizer()(z)[0]
    loss.backward()
    spread_after = (z - 0.1 * z.grad).std(0).mean()
    assert spread_after > z.std(0).mean()


def test_vicreg_terms():
    reg = VICRegRegularizer(std_coeff=1.0, cov_coeff=1.0)
    weighted, loss, logs = reg(torch.zeros(16, 4))
    assert logs["vicreg_std"].item() == pytest.approx(1.0, abs=0.02) and logs["vicreg_cov"].item() == 0.0
    torch.manual_seed(0)
    x = torch.randn(4096, 4) * 2
    _, _, logs = reg(x)
    assert logs["vicreg_std"].item() == 0.0 and logs["vicreg_cov"].item() < 0.05
    correlated = torch.randn(4096, 1).repeat(1, 4) * 2
    assert reg(correlated)[2]["vicreg_cov"].item() > 10


def test_effective_rank_bounds():
    torch.manual_seed(0)
    assert effective_rank(torch.randn(500, 16)).item() > 14
    assert effective_rank(torch.randn(500, 1) @ torch.randn(1, 16)).item() < 1.5


def test_build_regularizer_names():
    assert build_regularizer("none", 1.0) is None
    assert isinstance(build_regularizer("sigreg", 0.1), SIGRegRegularizer)
    with pytest.raises(ValueError, match="known"):
        build_regularizer("barlow", 1.0)
