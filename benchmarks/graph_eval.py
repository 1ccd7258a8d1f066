"""Graph-JEPA on TU datasets, CPU-sized: K-fold CV with per-fold pretraining, against a
random-init encoder and a Weisfeiler–Lehman + linear-SVM baseline, next to the paper's figures;
plus the cost of METIS partitioning (collate) as a fraction of a training step.

    python benchmarks/graph_eval.py --data-root /path/to/data --datasets MUTAG PROTEINS
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
    """Mean collate (edge drop + METIS + expansion + masks) and train-step milliseconds."""
    from jepa_domains.modalities.base import resolve_data_root
    from jepa_domains.train.build import build
    from jepa_domains.train.loader import sample_seed

    built = build(cfg)
    adapter = built.adapter
    ds = adapter.load_dataset(built.options, cfg.data.source, data_root=resolve_data_root(cfg.data.data_root))
    cfg.modality = dataclasses.asdict(adapter.prepare(built.options, ds))
    built = build(cfg)
    model, opts, bs = built.model.train(), built.options, cfg.data.batch_size
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    collate_s = step_s = 0.0
    for b in range(batches + 1):
        start = time.perf_counter()
        idx = [(b * bs + i) % len(ds) for i in range(bs)]
        gens = [torch.Generator().manual_seed(sample_seed(0, 0, i)) for i in idx]
        batch = adapter.collate(opts, [ds[i] for i in idx], gens)
        plan = built.masker(batch.layout, gens)
        mid = time.perf_counter()
        model(batch, plan).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if b:  # the first batch warms up
            collate_s += mid - start
            step_s += time.perf_counter() - mid
    return {"collate_ms": 1e3 * collate_s / batches, "step_ms": 1e3 * step_s / batches,
            "collate_fraction": collate_s / (collate_s + step_s)}


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
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from jepa_domains.eval.verdicts import verdicts
    from jepa_domains.modalities.graph.evaluate import cross_validate_pretraining
    from jepa_domains.registry import get_modality
    from jepa_domains.train.config import resolve

    adapter = get_modality("graph")
    table = []
    for name in args.datasets:
        overrides = CPU_SIZE + [f"data.source={name}", f"data.data_root={args.data_root}"] + args.overrides
        cost = partition_cost(resolve("graph", defaults=adapter.run_defaults, overrides=overrides))
        print(f"[{name}] collate {cost['collate_ms']:.1f} ms vs step {cost['step_ms']:.1f} ms per batch "
              f"(partitioning {100 * cost['collate_fraction']:.0f}% of collate+step)", flush=True)
        cfg = resolve("graph", defaults=adapter.run_defaults, overrides=overrides)
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
