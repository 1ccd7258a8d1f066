"""Recipe search for FSDD on validation data only (the official test clips, index 0-4, are never read).

    python benchmarks/audio_recipe_search.py --out runs/s1 --set model.depth=6 --set train.steps=600

Pretrains on the FSDD training clips (index 5-49, the embedded copy unless ``--data-root``), then
scores the frozen context encoder (``--encoder target|both`` for the EMA target; ``--pool``
replaces the run's pooling), its random-init twin and the log-mel statistics with the logistic
probe (C by inner CV) on two validation protocols carved from the training clips:

- ``val_split``: probe trained on index 10-49, scored on index 5-9 (300 clips);
- ``val_loso``: leave-one-speaker-out over the training clips (6 folds), mean and std, with the
  ``C`` that ``val_split``'s inner cross-validation chose (one inner search per method, for speed).

One line of JSON per run is appended to ``--log`` (default ``runs/audio-recipe-search.jsonl``).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import numpy as np

from jepa_domains.eval.embed import load_runs
from jepa_domains.eval.probes import fit_probe
from jepa_domains.eval.protocols import method_embeddings
from jepa_domains.registry import get_modality
from jepa_domains.train.config import resolve
from jepa_domains.train.trainer import Trainer

INDEX = re.compile(r"^\d_[A-Za-z]+_(\d+)\.wav$")


def pretrain(args: argparse.Namespace) -> tuple[Path, float]:
    adapter = get_modality("audio")
    overrides = ["data.source=fsdd", "train.progress=false", "train.cpu_threads=1", *args.set]
    if args.data_root:
        overrides.append(f"data.data_root={args.data_root}")
    cfg = resolve("audio", defaults=adapter.run_defaults, file=args.config, overrides=overrides)
    start = time.perf_counter()
    Trainer(cfg, run_dir=Path(args.out)).fit()
    return Path(args.out), time.perf_counter() - start


def validate(run_dir: Path, data_root: str | None, encoder: str = "context",
             pool: str | None = None) -> dict[str, dict[str, float]]:
    """``{method: {val_split, val_loso_mean, val_loso_std}}`` on the training clips only; the
    pretrained encoders are ``jepa`` (context) and ``jepa_target`` (with ``encoder`` target/both)."""
    runs = load_runs(run_dir, encoder=encoder, pool=pool)
    run = next(iter(runs.values()))
    train = run.adapter.load_dataset(run.options, "fsdd", split="train", data_root=data_root)
    index = np.array([int(INDEX.match(c.id)[1]) for c in train.clips])
    if index.min() < 5:
        raise RuntimeError("the official test clips (index 0-4) reached the validation search")
    labels, groups = train.labels, np.asarray(train.groups)
    per_encoder = method_embeddings(runs, train)
    feats = {("jepa" if which == "context" else "jepa_target") if method == "jepa" else method: X
             for which, methods in per_encoder.items() for method, X in methods.items()}
    val = index < 10
    out = {}
    for method, X in feats.items():
        split = fit_probe(X[~val], labels[~val], X[val], labels[val], kind="logistic")
        c = float(split["chosen"].split("=")[1])   # LOSO reuses the C chosen by the split's inner CV (speed)
        loso = [fit_probe(X[groups != g], labels[groups != g], X[groups == g], labels[groups == g],
                          kind="logistic", value=c)["accuracy"] for g in sorted(set(groups.tolist()))]
        out[method] = {"val_split": split["accuracy"], "C": c, "val_loso_mean": float(np.mean(loso)),
                       "val_loso_std": float(np.std(loso))}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--config", default=None, help="a recipe name or config file under the overrides")
    parser.add_argument("--set", action="append", default=[], help="run override a.b=c")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--log", default="runs/audio-recipe-search.jsonl")
    parser.add_argument("--note", default="")
    parser.add_argument("--run", action="store_true", help="evaluate the existing run in --out, do not train")
    parser.add_argument("--encoder", default="context", choices=("context", "target", "both"))
    parser.add_argument("--pool", default=None, help="replace the run's modality.pool (time, segments, all)")
    args = parser.parse_args()
    run_dir, seconds = (Path(args.out), 0.0) if args.run else pretrain(args)
    start = time.perf_counter()
    scores = validate(run_dir, args.data_root, args.encoder, args.pool)
    record = {"out": str(run_dir), "config": args.config, "set": args.set, "note": args.note,
              "encoder": args.encoder, "pool": args.pool,
              "pretrain_s": round(seconds, 1), "eval_s": round(time.perf_counter() - start, 1), **scores}
    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    with open(args.log, "a") as fh:
        fh.write(json.dumps(record) + "\n")
    print(f"pretrain {seconds:.0f}s")
    for method, s in scores.items():
        print(f"{method:12s} val_split {s['val_split']:.4f}  "
              f"val_loso {s['val_loso_mean']:.4f} ± {s['val_loso_std']:.4f}")


if __name__ == "__main__":
    main()
