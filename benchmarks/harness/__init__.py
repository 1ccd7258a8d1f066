"""Benchmark harness: suites (YAML) -> pretraining runs + downstream protocols -> results and
reports. ``jepa-domains bench run SUITE`` is the command-line face of :func:`run_suite`."""

from jepa_domains.benchmarks.harness.report import build_tables, summary_text, write_report
from jepa_domains.benchmarks.harness.runner import SuiteRun, load_results, run_suite
from jepa_domains.benchmarks.harness.schema import Suite, SuiteError, load_suite, parse_suite, shipped_suites

__all__ = ["Suite", "SuiteError", "SuiteRun", "build_tables", "load_results", "load_suite", "parse_suite",
           "run_suite", "shipped_suites", "summary_text", "write_report"]
