"""Which of a trajectory recipe's input channels move under down-sampling, on the training split only.

    python benchmarks/trajectory_input_ranks.py vehicles gotrack --data-root DATA --windows 1 4 16

No encoder: the self-similarity protocol (``jepa-domains eval RUN --task similarity``: a track's
odd-indexed points query for its even-indexed ones among the database, both halves down-sampled at
each rate) is run on the collated tokens themselves, every query ranked against the database by the
Euclidean distance between the flattened inputs of one group of channels: the resampled positions
(in cells), the turn and heading, and the time gap and speed once per ``--windows`` value
(``modality.time_window``). The tokens are those of ``--config`` (default ``t-jepa-robust``) with
``--set`` overrides; the scales (cell size, speed and gap) are measured on the training split as a
run would. Duplicate tracks are dropped as the protocol does. The test split is never read. This is
how docs/recipes/trajectory.md section 10 found that Vehicles' time channels, not its positions,
are what down-sampling moves.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from jepa_domains.eval.similarity import pairwise_euclidean, twin_ranks
from jepa_domains.modalities.base import resolve_data_root
from jepa_domains.modalities.trajectory.adapter import TrajectoryAdapter, TrajectoryConfig
from jepa_domains.modalities.trajectory.evaluate import drop_duplicates, twin_sets
from jepa_domains.train.config import modality_options, resolve


def recipe_config(config: str | None, overrides: Sequence[str] = ()) -> TrajectoryConfig:
    """The modality options a run of recipe ``config`` (``None``: the modality's run defaults)
    would have, with ``--set``-style ``overrides`` (``modality.FIELD=VALUE``) applied."""
    adapter = TrajectoryAdapter()
    cfg = resolve("trajectory", defaults=adapter.run_defaults, file=config, overrides=list(overrides))
    return modality_options(TrajectoryConfig, cfg.modality)


def _flat(batch, group: str, cell_size: float) -> np.ndarray:
    if group == "positions":
        return batch.xy.reshape(len(batch.xy), -1).numpy() / cell_size
    cols = slice(0, 2) if group.startswith("time") else slice(2, 6)
    return batch.features[:, :, cols].reshape(len(batch.features), -1).numpy()


def input_ranks(source: str | None, *, data_root: str | Path | None = None, config: str | None = "t-jepa-robust",
                overrides: Sequence[str] = (), windows: Sequence[int] = (1,), rates: Sequence[float] = (0.0, 0.1, 0.3, 0.5),
                num_queries: int = 100, num_database: int = 500, seed: int = 0) -> dict[str, Any]:
    """Mean twin rank of each input group at each rate on the training split of ``source``:
    ``{"dataset", "queries", "database", "ranks": {group: [mean rank per rate]}}`` with groups
    ``positions``, ``turn_heading`` and ``time_w{W}`` for every window ``W``."""
    adapter = TrajectoryAdapter()
    root = resolve_data_root(data_root) if source else None
    cfg = recipe_config(config, overrides)
    if cfg.inputs != "motion":
        raise ValueError(f"input ranks read the motion tokens' channels; modality.inputs={cfg.inputs!r} has no time channels")
    train = adapter.load_dataset(cfg, source, split="train", data_root=root, skip_bad=True)
    train, _ = drop_duplicates(train)
    cfg = adapter.prepare(cfg, train)
    usable = sum(len(tr) >= 4 for tr in train.tracks)
    nq, nd = min(num_queries, usable // 2), min(num_database, usable)
    groups = ["positions", "turn_heading", *(f"time_w{w}" for w in windows)]
    ranks: dict[str, list[float]] = {g: [] for g in groups}
    for rate in rates:
        q, d = twin_sets(train, num_queries=nq, num_database=nd, seed=seed, rate=float(rate))
        batches = {}  # one collate per window: positions and angles do not depend on it
        for g in groups:
            w = int(g[6:]) if g.startswith("time_w") else cfg.time_window
            if w not in batches:
                c = dataclasses.replace(cfg, time_window=w)
                batches[w] = (adapter.collate(c, q.tracks, None), adapter.collate(c, d.tracks, None))
            eq, ed = (_flat(b, g, cfg.cell_size) for b in batches[w])
            ranks[g].append(float(twin_ranks(pairwise_euclidean(eq, ed)).mean()))
    return {"dataset": source or adapter.default_dataset, "queries": nq, "database": nd, "rates": list(rates),
            "ranks": ranks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", default=[None], help="trajectory sets (default: the synthetic one)")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--config", default="t-jepa-robust", help="a shipped trajectory recipe, or 'none'")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="modality.FIELD=VALUE")
    parser.add_argument("--windows", type=int, nargs="+", default=[1])
    parser.add_argument("--rates", type=float, nargs="+", default=[0.0, 0.1, 0.3, 0.5])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for source in args.datasets:
        r = input_ranks(source, data_root=args.data_root, config=None if args.config == "none" else args.config,
                        overrides=args.overrides, windows=args.windows, rates=args.rates, seed=args.seed)
        print(f"{r['dataset']}: {r['queries']} queries, {r['database']}-track database (training split); "
              f"mean twin rank at down-sampling {' / '.join(str(x) for x in r['rates'])}")
        for group, values in r["ranks"].items():
            print(f"  {group:14s} " + " / ".join(f"{v:.2f}" for v in values))


if __name__ == "__main__":
    main()
