"""CPU-sized real-data evaluation of the pointcloud modality on furniture3d (Point-JEPA protocol).

Pretrain a small Point-JEPA on the furniture3d training split (category split, 656 shapes), then
report linear-SVM and kNN accuracy on frozen max+mean pooled token embeddings for both labellings
(``category``, 12 classes; ``shape_class``, 11 classes with >= 10 models), against the same
encoder at random init, the run's hand descriptor (modality.descriptor), and the majority class.

    python benchmarks/pointcloud_eval.py --data-root /path/to/data --out /tmp/pc_bench [--steps 200]

``--validate`` chooses nothing on the test split: it scores an existing run by stratified 5-fold
cross-validation of each probe (its C / k searched inside every fold) on the *training* split
only, for both encoders and the baselines; the recipe's choices were made on these figures.

    python benchmarks/pointcloud_eval.py --data-root DATA --out RUN --validate [--probes svm knn] [--layers K]

``--layers K``: every encoder (both JEPA encoders and the random-init twin) reads its last ``K``
representations, concatenated (``eval --option layers=K``; default: the run's own).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from jepa_domains.eval.embed import load_runs
from jepa_domains.eval.probes import cross_validate
from jepa_domains.eval.protocols import format_rows, labelled_splits, method_embeddings
from jepa_domains.modalities.base import resolve_data_root
from jepa_domains.modalities.pointcloud.features import DESCRIPTORS, descriptor_features
from jepa_domains.modalities.pointcloud.evaluate import evaluate_run
from jepa_domains.registry import get_modality
from jepa_domains.train.config import resolve
from jepa_domains.train.trainer import train

SOURCES = ("furniture3d", "furniture3d:shape_class")


def validate(run_dir: Path, root: Path, probes: list[str], *, folds: int = 5, seed: int = 0,
             layers: int | None = None) -> list[dict]:
    """Stratified ``folds``-fold CV accuracy on the training split of every source, for both
    encoders, random-init and every hand descriptor (the run's ``features`` and each of
    :data:`DESCRIPTORS` by name): rows ``{dataset, encoder, method, probe,
    accuracy_mean, accuracy_std}``. The test split is never read. ``layers``: see the module's docstring."""
    runs = load_runs(run_dir, encoder="both", layers=layers)
    rows = []
    for source in SOURCES:
        splits, labels, name = labelled_splits(next(iter(runs.values())), source, root)
        feats = method_embeddings(runs, splits["train"])
        clouds = [splits["train"][i].points for i in range(len(splits["train"]))]
        extra = {kind: descriptor_features(clouds, kind) for kind in DESCRIPTORS}
        for methods in feats.values():
            methods.update(extra)
        done: dict[tuple[int, str], dict] = {}
        for which, methods in feats.items():
            for method, X in methods.items():
                for probe in probes:
                    key = (id(X), probe)
                    if key not in done:
                        done[key] = cross_validate(X, np.asarray(labels["train"]), probe, folds=folds, seed=seed)
                    res = done[key]
                    rows.append({"dataset": name, "encoder": which, "method": method, "probe": probe,
                                 "accuracy_mean": round(res["accuracy_mean"], 4),
                                 "accuracy_std": round(res["accuracy_std"], 4)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--out", default="runs/pointcloud_bench")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        help="extra run-config override, e.g. --set model.depth=6")
    parser.add_argument("--eval-only", action="store_true", help="evaluate an existing run in --out")
    parser.add_argument("--validate", action="store_true",
                        help="only 5-fold CV on the training split of an existing run (no test split)")
    parser.add_argument("--probes", nargs="+", default=["svm", "knn"], help="probes (see docs/evaluation.md)")
    parser.add_argument("--layers", type=int, default=None,
                        help="how many of the encoders' last representations to read, concatenated (default: the run's)")
    args = parser.parse_args()
    root = resolve_data_root(args.data_root)
    if root is None:
        raise SystemExit("furniture3d needs --data-root or JEPA_DOMAINS_DATA")
    out = Path(args.out)
    if args.validate:
        rows = validate(out, root, args.probes, layers=args.layers)
        for r in rows:
            print(f"{r['dataset']:24s} {r['encoder']:8s} {r['method']:12s} {r['probe']:20s} "
                  f"{100 * r['accuracy_mean']:5.1f} +- {100 * r['accuracy_std']:4.1f}")
        name = "pointcloud_validate.json" if args.layers is None else f"pointcloud_validate_layers{args.layers}.json"
        (out / name).write_text(json.dumps(rows, indent=1))
        return
    if not args.eval_only:
        adapter = get_modality("pointcloud")
        overrides = ["data.source=furniture3d", f"data.data_root={root}", f"train.steps={args.steps}",
                     "train.progress=false", f"train.checkpoint_every={args.steps}", *args.overrides]
        cfg = resolve("pointcloud", defaults=adapter.run_defaults, overrides=overrides)
        result = train(cfg, run_dir=out)
        print(f"pretrained {result.steps} steps in {result.wall_seconds:.0f}s, final loss {result.final_loss:.4f}")
    start = time.perf_counter()
    rows = evaluate_run(out, sources=SOURCES, data_root=root, probes=tuple(args.probes), layers=args.layers)
    print(format_rows(rows))
    print(f"evaluation took {time.perf_counter() - start:.0f}s")
    (out / "pointcloud_eval.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
