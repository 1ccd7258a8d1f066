"""Nested selection among bench entries of a cross-validated protocol, with paired verdicts.

Every (seed, outer fold) keeps the candidate - an entry's frozen encoder - whose probe scored
best in the inner cross-validation on that fold's training part, and the chosen candidate's
outer accuracy is reported against its own random-init twin and baselines on the same fold
(see ``jepa_domains.eval.selection``). Candidates are the given entries' encoders, in order
(ties go to the earlier one).

    python benchmarks/nested_select.py OUT [OUT ...] --entries graph-imdb-multi graph-imdb-multi-latent \\
        [--encoders context target] [--probe logistic] [--task classify_cv] [--seeds 0 1 2]

``OUT`` is a ``jepa-domains bench run`` output folder (its ``rows/*__TASK.json``). Prints how
often each candidate was chosen, the mean over folds per seed of every method, and verdicts
paired over seeds (the mean of the ten folds per seed) and over seed x fold units (corrected t).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from jepa_domains.eval.selection import nested_select, seed_means
from jepa_domains.eval.verdicts import verdicts


def load_rows(outs: list[Path], task: str) -> list[dict]:
    """Every row of ``OUT/rows/*__TASK.json`` for every ``OUT``; exits with one line when none."""
    rows: list[dict] = []
    for out in outs:
        files = sorted(out.glob(f"rows/*__{task}.json"))
        if not files:
            sys.exit(f"nested_select: {out} has no rows/*__{task}.json (not a bench output folder?)")
        for f in files:
            rows += json.loads(f.read_text())["rows"]
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("outs", nargs="+", type=Path, help="bench output folders")
    p.add_argument("--entries", nargs="+", required=True, help="candidate entries, in tie-break order")
    p.add_argument("--encoders", nargs="+", default=["context", "target"], help="encoders of each entry to consider")
    p.add_argument("--probe", default="logistic")
    p.add_argument("--task", default="classify_cv")
    p.add_argument("--seeds", nargs="+", type=int, help="only these seeds (default: every seed in the rows)")
    args = p.parse_args(argv)
    rows = [r for r in load_rows(args.outs, args.task)
            if r.get("entry") in args.entries and (args.seeds is None or r.get("seed") in args.seeds)]
    candidates = [(e, enc) for e in args.entries for enc in args.encoders]
    try:
        selected, picks = nested_select(rows, candidates, probe=args.probe)
    except ValueError as err:
        sys.exit(str(err))
    units = sum(picks.values())
    print(f"{units} (seed, fold) units; chosen by inner CV on each fold's training part:")
    for (entry, encoder), n in picks.most_common():
        print(f"  {entry} [{encoder}]: {n}")
    per_seed = defaultdict(dict)
    for r in seed_means(selected):
        per_seed[r["method"]][r["seed"]] = r["value"]
    print("mean over folds, per seed (then over seeds):")
    for method, by_seed in sorted(per_seed.items(), key=lambda kv: (kv[0] != "jepa", kv[0])):
        vals = [100 * by_seed[s] for s in sorted(by_seed)]
        print(f"  {method:14s} {sum(vals) / len(vals):5.1f}  ({' / '.join(f'{v:.1f}' for v in vals)})")
    for label, table in (("over seeds (paired t of the per-seed means)", seed_means(selected)),
                         ("over seed x fold units (corrected t)",
                          [{k: v for k, v in r.items() if k != "per_sample"} for r in selected])):
        print(f"verdicts {label}:")
        for v in verdicts(table):
            print(f"  vs {v.baseline:12s} {100 * v.jepa:5.1f} vs {100 * v.other:5.1f}  d = {100 * v.difference:+.1f} "
                  f"[{100 * v.low:+.1f}, {100 * v.high:+.1f}]  p = {v.p_value:.3g}  ({v.test}, n = {v.units}) -> {v.word}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
