"""Log-mel front end: Kaldi fbank per clip (torchaudio) and a batched equivalent for devices.

``clip_fbank`` calls ``torchaudio.compliance.kaldi.fbank`` on one waveform (the DataLoader-worker
path). ``LogMelFrontEnd`` computes the same features for a padded batch of waveforms in one pass
(the on-device path); tests check that the two agree.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from jepa_domains.compat import import_torchaudio
from jepa_domains.modalities.audio.config import AudioConfig

kaldi = import_torchaudio().compliance.kaldi

PREEMPHASIS = 0.97
LOW_FREQ = 20.0


def clip_fbank(wave: Tensor, cfg: AudioConfig) -> Tensor:
    """Kaldi log-mel fbank of one clip (AST / A-JEPA settings: Hanning window, no dither).

    Args:
        wave: ``[S]`` float32 waveform at ``cfg.sample_rate``.

    Returns:
        ``[cfg.num_frames(S), cfg.n_mels]`` log mel energies.
    """
    if wave.numel() < cfg.window_samples:
        return wave.new_zeros(0, cfg.n_mels)
    return kaldi.fbank(wave.unsqueeze(0), sample_frequency=float(cfg.sample_rate), num_mel_bins=cfg.n_mels,
                       frame_length=cfg.frame_length_ms, frame_shift=cfg.frame_shift_ms, htk_compat=True,
                       window_type="hanning", dither=0.0, use_energy=False, low_freq=LOW_FREQ)


def normalise(fbank: Tensor, cfg: AudioConfig) -> Tensor:
    """Standardise log-mel values with the run's dataset statistics."""
    if cfg.norm_mean is None or cfg.norm_std is None:
        raise ValueError("audio features need dataset statistics (modality.norm_mean / norm_std): "
                         "call AudioAdapter.prepare on the training set, or set them explicitly")
    return (fbank - cfg.norm_mean) / cfg.norm_std


def fbank_each(waves: list[np.ndarray], cfg: AudioConfig):
    """Yield the ``[frames, n_mels]`` log-mel of every ``[S]`` waveform with one batched front end
    (``kaldi.fbank`` rebuilds its mel banks on every call, which dominates whole-dataset passes)."""
    front = LogMelFrontEnd(cfg=cfg)
    with torch.no_grad():
        for wave in waves:
            if wave.size < cfg.window_samples:
                yield torch.zeros(0, cfg.n_mels)
            else:
                yield front(torch.from_numpy(wave).unsqueeze(0))[0]


def dataset_statistics(waves: list[np.ndarray], cfg: AudioConfig) -> tuple[float, float]:
    """Mean and std of every log-mel value of ``waves`` (each ``[S]``), pooled over frames and bins."""
    total, total_sq, count = 0.0, 0.0, 0
    for fb in fbank_each(waves, cfg):
        fb = fb.double()
        total += float(fb.sum())
        total_sq += float(fb.square().sum())
        count += fb.numel()
    if count == 0:
        raise ValueError("cannot compute audio statistics: no clip is longer than one analysis window")
    mean = total / count
    std = max(total_sq / count - mean * mean, 0.0) ** 0.5
    if not np.isfinite(mean) or not std > 1e-6:
        raise ValueError(f"degenerate audio statistics (mean {mean}, std {std}): are all clips identical?")
    return mean, std


class LogMelFrontEnd(nn.Module):
    """Batched Kaldi-compatible log-mel fbank (``snip_edges``, Hanning window, power spectrum).

    Args:
        cfg: the audio options (rate, window, hop, mel bins).
    """

    def __init__(self, *, cfg: AudioConfig) -> None:
        super().__init__()
        self.window_samples, self.hop_samples = cfg.window_samples, cfg.hop_samples
        self.n_fft = 1 << (self.window_samples - 1).bit_length()  # Kaldi rounds up to a power of two
        banks, _ = kaldi.get_mel_banks(cfg.n_mels, self.n_fft, float(cfg.sample_rate), LOW_FREQ, 0.0,
                                       100.0, -500.0, 1.0)
        self.register_buffer("mel_banks", F.pad(banks.float(), (0, 1)), persistent=False)  # [M, n_fft/2+1]
        self.register_buffer("window", torch.hann_window(self.window_samples, periodic=False), persistent=False)

    def forward(self, waves: Tensor) -> Tensor:
        """``[R, S]`` waveforms -> ``[R, frames(S), n_mels]`` log mel energies."""
        frames = waves.float().unfold(1, self.window_samples, self.hop_samples)   # [R, T, W]
        frames = frames - frames.mean(-1, keepdim=True)
        previous = torch.cat([frames[..., :1], frames[..., :-1]], dim=-1)
        frames = (frames - PREEMPHASIS * previous) * self.window
        spectrum = torch.fft.rfft(frames, n=self.n_fft).abs().pow(2.0)             # [R, T, n_fft/2+1]
        mel = spectrum @ self.mel_banks.T                                           # [R, T, M]
        return mel.clamp_min(torch.finfo(torch.float32).eps).log()
