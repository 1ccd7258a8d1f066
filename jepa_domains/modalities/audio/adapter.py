"""The ``audio`` modality: log-mel spectrogram patches, time-frequency maskers, clip datasets."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from jepa_domains.data.audio_datasets import (AudioClipDataset, audio_folder, check_split, detect_layout,
                                              embedded_fsdd, esc50, fsdd)
from jepa_domains.data.audio_synthetic import CLASSES, synthetic_clips
from jepa_domains.modalities.audio.collate import AudioBatch, collate_clips
from jepa_domains.modalities.audio.config import AudioConfig
from jepa_domains.modalities.audio.features import dataset_statistics, fbank_each, normalise
from jepa_domains.modalities.audio.maskers import build_audio_masker
from jepa_domains.modalities.audio.tokenizer import SpectrogramPatchTokenizer
from jepa_domains.modalities.base import ModalityAdapter, mean_pool, segment_pool
from jepa_domains.registry import register_modality

DATASETS = {
    "fsdd": "Free Spoken Digit Dataset (the default: 3,000 clips shipped in the package, CC BY-SA 4.0; or "
            "data_root/fsdd/recordings with --data-root), 8 kHz, 10 digits, 6 speakers",
    "synthetic": "SYNTHETIC generated sounds, 6 classes (tone, chirp, harmonic, noise burst, AM, FM); for tests",
    "esc50": "ESC-50 environmental sounds (data_root/esc50: meta/esc50.csv + audio/, 50 classes, 5 folds)",
}


def _recipe(name: str) -> dict[str, Any]:
    """The dotted keys of the shipped audio recipe ``name``."""
    import yaml

    from jepa_domains.recipes import recipe_path

    return dict(yaml.safe_load(recipe_path("audio", name).read_text()))


@register_modality("audio")
class AudioAdapter(ModalityAdapter):
    """Audio spectrograms (A-JEPA / Audio-JEPA): log-mel time x frequency patches."""

    Config = AudioConfig
    tasks = ("classify",)
    default_dataset = "fsdd"
    # The default run is the shipped FSDD recipe (jepa_domains/recipes/audio/fsdd.yaml, chosen
    # on validation clips, docs/recipes/audio.md §5, §8): 1200 steps, 3 min 24 s on 2 CPU cores;
    # the full recipe, 2400 steps (~13 min on one thread), is `--config fsdd-long`.
    run_defaults: dict[str, Any] = {
        "train.log_every": 10,
        "train.checkpoint_every": 100,
        "model.num_heads": 4,
        "model.pred_heads": 4,
        **_recipe("fsdd"),
    }
    quick_overrides: dict[str, Any] = {"train.steps": 40, "data.batch_size": 16,
                                       "modality.synthetic_train": 96, "modality.synthetic_test": 48}

    # --- model pieces --------------------------------------------------------------------
    def build_tokenizer(self, cfg: AudioConfig, dim: int) -> SpectrogramPatchTokenizer:
        return SpectrogramPatchTokenizer(cfg=cfg, dim=dim)

    def build_masker(self, cfg: AudioConfig):
        return build_audio_masker(cfg)

    # --- data ----------------------------------------------------------------------------
    def collate(self, cfg: AudioConfig, samples, generators) -> AudioBatch:
        return collate_clips(cfg, samples, generators)

    def datasets(self) -> dict[str, str]:
        return dict(DATASETS)

    def load_dataset(self, cfg: AudioConfig, source: str | None, *, split: str = "train",
                     data_root: Path | None = None, skip_bad: bool = False) -> Dataset:
        check_split(split)
        opts = {"split": split, "sample_rate": cfg.sample_rate, "min_samples": cfg.window_samples,
                "skip_bad": skip_bad}
        if source == "synthetic":
            return synthetic_dataset(cfg, split)
        if source is None or (source == "fsdd" and data_root is None):
            return embedded_fsdd(split=split, sample_rate=cfg.sample_rate, min_samples=cfg.window_samples)
        if source in DATASETS:
            if data_root is None:
                raise ValueError(f"dataset {source!r} needs --data-root or JEPA_DOMAINS_DATA")
            path = Path(data_root) / source
            if not path.is_dir():
                raise ValueError(f"dataset {source!r} not found: {path} is not a folder")
            return fsdd(path, **opts) if source == "fsdd" else esc50(path, test_fold=cfg.esc50_test_fold, **opts)
        path = Path(source).expanduser()
        if not path.is_dir():
            raise ValueError(f"unknown audio dataset {source!r}: not one of {sorted(DATASETS)} and not a folder")
        layout = detect_layout(path)
        if layout == "esc50":
            return esc50(path, test_fold=cfg.esc50_test_fold, **opts)
        return fsdd(path, **opts) if layout == "fsdd" else audio_folder(path, **opts)

    def prepare(self, cfg: AudioConfig, dataset: Dataset) -> AudioConfig:
        """Log-mel mean/std over (up to ``prepare_max_clips`` evenly chosen) training clips;
        stored in the config so that they land in ``config.yaml`` and every checkpoint."""
        if cfg.norm_mean is not None:
            return cfg
        n = len(dataset)
        picks = np.unique(np.linspace(0, n - 1, min(n, cfg.prepare_max_clips)).round().astype(int))
        mean, std = dataset_statistics([dataset[int(i)].wave for i in picks], cfg)
        return dataclasses.replace(cfg, norm_mean=mean, norm_std=std)

    # --- evaluation ----------------------------------------------------------------------
    def protocols(self) -> dict[str, Any]:
        """The shared train/test probe, plus the official split with the dataset's grouped
        cross-validation (FSDD leave-one-speaker-out, ESC-50 5-fold) as ``classify_grouped``."""
        from jepa_domains.modalities.audio.evaluate import evaluate_audio_run

        return {**super().protocols(), "classify_grouped": evaluate_audio_run}

    def pool(self, cfg: AudioConfig, latents: torch.Tensor, pad: torch.Tensor, batch: AudioBatch) -> torch.Tensor:
        """``[R, T * F, D]`` latents -> ``[B, F * D]`` (``pool="time"``: mean over the valid time
        patches of each frequency row), ``[B, F * K * D]`` (``"segments"``: means over
        ``K = pool_segments`` consecutive parts of each row's valid time patches, so the order of
        events survives) or ``[B, D]`` (``"all"``); windows of a clip are averaged."""
        rows = batch.layout.rows_per_sample
        if cfg.pool == "all":
            return mean_pool(latents, pad, rows)
        time, freq = batch.layout.shape
        r, _, d = latents.shape
        per_band = latents.view(r, time, freq, d).transpose(1, 2).reshape(r * freq, time, d)   # [R * F, T, D]
        band_pad = pad.view(r, time, freq).transpose(1, 2).reshape(r * freq, time)             # [R * F, T]
        parts = 1 if cfg.pool == "time" else cfg.pool_segments
        pooled = segment_pool(per_band, band_pad, parts)                                       # [R * F, K, D]
        return pooled.reshape(r // rows, rows, freq * parts * d).mean(1)

    def feature_baseline(self, cfg: AudioConfig, dataset: Dataset) -> np.ndarray:
        """``[n, 2 * n_mels]``: per-bin mean and std over time of each whole clip's normalised log-mel."""
        rows = []
        for fb in fbank_each([dataset[i].wave for i in range(len(dataset))], cfg):
            fb = normalise(fb, cfg)
            rows.append(torch.cat([fb.mean(0), fb.std(0, unbiased=False)]).numpy())
        return np.stack(rows).astype(np.float32)


def synthetic_dataset(cfg: AudioConfig, split: str) -> AudioClipDataset:
    """The embedded SYNTHETIC set; train and test clips are disjoint draws of the same generator."""
    parts = {"train": (cfg.synthetic_train, 0), "test": (cfg.synthetic_test, cfg.synthetic_train)}
    names = ["train", "test"] if split == "all" else [split]
    clips = [c for s in names for c in synthetic_clips(parts[s][0], sample_rate=cfg.sample_rate, offset=parts[s][1])]
    return AudioClipDataset(clips, class_names=list(CLASSES),
                            description=f"SYNTHETIC audio: {len(clips)} generated clips, {len(CLASSES)} classes "
                                        f"({split} split; not real data)")
