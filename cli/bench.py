"""``jepa-domains bench``: run benchmark suites, list them, re-render their reports."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

bench_app = typer.Typer(add_completion=False, no_args_is_help=True,
                        help="Benchmark suites: pretrain, evaluate against baselines, report.")


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def _split(values: list[str] | None) -> list[str]:
    """``--only a,b --only c`` -> ``["a", "b", "c"]``."""
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


@bench_app.command("list")
def list_suites() -> None:
    """List the shipped suites and their entries."""
    from jepa_domains.benchmarks.harness import load_suite, shipped_suites

    for name in shipped_suites():
        suite = load_suite(name)
        typer.echo(f"{name:12s} [{suite.device}] {len(suite.entries)} entries: "
                   + ", ".join(e.name for e in suite.entries))


@bench_app.command("run")
def run(
    suite: Annotated[str, typer.Argument(help="shipped suite name (see `bench list`) or a YAML file")],
    only: Annotated[Optional[list[str]], typer.Option(help="entry or modality names (comma-separated or repeated)")] = None,
    seeds: Annotated[Optional[str], typer.Option(help="replace every entry's seeds, e.g. 0,1,2")] = None,
    data_root: Annotated[Optional[Path], typer.Option(help="folder of benchmark data (or $JEPA_DOMAINS_DATA)")] = None,
    out: Annotated[Optional[Path], typer.Option(help="results folder (default bench/SUITE); re-running continues it")] = None,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
    plots: Annotated[bool, typer.Option(help="embed plots in the report")] = True,
) -> None:
    """Run (or continue) a suite; writes results.csv/json and report.md/html into --out."""
    from jepa_domains.benchmarks.harness import SuiteError, load_suite, run_suite, summary_text, write_report
    from jepa_domains.benchmarks.harness.runner import load_results
    from jepa_domains.registry import list_modalities

    try:
        parsed = load_suite(suite, known_modalities=set(list_modalities()))
        seed_list = [int(s) for s in _split([seeds])] if seeds else None
    except (SuiteError, ValueError) as err:
        _fail(str(err))
    target = out or Path("bench") / parsed.name
    start = time.perf_counter()
    try:
        result = run_suite(parsed, target, only=_split(only) or None, seeds=seed_list, data_root=data_root,
                           progress=progress)
    except SuiteError as err:
        _fail(str(err))
    md, page = write_report(target, with_plots=plots)
    typer.echo(summary_text(load_results(target)))
    typer.echo(f"\n{len(result.rows)} rows ({result.computed} cells computed, {result.reused} reused, "
               f"{len(result.errors)} failed) in {time.perf_counter() - start:.1f}s; "
               f"results in {target}/results.csv, report {md} and {page}")
    if result.errors:
        raise typer.Exit(code=1)


@bench_app.command("report")
def report(
    directory: Annotated[Path, typer.Argument(help="a `bench run` output folder")],
    plots: Annotated[bool, typer.Option(help="embed plots in the report")] = True,
) -> None:
    """Re-render report.md / report.html from DIR/results.json."""
    from jepa_domains.benchmarks.harness import summary_text, write_report
    from jepa_domains.benchmarks.harness.runner import load_results

    try:
        md, page = write_report(directory, with_plots=plots)
    except FileNotFoundError as err:
        _fail(str(err))
    typer.echo(summary_text(load_results(directory)))
    typer.echo(f"\nreport written to {md} and {page}")
