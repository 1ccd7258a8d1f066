"""Spectrogram maskers on the ``(T, F)`` patch grid: time-frequency aware strips and bands
(A-JEPA), random blocks (Audio-JEPA), and the composition the audio config asks for."""

from __future__ import annotations

import torch

from jepa_domains.core.maskers import CurriculumMasker, Masker, MultiBlockMasker
from jepa_domains.core.maskers.base import RowMask, check_range, ensure_context, randint, uniform
from jepa_domains.modalities.audio.config import AudioConfig


def _run(length: int, ratio: tuple[float, float], generator: torch.Generator, limit: int) -> tuple[int, int]:
    """A contiguous run ``(start, size)`` inside ``[0, length)`` of ``ratio`` of its length, at most ``limit``."""
    size = min(max(1, round(uniform(generator, *ratio) * length)), limit)
    start = randint(generator, 0, length - size)
    return start, size


class TimeFrequencyMasker(Masker):
    """Targets are time strips (a run of time patches across *all* frequency patches) and
    frequency bands (a run of frequency patches across *all valid* time patches); the context
    is every valid patch no target covers.

    Strips never cover the whole valid time axis and bands never the whole frequency axis, so
    the context always keeps at least one patch. With a single valid time patch only bands are
    drawn, with a single frequency patch (frame-level patches) only strips.

    Args:
        num_time_strips: strips per row.
        time_strip_ratio: ``(min, max)`` width of each strip as a fraction of the valid time patches.
        num_freq_bands: bands per row.
        freq_band_ratio: ``(min, max)`` height of each band as a fraction of the frequency patches.
    """

    def __init__(self, *, num_time_strips: int = 2, time_strip_ratio: tuple[float, float] = (0.1, 0.25),
                 num_freq_bands: int = 2, freq_band_ratio: tuple[float, float] = (0.1, 0.25)) -> None:
        if num_time_strips < 0 or num_freq_bands < 0 or num_time_strips + num_freq_bands < 1:
            raise ValueError(f"need >= 1 strip or band, got num_time_strips={num_time_strips}, "
                             f"num_freq_bands={num_freq_bands}")
        self.num_time_strips, self.num_freq_bands = num_time_strips, num_freq_bands
        self.time_strip_ratio = check_range("time_strip_ratio", time_strip_ratio)
        self.freq_band_ratio = check_range("freq_band_ratio", freq_band_ratio)

    def sample_row(self, shape, extent, generator, progress) -> RowMask:
        if len(shape) != 2:
            raise ValueError(f"TimeFrequencyMasker needs a (time, frequency) layout, got shape {shape}")
        width = int(shape[1])
        if extent * width < 2:
            raise ValueError(f"a row with {extent}x{width} valid patches cannot be split into context and target")
        strips = self.num_time_strips if extent > 1 else 0
        bands = self.num_freq_bands if width > 1 else 0
        if strips + bands == 0:  # only one kind is allowed by the config and the grid forbids it
            strips, bands = (1, 0) if extent > 1 else (0, 1)
        grid = torch.arange(extent * width).view(extent, width)
        covered = torch.zeros(extent, width, dtype=torch.bool)
        targets = []
        for _ in range(strips):
            start, size = _run(extent, self.time_strip_ratio, generator, extent - 1)
            targets.append(grid[start : start + size].flatten())
            covered[start : start + size] = True
        for _ in range(bands):
            start, size = _run(width, self.freq_band_ratio, generator, width - 1)
            targets.append(grid[:, start : start + size].flatten())
            covered[:, start : start + size] = True
        context = grid[~covered]
        return ensure_context(context, targets)


class RandomBlockMasker(Masker):
    """Audio-JEPA-style random-block masking: square-ish blocks of up to ``max_block`` x
    ``max_block`` patches are dropped at random positions until a fraction drawn from ``ratio``
    of the valid patches is hidden; the hidden patches form one target, the rest the context.

    Args:
        ratio: ``(min, max)`` fraction of valid patches to hide (Audio-JEPA: 0.4-0.6).
        max_block: largest block side, in patches.
    """

    def __init__(self, *, ratio: tuple[float, float] = (0.4, 0.6), max_block: int = 3) -> None:
        self.ratio = check_range("ratio", ratio)
        if self.ratio[1] >= 1.0:
            raise ValueError(f"ratio must stay below 1 so that context is not empty, got {ratio}")
        if max_block < 1:
            raise ValueError(f"max_block must be >= 1, got {max_block}")
        self.max_block = max_block

    def sample_row(self, shape, extent, generator, progress) -> RowMask:
        if len(shape) != 2:
            raise ValueError(f"RandomBlockMasker needs a (time, frequency) layout, got shape {shape}")
        width = int(shape[1])
        n = extent * width
        if n < 2:
            raise ValueError(f"a row with {n} valid patch cannot be split into context and target")
        goal = min(max(1, round(uniform(generator, *self.ratio) * n)), n - 1)
        hidden = torch.zeros(extent, width, dtype=torch.bool)
        while int(hidden.sum()) < goal:
            h = randint(generator, 1, min(self.max_block, extent))
            w = randint(generator, 1, min(self.max_block, width))
            top, left = randint(generator, 0, extent - h), randint(generator, 0, width - w)
            block = torch.zeros_like(hidden)
            block[top : top + h, left : left + w] = True
            new = block & ~hidden
            extra = int(new.sum()) - (goal - int(hidden.sum()))
            if extra > 0:  # trim the last block so the hidden fraction lands on the goal exactly
                cells = torch.nonzero(new.flatten()).squeeze(1)
                new.view(-1)[cells[-extra:]] = False
            hidden |= new
        flat = hidden.flatten()
        return torch.nonzero(~flat).squeeze(1), [torch.nonzero(flat).squeeze(1)]


def build_audio_masker(cfg: AudioConfig) -> Masker:
    """The masker named by ``cfg.masker`` with its options from the config."""
    time_frequency = TimeFrequencyMasker(num_time_strips=cfg.num_time_strips,
                                         time_strip_ratio=tuple(cfg.time_strip_ratio),
                                         num_freq_bands=cfg.num_freq_bands,
                                         freq_band_ratio=tuple(cfg.freq_band_ratio))
    random_block = RandomBlockMasker(ratio=tuple(cfg.random_block_ratio), max_block=cfg.random_block_size)
    if cfg.masker == "time_frequency":
        return time_frequency
    if cfg.masker == "random_block":
        return random_block
    if cfg.masker == "multiblock":
        return MultiBlockMasker(num_targets=cfg.num_target_blocks, target_scale=tuple(cfg.target_scale),
                                target_aspect=tuple(cfg.target_aspect), context_scale=tuple(cfg.context_scale))
    return CurriculumMasker(start=random_block, end=time_frequency, ramp=tuple(cfg.curriculum_ramp))
