"""A deterministic generated set of labelled series (SYNTHETIC): waveform families with random
frequency, phase, amplitude, trend and noise, for tests and demos."""

from __future__ import annotations

import numpy as np

from jepa_domains.data.timeseries_readers import Series

FAMILIES = ("sine", "square", "sawtooth", "chirp", "bursts", "random_walk")


def generate_series(n_per_class: int = 40, *, length: int = 128, channels: int = 1, seed: int = 0,
                    noise: float = 0.3) -> list[Series]:
    """``n_per_class`` series of each family in :data:`FAMILIES`, shape ``[channels, length]``."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, length)
    out = []
    for label, family in enumerate(FAMILIES):
        for i in range(n_per_class):
            chans = []
            for _ in range(channels):
                freq = rng.uniform(3.0, 8.0)
                phase = rng.uniform(0, 2 * np.pi)
                x = {
                    "sine": lambda: np.sin(2 * np.pi * freq * t + phase),
                    "square": lambda: np.sign(np.sin(2 * np.pi * freq * t + phase)),
                    "sawtooth": lambda: 2 * ((freq * t + phase / (2 * np.pi)) % 1.0) - 1,
                    "chirp": lambda: np.sin(2 * np.pi * (freq * 0.5 * t + freq * t**2) + phase),
                    "bursts": lambda: np.sin(2 * np.pi * 3 * freq * t) * (np.sin(2 * np.pi * 1.5 * t + phase) > 0.3),
                    "random_walk": lambda: np.cumsum(rng.normal(0, 1, length)) / np.sqrt(length) * 3,
                }[family]()
                x = rng.uniform(0.5, 2.0) * x + rng.normal(0, noise, length) + rng.uniform(-1, 1) * t
                chans.append(x)
            out.append(Series(np.stack(chans).astype(np.float32), label, f"synthetic:{family}:{i}"))
    return out
