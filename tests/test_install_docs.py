"""The README's set-up and test commands, the lock and CI agree: what CI installs and runs is
what a new user is told to install and run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setup_block() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Set-up (two commands)", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def _locked() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, version = line.split("==", 1)
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def test_readme_setup_is_two_commands_installing_from_the_lock_then_training_audio():
    install, tests = _setup_block()
    assert "pip install -c requirements/lock.txt -e \".[test]\"" in install
    assert install.rstrip().endswith("jepa-domains train audio")
    assert tests.strip() == "python -m pytest -q"


def test_ci_makes_a_fresh_venv_installs_from_the_lock_and_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 -m venv" in ci and "-c requirements/lock.txt" in ci
    assert "\npython -m pytest -q\n" in ci        # the README's test command, verbatim
    assert '"$status" -eq 5' in ci                 # "no tests collected" must fail CI


def test_every_pinned_project_dependency_agrees_with_the_lock():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = _locked()
    for requirement in project["dependencies"] + project["optional-dependencies"]["test"]:
        name = re.split(r"[<>=!~ ;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        assert name in pins, f"{name} is a dependency but is missing from requirements/lock.txt"
        exact = re.search(r"==\s*([\w.]+)$", requirement)
        if exact:
            assert pins[name] == exact.group(1), f"{name}: pyproject pins {exact.group(1)}, lock has {pins[name]}"
