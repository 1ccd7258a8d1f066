"""The Free Spoken Digit Dataset shipped inside the package (``jepa_domains/data/fsdd/``).

All 3,000 recordings of FSDD (Jakobovski/free-spoken-digit-dataset, CC BY-SA 4.0; see
``fsdd/README.md`` and ``fsdd/LICENSE``), re-encoded losslessly: the 16-bit PCM samples of every
clip, in file-name order, concatenated into one 8 kHz mono FLAC file (``fsdd.flac``, ~11 MB), and
``clips.csv`` naming each clip with its digit, speaker, index, first sample, length and the CRC-32
of its 16-bit samples. :func:`build_embedded_fsdd` (``python benchmarks/audio_build_fsdd.py
--data-root DIR``) rebuilds both from an FSDD ``recordings/`` folder; :func:`embedded_fsdd`
decodes them into the same clips as :func:`~jepa_domains.data.audio_datasets.fsdd` reads from
the wav files.
"""

from __future__ import annotations

import csv
import functools
import zlib
from pathlib import Path

import numpy as np
import soundfile as sf

from jepa_domains.data.audio_io import AudioClip, check_wave, resample

EMBEDDED_DIR = Path(__file__).resolve().parent / "fsdd"
AUDIO_FILE = "fsdd.flac"
INDEX_FILE = "clips.csv"
FSDD_RATE = 8_000
FIELDS = ("file", "digit", "speaker", "index", "start", "frames", "crc32")
TEST_INDICES = range(5)   # the official split: recordings 0-4 of each digit and speaker are the test set


def pcm_crc32(samples: np.ndarray) -> int:
    """CRC-32 of ``[S]`` int16 samples as little-endian bytes."""
    return zlib.crc32(np.ascontiguousarray(samples, dtype="<i2").tobytes())


def build_embedded_fsdd(recordings: str | Path, out_dir: str | Path = EMBEDDED_DIR) -> dict[str, int]:
    """Write ``fsdd.flac`` + ``clips.csv`` from an FSDD ``recordings/`` folder (8 kHz mono 16-bit wav).

    Every ``{digit}_{speaker}_{index}.wav`` is read as int16, appended to one FLAC stream and
    indexed; the FLAC file is decoded again and each clip compared with its source, so a lossy
    or corrupt result raises instead of being shipped.

    Returns:
        ``{"clips": n, "samples": total samples, "bytes": size of fsdd.flac}``.

    Raises:
        ValueError: a missing folder, a file name outside the FSDD pattern, a file that is not
            8 kHz mono 16-bit PCM, or a round trip that does not reproduce the samples.
    """
    from jepa_domains.data.audio_datasets import FSDD_NAME

    recordings, out_dir = Path(recordings), Path(out_dir)
    if not recordings.is_dir():
        raise ValueError(f"FSDD recordings folder not found: {recordings}")
    files = sorted(p for p in recordings.iterdir() if p.is_file())
    if not files:
        raise ValueError(f"{recordings}: no files")
    rows, parts, start = [], [], 0
    for path in files:
        match = FSDD_NAME.match(path.stem)
        if match is None or path.suffix.lower() != ".wav":
            raise ValueError(f"{path}: not an FSDD recording (expected {{digit}}_{{speaker}}_{{index}}.wav)")
        info = sf.info(str(path))
        if info.samplerate != FSDD_RATE or info.channels != 1 or info.subtype != "PCM_16":
            raise ValueError(f"{path}: expected {FSDD_RATE} Hz mono PCM_16, got {info.samplerate} Hz, "
                             f"{info.channels} channels, {info.subtype}")
        samples, _ = sf.read(str(path), dtype="int16")
        rows.append({"file": path.name, "digit": int(match[1]), "speaker": match[2], "index": int(match[3]),
                     "start": start, "frames": len(samples), "crc32": pcm_crc32(samples)})
        parts.append(samples)
        start += len(samples)
    out_dir.mkdir(parents=True, exist_ok=True)
    sf.write(str(out_dir / AUDIO_FILE), np.concatenate(parts), FSDD_RATE, format="FLAC", subtype="PCM_16")
    with (out_dir / INDEX_FILE).open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    decoded, _ = sf.read(str(out_dir / AUDIO_FILE), dtype="int16")
    for row, samples in zip(rows, parts):
        if not np.array_equal(decoded[row["start"]: row["start"] + row["frames"]], samples):
            raise ValueError(f"{out_dir / AUDIO_FILE}: round trip changed {row['file']}")
    return {"clips": len(rows), "samples": start, "bytes": (out_dir / AUDIO_FILE).stat().st_size}


@functools.lru_cache(maxsize=2)
def _decoded(folder: str) -> tuple[np.ndarray, tuple[dict, ...]]:
    """``([N] int16 samples of every clip, index rows)`` of an embedded FSDD folder (decoded once)."""
    root = Path(folder)
    audio, index = root / AUDIO_FILE, root / INDEX_FILE
    for path in (audio, index):
        if not path.is_file():
            raise ValueError(f"embedded FSDD is incomplete: {path} is missing "
                             f"(rebuild it with benchmarks/audio_build_fsdd.py --data-root DIR)")
    with index.open(newline="") as fh:
        rows = tuple(csv.DictReader(fh))
    if not rows or set(FIELDS) - set(rows[0]):
        raise ValueError(f"{index}: expected columns {', '.join(FIELDS)}")
    samples, rate = sf.read(str(audio), dtype="int16")
    if rate != FSDD_RATE or samples.ndim != 1:
        raise ValueError(f"{audio}: expected {FSDD_RATE} Hz mono, got {rate} Hz, shape {samples.shape}")
    end = max(int(r["start"]) + int(r["frames"]) for r in rows)
    if end > len(samples):
        raise ValueError(f"{audio}: {len(samples)} samples, but {index} indexes {end}")
    return samples, rows


def embedded_fsdd_clips(*, split: str, sample_rate: int, min_samples: int = 1,
                        folder: str | Path = EMBEDDED_DIR, verify: bool = False) -> list[AudioClip]:
    """Clips of the embedded FSDD for ``split`` (``"train"``: index 5-49, ``"test"``: 0-4, ``"all"``).

    Args:
        sample_rate: Hz the clips are resampled to (from 8 kHz).
        min_samples: clips shorter than this after resampling raise (one analysis window).
        verify: compare every clip's CRC-32 with ``clips.csv`` (tests; ~0.1 s).

    Returns:
        clips in file-name order: label = digit, group = speaker, id = the wav file name.
    """
    samples, rows = _decoded(str(Path(folder).resolve()))
    clips = []
    for r in rows:
        index = int(r["index"])
        part = "test" if index in TEST_INDICES else "train"
        if split not in ("all", part):
            continue
        pcm = samples[int(r["start"]): int(r["start"]) + int(r["frames"])]
        if verify and pcm_crc32(pcm) != int(r["crc32"]):
            raise ValueError(f"embedded FSDD: {r['file']} does not match its CRC-32 in {INDEX_FILE}")
        wave = pcm.astype(np.float32) / 32768.0     # what soundfile's float32 read of the wav gives
        check_wave(wave, r["file"])
        wave = resample(wave, FSDD_RATE, sample_rate)
        check_wave(wave, r["file"], min_samples=min_samples)
        clips.append(AudioClip(wave=wave, sample_rate=sample_rate, label=int(r["digit"]), id=r["file"],
                               group=r["speaker"]))
    return clips
