"""Clip cropping and the audio batch: random crops for pretraining, centre crops or sliding
windows for evaluation, padding marked in the layout (never filled with silence to predict)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from jepa_domains.core.batch import Batch
from jepa_domains.core.tokens import Layout
from jepa_domains.data.audio_io import AudioClip
from jepa_domains.modalities.audio.config import AudioConfig
from jepa_domains.modalities.audio.features import clip_fbank, normalise


@dataclass
class AudioBatch(Batch):
    """A batch of ``R = B * rows_per_sample`` clip windows.

    Attributes:
        features: ``[R, 1, T * patch_time, n_mels]`` normalised log-mel (``feature_path="collate"``),
            zero on padded frames; None on the device path.
        waves: ``[R, clip_samples]`` zero-padded waveforms (``feature_path="device"``), else None.
        num_frames: ``[R]`` long, valid fbank frames of every row.
    """

    features: Tensor | None = None
    waves: Tensor | None = None
    num_frames: Tensor | None = None


def crop_starts(length: int, cfg: AudioConfig, generator: torch.Generator | None) -> list[int]:
    """Start samples of the windows of a clip of ``length`` samples.

    Training (a generator): one random crop. Evaluation: the centre crop when
    ``eval_windows == 1``, else ``eval_windows`` evenly spaced windows covering the clip.
    """
    spare = max(0, length - cfg.clip_samples)
    if generator is not None:
        return [int(torch.randint(0, spare + 1, (), generator=generator))]
    if cfg.eval_windows == 1:
        return [spare // 2]
    return [int(round(s)) for s in np.linspace(0, spare, cfg.eval_windows)]


def _check_clip(clip: AudioClip, cfg: AudioConfig) -> None:
    if not isinstance(clip, AudioClip):
        raise ValueError(f"audio collate expects AudioClip samples, got {type(clip).__name__}")
    if clip.sample_rate != cfg.sample_rate:
        raise ValueError(f"{clip.id}: sample rate {clip.sample_rate} Hz, the run expects {cfg.sample_rate} Hz")
    if clip.wave.ndim != 1 or clip.wave.size < cfg.window_samples:
        raise ValueError(f"{clip.id}: waveform of shape {clip.wave.shape} is shorter than one analysis "
                         f"window ({cfg.window_samples} samples)")


def collate_clips(cfg: AudioConfig, samples: Sequence[AudioClip],
                  generators: Sequence[torch.Generator] | None) -> AudioBatch:
    """Crop, pad and (on the collate path) featurise clips into an :class:`AudioBatch`.

    The layout is the ``(T, F)`` patch grid with ``valid`` = time patches holding audio
    (at least one); ``rows_per_sample`` is the number of windows per clip.
    """
    if generators is not None and len(generators) != len(samples):
        raise ValueError(f"got {len(generators)} generators for {len(samples)} samples")
    rows: list[Tensor] = []
    frames: list[int] = []
    for i, clip in enumerate(samples):
        _check_clip(clip, cfg)
        gen = generators[i] if generators is not None else None
        wave = torch.from_numpy(clip.wave)
        for start in crop_starts(wave.numel(), cfg, gen):
            piece = wave[start : start + cfg.clip_samples]
            rows.append(piece)
            frames.append(min(cfg.num_frames(piece.numel()), cfg.grid_frames))
    num_frames = torch.tensor(frames, dtype=torch.long)
    valid = ((num_frames + cfg.patch_time - 1) // cfg.patch_time).clamp(1, cfg.grid_time)
    layout = Layout((cfg.grid_time, cfg.grid_freq), valid=valid, rows_per_sample=len(rows) // len(samples))
    labels = None
    if all(c.label is not None for c in samples):
        labels = torch.tensor([int(c.label) for c in samples], dtype=torch.long)
    batch = AudioBatch(layout=layout, labels=labels, ids=[c.id for c in samples], num_frames=num_frames)
    if cfg.feature_path == "device":
        waves = torch.zeros(len(rows), cfg.clip_samples)
        for r, piece in enumerate(rows):
            waves[r, : piece.numel()] = piece
        batch.waves = waves
        return batch
    features = torch.zeros(len(rows), 1, cfg.grid_frames, cfg.n_mels)
    for r, piece in enumerate(rows):
        fb = normalise(clip_fbank(piece, cfg), cfg)[: frames[r]]
        features[r, 0, : fb.shape[0]] = fb
    batch.features = features
    return batch
