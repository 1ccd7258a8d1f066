"""The time-series modality (TS-JEPA, PatchTST conventions)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from jepa_domains.core import Layout, RandomMasker, SpanMasker
from jepa_domains.core.maskers import Masker
from jepa_domains.data.read_report import ReadReport
from jepa_domains.data.timeseries_readers import Series, shipped_ucr_uea
from jepa_domains.modalities.base import ModalityAdapter, check_pool, max_mean_pool, segment_pool
from jepa_domains.modalities.timeseries.datasets import (
    ETT_NAMES,
    SeriesDataset,
    check_series,
    load_csv_folder_split,
    load_long_series,
    load_ts_split,
    resolve_source,
    synthetic_dataset,
    target_channels,
    window_series,
)
from jepa_domains.modalities.timeseries.masking import NoOverlapMasker
from jepa_domains.modalities.timeseries.tokenizer import PatchTokenizer, SeriesBatch, num_patches
from jepa_domains.registry import register_modality


POOLS = ("mean", "segments", "max_mean")


@dataclass
class TimeSeriesConfig:
    """Options of the time-series modality (``--set modality.<name>=...``).

    Attributes:
        patch_len, stride: patching of the time axis (PatchTST: 16 / 8, overlapping: the
            masker then drops context patches that share steps with targets, see
            ``mask_overlap``; TS-JEPA: non-overlapping, ``stride = patch_len``).
        channel_mode: ``"independent"`` (one token row per channel, shared weights, PatchTST)
            or ``"mixing"`` (all channels of a patch in one token).
        embed: ``"linear"`` or ``"conv"`` patch embedding.
        revin: per-row, per-channel instance normalisation before patching.
        instance_stats: give the level and spread that ``revin`` removes back to the encoder:
            each row's per-channel mean (signed ``log1p``) and log standard deviation, through a
            linear map, added to every token of the row. Off by default (RevIN's invariance);
            for series whose level or scale tells classes apart (sensor readings, cepstra) rather
            than z-normalised shapes. Needs ``revin``.
        max_length: longer series are cropped (random crop in training, centre crop in evaluation).
        mask: ``"random"`` (hide ``mask_ratio`` of the patches), ``"span"`` (``span_targets``
            contiguous spans) or ``"future"`` (hide the last span: forecasting-style).
        mask_ratio: ``(min, max)`` fraction hidden by the random masker / per span.
        span_targets: number of spans of the span masker.
        mask_overlap: with overlapping patches (``stride < patch_len``), ``"exclude"`` drops the
            context patches that share a time step with a target patch (no leak of target values
            into the context, :class:`NoOverlapMasker`); ``"allow"`` keeps them (the former
            behaviour, for comparison).
        window: lookback window length when a long CSV series is cut into samples.
        window_stride: step between consecutive pretraining windows.
        channels: input channels (set from the data by ``prepare``; 1 row per channel when
            independent).
        impute: linearly interpolate NaN/inf instead of failing.
        pool: sequence embedding for classification: ``"mean"`` (masked mean over patches) or
            ``"segments"`` (masked means over ``pool_segments`` consecutive, equal parts of each
            row's valid patches, side by side: keeps the coarse order of events) or
            ``"max_mean"`` (masked max and masked mean over patches side by side, Point-JEPA's
            embedding: whether a pattern occurs anywhere, next to its average).
        pool_segments: number of parts of the ``"segments"`` pooling.
        aug_crop: pretraining augmentation (both branches see it; evaluation never does): a
            random contiguous part of each series, at least this fraction of its (cropped)
            length, is stretched back to that length by linear interpolation (a random time
            dilation of up to ``1 / aug_crop`` with a random shift); 1: off.
        aug_jitter: pretraining augmentation: Gaussian noise of this standard deviation, in
            units of each channel's own standard deviation, added to every step; 0: off.
        columns: the CSV columns read as channels, in this order (a long CSV series, or every
            file of a CSV class folder); empty: every column but a leading date/time column.
        target: the column(s) ``eval --task forecast`` forecasts and scores (a subset of the
            columns read); empty: every channel (the ETT multivariate setting). Pretraining
            reads every chosen column either way; with ``channel_mode="mixing"`` the target's
            forecast is made from the features of all columns together.
    """

    patch_len: int = 16
    stride: int = 8
    channel_mode: str = "independent"
    embed: str = "linear"
    revin: bool = True
    instance_stats: bool = False
    max_length: int = 512
    mask: str = "random"
    mask_ratio: tuple[float, float] = (0.5, 0.7)
    span_targets: int = 2
    mask_overlap: str = "exclude"
    window: int = 336
    window_stride: int = 1
    channels: int = 1
    impute: bool = False
    pool: str = "mean"
    pool_segments: int = 4
    aug_crop: float = 1.0
    aug_jitter: float = 0.0
    columns: tuple[str, ...] = ()
    target: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.columns, self.target = _names(self.columns), _names(self.target)
        for key, names in (("columns", self.columns), ("target", self.target)):
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise ValueError(f"modality.{key} names {', '.join(map(repr, repeated))} more than once")
        outside = [t for t in self.target if self.columns and t not in self.columns]
        if outside:
            raise ValueError(f"modality.target {', '.join(map(repr, outside))} not among modality.columns "
                             f"({', '.join(self.columns)})")
        if self.channel_mode not in ("independent", "mixing"):
            raise ValueError(f"modality.channel_mode must be 'independent' or 'mixing', got {self.channel_mode!r}")
        if self.mask not in ("random", "span", "future"):
            raise ValueError(f"modality.mask must be 'random', 'span' or 'future', got {self.mask!r}")
        check_pool(self.pool, self.pool_segments, POOLS)
        if self.mask_overlap not in ("exclude", "allow"):
            raise ValueError(f"modality.mask_overlap must be 'exclude' or 'allow', got {self.mask_overlap!r}")
        if not (0.0 < self.aug_crop <= 1.0) or not (self.aug_jitter >= 0.0):
            raise ValueError(f"modality.aug_crop must be in (0, 1] and modality.aug_jitter >= 0, got "
                             f"{self.aug_crop!r}, {self.aug_jitter!r}")
        if self.instance_stats and not self.revin:
            raise ValueError("modality.instance_stats gives back the statistics RevIN removes; it needs "
                             "modality.revin=true")
        if self.patch_len < 1 or self.stride < 1 or self.max_length < self.patch_len:
            raise ValueError(f"need patch_len, stride >= 1 and max_length >= patch_len, got "
                             f"{self.patch_len}, {self.stride}, {self.max_length}")


@register_modality("timeseries")
class TimeSeriesAdapter(ModalityAdapter):
    """Time series: RevIN + patches -> tokens; random or span masking of patches."""

    Config = TimeSeriesConfig
    tasks = ("classify", "forecast")
    default_dataset = "OSULeaf"
    # CPU-sized defaults; the EMA starts at 0.99 so the evaluated target encoder moves in 600 steps.
    run_defaults = {"train.steps": 600, "optim.warmup_steps": 60, "data.batch_size": 32, "objective.ema_start": 0.99}
    quick_overrides = {"train.steps": 40, "data.batch_size": 16}

    def build_tokenizer(self, cfg: TimeSeriesConfig, dim: int) -> nn.Module:
        row_channels = 1 if cfg.channel_mode == "independent" else cfg.channels
        return PatchTokenizer(dim=dim, channels=row_channels, patch_len=cfg.patch_len, stride=cfg.stride,
                              embed=cfg.embed, revin=cfg.revin, instance_stats=cfg.instance_stats)

    def build_masker(self, cfg: TimeSeriesConfig) -> Masker:
        if cfg.mask == "random":
            masker: Masker = RandomMasker(ratio=cfg.mask_ratio)
        elif cfg.mask == "span":
            masker = SpanMasker(num_targets=cfg.span_targets, target_ratio=(cfg.mask_ratio[0] / cfg.span_targets,
                                                                            cfg.mask_ratio[1] / cfg.span_targets),
                                context_ratio=(1.0, 1.0), context_mode="random")
        else:
            masker = SpanMasker(num_targets=1, target_ratio=cfg.mask_ratio, context_ratio=(1.0, 1.0), future=True)
        if cfg.stride < cfg.patch_len and cfg.mask_overlap == "exclude":
            masker = NoOverlapMasker(masker, patch_len=cfg.patch_len, stride=cfg.stride)
        return masker

    # -- data ------------------------------------------------------------------------------
    def datasets(self) -> dict[str, str]:
        out = {"synthetic": "SYNTHETIC generated waveform families (6 classes)"}
        out.update({name: "UCR/UEA set shipped with sktime" for name in shipped_ucr_uea()})
        out.update({name: "ETT long series (CSV under <data-root>/ett/ETT-small), lookback windows"
                    for name in ETT_NAMES})
        return out

    def load_dataset(self, cfg: TimeSeriesConfig, source: str | None, *, split: str = "train",
                     data_root: Path | None = None, skip_bad: bool = False) -> SeriesDataset:
        if split not in ("train", "val", "test", "all"):
            raise ValueError(f"unknown split {split!r}; use train, val, test or all")
        kind, path = resolve_source(source if source is not None else self.default_dataset, data_root)
        classes, report = None, ReadReport()
        if kind == "synthetic":
            series, description = synthetic_dataset(split), f"SYNTHETIC waveform families ({split})"
        elif kind in ("shipped", "ts"):
            train_path, test_path = _ts_pair(path)
            series, classes = load_ts_split(train_path, test_path, "test" if split == "val" else split,
                                            train_path.name)
            origin = "shipped with sktime" if kind == "shipped" else str(train_path.parent)
            description = f"{train_path.stem.replace('_TRAIN', '')} ({split}, {origin})"
        elif kind == "csv_folder":
            series, classes = load_csv_folder_split(path, split, columns=cfg.columns, skip_bad=skip_bad,
                                                    report=report)
            description = f"{path.name} ({split}, CSV folder {path})"
        else:
            source_data = load_long_series(path, path.stem, cfg.columns)
            target_channels(source_data, cfg.target)  # a bad target fails before training, not at eval
            series = window_series(source_data, split=split, window=cfg.window,
                                   stride=cfg.window_stride if split == "train" else 1)
            description = f"{path.stem} windows of {cfg.window} ({split})"
        report.source = f"timeseries {description}"
        series, _ = check_series(series, min_length=cfg.patch_len, impute=cfg.impute, skip_bad=skip_bad,
                                 report=report)
        report.announce()
        return SeriesDataset(series, description=description, class_names=classes, read_report=report, kind=kind)

    def samples_dataset(self, cfg: TimeSeriesConfig, samples: list[Series]) -> SeriesDataset:
        return SeriesDataset(list(samples), description=f"in-memory series ({len(samples)})")

    def prepare(self, cfg: TimeSeriesConfig, dataset: SeriesDataset) -> TimeSeriesConfig:
        _check_column_options(cfg, dataset)
        cfg.channels = dataset.channels
        return cfg

    def collate(self, cfg: TimeSeriesConfig, samples: list[Series], generators) -> SeriesBatch:
        crops = [_crop(s.values, cfg.max_length, None if generators is None else generators[i])
                 for i, s in enumerate(samples)]
        if generators is not None and (cfg.aug_crop < 1.0 or cfg.aug_jitter > 0.0):
            crops = [augment_series(c, generators[i], crop=cfg.aug_crop, jitter=cfg.aug_jitter)
                     for i, c in enumerate(crops)]
        channels = crops[0].shape[0]
        if any(c.shape[0] != channels for c in crops):
            bad = next(s.id for s, c in zip(samples, crops) if c.shape[0] != channels)
            raise ValueError(f"series {bad} has a different channel count from the rest of the batch")
        if cfg.channel_mode == "mixing" and channels != cfg.channels:
            raise ValueError(f"series {samples[0].id} has {channels} channels, the model expects {cfg.channels}")
        length = max(max(c.shape[1] for c in crops), cfg.patch_len)
        values = torch.zeros(len(crops), channels, length)
        for i, c in enumerate(crops):
            values[i, :, : c.shape[1]] = torch.from_numpy(c)
        lengths = torch.tensor([c.shape[1] for c in crops])
        rows_per_sample = 1
        if cfg.channel_mode == "independent":
            values = values.reshape(len(crops) * channels, 1, length)
            lengths = lengths.repeat_interleave(channels)
            rows_per_sample = channels
        n = num_patches(length, cfg.patch_len, cfg.stride)
        valid = ((lengths - cfg.patch_len) // cfg.stride + 1).clamp(1, n)
        labels = None if any(s.label is None for s in samples) else torch.tensor([s.label for s in samples])
        return SeriesBatch(layout=Layout((n,), valid=valid, rows_per_sample=rows_per_sample), labels=labels,
                           ids=[s.id for s in samples], values=values, lengths=lengths)

    # -- evaluation ------------------------------------------------------------------------
    def protocols(self):
        from jepa_domains.modalities.timeseries.evaluate import classify_run, forecast_run

        return {**super().protocols(), "classify": classify_run, "forecast": forecast_run}

    def pool(self, cfg: TimeSeriesConfig, latents: Tensor, pad: Tensor, batch: SeriesBatch) -> Tensor:
        """Masked mean over patches per row (``pool="mean"``, ``[R, D]``), over
        ``pool_segments`` equal parts of the row's valid patches (``"segments"``, ``[R, K * D]``;
        a row with fewer valid patches than parts repeats them) or masked max and mean side by
        side (``"max_mean"``, ``[R, 2 * D]``); channel rows of a sample are concatenated
        (``[B, C * D]`` / ``[B, C * K * D]`` / ``[B, C * 2 * D]``) so that channel identity survives."""
        if cfg.pool == "max_mean":
            rows = max_mean_pool(latents, pad)                                                 # [R, 2D]
        else:
            rows = segment_pool(latents, pad, 1 if cfg.pool == "mean" else cfg.pool_segments).flatten(1)
        return rows.reshape(-1, batch.layout.rows_per_sample * rows.shape[1])

    def feature_baseline(self, cfg: TimeSeriesConfig, dataset: SeriesDataset) -> np.ndarray:
        """Raw values resampled to 64 steps per channel, after per-channel standardisation."""
        feats = []
        for s in dataset:
            x = s.values[:, : cfg.max_length].astype(np.float64)
            x = (x - x.mean(1, keepdims=True)) / (x.std(1, keepdims=True) + 1e-8)
            grid = np.linspace(0, x.shape[1] - 1, 64)
            feats.append(np.concatenate([np.interp(grid, np.arange(x.shape[1]), ch) for ch in x]))
        return np.stack(feats).astype(np.float32)


def _names(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """A column-name option as a tuple (one name given as a plain string stays one name)."""
    return (value,) if isinstance(value, str) else tuple(str(v) for v in value)


def _check_column_options(cfg: TimeSeriesConfig, dataset: SeriesDataset) -> None:
    """``modality.columns`` names CSV columns, ``modality.target`` the forecast columns of a
    long CSV series: a one-line error when a run sets them for a training set that has no such
    thing (checked once, before training; a trained run may still embed other data)."""
    kind = getattr(dataset, "kind", None)
    if kind is None:
        return
    if cfg.columns and kind not in ("csv", "csv_folder"):
        raise ValueError(f"modality.columns names CSV columns; the training set {dataset.description} is not a "
                         "CSV series or CSV folder (unset it: --set modality.columns=[])")
    if cfg.target and kind != "csv":
        raise ValueError(f"modality.target names the forecast columns of a long CSV series; the training set "
                         f"{dataset.description} is not one (unset it: --set modality.target=[])")


def _ts_pair(path: Path) -> tuple[Path, Path | None]:
    """``NAME_TRAIN.ts`` and ``NAME_TEST.ts`` from a folder (its own ``FOLDER_TRAIN.ts`` or its
    only ``*_TRAIN.ts``), either file, or a lone ``.ts``."""
    if path.is_dir():
        trains = sorted(path.glob("*_TRAIN.ts"))
        own = path / f"{path.name}_TRAIN.ts"
        if not trains:
            raise FileNotFoundError(f"no *_TRAIN.ts file in {path}")
        if own not in trains and len(trains) > 1:
            raise ValueError(f"{path} holds {len(trains)} *_TRAIN.ts files ({', '.join(t.name for t in trains)}); "
                             "pass one of them with --data")
        train = own if own in trains else trains[0]
    elif "_TEST" in path.name:
        train = path.with_name(path.name.replace("_TEST", "_TRAIN"))
    else:
        train = path
    if not train.is_file():
        raise FileNotFoundError(f"no .ts file at {train}")
    test = train.with_name(train.name.replace("_TRAIN", "_TEST"))
    return train, (test if test != train and test.is_file() else None)


def augment_series(values: np.ndarray, generator: torch.Generator, *, crop: float = 1.0,
                   jitter: float = 0.0) -> np.ndarray:
    """Pretraining augmentation of one series ``values [C, L]`` -> ``[C, L]`` (float32), drawn
    from the sample's own generator (the same sample seed gives the same series):

    - ``crop < 1``: a random contiguous part of ``m ~ U(crop * L, L)`` steps (at least 2), at a
      random start, linearly interpolated back to ``L`` steps (random resized crop in time);
    - ``jitter > 0``: adds Gaussian noise of std ``jitter * std(channel)`` to every step
      (a constant channel gets none).

    The length, and so the patch count and the positions, never change."""
    out = values.astype(np.float64)
    length = out.shape[1]
    if crop < 1.0 and length > 2:
        low = max(2, int(np.ceil(crop * length)))
        m = int(torch.randint(low, length + 1, (), generator=generator))
        start = int(torch.randint(0, length - m + 1, (), generator=generator))
        grid = np.linspace(start, start + m - 1, length)
        steps = np.arange(length)
        out = np.stack([np.interp(grid, steps, ch) for ch in out])
    if jitter > 0.0:
        noise = torch.randn(out.shape, generator=generator, dtype=torch.float64).numpy()
        out = out + jitter * out.std(axis=1, keepdims=True) * noise
    return out.astype(np.float32)


def _crop(values: np.ndarray, max_length: int, generator: torch.Generator | None) -> np.ndarray:
    length = values.shape[1]
    if length <= max_length:
        return values
    if generator is None:
        start = (length - max_length) // 2
    else:
        start = int(torch.randint(0, length - max_length + 1, (), generator=generator))
    return values[:, start : start + max_length]
