"""Anti-collapse regularisers: VICReg and SIGReg (sliced Epps-Pulley).

Every regulariser is called on embeddings ``[N, D]`` and returns the same triple:
``(weighted_loss, unweighted_loss, logs)`` where ``logs`` maps names to detached scalar
tensors (no device sync inside the forward). Statistics span the global batch: embeddings are
gathered across ranks with autograd-aware collectives.
"""

from __future__ import annotations


import torch
import torch.nn.functional as F
from torch import Tensor, nn

from jepa_domains.core.distributed import gather_with_grad, sum_no_grad, sum_with_grad

RegularizerOutput = tuple[Tensor, Tensor, dict[str, Tensor]]


class VICRegRegularizer(nn.Module):
    """Variance (hinge on per-dimension std) + covariance (off-diagonal) terms of VICReg.

    Args:
        weight: multiplier of the returned loss.
        std_coeff: weight of the variance term.
        cov_coeff: weight of the covariance term.
        std_target: hinge target for the per-dimension standard deviation.
    """

    def __init__(self, *, weight: float = 1.0, std_coeff: float = 1.0, cov_coeff: float = 0.04,
                 std_target: float = 1.0, eps: float = 1e-4) -> None:
        super().__init__()
        if weight < 0:
            raise ValueError(f"weight must be >= 0, got {weight}")
        self.weight, self.std_coeff, self.cov_coeff = weight, std_coeff, cov_coeff
        self.std_target, self.eps = std_target, eps

    def forward(self, z: Tensor, seed: int = 0) -> RegularizerOutput:
        """``z``: ``[N, D]`` embeddings. Returns the regulariser triple."""
        z = gather_with_grad(z.float())
        n, d = z.shape
        if n < 2:
            raise ValueError(f"VICReg needs at least 2 embeddings, got {n}")
        z = z - z.mean(0)
        std = torch.sqrt(z.var(0) + self.eps)
        std_loss = F.relu(self.std_target - std).mean()
        cov = (z.T @ z) / (n - 1)
        off_diag = cov - torch.diag(torch.diag(cov))
        cov_loss = off_diag.square().sum() / d
        loss = self.std_coeff * std_loss + self.cov_coeff * cov_loss
        logs = {"vicreg_std": std_loss.detach(), "vicreg_cov": cov_loss.detach()}
        return self.weight * loss, loss, logs


class SIGRegRegularizer(nn.Module):
    """Sketched isotropic Gaussian regulariser (LeJEPA): the Epps-Pulley statistic of 1-D
    projections of the embeddings on random unit directions, averaged over directions.

    For each direction ``a`` the statistic is ``N * integral |phi_N(t) - exp(-t^2/2)|^2 w(t) dt``
    with ``phi_N`` the empirical characteristic function of ``z @ a`` and ``w`` a Gaussian
    window, integrated by the trapezoidal rule on ``t in [0, t_max]`` (the integrand is even).
    Small for standard-Gaussian embeddings; large for collapsed ones.

    Args:
        weight: multiplier of the returned loss.
        num_slices: random directions per call.
        num_knots: quadrature points on ``[0, t_max]``.
        t_max: integration limit.
    """

    def __init__(self, *, weight: float = 1.0, num_slices: int = 256, num_knots: int = 17,
                 t_max: float = 3.0) -> None:
        super().__init__()
        if num_slices < 1 or num_knots < 2:
            raise ValueError(f"need num_slices >= 1 and num_knots >= 2, got {num_slices}, {num_knots}")
        self.weight, self.num_slices = weight, num_slices
        t = torch.linspace(0.0, t_max, num_knots)
        dt = t_max / (num_knots - 1)
        trapezoid = torch.full((num_knots,), dt)
        trapezoid[[0, -1]] = dt / 2
        window = torch.exp(-t.square() / 2)
        self.register_buffer("t", t, persistent=False)
        self.register_buffer("gauss_cf", window, persistent=False)   # CF of N(0, 1) at t
        self.register_buffer("quad_weights", 2.0 * trapezoid * window, persistent=False)

    def _directions(self, dim: int, seed: int, device: torch.device) -> Tensor:
        gen = torch.Generator().manual_seed(int(seed))
        a = torch.randn(dim, self.num_slices, generator=gen)
        return (a / a.norm(dim=0, keepdim=True)).to(device)

    def forward(self, z: Tensor, seed: int = 0) -> RegularizerOutput:
        """``z``: ``[N, D]`` embeddings; ``seed`` picks the directions (same on every rank)."""
        z = z.float()
        proj = z @ self._directions(z.shape[1], seed, z.device)          # [N, S]
        xt = proj.unsqueeze(-1) * self.t                                 # [N, S, K]
        n_global = sum_no_grad(torch.tensor(float(z.shape[0]), device=z.device))
        cos_mean = sum_with_grad(xt.cos().sum(0)) / n_global             # [S, K]
        sin_mean = sum_with_grad(xt.sin().sum(0)) / n_global
        err = (cos_mean - self.gauss_cf).square() + sin_mean.square()
        statistic = (err @ self.quad_weights) * n_global                 # [S]
        loss = statistic.mean()
        return self.weight * loss, loss, {"sigreg": loss.detach()}


def build_regularizer(name: str, weight: float) -> nn.Module | None:
    """``"none"``, ``"vicreg"`` or ``"sigreg"``."""
    if name == "none":
        return None
    if name == "vicreg":
        return VICRegRegularizer(weight=weight)
    if name == "sigreg":
        return SIGRegRegularizer(weight=weight)
    raise ValueError(f"unknown regularizer {name!r}; known: none, vicreg, sigreg")


def effective_rank(z: Tensor, eps: float = 1e-7) -> Tensor:
    """RankMe effective rank: ``exp`` of the entropy of the normalised singular values.

    ``z``: ``[N, D]``. Returns a scalar in ``[1, min(N, D)]``.
    """
    s = torch.linalg.svdvals(z.float() - z.float().mean(0))
    p = s / (s.sum() + eps) + eps
    return torch.exp(-(p * p.log()).sum())


