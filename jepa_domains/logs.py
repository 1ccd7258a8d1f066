"""The library's messages: every module logs to a child of the ``jepa_domains`` logger instead of
printing, and whoever runs the library decides what is shown (the ``jepa-domains`` CLI with
``--quiet`` / ``--verbose``, a program with :func:`set_verbosity` or the ``logging`` module).

Levels: INFO for what a run is doing (data, run folder, progress lines), WARNING for what the
user should act on (skipped inputs, removed partial files), DEBUG for extra detail (every logged
step). By default INFO and above go to the current ``sys.stderr`` as bare lines, as before the
library used ``logging``; ``stdout`` is left to the program (``fit`` of the scikit-learn and
sktime wrappers writes nothing there).

    >>> import logging
    >>> from jepa_domains.logs import set_verbosity
    >>> set_verbosity(logging.WARNING)          # only warnings from now on
    >>> set_verbosity(logging.INFO)             # the default
"""

from __future__ import annotations

import logging
import sys

LIBRARY_LOGGER = "jepa_domains"


class _CurrentStderrHandler(logging.StreamHandler):
    """Writes to ``sys.stderr`` as it is when a message is emitted (so pytest's capture, click's
    test runner and ``contextlib.redirect_stderr`` all see the lines)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(message)s"))

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:   # StreamHandler.__init__ assigns one; the property wins
        pass


def _library_logger() -> logging.Logger:
    logger = logging.getLogger(LIBRARY_LOGGER)
    if not any(isinstance(h, _CurrentStderrHandler) for h in logger.handlers):
        logger.addHandler(_CurrentStderrHandler())
        logger.setLevel(logging.INFO)
        # shown once by the handler above, not again by handlers a program puts on the root
        # logger; remove the handler and set propagate=True to route them through your own
        logger.propagate = False
    return logger


def get_logger(name: str) -> logging.Logger:
    """The logger of a library module (``get_logger(__name__)``), under ``jepa_domains``."""
    _library_logger()
    return logging.getLogger(name)


def set_verbosity(level: int) -> None:
    """Show the library's messages of ``level`` and above (``logging.WARNING``: quiet,
    ``logging.INFO``: the default, ``logging.DEBUG``: verbose)."""
    if level not in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL):
        raise ValueError(f"level must be a logging level (DEBUG, INFO, WARNING...), got {level!r}")
    _library_logger().setLevel(level)
