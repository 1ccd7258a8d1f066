"""Time x frequency patch tokenizer for log-mel spectrograms (AudioMAE / A-JEPA)."""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from jepa_domains.core.positions import sincos_2d
from jepa_domains.core.tokens import Tokens
from jepa_domains.modalities.audio.collate import AudioBatch
from jepa_domains.modalities.audio.config import AudioConfig
from jepa_domains.modalities.audio.features import LogMelFrontEnd, normalise


class SpectrogramPatchTokenizer(nn.Module):
    """Cuts the ``[T * patch_time, n_mels]`` spectrogram into non-overlapping patches with a
    strided ``Conv2d`` and adds fixed 2-D sin-cos positions of the ``(T, F)`` grid.

    Tokens are row-major over (time, frequency): token ``t * F + f`` is time patch ``t``,
    frequency patch ``f`` (so core 2-D maskers see time as the first axis).

    Args:
        cfg: audio options (patch sizes, grid, feature path, normalisation statistics).
        dim: token width ``D`` (divisible by 4 for the 2-D positions).
    """

    def __init__(self, *, cfg: AudioConfig, dim: int) -> None:
        super().__init__()
        if dim % 4 != 0:
            raise ValueError(f"audio tokens need a width divisible by 4 (2-D sin-cos positions), got {dim}")
        self.cfg = cfg
        self.grid = (cfg.grid_time, cfg.grid_freq)
        self.proj = nn.Conv2d(1, dim, kernel_size=(cfg.patch_time, cfg.patch_freq),
                              stride=(cfg.patch_time, cfg.patch_freq))
        self.register_buffer("pos", sincos_2d(*self.grid, dim), persistent=False)  # [N, D]
        # The batched front end has no parameters; it exists only on the device path.
        self.front_end = LogMelFrontEnd(cfg=cfg) if cfg.feature_path == "device" else None

    def spectrogram(self, batch: AudioBatch) -> torch.Tensor:
        """``[R, 1, T * patch_time, n_mels]`` normalised log-mel, zero on padded frames."""
        if batch.features is not None:
            return batch.features if not self.cfg.clip_norm else centre_per_clip(batch.features, batch.num_frames)
        if self.front_end is None or batch.waves is None:
            raise ValueError("AudioBatch has neither features nor waves for this tokenizer's feature_path")
        fb = normalise(self.front_end(batch.waves)[:, : self.cfg.grid_frames], self.cfg)   # [R, T', M]
        frame = torch.arange(fb.shape[1], device=fb.device)
        keep = frame.unsqueeze(0) < batch.num_frames.to(fb.device).unsqueeze(1)           # [R, T']
        spec = (fb * keep.unsqueeze(-1)).unsqueeze(1)
        return centre_per_clip(spec, batch.num_frames) if self.cfg.clip_norm else spec

    def prepare(self, batch: AudioBatch) -> AudioBatch:
        """Compute the log-mel features once on the device (the front end has no parameters),
        so that the online and the EMA tokenizer share them."""
        if batch.features is not None:
            return batch
        return dataclasses.replace(batch, features=self.spectrogram(batch))

    def forward(self, batch: AudioBatch) -> Tokens:
        """``batch`` -> ``Tokens`` with ``x``, ``pos``: ``[R, T * F, D]``, ``pad``: ``[R, T * F]``."""
        spec = self.spectrogram(batch)
        x = self.proj(spec.to(self.proj.weight.dtype)).flatten(2).transpose(1, 2)          # [R, T*F, D]
        pos = self.pos.to(x.dtype).unsqueeze(0).expand_as(x)
        pad = batch.layout.padding_mask(x.shape[0]).to(x.device)
        return Tokens(x=x, pos=pos, pad=pad)


def centre_per_clip(spec: torch.Tensor, num_frames: torch.Tensor) -> torch.Tensor:
    """Cepstral-mean-style normalisation: ``[R, 1, T', M]`` minus each row's mean over its valid
    frames, per mel bin; padded frames stay zero. Idempotent (the mean of a centred row is 0)."""
    frame = torch.arange(spec.shape[2], device=spec.device)
    keep = (frame.unsqueeze(0) < num_frames.to(spec.device).unsqueeze(1)).to(spec.dtype)   # [R, T']
    keep = keep[:, None, :, None]                                                           # [R, 1, T', 1]
    mean = (spec * keep).sum(2, keepdim=True) / keep.sum(2, keepdim=True).clamp_min(1.0)   # [R, 1, 1, M]
    return (spec - mean) * keep
