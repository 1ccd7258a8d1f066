"""CPU-sized real-data evaluation of the pointcloud modality on furniture3d (Point-JEPA protocol).

Pretrain a small Point-JEPA on the furniture3d training split (category split, 656 shapes), then
report linear-SVM and kNN accuracy on frozen max+mean pooled token embeddings for both labellings
(``category``, 12 classes; ``shape_class``, 11 classes with >= 10 models), against the same
encoder at random init, the D2 shape-distribution features, and the majority class.

    python benchmarks/pointcloud_eval.py --data-root /path/to/data --out /tmp/pc_bench [--steps 200]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from jepa_domains.eval.protocols import format_rows
from jepa_domains.modalities.base import resolve_data_root
from jepa_domains.modalities.pointcloud.evaluate import evaluate_run
from jepa_domains.registry import get_modality
from jepa_domains.train.config import resolve
from jepa_domains.train.trainer import train

SOURCES = ("furniture3d", "furniture3d:shape_class")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--out", default="runs/pointcloud_bench")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        help="extra run-config override, e.g. --set model.depth=6")
    parser.add_argument("--eval-only", action="store_true", help="evaluate an existing run in --out")
    args = parser.parse_args()
    root = resolve_data_root(args.data_root)
    if root is None:
        raise SystemExit("furniture3d needs --data-root or JEPA_DOMAINS_DATA")
    out = Path(args.out)
    if not args.eval_only:
        adapter = get_modality("pointcloud")
        overrides = ["data.source=furniture3d", f"data.data_root={root}", f"train.steps={args.steps}",
                     "train.progress=false", f"train.checkpoint_every={args.steps}", *args.overrides]
        cfg = resolve("pointcloud", defaults=adapter.run_defaults, overrides=overrides)
        result = train(cfg, run_dir=out)
        print(f"pretrained {result.steps} steps in {result.wall_seconds:.0f}s, final loss {result.final_loss:.4f}")
    start = time.perf_counter()
    rows = evaluate_run(out, sources=SOURCES, data_root=root, probes=("svm", "knn"))
    print(format_rows(rows))
    print(f"evaluation took {time.perf_counter() - start:.0f}s")
    (out / "pointcloud_eval.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
