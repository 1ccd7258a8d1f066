"""Where should log-mel features be computed? Times both paths on the same clips in one run:

* ``collate``: per-clip Kaldi fbank (torchaudio) inside the collate, i.e. in DataLoader workers;
* ``device``: the collate only crops/pads waveforms; the batched front end runs on the training
  device (CUDA when available, else CPU), transfer included.

    python benchmarks/audio_features.py [--batch-size 64] [--batches 10] [--device cuda]

Prints per-batch milliseconds of both paths and their ratio.
"""

from __future__ import annotations

import argparse
import time

import torch

from jepa_domains.data.audio_synthetic import synthetic_clips
from jepa_domains.modalities.audio.collate import collate_clips
from jepa_domains.modalities.audio.config import AudioConfig
from jepa_domains.modalities.audio.tokenizer import SpectrogramPatchTokenizer


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_paths(batch_size: int, batches: int, device: torch.device) -> dict[str, tuple[float, float]]:
    """Mean (wall, process CPU) seconds per batch of the collate path and of the device path.

    CPU time is reported too because wall time on a shared machine moves with other load."""
    clips = synthetic_clips(batch_size * batches, seed=1)
    stats = {"norm_mean": -3.0, "norm_std": 4.0}
    collate_cfg, device_cfg = AudioConfig(**stats), AudioConfig(feature_path="device", **stats)
    front = SpectrogramPatchTokenizer(cfg=device_cfg, dim=32).to(device)
    chunks = [clips[i * batch_size : (i + 1) * batch_size] for i in range(batches)]
    # warm up both paths (kernel selection, mel-bank caches) before timing
    collate_clips(collate_cfg, chunks[0], None)
    front.spectrogram(collate_clips(device_cfg, chunks[0], None).to(device))
    _sync(device)
    start, cpu = time.perf_counter(), time.process_time()
    for chunk in chunks:
        collate_clips(collate_cfg, chunk, None).to(device)
    _sync(device)
    out = {"collate": ((time.perf_counter() - start) / batches, (time.process_time() - cpu) / batches)}
    start, cpu = time.perf_counter(), time.process_time()
    with torch.no_grad():
        for chunk in chunks:
            front.spectrogram(collate_clips(device_cfg, chunk, None).to(device))
    _sync(device)
    out["device"] = ((time.perf_counter() - start) / batches, (time.process_time() - cpu) / batches)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="time the two log-mel feature paths")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    t = time_paths(args.batch_size, args.batches, device)
    print(f"device={device} threads={torch.get_num_threads()} batch={args.batch_size} clips of up to 1.0 s at 16 kHz")
    for name, label in (("collate", "collate (per-clip kaldi.fbank, worker path)"),
                        ("device", f"device  (batched front end on {device.type})")):
        print(f"{label:46s} wall {1000 * t[name][0]:8.1f} ms/batch   cpu {1000 * t[name][1]:8.1f} ms/batch")
    wall, cpu = t["collate"][0] / t["device"][0], t["collate"][1] / t["device"][1]
    print(f"ratio collate/device: wall {wall:.2f}x, cpu {cpu:.2f}x "
          f"({'device' if wall > 1 else 'collate'} path faster)")


if __name__ == "__main__":
    main()
