"""A small deterministic SYNTHETIC audio set: six classes of generated sounds.

Pitch, duration, level and noise (SNR) vary per clip so that the task is not trivial, and every
class overlaps the others in frequency range: tones, up/down chirps, harmonic stacks, band-passed
noise bursts, amplitude-modulated and frequency-modulated tones. Used by
``jepa-domains train audio`` with no ``--data``, and by tests; nothing is downloaded.
"""

from __future__ import annotations

import numpy as np

from jepa_domains.data.audio_io import AudioClip

CLASSES = ("tone", "chirp", "harmonic", "noise_burst", "am_tone", "fm_tone")


def _envelope(n: int, rng: np.random.Generator, rate: int) -> np.ndarray:
    """Attack/release envelope ``[n]`` so that onsets differ from clip to clip."""
    attack = max(1, int(rate * rng.uniform(0.005, 0.08)))
    release = max(1, int(rate * rng.uniform(0.01, 0.15)))
    env = np.ones(n, dtype=np.float64)
    env[:attack] = np.linspace(0.0, 1.0, min(attack, n))[: min(attack, n)]
    env[-release:] *= np.linspace(1.0, 0.0, min(release, n))
    return env


def _band_noise(n: int, rng: np.random.Generator, rate: int, low: float, high: float) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    spec[(freqs < low) | (freqs > high)] = 0.0
    out = np.fft.irfft(spec, n)
    return out / (np.abs(out).max() + 1e-9)


def synth_clip(label: int, rng: np.random.Generator, rate: int) -> np.ndarray:
    """One clip ``[S]`` float32 of class ``label`` (see :data:`CLASSES`)."""
    n = int(rate * rng.uniform(0.35, 1.0))
    t = np.arange(n) / rate
    nyq = rate / 2
    f0 = rng.uniform(150.0, min(2500.0, 0.3 * nyq))
    kind = CLASSES[label]
    if kind == "tone":
        x = np.sin(2 * np.pi * f0 * t + rng.uniform(0, 2 * np.pi))
    elif kind == "chirp":
        f1 = f0 * rng.choice([rng.uniform(0.25, 0.6), rng.uniform(1.7, 4.0)])
        f1 = min(f1, 0.45 * nyq)
        x = np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * t[-1])))
    elif kind == "harmonic":
        k = rng.integers(3, 8)
        amps = rng.uniform(0.3, 1.0, size=k) / np.arange(1, k + 1)
        x = sum(a * np.sin(2 * np.pi * f0 * (h + 1) * t) for h, a in enumerate(amps) if f0 * (h + 1) < 0.45 * nyq)
    elif kind == "noise_burst":
        low = rng.uniform(100.0, 0.3 * nyq)
        x = _band_noise(n, rng, rate, low, min(low * rng.uniform(1.5, 4.0), 0.95 * nyq))
    elif kind == "am_tone":
        x = (1 + 0.9 * np.sin(2 * np.pi * rng.uniform(3.0, 20.0) * t)) * np.sin(2 * np.pi * f0 * t)
    else:  # fm_tone
        depth, mod = f0 * rng.uniform(0.05, 0.3), rng.uniform(2.0, 12.0)
        x = np.sin(2 * np.pi * f0 * t + (depth / mod) * np.sin(2 * np.pi * mod * t))
    x = np.asarray(x, dtype=np.float64) * _envelope(n, rng, rate)
    x = x / (np.abs(x).max() + 1e-9)
    snr_db = rng.uniform(5.0, 30.0)
    noise = rng.standard_normal(n) * np.sqrt(np.mean(x**2) / 10 ** (snr_db / 10))
    return (rng.uniform(0.1, 0.9) * (x + noise) / (np.abs(x + noise).max() + 1e-9)).astype(np.float32)


def synthetic_clips(num_clips: int, *, sample_rate: int = 16_000, seed: int = 0, offset: int = 0) -> list[AudioClip]:
    """``num_clips`` labelled clips, classes balanced; clip ``i`` depends only on ``(seed, offset + i)``."""
    if num_clips < 1:
        raise ValueError(f"num_clips must be >= 1, got {num_clips}")
    clips = []
    for i in range(offset, offset + num_clips):
        rng = np.random.default_rng([seed, i])
        label = i % len(CLASSES)
        clips.append(AudioClip(wave=synth_clip(label, rng, sample_rate), sample_rate=sample_rate, label=label,
                               id=f"synthetic-{CLASSES[label]}-{i:05d}"))
    return clips
