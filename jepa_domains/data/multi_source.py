"""Pretraining on several sources at once: ``data.source = "A+B+C"``.

Small labelled sets (a UCR set of 36-100 series, a TU set of 188 graphs) give a JEPA few
distinct inputs to learn from; pretraining one encoder on the union of several sets of the same
modality, unlabelled, and probing it on each set separately is the usual answer (foundation-model
style). :func:`split_sources` parses the spec and :class:`MultiSourceDataset` puts the sources'
samples back to back. Labels are not carried over: the class ids of different sets do not share
a meaning, so a union is unlabelled (no online probe, and ``eval`` needs ``--data NAME`` to say
which set to probe).
"""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

SOURCE_SEPARATOR = "+"


def split_sources(source: str | None) -> list[str | None]:
    """``"A+B+C"`` -> ``["A", "B", "C"]``. ``None``, a name without ``+`` and an existing path
    (which may contain ``+``) are one source. Empty or repeated parts raise ``ValueError``."""
    if source is None or SOURCE_SEPARATOR not in source or Path(source).exists():
        return [source]
    parts = [p.strip() for p in source.split(SOURCE_SEPARATOR)]
    if any(not p for p in parts):
        raise ValueError(f"data.source {source!r}: an empty name between '{SOURCE_SEPARATOR}' signs")
    repeated = sorted({p for p in parts if parts.count(p) > 1})
    if repeated:
        raise ValueError(f"data.source {source!r}: {', '.join(map(repr, repeated))} named more than once")
    return parts


class MultiReport:
    """The read reports of the parts, by source name (``run.json``'s ``data_report``)."""

    def __init__(self, reports: dict[str, Any]) -> None:
        self.reports = reports

    def as_dict(self) -> dict[str, Any]:
        return {"sources": {name: (r.as_dict() if r is not None else None) for name, r in self.reports.items()}}


class MultiSourceDataset(Dataset):
    """The samples of several datasets back to back (sample ``i`` of the union is sample
    ``i - offset[k]`` of part ``k``), unlabelled.

    Attributes a modality reads from its dataset (a time series' ``channels``, a dataset's
    ``kind``) are forwarded when every part has the same value; parts that disagree raise a
    ``ValueError`` naming each source's value, at the first read (``prepare``, before training).
    """

    labels = None   # label spaces of different sets do not share a meaning

    def __init__(self, parts: list[tuple[str, Dataset]]) -> None:
        if len(parts) < 2:
            raise ValueError(f"a multi-source dataset needs at least two sources, got {len(parts)}")
        empty = [name for name, ds in parts if len(ds) == 0]  # type: ignore[arg-type]
        if empty:
            raise ValueError(f"source {empty[0]!r} has no samples")
        self.parts = parts
        self.ends: list[int] = []
        total = 0
        for _, ds in parts:
            total += len(ds)  # type: ignore[arg-type]
            self.ends.append(total)
        self.description = " + ".join(f"{getattr(ds, 'description', name)}" for name, ds in parts)
        self.skipped = sum(int(getattr(ds, "skipped", 0)) for _, ds in parts)
        self.read_report = MultiReport({name: getattr(ds, "read_report", None) for name, ds in parts})

    def __len__(self) -> int:
        return self.ends[-1]

    def locate(self, index: int) -> tuple[int, int]:
        """``(part, index inside the part)`` of union sample ``index``."""
        if not 0 <= index < len(self):
            raise IndexError(f"sample {index} out of range for {len(self)} samples ({self.description})")
        part = bisect.bisect_right(self.ends, index)
        return part, index - (self.ends[part - 1] if part else 0)

    def __getitem__(self, index: int) -> Any:
        part, inner = self.locate(index)
        return self.parts[part][1][inner]

    def sizes(self) -> dict[str, int]:
        """Samples per source, in order."""
        return {name: len(ds) for name, ds in self.parts}  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("parts", "ends"):
            raise AttributeError(name)
        values = {source: getattr(ds, name) for source, ds in self.parts if hasattr(ds, name)}
        if not values:
            raise AttributeError(name)
        if len(values) < len(self.parts):
            missing = [s for s, _ in self.parts if s not in values]
            raise AttributeError(f"{name!r}: source(s) {', '.join(map(repr, missing))} do not have it")
        distinct = list(values.values())
        if any(v != distinct[0] for v in distinct[1:]):
            raise ValueError(f"the sources disagree on {name!r} ("
                             + ", ".join(f"{s}: {v!r}" for s, v in values.items())
                             + "): pretrain on sources that share it")
        return distinct[0]


def evaluation_source(source: str | None, pretrained_on: str | None) -> str | None:
    """The dataset an evaluation reads: ``source`` when given, else the run's pretraining
    source. A run pretrained on several sources has no single default: a one-line
    ``ValueError`` asks for the set to evaluate on."""
    if source is not None:
        return source
    names = split_sources(pretrained_on)
    if len(names) > 1:
        raise ValueError(f"the run was pretrained on several sources ({pretrained_on}); name the one to evaluate "
                         f"on (eval --data NAME, e.g. --data {names[0]})")
    return pretrained_on
