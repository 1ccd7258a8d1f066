"""Plot the online probe of one or more runs: ``probe_knn`` and ``probe_linear`` over steps from
``RUN/metrics.csv``, with each run's step-0 value (its random-initialisation level) dashed.

    python benchmarks/plot_online_probe.py RUN [RUN ...] --out online-probe.png
"""

from __future__ import annotations

import argparse
import base64
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run directories holding metrics.csv")
    parser.add_argument("--out", type=Path, required=True, help="PNG file to write")
    args = parser.parse_args()

    from jepa_domains.benchmarks.harness.plots import online_probe_curves

    runs = {str(i): {"run_dir": str(run), "entry": run.name, "seed": 0} for i, run in enumerate(args.runs)}
    missing = [str(r) for r in args.runs if not (r / "metrics.csv").is_file()]
    if missing:
        raise SystemExit(f"no metrics.csv in {', '.join(missing)}")
    png = online_probe_curves(runs)
    if png is None:
        raise SystemExit("none of these runs logged probe_knn / probe_linear (unlabelled data, or train.probe_every=0)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(base64.b64decode(png))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
