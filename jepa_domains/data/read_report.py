"""What a dataset reader read, skipped and ignored: one record shared by every reader.

Nothing a reader meets is dropped silently. A bad sample either raises a one-line ``ValueError``
naming it, or (with ``skip_bad``) becomes a named *skip*; a file the reader does not use on
purpose (another extension, a folder deeper than the layout) becomes a named *ignore*. Readers
print :meth:`ReadReport.summary` on stderr when either list is non-empty, and datasets keep the
report as ``dataset.read_report`` next to their ``skipped`` count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jepa_domains.logs import get_logger

logger = get_logger(__name__)

SKIP_HINT = "pass --skip-bad to skip bad files"


@dataclass
class ReadReport:
    """Counts and names of what one reader did with its input.

    Attributes:
        source: the dataset or file the report is about (used in the summary line).
        read: number of samples read into the dataset.
        skipped: ``(name, reason)`` of bad samples left out (only with ``skip_bad``).
        ignored: ``(name, reason)`` of files or rows the reader does not use by design.
    """

    source: str = ""
    read: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)

    def skip_or_raise(self, name: str, error: Exception | str, *, skip_bad: bool) -> None:
        """Record ``name`` as skipped because of ``error``, or raise it as a ``ValueError``.

        Raises:
            ValueError: ``error``'s message plus a hint about ``--skip-bad`` when not ``skip_bad``.
        """
        message = str(error)
        if not skip_bad:
            raise ValueError(f"{message} ({SKIP_HINT})") from None
        self.skipped.append((name, message.split(f"{name}: ", 1)[-1]))  # the name once, not twice

    def skip_many_or_raise(self, names: list[str], reason: str, *, skip_bad: bool, total: int | None = None,
                           limit: int = 5) -> None:
        """Record every name in ``names`` as skipped for one ``reason``, or raise one ``ValueError``
        ``"SOURCE: REASON: K of TOTAL (first names)"`` that counts them and names the first ``limit``."""
        if not names:
            return
        if not skip_bad:
            shown = ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")
            count = f"{len(names)} of {total}" if total is not None else str(len(names))
            raise ValueError(f"{self.source}: {reason}: {count} ({shown}) ({SKIP_HINT})") from None
        self.skipped.extend((name, reason) for name in names)

    def ignore(self, name: str, reason: str) -> None:
        """Record a file or row that is left out on purpose."""
        self.ignored.append((name, reason))

    def merge(self, other: ReadReport) -> ReadReport:
        """A new report holding both reports' counts and names (e.g. the train and test files)."""
        return ReadReport(source=self.source or other.source, read=self.read + other.read,
                          skipped=self.skipped + other.skipped, ignored=self.ignored + other.ignored)

    @property
    def clean(self) -> bool:
        """True when nothing was skipped or ignored."""
        return not self.skipped and not self.ignored

    def summary(self, limit: int = 5) -> str:
        """One line: ``SOURCE: read N; skipped K (a: why, b: why, ... and M more); ignored J (...)``."""
        parts = [f"read {self.read}"]
        for verb, items in (("skipped", self.skipped), ("ignored", self.ignored)):
            if items:
                parts.append(f"{verb} {len(items)} ({_name_some(items, limit)})")
        return f"{self.source or 'dataset'}: " + "; ".join(parts)

    def announce(self, limit: int = 5) -> None:
        """Log the summary as a warning (stderr by default) when anything was skipped or
        ignored; silent otherwise."""
        if not self.clean:
            logger.warning(f"[jepa-domains] {self.summary(limit)}")

    def as_dict(self, limit: int = 20) -> dict:
        """JSON-ready counts plus the first ``limit`` names of each list (for ``run.json``)."""
        return {"read": self.read, "skipped": len(self.skipped), "ignored": len(self.ignored),
                "skipped_names": [f"{n}: {r}" for n, r in self.skipped[:limit]],
                "ignored_names": [f"{n}: {r}" for n, r in self.ignored[:limit]]}


def _name_some(items: list[tuple[str, str]], limit: int) -> str:
    shown = "; ".join(f"{name}: {reason}" for name, reason in items[:limit])
    return shown + (f"; and {len(items) - limit} more" if len(items) > limit else "")
