"""Pretrain an audio JEPA on a real dataset at CPU size, then report frozen linear-probe and kNN
accuracy against the random-init encoder and the log-mel feature baseline.

    python benchmarks/audio_eval.py --data-root /path/to/data --dataset fsdd --steps 300

``--run DIR`` evaluates an existing run instead of training one. Prints one table; also writes
``results.json`` into the run directory.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from jepa_domains.eval.protocols import format_rows
from jepa_domains.modalities.audio.evaluate import evaluate_audio_run
from jepa_domains.registry import get_modality
from jepa_domains.train.config import resolve
from jepa_domains.train.trainer import Trainer


def pretrain(args: argparse.Namespace) -> Path:
    adapter = get_modality("audio")
    overrides = [f"data.source={args.dataset}", f"data.data_root={args.data_root}", f"train.steps={args.steps}",
                 f"train.checkpoint_every={args.steps}", "train.progress=false",
                 f"data.batch_size={args.batch_size}", f"optim.warmup_steps={max(1, args.steps // 10)}",
                 *args.set]
    cfg = resolve("audio", defaults=adapter.run_defaults, overrides=overrides)
    out = Path(args.out)
    start = time.perf_counter()
    result = Trainer(cfg, run_dir=out).fit()
    print(f"pretrained {result.steps} steps in {time.perf_counter() - start:.1f}s, final loss {result.final_loss:.4f}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", required=True, help="folder holding fsdd/ (and esc50/)")
    parser.add_argument("--dataset", default="fsdd", choices=("fsdd", "esc50"))
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--out", default="runs/audio-eval")
    parser.add_argument("--run", default=None, help="evaluate this existing run directory instead of training")
    parser.add_argument("--no-grouped", action="store_true", help="skip leave-one-speaker-out / 5-fold CV")
    parser.add_argument("--set", action="append", default=[], help="extra run override a.b=c")
    args = parser.parse_args()
    run_dir = Path(args.run) if args.run else pretrain(args)
    start = time.perf_counter()
    rows = evaluate_audio_run(run_dir, source=args.dataset, data_root=args.data_root, grouped=not args.no_grouped)
    print(f"evaluation took {time.perf_counter() - start:.1f}s")
    print(format_rows(rows))
    (run_dir / "results.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
