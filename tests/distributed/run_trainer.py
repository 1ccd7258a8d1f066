"""Standalone driver for multi-process tests: ``python run_trainer.py MODALITY RUN_DIR [options]``.

Fabric's subprocess launcher re-executes ``sys.argv`` once per extra rank, so a multi-process run
must start from a script like this one, never from inside pytest's own process.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

torch.set_num_threads(1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("modality")
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--quick", action="store_true", help="apply the modality's quick overrides first")
    parser.add_argument("--stop-at", type=int, default=None)
    parser.add_argument("--resume", type=Path, default=None)
    parser.add_argument("--devices", type=int, default=None, help="with --resume: run on this many processes")
    args = parser.parse_args(argv)

    from jepa_domains.registry import get_modality
    from jepa_domains.train.config import GLOBAL_QUICK, resolve
    from jepa_domains.train.trainer import Trainer

    if args.resume is not None:
        launch = [f"train.devices={args.devices}"] if args.devices else []
        trainer = Trainer(None, run_dir=args.run_dir, resume=args.resume, overrides=launch)
    else:
        adapter = get_modality(args.modality)
        quick = {**GLOBAL_QUICK, **adapter.quick_overrides} if args.quick else {}
        cfg = resolve(args.modality, defaults=adapter.run_defaults, quick=quick, overrides=args.overrides)
        trainer = Trainer(cfg, run_dir=args.run_dir)
    result = trainer.fit(stop_at=args.stop_at)
    if trainer.fabric.global_rank == 0:
        print(f"RESULT steps={result.steps} loss={result.final_loss:.6f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
