"""Shared helpers of the benchmark-script tests."""

import runpy
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def trajectory_script(monkeypatch):
    """``load(name)`` runs ``benchmarks/<name>.py`` as a module and returns ``(namespace, splits)``:
    every split its ``TrajectoryAdapter.load_dataset`` calls ask for is appended to ``splits``, so a
    test can check that a script reads the training split only."""
    def load(name):
        script = runpy.run_path(str(BENCHMARKS / f"{name}.py"))
        adapter_cls, splits = script["TrajectoryAdapter"], []
        real = adapter_cls.load_dataset
        monkeypatch.setattr(adapter_cls, "load_dataset",
                            lambda self, *a, split="train", **k: splits.append(split) or real(self, *a, split=split, **k))
        return script, splits

    return load
