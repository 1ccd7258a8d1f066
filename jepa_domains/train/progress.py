"""Training progress: a tqdm bar in a terminal, periodic plain lines anywhere else.

tqdm redraws with carriage returns; written to a file or a pipe (CI, ``nohup``, ``| tee``) a
200-step run becomes one 30 kB line. Off a terminal this module logs plain lines instead (INFO,
``jepa_domains.train.progress``; every logged step at DEBUG), e.g.::

    [train audio] step 40/200 loss 0.4123 lr 3.1e-04 probe_knn 0.610 12.3 samples/s

Without an explicit ``stream``, progress follows the library's verbosity
(:mod:`jepa_domains.logs`): nothing below INFO, so ``jepa-domains --quiet`` hides the bar too.
"""

from __future__ import annotations

import logging
import math
import sys
from typing import TextIO

from tqdm.auto import tqdm

from jepa_domains.logs import get_logger

logger = get_logger(__name__)

MAX_LINES = 100  # plain mode prints at most about this many step lines per run


def line_interval(total: int, log_every: int, max_lines: int = MAX_LINES) -> int:
    """Steps between plain lines: ``log_every``, widened to a multiple of it so that a run
    prints at most about ``max_lines`` lines (each line then shows freshly logged metrics)."""
    if log_every < 1:
        raise ValueError(f"log_every must be >= 1, got {log_every!r}")
    factor = max(1, math.ceil(total / (max_lines * log_every)))
    return log_every * factor


def format_line(desc: str, step: int, total: int, metrics: dict[str, float]) -> str:
    """One progress line: ``[desc] step s/T`` then loss, lr, probes and throughput if known."""
    parts = [f"[{desc}] step {step}/{total}"]
    if "loss" in metrics:
        parts.append(f"loss {metrics['loss']:.4f}")
    if "lr" in metrics:
        parts.append(f"lr {metrics['lr']:.1e}")
    for name in ("probe_knn", "probe_linear"):
        if name in metrics:
            parts.append(f"{name} {metrics[name]:.3f}")
    if "samples_per_second" in metrics:
        parts.append(f"{metrics['samples_per_second']:.1f} samples/s")
    return " ".join(parts)


class Progress:
    """Step counter of a training loop.

    Args:
        total: last step; ``initial``: first step (resumed runs).
        desc: label, e.g. ``"train audio"``.
        log_every: plain-mode base interval (see :func:`line_interval`).
        enabled: False shows nothing (other ranks, ``train.progress=false``).
        stream: where to write; None (default): plain lines go to the library logger (stderr by
            default) and the bar to stderr, both only while the logger shows INFO. A bar only
            on a terminal.
    """

    def __init__(self, *, total: int, initial: int = 0, desc: str, log_every: int, enabled: bool = True,
                 stream: TextIO | None = None) -> None:
        self.total, self.step, self.desc = total, initial, desc
        self.stream = stream
        self.enabled = enabled and (stream is not None or logger.isEnabledFor(logging.INFO))
        verbose = stream is None and logger.isEnabledFor(logging.DEBUG)
        self.interval = log_every if verbose else line_interval(total, log_every)
        self.metrics: dict[str, float] = {}
        self.last_printed = -1
        self.line_requested = False
        screen = stream if stream is not None else sys.stderr
        is_tty = bool(getattr(screen, "isatty", lambda: False)())
        self.bar = tqdm(total=total, initial=initial, desc=desc, dynamic_ncols=True, file=screen) \
            if self.enabled and is_tty else None

    @property
    def plain(self) -> bool:
        """True when writing plain lines (enabled, not a terminal)."""
        return self.enabled and self.bar is None

    def update(self, steps: int = 1) -> None:
        """Advance (``steps`` may be 0); plain mode prints when the step reaches a multiple of
        the line interval, or a line was requested, once per step."""
        self.step += steps
        if self.bar is not None:
            self.bar.update(steps)
        elif self.plain and (self.step % self.interval == 0 or self.line_requested) \
                and self.last_printed != self.step:
            self._show_line()
        self.line_requested = False

    def request_line(self) -> None:
        """Plain mode: print a line at the next :meth:`update` even off the interval."""
        self.line_requested = True

    def set_metrics(self, **metrics: float) -> None:
        """Latest values to show (merged into what is known)."""
        self.metrics.update(metrics)
        if self.bar is not None:
            self.bar.set_postfix({k: _short(v) for k, v in self.metrics.items()}, refresh=False)

    def close(self) -> None:
        """End the bar, or print the final line if the last step was not printed yet."""
        if self.bar is not None:
            self.bar.close()
        elif self.plain and self.last_printed != self.step:
            self._show_line()

    def _show_line(self) -> None:
        line = format_line(self.desc, self.step, self.total, self.metrics)
        if self.stream is None:
            logger.info(line)
        else:
            self.stream.write(line + "\n")
            self.stream.flush()
        self.last_printed = self.step


def _short(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1e-2 or abs(value) >= 1e3 else f"{value:.4f}"
