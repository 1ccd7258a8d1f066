"""The examples of docs/interop.md and of the wrappers' docstrings run as doctests (the page
promises it), under ``python -m pytest -q``."""

import doctest
import importlib
import warnings
from pathlib import Path

import pytest

from jepa_domains import registry

ROOT = Path(__file__).resolve().parents[2]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def test_interop_page_examples_run():
    pytest.importorskip("sktime")
    try:
        with warnings.catch_warnings():    # the page silences the two-step runs' collapse warnings
            result = doctest.testfile(str(ROOT / "docs" / "interop.md"), module_relative=False, optionflags=FLAGS)
    finally:
        registry._REGISTRY.pop("docs-vectors", None)      # the page's example plugin
    assert result.attempted >= 40 and result.failed == 0, result


@pytest.mark.parametrize("module", ["jepa_domains.interop.sklearn_embedder", "jepa_domains.interop.sktime_forecaster",
                                    "jepa_domains.interop.sktime_transformer", "jepa_domains.logs"])
def test_module_docstring_examples_run(module):
    pytest.importorskip("sktime")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result = doctest.testmod(importlib.import_module(module), optionflags=FLAGS)
    assert result.attempted >= 2 and result.failed == 0, result
