"""CPU-sized real-data evaluation of the trajectory modality.

For every dataset: pretrain a small T-JEPA on its training split, then report
(1) frozen-probe classification (JEPA vs random-init encoder vs per-track features) and 1-NN DTW,
(2) self-similarity mean rank (Go!Track, Vehicles) under down-sampling and distortion against
discrete Fréchet / Hausdorff / DTW and the random-init encoder,
(3) next-5-positions forecasting (Go!Track, Vehicles) against constant velocity.

    python benchmarks/trajectory_eval.py --data-root /path/to/data --out /tmp/traj_bench
    python benchmarks/trajectory_eval.py --data-root DATA --config t-jepa-robust   # the shipped recipe

(``--config``: a recipe name or config file, applied instead of this script's small model; the
shipped bench suite ``recipes`` runs the same recipe per dataset with the paired verdicts.)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from jepa_domains.eval.embed import load_run, random_encoder
from jepa_domains.eval.protocols import classify_run, format_rows
from jepa_domains.modalities.base import resolve_data_root
from jepa_domains.modalities.trajectory.evaluate import dtw_1nn_accuracy, forecast_next_positions, similarity_search
from jepa_domains.registry import get_modality
from jepa_domains.train.config import resolve
from jepa_domains.train.trainer import train

LABELLED = ("gotrack", "animals", "vehicles", "pendigits", "libras")
SEARCH = {"gotrack": (50, 163), "vehicles": (60, 250)}  # queries, database size (split "all")
DTW_LIMITS = {"pendigits": (1500, 500)}  # train, test subsample for 1-NN DTW


def pretrain(name: str, root: Path, out: Path, steps: int, config: str | None = None) -> Path:
    adapter = get_modality("trajectory")
    if config is not None:
        cfg = resolve("trajectory", defaults=adapter.run_defaults, file=config,
                      overrides=[f"data.source={name}", f"data.data_root={root}", "train.progress=false",
                                 "train.cpu_threads=1"] + (["modality.max_points=16"] if name == "pendigits" else []))
        result = train(cfg, run_dir=out / name)
        print(f"[{name}] pretrained {result.steps} steps in {result.wall_seconds:.0f}s, final loss {result.final_loss:.4f}")
        return out / name
    overrides = [f"data.source={name}", f"data.data_root={root}", f"train.steps={steps}", "train.progress=false",
                 "model.dim=64", "model.depth=2", "model.num_heads=4", "model.pred_dim=32", "model.pred_depth=2",
                 "model.pred_heads=4", "data.batch_size=32", "modality.max_points=48", "optim.warmup_steps=10",
                 "objective.ema_start=0.98", "objective.ema_end=0.995",
                 f"train.checkpoint_every={steps}", "optim.lr=1e-3",
                 "modality.skip_bad_tracks=true"]  # real sets hold a few 1-point tracks: counted skips
    if name == "pendigits":
        overrides.append("data.batch_size=64")
    cfg = resolve("trajectory", defaults=adapter.run_defaults, overrides=overrides)
    result = train(cfg, run_dir=out / name)
    print(f"[{name}] pretrained {result.steps} steps in {result.wall_seconds:.0f}s, final loss {result.final_loss:.4f}")
    return out / name


def table(rows: list[dict], keys: list[str]) -> str:
    lines = ["  ".join(f"{k:>16s}" for k in keys)]
    for r in rows:
        lines.append("  ".join(f"{r[k]:16.3f}" if isinstance(r[k], float) else f"{str(r[k]):>16s}" for k in keys))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--out", default="runs/trajectory_bench")
    parser.add_argument("--datasets", default=",".join(LABELLED))
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--config", default=None, help="recipe name or config file (replaces the built-in small model)")
    args = parser.parse_args()
    root = resolve_data_root(args.data_root)
    if root is None:
        raise SystemExit("needs --data-root or JEPA_DOMAINS_DATA")
    out = Path(args.out)
    report: dict = {"classify": [], "dtw_1nn": [], "similarity": [], "forecast": []}
    for name in args.datasets.split(","):
        start = time.perf_counter()
        run_dir = pretrain(name, root, out, args.steps, args.config)
        rows = classify_run(run_dir, data_root=root, probes=("logistic", "knn"))
        report["classify"].extend(rows)
        print(format_rows(rows))
        run = load_run(run_dir)
        splits = {s: run.adapter.load_dataset(run.options, name, split=s, data_root=root) for s in ("train", "test")}
        max_train, max_test = DTW_LIMITS.get(name, (None, None))
        dtw = {"dataset": name, **dtw_1nn_accuracy(splits["train"], splits["test"], max_train=max_train,
                                                    max_test=max_test)}
        report["dtw_1nn"].append(dtw)
        print(f"[{name}] 1-NN DTW accuracy {dtw['accuracy']:.4f} (train {dtw['n_train']}, test {dtw['n_test']})")
        encoders = {"jepa": run.encoder, "random_init": random_encoder(run.cfg, run.adapter, run.options)}
        if name in SEARCH:
            everything = run.adapter.load_dataset(run.options, name, split="all", data_root=root)
            nq, nd = SEARCH[name]
            nd = min(nd, sum(len(tr) >= 4 for tr in everything.tracks))
            sim = []
            for kind, rates in (("downsample", (0.0, 0.1, 0.3, 0.5)), ("distort", (0.1, 0.3, 0.5))):
                sim += similarity_search(encoders, run.adapter, run.options, everything, num_queries=nq,
                                         num_database=nd, rates=rates, kinds=(kind,), classical_points=48)
            for r in sim:
                r["dataset"] = name
            report["similarity"].extend(sim)
            print(f"[{name}] self-similarity mean rank ({nq} queries, {nd} database tracks)")
            print(table(sim, ["perturbation", "rate", "method", "mean_rank"]))
            fc = forecast_next_positions(encoders, run.adapter, run.options, splits["train"], splits["test"],
                                         history=32, horizon=5)
            for r in fc:
                r["dataset"] = name
            report["forecast"].extend({k: v for k, v in r.items() if not k.endswith("_windows")} for r in fc)
            print(f"[{name}] next-5-positions forecasting (coordinate units)")
            print(table(fc, ["method", "ade", "fde"]))
        print(f"[{name}] done in {time.perf_counter() - start:.0f}s", flush=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str))
    print(f"report written to {out / 'report.json'}")


if __name__ == "__main__":
    main()
