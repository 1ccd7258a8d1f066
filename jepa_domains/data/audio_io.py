"""Decoding and checking audio files: soundfile for I/O, torchaudio for resampling.

Every file goes through :func:`read_audio`, which returns a mono float32 waveform at the
requested rate or raises a ``ValueError`` naming the file and what is wrong with it. Dataset
readers catch that error to implement ``skip_bad`` (a counted skip) and re-raise otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from jepa_domains.compat import import_torchaudio

torchaudio = import_torchaudio()

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3")
MIN_SAMPLE_RATE = 1_000
MAX_SAMPLE_RATE = 384_000
MAX_CHANNELS = 8
SILENCE_PEAK = 1e-5  # below this peak amplitude (about -100 dBFS) a clip carries no signal


@dataclass
class AudioClip:
    """One decoded clip.

    Attributes:
        wave: ``[S]`` float32 mono waveform at ``sample_rate`` Hz.
        sample_rate: Hz.
        label: class index, or None for unlabelled audio.
        id: a stable name (the file path relative to the dataset root, or a synthetic name).
        group: grouping key for grouped protocols (FSDD speaker, ESC-50 fold), or None.
    """

    wave: np.ndarray
    sample_rate: int
    label: int | None = None
    id: str = ""
    group: str | int | None = None


def resample(wave: np.ndarray, orig_rate: int, new_rate: int) -> np.ndarray:
    """``[S]`` float32 at ``orig_rate`` -> ``[S']`` float32 at ``new_rate`` (torchaudio sinc)."""
    if orig_rate == new_rate:
        return wave
    out = torchaudio.functional.resample(torch.from_numpy(wave), orig_rate, new_rate)
    return out.numpy().astype(np.float32, copy=False)


def check_wave(wave: np.ndarray, name: str, *, min_samples: int = 1) -> None:
    """Raise a ``ValueError`` naming ``name`` if ``wave`` ([S]) is empty, non-finite or silent."""
    if wave.size == 0:
        raise ValueError(f"{name}: zero-length audio")
    if not np.isfinite(wave).all():
        bad = int((~np.isfinite(wave)).sum())
        raise ValueError(f"{name}: {bad} NaN/inf samples")
    if float(np.abs(wave).max()) < SILENCE_PEAK:
        raise ValueError(f"{name}: all-silent clip (peak amplitude below {SILENCE_PEAK:g})")
    if wave.size < min_samples:
        raise ValueError(f"{name}: {wave.size} samples, shorter than one analysis window ({min_samples})")


def read_audio(path: str | Path, *, sample_rate: int, min_samples: int = 1) -> np.ndarray:
    """Decode a wav/flac/ogg/mp3 file (any rate, 1 to ``MAX_CHANNELS`` channels), mix to mono,
    check it and resample to ``sample_rate``.

    Returns:
        ``[S]`` float32 waveform in ``[-1, 1]`` (for integer formats).

    Raises:
        ValueError: corrupt or truncated file, unsupported channel count or sample rate,
            zero-length, all-silent or NaN/inf audio; the message names the file.
    """
    path = Path(path)
    try:
        info = sf.info(str(path))
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)  # [S, C]
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as err:
        raise ValueError(f"{path}: cannot decode audio ({err})") from None
    channels = data.shape[1]
    if not 1 <= channels <= MAX_CHANNELS:
        raise ValueError(f"{path}: unsupported channel count {channels} (supported: 1 to {MAX_CHANNELS})")
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise ValueError(f"{path}: unsupported sample rate {rate} Hz "
                         f"(supported: {MIN_SAMPLE_RATE} to {MAX_SAMPLE_RATE})")
    # libsndfile clamps a cut-short WAV to the bytes present, so compare with the header's promise.
    if info.frames > 0 and data.shape[0] < info.frames:
        raise ValueError(f"{path}: truncated file ({data.shape[0]} of {info.frames} frames decoded)")
    missing = _wav_missing_bytes(path) if info.format in ("WAV", "WAVEX") else 0
    if missing > 0:
        raise ValueError(f"{path}: truncated file (the data chunk lacks {missing} bytes its header declares)")
    wave = data.mean(axis=1) if channels > 1 else data[:, 0]
    wave = np.ascontiguousarray(wave, dtype=np.float32)
    check_wave(wave, str(path))
    wave = resample(wave, int(rate), sample_rate)
    check_wave(wave, str(path), min_samples=min_samples)
    return wave


def _wav_missing_bytes(path: Path) -> int:
    """Bytes the RIFF ``data`` chunk declares beyond the end of the file (0 if complete or unknown)."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        if fh.read(4) != b"RIFF":
            return 0
        fh.seek(12)
        while True:
            header = fh.read(8)
            if len(header) < 8:
                return 0
            chunk, length = header[:4], int.from_bytes(header[4:], "little")
            if chunk == b"data":
                # 0xFFFFFFFF marks a streamed file of unknown length.
                return 0 if length == 0xFFFFFFFF else max(0, fh.tell() + length - size)
            fh.seek(length + (length & 1), 1)


def list_audio_files(root: Path) -> list[Path]:
    """Sorted audio files (by extension, case-insensitive) directly inside ``root``."""
    return sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS)
