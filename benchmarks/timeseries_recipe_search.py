"""Recipe search for classification on training data only (the test split is never read).

    python benchmarks/timeseries_recipe_search.py runs/tsj-GunPoint --pool mean segments --log runs/ts-search.jsonl
    python benchmarks/timeseries_recipe_search.py runs/tsj-GunPoint --seeds 0 1 2      # three CV partitions, averaged
    python benchmarks/timeseries_recipe_search.py runs/union --data GunPoint --pool mean segments   # a multi-source run

For an existing run folder: loads the run (frozen context encoder, or its EMA target encoder with
``--encoder target``), embeds the **training**
split of the run's own data set (as ``eval --task classify`` reads it) with the JEPA encoder,
its random-init twin (same architecture and seed) and the raw ``features`` baseline, and scores
each with the 5-fold stratified cross-validation accuracy of the logistic probe (folds fixed by
``--seeds``, ``C`` chosen by inner CV inside each fold: :func:`jepa_domains.eval.probes.cross_validate`).
``--seeds 0 1 2`` repeats the CV over three partitions of the same embeddings and reports their
mean: on a few dozen series one partition can move a run's accuracy by 15 points (ArrowHead,
docs/recipes/timeseries.md section 15), more than the differences a recipe choice is made on.
``--pool`` scores the sequence embeddings under each pooling given (``mean``, ``segments``, ``max_mean``; default:
the run's own); ``features`` does not depend on the pooling and is computed once. Any modality with
a raw-feature baseline works (a trajectory run, say); one without a ``pool`` option is scored with
its own pooling, reported as ``own``. ``--layers K`` reads the last ``K`` representations of the
JEPA encoder and of its twin alike (``eval --option layers=K``; default: the run's own).

A guard on the run's adapter refuses to read any split but ``train`` (a ``RuntimeError``), so a
choice made from these numbers cannot have seen the test split. One line of JSON per run is
appended to ``--log``::

    {"out", "dataset", "note", "encoder", "layers", "train_series", "folds", "seeds", "eval_s",
     "cv": {pool: {"jepa" | "random_init" | "features": {"accuracy_mean", "accuracy_std", "scores",
                                                          "partitions"}}}}

``accuracy_mean`` is the mean over every fold of every partition, ``accuracy_std`` the standard
deviation over those folds, ``scores`` the fold accuracies (partition after partition) and
``partitions`` the mean accuracy of each partition, in ``seeds`` order.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from jepa_domains.data.multi_source import evaluation_source
from jepa_domains.eval.embed import LoadedRun, extract, load_runs, random_encoder
from jepa_domains.eval.probes import cross_validate
from jepa_domains.modalities.base import resolve_data_root

METHODS = ("jepa", "random_init", "features")


def guard_train_only(run: LoadedRun) -> None:
    """Make ``run.adapter.load_dataset`` raise for every split but ``train`` (on this run's own
    adapter instance: ``get_modality`` builds a new one per call, so nothing else is affected)."""
    load = run.adapter.load_dataset

    def train_only(options: Any, source: Any, *args: Any, split: str = "train", **kwargs: Any) -> Any:
        if split != "train":
            raise RuntimeError(f"the recipe search reads the training split only, not {split!r}")
        return load(options, source, *args, split=split, **kwargs)

    run.adapter.load_dataset = train_only


def training_split(run: LoadedRun, data_root: str | None, source: str | None = None) -> tuple[Any, np.ndarray, str]:
    """``source``'s data set (default: the run's own), training split only, as the classify
    protocol reads it: ``(dataset, labels [n], name)``."""
    guard_train_only(run)
    source = evaluation_source(source, run.cfg.data.source)
    root = resolve_data_root(data_root or run.cfg.data.data_root)
    train = run.adapter.load_dataset(run.options, source, split="train", data_root=root,
                                     skip_bad=run.cfg.data.skip_bad)
    labels = run.adapter.labels(train)
    if labels is None:
        raise ValueError(f"dataset {source!r} has no labels to probe")
    return train, np.asarray(labels), source or run.adapter.default_dataset or "default"


def search(run_dir: str | Path, *, pools: tuple[str, ...] | None = None, data_root: str | None = None,
           folds: int = 5, seeds: Sequence[int] = (0,), batch_size: int = 64, source: str | None = None,
           encoder: str = "context", layers: int | None = None) -> dict[str, Any]:
    """Training-split CV accuracies of one run's ``encoder`` (``"context"`` or ``"target"``), each
    encoder reading its last ``layers`` representations (None: the run's ``model.readout_layers``),
    over one partition into ``folds`` per seed in ``seeds`` (the embeddings are computed once):
    ``{"dataset", "encoder", "layers", "train_series", "cv": {pool: {method: {"accuracy_mean",
    "accuracy_std", "scores" [len(seeds) * folds], "partitions" [len(seeds)]}}}}`` (methods:
    :data:`METHODS`; ``random_init`` and ``features`` do not depend on the encoder)."""
    if encoder not in ("context", "target"):
        raise ValueError(f"encoder must be 'context' or 'target', got {encoder!r}")
    seeds = tuple(seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be one or more distinct partition seeds, got {list(seeds)}")
    run = load_runs(run_dir, encoder=encoder, layers=layers)[encoder]
    train, y, name = training_split(run, data_root, source)
    raw = run.adapter.feature_baseline(run.options, train)
    if raw is None:
        raise ValueError(f"the {run.cfg.modality_name} adapter has no raw-feature baseline")

    def scores_of(X: np.ndarray) -> dict[str, Any]:
        runs = [cross_validate(X, y, "logistic", folds=folds, seed=seed) for seed in seeds]
        scores = [s for r in runs for s in r["scores"]]
        return {"accuracy_mean": float(np.mean(scores)), "accuracy_std": float(np.std(scores)), "scores": scores,
                "partitions": [r["accuracy_mean"] for r in runs]}

    twin = random_encoder(run.cfg, run.adapter, run.options)
    feature_cv = scores_of(np.asarray(raw, dtype=np.float32))
    cv = {}
    has_pool = hasattr(run.options, "pool")
    if pools and not has_pool:
        raise ValueError(f"the {run.cfg.modality_name} modality has no pooling option: leave --pool out")
    for pool in pools or ((run.options.pool,) if has_pool else ("own",)):
        # validated as `eval --option pool=...` is; a modality without the option keeps its own pooling
        options = replace(run.options, pool=pool) if has_pool else run.options
        cv[pool] = {"jepa": scores_of(extract(run.encoder, run.adapter, options, train, batch_size=batch_size).X),
                    "random_init": scores_of(extract(twin, run.adapter, options, train, batch_size=batch_size).X),
                    "features": feature_cv}
    return {"dataset": name, "encoder": encoder, "layers": run.cfg.model.readout_layers, "train_series": int(len(y)),
            "cv": cv}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="an existing run folder")
    parser.add_argument("--pool", nargs="+", choices=("mean", "segments", "max_mean"), default=None,
                        help="pooling(s) to score (default: the run's own)")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--data", default=None, help="the set to score (default: the run's own; needed for a run "
                        "pretrained on several sources, A+B+...)")
    parser.add_argument("--encoder", choices=("context", "target"), default="context",
                        help="the run's encoder scored as 'jepa' (default: context)")
    parser.add_argument("--layers", type=int, default=None,
                        help="how many of the encoders' last representations to read, concatenated (default: the run's)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0],
                        help="fold shuffling and probe seed, one CV partition each (default: 0); the mean is reported")
    parser.add_argument("--log", default="runs/timeseries-recipe-search.jsonl")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    start = time.perf_counter()
    result = search(args.run, pools=tuple(args.pool) if args.pool else None, data_root=args.data_root,
                    folds=args.folds, seeds=args.seeds, source=args.data, encoder=args.encoder, layers=args.layers)
    record = {"out": str(args.run), "note": args.note, "folds": args.folds, "seeds": args.seeds,
              "eval_s": round(time.perf_counter() - start, 1), **result}
    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    with open(args.log, "a") as fh:
        fh.write(json.dumps(record) + "\n")
    partitions = f" x {len(args.seeds)} partitions (seeds {' '.join(map(str, args.seeds))})" if len(args.seeds) > 1 else ""
    print(f"{result['dataset']}: {result['train_series']} training series, {args.folds}-fold CV{partitions} (logistic), "
          f"{result['encoder']} encoder, last {result['layers']} representation(s)")
    print(f"{'pool':9s} " + " ".join(f"{m:>17s}" for m in METHODS))
    for pool, by_method in result["cv"].items():
        print(f"{pool:9s} " + " ".join(f"{s['accuracy_mean']:10.3f} ± {s['accuracy_std']:.3f}"
                                       for s in (by_method[m] for m in METHODS)))
        if len(args.seeds) > 1:
            print(f"{'':9s} " + " ".join(f"{' / '.join(f'{p:.3f}' for p in by_method[m]['partitions']):>17s}"
                                         for m in METHODS))


if __name__ == "__main__":
    main()
