"""Point tokens of a trajectory: hashed grid-cell embeddings fused with their 8 neighbours
(T-JEPA's AdjFuse), plus per-point motion features and 1-D sine-cosine index positions."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from jepa_domains.core import Tokens, sincos_1d

# Large odd primes of the classic spatial hash (Teschner et al. 2003): neighbouring cells land in
# unrelated buckets, so collisions are spread rather than clustered.
_HASH_X, _HASH_Y = 73_856_093, 19_349_663
NEIGHBOUR_OFFSETS = torch.tensor([[dx, dy] for dy in (-1, 0, 1) for dx in (-1, 0, 1)], dtype=torch.long)
"""``[9, 2]`` cell offsets of the 3 x 3 neighbourhood, row-major; index 4 is the centre cell."""
CENTRE = 4


def cell_of(xy: Tensor, cell_size: float) -> Tensor:
    """Integer grid cell ``[..., 2]`` (long) of planar points ``xy [..., 2]``."""
    return torch.floor(xy / cell_size).long()


def neighbour_cells(cells: Tensor) -> Tensor:
    """The 3 x 3 neighbourhood of each cell: ``[..., 2]`` -> ``[..., 9, 2]`` (centre at index 4)."""
    return cells.unsqueeze(-2) + NEIGHBOUR_OFFSETS.to(cells.device)


def location_features(xy: Tensor, cell_size: float, octaves: int, base: float = 1.0) -> Tensor:
    """Sine-cosine features of absolute position at ``octaves`` scales: ``xy [..., 2]`` ->
    ``[..., 4 * octaves]``, the sine and cosine of ``x / s`` and ``y / s`` for ``s = base *
    cell_size * 2**k``, ``k = 0 .. octaves - 1`` (computed in float64: projected coordinates run
    to 10^6-10^7 metres). A point's features depend on where it is, never on which other points
    were kept."""
    scales = base * cell_size * 2.0 ** torch.arange(octaves, dtype=torch.float64, device=xy.device)
    angles = xy.double().unsqueeze(-1) / scales                                # [..., 2, K]
    return torch.cat([angles.sin(), angles.cos()], dim=-1).flatten(-2).to(xy.dtype)


def hash_cells(cells: Tensor, buckets: int) -> Tensor:
    """Bucket index in ``[0, buckets)`` of integer cells ``[..., 2]`` -> ``[...]`` long."""
    h = torch.bitwise_xor(cells[..., 0] * _HASH_X, cells[..., 1] * _HASH_Y)
    return torch.remainder(h, buckets)


class TrajectoryTokenizer(nn.Module):
    """Trajectory points -> tokens.

    The cell table is a *hashed* embedding: cells of an unbounded area map to ``hash_buckets``
    rows by a spatial hash of their integer coordinates, so no vocabulary has to be built from
    the data and unseen areas still get (shared) embeddings. Each point's embedding is a learned
    convex combination of the embeddings of its cell and the 8 neighbouring cells (AdjFuse), to
    which a linear map of the motion features and of the point's offset inside its cell is
    added.

    Args:
        dim: token width ``D`` (even).
        cell_size: grid cell side, in coordinate units (metres for GPS data). 0 ("auto") is
            accepted at construction, because the trainer builds the model once before
            ``adapter.prepare`` measures the data, but refused in ``forward``.
        hash_buckets: rows of the hashed cell table.
        num_features: per-point motion features ``F`` produced by the collate.
        location_octaves: ``K > 0`` adds a linear map of :func:`location_features` (absolute
            position at ``K`` scales from one cell up) to every token, so that tracks of the same
            shape in different places differ even where their cells were never trained (the
            hashed cell table starts near zero); 0: off.
        location_base: the finest of those scales, in cells.
    """

    def __init__(self, *, dim: int, cell_size: float, hash_buckets: int = 8192, num_features: int = 6,
                 location_octaves: int = 0, location_base: float = 1.0) -> None:
        super().__init__()
        if dim < 2 or dim % 2:
            raise ValueError(f"dim must be even and >= 2, got {dim}")
        if not cell_size >= 0:
            raise ValueError(f"cell_size must be > 0, or 0 for 'not measured yet', got {cell_size}")
        if hash_buckets < 9:
            raise ValueError(f"hash_buckets must be >= 9, got {hash_buckets}")
        self.dim, self.cell_size, self.hash_buckets = dim, float(cell_size), hash_buckets
        self.cells = nn.Embedding(hash_buckets, dim)
        nn.init.normal_(self.cells.weight, std=0.02)
        logits = torch.zeros(9)
        logits[CENTRE] = 2.0  # start close to "own cell", let training learn how much context to mix in
        self.fuse_logits = nn.Parameter(logits)
        self.motion = nn.Sequential(nn.Linear(num_features + 2, dim), nn.GELU(), nn.Linear(dim, dim))
        if location_octaves < 0 or not location_base > 0:
            raise ValueError(f"location_octaves must be >= 0 and location_base > 0, got {location_octaves}, "
                             f"{location_base}")
        self.location_octaves, self.location_base = location_octaves, float(location_base)
        # built last, so that the other weights draw the same initial values with and without it
        self.location = nn.Linear(4 * location_octaves, dim) if location_octaves else None

    def fuse_weights(self) -> Tensor:
        """``[9]`` weights of the neighbourhood cells, summing to 1."""
        return torch.softmax(self.fuse_logits, dim=0)

    def forward(self, batch) -> Tokens:
        """``batch.xy [B, N, 2]``, ``batch.features [B, N, F]``, ``batch.lengths [B]`` ->
        ``Tokens(x [B, N, D], pos [B, N, D], pad [B, N])``."""
        if self.cell_size <= 0:
            raise ValueError("TrajectoryTokenizer.cell_size is 0 ('auto'): run adapter.prepare on the training "
                             "set or set modality.cell_size")
        xy = batch.xy
        scaled = xy / self.cell_size
        cells = torch.floor(scaled).long()                                       # [B, N, 2]
        buckets = hash_cells(neighbour_cells(cells), self.hash_buckets)          # [B, N, 9]
        fused = (self.cells(buckets) * self.fuse_weights().unsqueeze(-1)).sum(2)  # [B, N, D]
        inside = scaled - cells.to(scaled.dtype) - 0.5                           # [B, N, 2] in [-0.5, 0.5)
        x = fused + self.motion(torch.cat([batch.features, inside], dim=-1))
        if self.location is not None:
            x = x + self.location(location_features(xy, self.cell_size, self.location_octaves, self.location_base))
        n = xy.shape[1]
        index = torch.arange(n, device=xy.device)
        pos = sincos_1d(index, self.dim).to(x.dtype).unsqueeze(0).expand_as(x)
        pad = index.unsqueeze(0) >= batch.lengths.unsqueeze(1)
        return Tokens(x=x, pos=pos, pad=pad)
