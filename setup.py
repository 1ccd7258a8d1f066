"""Package discovery only (metadata lives in pyproject.toml): ``cli/`` and ``benchmarks/`` are
mapped under the ``jepa_domains`` namespace, which ``packages.find`` cannot express."""

from setuptools import find_packages, setup

packages = find_packages(include=["jepa_domains", "jepa_domains.*"])
packages += ["jepa_domains.cli"] + [f"jepa_domains.cli.{p}" for p in find_packages("cli")]
packages += ["jepa_domains.benchmarks"] + [f"jepa_domains.benchmarks.{p}" for p in find_packages("benchmarks")]

setup(packages=packages)
