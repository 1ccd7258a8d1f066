"""Point-group tokenizer: FPS + kNN groups -> mini-PointNet tokens, MLP positions of centres."""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor, nn

from jepa_domains.core.tokens import Tokens
from jepa_domains.modalities.pointcloud.grouping import group_points


class MiniPointNet(nn.Module):
    """Two-stage shared MLP + max-pool over each neighbourhood (Point-MAE / Point-JEPA encoder).

    Stage one embeds every point and max-pools a group feature; stage two sees each point's
    feature concatenated with its group feature and max-pools again. LayerNorm replaces the
    papers' BatchNorm so that the statistics do not depend on the batch (or on the number of
    devices it is split over).

    Args:
        in_channels: per-point input channels (3 for relative xyz, 6 with normals).
        width: hidden width of stage one (stage one outputs ``2 * width``, stage two ``4 * width``).
        dim: output token width ``D``.
    """

    def __init__(self, *, in_channels: int = 3, width: int = 128, dim: int) -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels), ("width", width), ("dim", dim)):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        self.first = nn.Sequential(nn.Linear(in_channels, width), nn.LayerNorm(width), nn.GELU(),
                                   nn.Linear(width, 2 * width))
        self.second = nn.Sequential(nn.Linear(4 * width, 4 * width), nn.LayerNorm(4 * width), nn.GELU(),
                                    nn.Linear(4 * width, dim))

    def forward(self, groups: Tensor) -> Tensor:
        """``[B, G, k, C]`` neighbourhoods -> ``[B, G, D]`` tokens."""
        per_point = self.first(groups)  # [B, G, k, 2W]
        pooled = per_point.amax(dim=2, keepdim=True).expand_as(per_point)
        return self.second(torch.cat([pooled, per_point], dim=-1)).amax(dim=2)


class PointGroupTokenizer(nn.Module):
    """Raw point batch -> :class:`Tokens` of ``G`` ordered point groups.

    Args:
        dim: token width ``D``.
        num_groups: ``G`` FPS centres per cloud.
        group_size: ``k`` nearest neighbours per centre.
        width: mini-PointNet hidden width.
        order: sequencer, ``"greedy"`` / ``"morton"`` / ``"none"``.
        use_normals: feed per-point normals (``batch.normals``) to the mini-PointNet too.
    """

    def __init__(self, *, dim: int, num_groups: int = 64, group_size: int = 32, width: int = 128,
                 order: str = "greedy", use_normals: bool = False) -> None:
        super().__init__()
        if num_groups < 1 or group_size < 1:
            raise ValueError(f"num_groups and group_size must be >= 1, got {num_groups}, {group_size}")
        if order not in ("greedy", "morton", "none"):
            raise ValueError(f"order must be 'greedy', 'morton' or 'none', got {order!r}")
        self.num_groups, self.group_size, self.order = num_groups, group_size, order
        self.use_normals = use_normals
        self.embed = MiniPointNet(in_channels=6 if use_normals else 3, width=width, dim=dim)
        self.position = nn.Sequential(nn.Linear(3, 128), nn.GELU(), nn.Linear(128, dim))

    def group(self, points: Tensor, normals: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``[B, P, 3]`` (+ normals) -> ``(groups [B, G, k, C], centers [B, G, 3])``."""
        if points.shape[1] < max(self.num_groups, self.group_size):
            raise ValueError(f"clouds have {points.shape[1]} points, fewer than num_groups={self.num_groups} "
                             f"or group_size={self.group_size}")
        with torch.no_grad():  # grouping is index selection; no gradient flows into coordinates
            return group_points(points, self.num_groups, self.group_size, order=self.order,
                                features=normals if self.use_normals else None)

    def prepare(self, batch):
        """Group once (FPS + kNN have no parameters): the batch gains ``groups`` and ``centers``,
        which the online and the EMA tokenizer then share."""
        if batch.groups is not None:
            return batch
        normals = getattr(batch, "normals", None)
        if self.use_normals and normals is None:
            raise ValueError("tokenizer built with use_normals=True but the batch has no normals")
        groups, centers = self.group(batch.points, normals)
        return dataclasses.replace(batch, groups=groups, centers=centers)

    def forward(self, batch) -> Tokens:
        """``batch.points [B, P, 3]`` -> Tokens with ``x, pos [B, G, D]`` and ``pad [B, G]``."""
        batch = self.prepare(batch)
        groups, centers = batch.groups, batch.centers
        x = self.embed(groups)
        pad = torch.zeros(x.shape[:2], dtype=torch.bool, device=x.device)
        return Tokens(x=x, pos=self.position(centers), pad=pad)
