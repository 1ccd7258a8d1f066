"""Which per-track features carry a trajectory set's labels, on its training split only.

    python benchmarks/trajectory_feature_groups.py gotrack vehicles animals libras pendigits --data-root DATA

Scores three groups of :data:`~jepa_domains.modalities.trajectory.features.FEATURE_NAMES` with the
logistic probe (5-fold stratified CV, ``C`` by inner CV in each fold, the mean over the partitions
of ``--seeds``): all of them, the :data:`~jepa_domains.modalities.trajectory.features.SAMPLING_FEATURES`
alone (how a track was recorded: point count, time-gap mean and spread) and the rest (how it moved);
``--single`` adds every feature on its own. Sets larger than ``--max-tracks`` are scored on a fixed
random subset of their training tracks. The test split is never read. This is how
docs/recipes/trajectory.md section 9 found that on Go!Track the time between fixes alone tells cars
from buses.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from jepa_domains.eval.probes import cross_validate
from jepa_domains.modalities.base import resolve_data_root
from jepa_domains.modalities.trajectory.adapter import TrajectoryAdapter, TrajectoryConfig
from jepa_domains.modalities.trajectory.features import FEATURE_NAMES, SAMPLING_FEATURES, features_matrix


def feature_groups(source: str | None, *, data_root: str | Path | None = None, seeds: Sequence[int] = (0, 1, 2),
                   folds: int = 5, max_tracks: int = 1500, single: bool = False) -> dict[str, Any]:
    """Training-split CV accuracy of each feature group of ``source`` (None: the synthetic default):
    ``{"dataset", "tracks", "majority", "groups": {group: accuracy}}``, groups ``all``, ``sampling``,
    ``no_sampling`` and, with ``single``, every feature name."""
    adapter = TrajectoryAdapter()
    root = resolve_data_root(data_root) if source else None
    train = adapter.load_dataset(TrajectoryConfig(), source, split="train", data_root=root, skip_bad=True)
    X, y = features_matrix(train.tracks), np.asarray(train.labels)
    if len(y) > max_tracks:
        keep = np.random.default_rng(0).choice(len(y), max_tracks, replace=False)
        X, y = X[keep], y[keep]
    sampling = [FEATURE_NAMES.index(n) for n in SAMPLING_FEATURES]
    groups = {"all": list(range(len(FEATURE_NAMES))), "sampling": sampling,
              "no_sampling": [i for i in range(len(FEATURE_NAMES)) if i not in sampling]}
    if single:
        groups.update({name: [i] for i, name in enumerate(FEATURE_NAMES)})
    scores = {g: float(np.mean([cross_validate(X[:, cols], y, "logistic", folds=folds, seed=s)["accuracy_mean"]
                                for s in seeds])) for g, cols in groups.items()}
    return {"dataset": source or adapter.default_dataset or "synthetic", "tracks": int(len(y)),
            "majority": float(np.bincount(y).max() / len(y)), "groups": scores}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", default=[None], help="trajectory sets (default: the synthetic one)")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--max-tracks", type=int, default=1500)
    parser.add_argument("--single", action="store_true", help="also score every feature on its own")
    args = parser.parse_args()
    for source in args.datasets:
        r = feature_groups(source, data_root=args.data_root, seeds=args.seeds, folds=args.folds,
                           max_tracks=args.max_tracks, single=args.single)
        print(f"{r['dataset']}: {r['tracks']} training tracks, majority class {r['majority']:.3f}")
        for group, acc in r["groups"].items():
            print(f"  {group:18s} {acc:.3f}")


if __name__ == "__main__":
    main()
