"""Options of the audio modality (``--set modality.<field>=value``), validated on construction."""

from __future__ import annotations

from dataclasses import dataclass

FEATURE_PATHS = ("collate", "device")
MASKERS = ("curriculum", "multiblock", "time_frequency", "random_block")
POOLS = ("time", "segments", "all")


@dataclass
class AudioConfig:
    """Front end, patching, masking and dataset options of the audio adapter.

    Front end (A-JEPA / AudioMAE conventions): mono audio at ``sample_rate`` Hz, fixed clips of
    ``clip_seconds``, Kaldi log-mel fbank with ``n_mels`` bins, ``frame_length_ms`` windows every
    ``frame_shift_ms``; normalised with ``norm_mean`` / ``norm_std``, computed once by
    ``AudioAdapter.prepare`` on the training set and stored in the run.

    Patches: ``patch_time`` frames x ``patch_freq`` mel bins (``patch_freq = n_mels`` gives
    frame-level patches). ``feature_path`` chooses where the fbank is computed: ``"device"``
    (batched, inside the tokenizer; the default: ~8x less CPU than per-clip Kaldi fbank in
    ``benchmarks/audio_features.py``) or ``"collate"`` (``torchaudio`` Kaldi fbank per clip, in
    DataLoader workers).

    ``clip_norm``: also subtract each clip's own mean log-mel per bin over its valid frames
    (cepstral mean normalisation; removes a speaker's or channel's average spectrum) before the
    patches; applies to the JEPA and random-init encoders alike, not to the log-mel baseline.

    Evaluation: ``eval_windows = 1`` embeds the centre crop; ``> 1`` embeds that many evenly
    spaced windows per clip and averages them. ``pool = "time"`` averages the latents over the
    valid time patches of each frequency row and concatenates the rows (``[B, F * D]``);
    ``"segments"`` does the same over ``pool_segments`` consecutive parts of the valid time
    patches (``[B, F * K * D]``: keeps the order of events, e.g. the syllables of a digit);
    ``"all"`` averages over every patch (AudioMAE-style, ``[B, D]``), which mixes the frequency
    bands: on FSDD a linear probe on the same encoder drops from 0.94 to 0.54.

    Masking: ``masker`` is ``"curriculum"`` (A-JEPA: random blocks -> time-frequency aware
    masks as training progresses through ``curriculum_ramp``), ``"multiblock"`` (I-JEPA),
    ``"time_frequency"`` (time strips + frequency bands) or ``"random_block"`` (Audio-JEPA,
    ``random_block_ratio`` of the patches hidden in random blocks).
    """

    sample_rate: int = 16_000
    clip_seconds: float = 1.0
    n_mels: int = 128
    frame_length_ms: float = 25.0
    frame_shift_ms: float = 10.0
    patch_time: int = 16
    patch_freq: int = 16
    feature_path: str = "device"
    norm_mean: float | None = None
    norm_std: float | None = None
    clip_norm: bool = False
    prepare_max_clips: int = 1000
    eval_windows: int = 1
    pool: str = "time"
    pool_segments: int = 2
    masker: str = "curriculum"
    num_target_blocks: int = 4
    target_scale: tuple[float, ...] = (0.15, 0.2)
    target_aspect: tuple[float, ...] = (0.75, 1.5)
    context_scale: tuple[float, ...] = (0.85, 1.0)
    num_time_strips: int = 2
    time_strip_ratio: tuple[float, ...] = (0.1, 0.25)
    num_freq_bands: int = 2
    freq_band_ratio: tuple[float, ...] = (0.1, 0.25)
    random_block_ratio: tuple[float, ...] = (0.4, 0.6)
    random_block_size: int = 3
    curriculum_ramp: tuple[float, ...] = (0.0, 0.8)
    synthetic_train: int = 480
    synthetic_test: int = 240
    esc50_test_fold: int = 5

    def __post_init__(self) -> None:
        positive = ("sample_rate", "n_mels", "patch_time", "patch_freq", "prepare_max_clips", "eval_windows",
                    "pool_segments", "num_target_blocks", "random_block_size", "synthetic_train", "synthetic_test")
        for name in positive:
            if int(getattr(self, name)) < 1:
                raise ValueError(f"modality.{name} must be >= 1, got {getattr(self, name)}")
        for name in ("clip_seconds", "frame_length_ms", "frame_shift_ms"):
            if not float(getattr(self, name)) > 0:
                raise ValueError(f"modality.{name} must be > 0, got {getattr(self, name)}")
        if self.n_mels % self.patch_freq != 0:
            raise ValueError(f"modality.patch_freq={self.patch_freq} must divide n_mels={self.n_mels}")
        if self.feature_path not in FEATURE_PATHS:
            raise ValueError(f"modality.feature_path must be one of {FEATURE_PATHS}, got {self.feature_path!r}")
        if self.pool not in POOLS:
            raise ValueError(f"modality.pool must be one of {POOLS}, got {self.pool!r}")
        if self.masker not in MASKERS:
            raise ValueError(f"modality.masker must be one of {MASKERS}, got {self.masker!r}")
        if self.norm_std is not None and not self.norm_std > 0:
            raise ValueError(f"modality.norm_std must be > 0, got {self.norm_std}")
        if (self.norm_mean is None) != (self.norm_std is None):
            raise ValueError("modality.norm_mean and modality.norm_std must be set together")
        if self.num_time_strips < 0 or self.num_freq_bands < 0 or self.num_time_strips + self.num_freq_bands < 1:
            raise ValueError(f"need at least one time strip or frequency band, got {self.num_time_strips} "
                             f"and {self.num_freq_bands}")
        if not 1 <= self.esc50_test_fold <= 5:
            raise ValueError(f"modality.esc50_test_fold must be in 1..5, got {self.esc50_test_fold}")
        if self.grid_time < 1:
            raise ValueError(f"clip of {self.clip_seconds}s gives {self.num_frames(self.clip_samples)} frames, "
                             f"fewer than one patch of {self.patch_time}")

    # --- derived sizes -----------------------------------------------------------------------
    @property
    def window_samples(self) -> int:
        return int(round(self.sample_rate * self.frame_length_ms / 1000.0))

    @property
    def hop_samples(self) -> int:
        return int(round(self.sample_rate * self.frame_shift_ms / 1000.0))

    @property
    def clip_samples(self) -> int:
        return int(round(self.sample_rate * self.clip_seconds))

    def num_frames(self, samples: int) -> int:
        """Kaldi frame count (``snip_edges``) of ``samples`` samples."""
        return 0 if samples < self.window_samples else 1 + (samples - self.window_samples) // self.hop_samples

    @property
    def grid_time(self) -> int:
        """Time patches per clip (``T``)."""
        return self.num_frames(self.clip_samples) // self.patch_time

    @property
    def grid_freq(self) -> int:
        """Frequency patches per clip (``F``)."""
        return self.n_mels // self.patch_freq

    @property
    def grid_frames(self) -> int:
        """Frames covered by the patch grid (``T * patch_time``); trailing frames are dropped."""
        return self.grid_time * self.patch_time
