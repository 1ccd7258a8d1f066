"""Patch tokenizer: one GIN/GINE pass over every patch subgraph of the batch, mean-pooled per
patch, plus a patch position from the patch's mean random-walk PE (Graph-JEPA)."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch_geometric.nn import GINConv, GINEConv
from torch_geometric.utils import scatter

from jepa_domains.core.tokens import Tokens
from jepa_domains.modalities.graph.collate import GraphBatch


def _mlp(in_dim: int, out_dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_dim, out_dim), nn.GELU(), nn.Linear(out_dim, out_dim))


class GraphPatchTokenizer(nn.Module):
    """Maps a :class:`GraphBatch` to one token per patch slot.

    Node features (standardised) and node RWPE are embedded and summed, ``num_layers`` residual
    GIN (GINE when ``edge_features > 0``) layers run over the disjoint union of all patch
    subgraphs in one call, and nodes are mean-pooled into their patch slot. Empty (padding)
    slots get zero tokens and are flagged in ``pad``.

    Args:
        dim: token width ``D``.
        in_features: node feature width ``F``.
        edge_features: edge feature width (0: no edge features, plain GIN).
        walk_length: RWPE width ``W``.
        num_layers: GNN depth.
        feature_mean, feature_std: ``[F]`` standardisation statistics (None: identity).
    """

    def __init__(self, *, dim: int, in_features: int, edge_features: int = 0, walk_length: int = 8,
                 num_layers: int = 2, feature_mean: tuple[float, ...] | None = None,
                 feature_std: tuple[float, ...] | None = None) -> None:
        super().__init__()
        for name, value, low in (("dim", dim, 1), ("in_features", in_features, 1), ("edge_features", edge_features, 0),
                                 ("walk_length", walk_length, 1), ("num_layers", num_layers, 1)):
            if value < low:
                raise ValueError(f"{name} must be >= {low}, got {value}")
        mean = torch.zeros(in_features) if feature_mean is None else torch.tensor(feature_mean, dtype=torch.float)
        std = torch.ones(in_features) if feature_std is None else torch.tensor(feature_std, dtype=torch.float)
        if mean.shape != (in_features,) or std.shape != (in_features,):
            raise ValueError(f"feature_mean/std must have {in_features} values, "
                             f"got {tuple(mean.shape)}, {tuple(std.shape)}")
        self.register_buffer("feature_mean", mean)
        self.register_buffer("feature_std", std.clamp_min(1e-6))
        self.dim, self.in_features, self.edge_features = dim, in_features, edge_features
        self.node_embed = nn.Linear(in_features, dim)
        self.node_pe = nn.Linear(walk_length, dim)
        if edge_features > 0:
            self.convs = nn.ModuleList(GINEConv(_mlp(dim, dim), train_eps=True, edge_dim=edge_features)
                                       for _ in range(num_layers))
        else:
            self.convs = nn.ModuleList(GINConv(_mlp(dim, dim), train_eps=True) for _ in range(num_layers))
        self.norms = nn.ModuleList(nn.LayerNorm(dim) for _ in range(num_layers))
        self.patch_pe = _mlp(walk_length, dim)

    def forward(self, batch: GraphBatch) -> Tokens:
        """Returns ``Tokens`` with ``x``, ``pos`` ``[R, P, D]`` and ``pad`` ``[R, P]``.

        ``batch.x``: ``[L, F]`` features of the ``L`` patch-node copies; ``batch.edge_index``:
        ``[2, Ep]`` edges among copies; ``batch.patch_index``: ``[L]`` slot in ``0..R*P-1``.
        """
        num_rows = batch.layout.valid.numel()
        num_slots = int(batch.layout.shape[0])
        if batch.x.shape[1] != self.in_features:
            raise ValueError(f"graph batch has {batch.x.shape[1]} node features, tokenizer expects "
                             f"{self.in_features} (modality.in_features)")
        h = self.node_embed((batch.x - self.feature_mean) / self.feature_std) + self.node_pe(batch.rw_pe)
        for conv, norm in zip(self.convs, self.norms):
            if self.edge_features > 0:
                update = conv(h, batch.edge_index, batch.edge_attr)
            else:
                update = conv(h, batch.edge_index)
            h = h + torch.nn.functional.gelu(norm(update))
        size = num_rows * num_slots
        tokens = scatter(h, batch.patch_index, dim=0, dim_size=size, reduce="mean")
        patch_rw = scatter(batch.rw_pe, batch.patch_index, dim=0, dim_size=size, reduce="mean")
        pad = batch.layout.padding_mask(num_rows).to(h.device)
        pos = self.patch_pe(patch_rw).masked_fill(pad.reshape(-1, 1), 0.0)
        shape = (num_rows, num_slots, self.dim)
        return Tokens(x=tokens.view(shape), pos=pos.view(shape), pad=pad)


class HyperbolicTargetHead(nn.Module):
    """Graph-JEPA's hyperbolic target: a latent ``z`` becomes the point ``(cosh a, sinh a)`` on
    the unit hyperbola, with ``a`` a scalar summary of ``z``.

    The paper takes ``a = mean(z)``; the core layer-norms targets, which makes their feature
    mean identically zero, so ``a`` is the projection on a fixed random unit direction
    instead (a buffer, the same for predictions and targets). ``a`` is clamped to keep
    ``cosh`` finite.

    Args:
        dim: latent width ``D``.
        clamp: bound on ``|a|``.
    """

    def __init__(self, *, dim: int, clamp: float = 8.0) -> None:
        super().__init__()
        if dim < 1 or clamp <= 0:
            raise ValueError(f"dim must be >= 1 and clamp > 0, got {dim}, {clamp}")
        direction = torch.randn(dim, generator=torch.Generator().manual_seed(0))
        self.register_buffer("direction", direction / direction.norm())
        self.clamp = clamp

    def forward(self, z: Tensor) -> Tensor:
        """``[..., D]`` -> ``[..., 2]``."""
        a = (z * self.direction).sum(-1).clamp(-self.clamp, self.clamp)
        return torch.stack([torch.cosh(a), torch.sinh(a)], -1)
