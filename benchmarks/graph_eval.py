"""Graph-JEPA on TU datasets, CPU-sized: K-fold CV with per-fold pretraining, against a
random-init encoder and a Weisfeiler–Lehman + linear-SVM baseline, next to the paper's figures;
plus the cost of METIS partitioning (collate) as a fraction of a training step.

    python benchmarks/graph_eval.py --data-root /path/to/data --datasets MUTAG PROTEINS
    python benchmarks/graph_eval.py --data-root DATA --datasets MUTAG --config graph-jepa --cost-only

A dataset is a name under ``DATA/tudataset/`` or the path of any TU-format folder; its run
folders are ``--out/NAME`` (the folder's name), never inside the dataset folder.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import torch

PUBLISHED = {"MUTAG": "91.25 ± 5.75", "PROTEINS": "75.68 ± 3.78", "IMDB-BINARY": "73.68 ± 3.25",
             "IMDB-MULTI": "50.69 ± 2.91"}
CPU_SIZE = ["train.steps=150", "optim.warmup_steps=15", "train.checkpoint_every=1000", "train.log_every=50",
            "train.diagnostics_every=50", "model.dim=64", "model.depth=2", "model.num_heads=2", "model.pred_dim=32",
            "model.pred_depth=1", "model.pred_heads=2", "data.batch_size=32", "modality.num_patches=16",
            "train.progress=false"]


def partition_cost(cfg, *, batches: int = 6) -> dict[str, float]:
    """Partitioning cost as a run pays it.

    Collate (edge drop + METIS + expansion + masks, the trainer's own sampler and collator) is
    timed over every batch of the run (``train.steps``), so that the first-use misses of a
    partition pool count as often as a run meets them; the train step is timed on ``batches``
    batches after one warm-up. Returns mean milliseconds per batch and the collate fraction.
    """
    from jepa_domains.modalities.base import resolve_data_root
    from jepa_domains.train.build import build
    from jepa_domains.train.loader import KeyedDataset, MaskingCollator, ShardedBatchSampler

    built = build(cfg)
    adapter = built.adapter
    ds = adapter.load_dataset(built.options, cfg.data.source, split=adapter.pretrain_split(built.options),
                              data_root=resolve_data_root(cfg.data.data_root))
    cfg.modality = dataclasses.asdict(adapter.prepare(built.options, ds))
    built = build(cfg)
    model, opts = built.model.train(), built.options
    collator = MaskingCollator(adapter, opts, built.masker, seed=cfg.train.seed, total_steps=cfg.train.steps)
    keyed = KeyedDataset(ds)
    stream = iter(ShardedBatchSampler(num_samples=len(ds), global_batch=cfg.data.batch_size, seed=cfg.train.seed))
    kept, collate_s = [], 0.0
    for b in range(cfg.train.steps):
        items = [keyed[key] for key in next(stream)]
        start = time.perf_counter()
        batch, plan, _ = collator(items)
        collate_s += time.perf_counter() - start
        if b <= batches:
            kept.append((batch, plan))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    step_s = 0.0
    for b, (batch, plan) in enumerate(kept):
        start = time.perf_counter()
        model(batch, plan).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if b:  # the first step warms up
            step_s += time.perf_counter() - start
    collate_ms, step_ms = 1e3 * collate_s / cfg.train.steps, 1e3 * step_s / (len(kept) - 1)
    return {"collate_ms": collate_ms, "step_ms": step_ms, "collate_fraction": collate_ms / (collate_ms + step_ms)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--datasets", nargs="+", default=["MUTAG", "PROTEINS"])
    parser.add_argument("--folds", type=int, default=10, help="how many of the 10 folds to run")
    parser.add_argument("--out", default="runs/graph_eval")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads (1 is fastest on 2 shared cores)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="extra run-config override")
    parser.add_argument("--encoder", default="both", choices=("context", "target", "both"),
                        help="which pretrained encoder to probe (both: context and EMA target)")
    parser.add_argument("--config", default=None,
                        help="a shipped graph recipe or config file, in place of the CPU-sized settings")
    parser.add_argument("--cost-only", action="store_true",
                        help="only measure the partitioning cost (collate vs training step)")
    parser.add_argument("--batches", type=int, default=6, help="batches timed for the partitioning cost")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from jepa_domains.eval.verdicts import verdicts
    from jepa_domains.modalities.graph.evaluate import cross_validate_pretraining
    from jepa_domains.registry import get_modality
    from jepa_domains.train.config import resolve

    adapter = get_modality("graph")
    table = []
    size = [] if args.config else CPU_SIZE
    for source in args.datasets:
        name = Path(source).expanduser().name  # a path's folder name: runs go to --out, not the dataset
        overrides = size + [f"data.source={source}", f"data.data_root={args.data_root}"] + args.overrides
        cfg = resolve("graph", defaults=adapter.run_defaults, file=args.config, overrides=overrides)
        cost = partition_cost(cfg, batches=args.batches)
        print(f"[{name}] collate {cost['collate_ms']:.1f} ms vs step {cost['step_ms']:.1f} ms per batch "
              f"(partitioning {100 * cost['collate_fraction']:.0f}% of collate+step)", flush=True)
        if args.cost_only:
            continue
        cfg = resolve("graph", defaults=adapter.run_defaults, file=args.config, overrides=overrides)
        start = time.perf_counter()
        result = cross_validate_pretraining(cfg, Path(args.out) / name, folds=args.folds, encoder=args.encoder)
        for verdict in verdicts([{**r, "task": "classify_cv"} for r in result["rows"]]):
            print(verdict.line(), flush=True)
        wall = time.perf_counter() - start
        row = {"dataset": name, "folds": args.folds, "wall_s": round(wall, 1), **cost,
               **{m: [round(100 * v, 2) for v in ms] for m, ms in result["summary"].items()}}
        table.append(row)
        (Path(args.out) / name / "summary.json").write_text(json.dumps({**row, "rows": result["rows"]}, indent=2))
    print(f"\n{'dataset':12s} {'folds':>5s} {'Graph-JEPA (ours)':>18s} {'random-init':>14s} {'WL + SVM':>14s} "
          f"{'paper':>14s} {'METIS %':>8s} {'wall s':>7s}")
    for r in table:
        cell = lambda m: f"{r[m][0]:.2f} ± {r[m][1]:.2f}"  # noqa: E731
        print(f"{r['dataset']:12s} {r['folds']:5d} {cell('jepa'):>18s} {cell('random_init'):>14s} "
              f"{cell('wl_features'):>14s} {PUBLISHED.get(r['dataset'], '-'):>14s} "
              f"{100 * r['collate_fraction']:7.0f}% {r['wall_s']:7.0f}")


if __name__ == "__main__":
    main()
