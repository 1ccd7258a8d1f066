"""Scale-out check on real data: shard a dataset, pretrain on the shards with N processes and on
the source with 1, embed with N processes and with 1, and print how far apart they are.

    python benchmarks/distributed_check.py audio --data fsdd --data-root /path/to/data \
        --devices 2 --steps 20 --out /tmp/dist-check

Everything goes through the ``jepa-domains`` CLI (multi-process runs re-execute their command
line, so they must be separate processes). On CPU it uses gloo; pass ``--accelerator gpu`` on a
GPU node.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch


def cli(*args: str) -> float:
    """Run ``jepa-domains ARGS``; returns wall seconds, exits with its output on failure."""
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "jepa_domains.cli.app", *args], env=env, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        sys.exit(f"failed: jepa-domains {' '.join(args)}\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def max_param_diff(a: Path, b: Path) -> float:
    sa = torch.load(a / "checkpoints" / "last.pt", weights_only=True)["model"]
    sb = torch.load(b / "checkpoints" / "last.pt", weights_only=True)["model"]
    return max((sa[k].double() - sb[k].double()).abs().max().item() for k in sa if sa[k].is_floating_point())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modality")
    parser.add_argument("--data", required=True)
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--devices", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--accelerator", default="cpu")
    parser.add_argument("--samples-per-shard", type=int, default=250)
    parser.add_argument("--out", type=Path, default=Path("dist-check"))
    args = parser.parse_args()

    from jepa_domains.train.launch import read_embedding_shards

    out = args.out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    root = ["--data-root", args.data_root] if args.data_root else []
    common = ["--quick", "--set", f"train.steps={args.steps}", "--set", "train.progress=false",
              "--set", f"train.accelerator={args.accelerator}"]
    rows = []
    t = cli("shard", args.modality, str(out / "shards"), "--data", args.data, *root, "--split", "train",
            "--samples-per-shard", str(args.samples_per_shard))
    size = sum(p.stat().st_size for p in (out / "shards").iterdir()) / 2**20
    rows.append(("shard train split", f"{len(list((out / 'shards').glob('*.tar')))} shards, {size:.0f} MiB", t))
    t = cli("train", args.modality, "--data", str(out / "shards"), "--devices", str(args.devices),
            "--strategy", "ddp", "--out", str(out / "multi"), *common)
    rows.append((f"train {args.devices} processes on shards", f"{args.steps} steps", t))
    t = cli("train", args.modality, "--data", args.data, *root, "--out", str(out / "single"), *common)
    rows.append(("train 1 process on source", f"{args.steps} steps", t))
    rows.append(("max |param diff| (online+EMA+predictor)", f"{max_param_diff(out / 'multi', out / 'single'):.2e}", 0.0))
    t = cli("embed", str(out / "multi"), "--data", args.data, *root, "--split", "test", "--devices",
            str(args.devices), "--accelerator", args.accelerator, "--out", str(out / "emb"))
    rows.append((f"embed test split, {args.devices} processes", "per-rank .npz", t))
    t = cli("embed", str(out / "multi"), "--data", args.data, *root, "--split", "test", "--out", str(out / "emb1.npz"))
    rows.append(("embed test split, 1 process", "one .npz", t))
    joined, single = read_embedding_shards(out / "emb"), np.load(out / "emb1.npz")
    same_ids = bool((joined["ids"] == single["ids"]).all())
    rows.append(("max |embedding diff|, ids joined",
                 f"{np.abs(joined['X'] - single['X']).max():.2e}, n={len(joined['ids'])}, ids equal={same_ids}", 0.0))
    width = max(len(r[0]) for r in rows)
    print(f"{'check':{width}s}  {'result':40s}  wall s")
    for name, result, seconds in rows:
        print(f"{name:{width}s}  {result:40s}  {seconds:6.1f}" if seconds else f"{name:{width}s}  {result}")


if __name__ == "__main__":
    main()
