"""Helpers for multi-process tests: run the standalone driver under a 2-process Fabric DDP on
CPU (gloo) and compare checkpoints with a single-process run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DRIVER = HERE / "run_trainer.py"
# A tiny model: the point is the arithmetic of data parallelism, not representation quality.
TINY_MODEL = ["model.dim=32", "model.depth=1", "model.num_heads=2", "model.pred_dim=16", "model.pred_depth=1",
              "model.pred_heads=2", "train.progress=false", "train.accelerator=cpu"]


def single_thread_env() -> dict[str, str]:
    """Environment for child processes: one thread each (the test machine is shared), no GPU."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="",
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    env.pop("MASTER_PORT", None)  # let Fabric pick a free port per run
    return env


def run_driver(modality: str, run_dir: Path, *, overrides: list[str] = (), quick: bool = True,
               stop_at: int | None = None, resume: Path | None = None, devices: int | None = None,
               timeout: float = 300) -> str:
    """Run :mod:`run_trainer` in a fresh interpreter; returns its output, raises with it on failure."""
    cmd = [sys.executable, str(DRIVER), modality, str(run_dir)]
    for o in overrides:
        cmd += ["--set", o]
    if quick:
        cmd.append("--quick")
    if stop_at is not None:
        cmd += ["--stop-at", str(stop_at)]
    if resume is not None:
        cmd += ["--resume", str(resume)]
    if devices is not None:
        cmd += ["--devices", str(devices)]
    proc = subprocess.run(cmd, cwd=REPO, env=single_thread_env(), capture_output=True, text=True, timeout=timeout)
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise AssertionError(f"driver failed ({proc.returncode}): {' '.join(cmd)}\n{output[-4000:]}")
    return output


def load_state(run_dir: Path) -> dict:
    return torch.load(Path(run_dir) / "checkpoints" / "last.pt", weights_only=True)


def max_abs_diff(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], prefix: str = "") -> float:
    """Largest absolute difference over the tensors whose key starts with ``prefix``; the key sets
    must agree exactly (no wrapper prefixes on either side)."""
    assert set(a) == set(b), sorted(set(a) ^ set(b))[:5]
    diffs = [(a[k].double() - b[k].double()).abs().max().item() for k in a
             if k.startswith(prefix) and a[k].is_floating_point() and a[k].numel()]
    return max(diffs, default=0.0)
