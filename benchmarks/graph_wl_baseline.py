"""Time and score the graph baseline: normalised Weisfeiler-Lehman subtree kernel, SVM with C
by inner CV (probe ``svm_unscaled``), K-fold CV, on TU sets or on N generated graphs.

    python benchmarks/graph_wl_baseline.py --data-root DATA --datasets MUTAG PROTEINS
    python benchmarks/graph_wl_baseline.py --datasets synthetic:4000      # 4,000 generated graphs

``synthetic:N`` draws N graphs from the four random-graph families (N/4 each), a stand-in for
a TU set of that size.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch


def load(source: str, data_root: str | None):
    """The graphs of ``source`` (a TU name or folder, or ``synthetic:N``) as a GraphDataset."""
    from jepa_domains.data.graph_synthetic import synthetic_graph_families
    from jepa_domains.modalities.graph import GraphAdapter, GraphConfig
    from jepa_domains.modalities.graph.dataset import GraphDataset

    cfg = GraphConfig()
    if source.startswith("synthetic:"):
        per_class = max(1, int(source.split(":", 1)[1]) // 4)
        graphs = synthetic_graph_families(per_class=per_class, seed=0)
        return GraphDataset(graphs, [f"synthetic/{i}" for i in range(len(graphs))],
                            description=f"{len(graphs)} generated graphs", walk_length=cfg.walk_length,
                            degree_cap=cfg.degree_cap)
    return GraphAdapter().load_dataset(cfg, source, split="all", data_root=data_root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--datasets", nargs="+", default=["synthetic:4000"])
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0, help="fold seed")
    parser.add_argument("--iterations", type=int, default=3, help="WL iterations")
    args = parser.parse_args()
    torch.set_num_threads(1)

    from jepa_domains.eval.probes import cross_validate
    from jepa_domains.modalities.graph.wl_features import wl_subtree_features

    print(f"{'dataset':16s} {'graphs':>7s} {'WL s':>6s} {'CV s':>7s} {'s/fold':>7s} {'accuracy':>15s}")
    for source in args.datasets:
        ds = load(source, args.data_root)
        start = time.perf_counter()
        X = wl_subtree_features(ds.samples, iterations=args.iterations, normalise=True)
        mid = time.perf_counter()
        result = cross_validate(X, ds.labels, "svm_unscaled", folds=args.folds, seed=args.seed)
        end = time.perf_counter()
        acc = f"{100 * result['accuracy_mean']:.1f} ± {100 * result['accuracy_std']:.1f}"
        print(f"{source:16s} {len(ds):7d} {mid - start:6.1f} {end - mid:7.1f} {(end - mid) / args.folds:7.1f} "
              f"{acc:>15s}", flush=True)


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
