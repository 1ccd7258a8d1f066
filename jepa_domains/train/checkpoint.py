"""Checkpoints that survive crashes: atomic writes, the previous good one kept, corrupt files
refused with one line, and a fall-back from a corrupt ``last.pt`` to ``previous.pt``.

A run directory keeps two checkpoints: ``checkpoints/last.pt`` and ``checkpoints/previous.pt``
(the one before it). Both load with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import torch

FORMAT_VERSION = 1
LAST, PREVIOUS = "last.pt", "previous.pt"
_ZIP_MAGIC = b"PK\x03\x04"   # torch.save's zip container; anything else is not one of ours


class CheckpointError(ValueError):
    """A checkpoint file is missing, truncated, empty or not a checkpoint; the message names it."""


class CheckpointWriteError(OSError):
    """A checkpoint could not be written (disk full, read-only folder); the message names it."""


def save_atomic(state: dict[str, Any], path: Path, *, keep_previous: bool = False) -> None:
    """Write ``state`` to ``path`` through a temporary file in the same folder + rename, so a
    crash never leaves a half-written checkpoint.

    With ``keep_previous`` the file being replaced becomes ``previous.pt``: the new state is fully
    on disk before the old one moves, so at every instant one good checkpoint exists (a crash
    between the two renames leaves only ``previous.pt``, which :func:`load` falls back to).
    A failed write (full disk, read-only folder) raises :class:`CheckpointWriteError` naming
    ``path`` and leaves the existing checkpoints as they were.
    """
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            torch.save(state, fh)
            fh.flush()
            os.fsync(fh.fileno())
        if keep_previous and path.exists():
            os.replace(path, path.with_name(PREVIOUS))
        os.replace(tmp, path)
    except (OSError, RuntimeError) as err:   # torch reports a full disk as a RuntimeError without the path
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        reason = getattr(err, "strerror", None) or str(err).strip().splitlines()[0][:120]
        raise CheckpointWriteError(f"cannot write checkpoint {path}: {reason} (disk full or read-only?); "
                                   f"the previous checkpoint is untouched") from None
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete ``*.tmp`` files left in a checkpoint folder by a process killed mid-write (only
    call this when no writer is running, e.g. when a run starts); returns what was removed."""
    removed = []
    for tmp in sorted(Path(folder).glob("*.tmp")):
        tmp.unlink(missing_ok=True)
        removed.append(tmp)
    return removed


def read_file(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load one checkpoint file, or raise :class:`CheckpointError` naming it and what is wrong
    (never a torch/pickle traceback, never a process abort on an empty file)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(len(_ZIP_MAGIC))
    if size == 0:
        raise CheckpointError(f"{path}: empty file (0 bytes), not a checkpoint")
    if head != _ZIP_MAGIC:
        raise CheckpointError(f"{path}: not a checkpoint written by jepa-domains (no torch zip header)")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # truncated zip, bad pickle, unexpected types: all one message
        reason = str(err).strip().splitlines()[0][:120] if str(err).strip() else type(err).__name__
        raise CheckpointError(f"{path}: unreadable checkpoint ({size} bytes; {reason})") from None
    if not isinstance(state, dict) or state.get("format_version") != FORMAT_VERSION:
        found = state.get("format_version") if isinstance(state, dict) else type(state).__name__
        raise CheckpointError(f"{path}: checkpoint format {found} is not {FORMAT_VERSION}")
    return state


def load_with_source(path: str | Path, map_location: str | torch.device = "cpu") -> tuple[dict[str, Any], Path]:
    """Load a run's checkpoint: a file, or a run directory's ``checkpoints/last.pt``, falling
    back with a one-line warning to ``previous.pt`` when ``last.pt`` is missing or corrupt.
    Returns the state and the file it came from."""
    path = Path(path)
    if not path.is_dir():
        return read_file(path, map_location), path
    folder = path / "checkpoints"
    try:
        return read_file(folder / LAST, map_location), folder / LAST
    except CheckpointError as err:
        if not (folder / PREVIOUS).is_file():
            raise
        state = read_file(folder / PREVIOUS, map_location)
        warnings.warn(f"{err}; using {folder / PREVIOUS} (step {state.get('step')}) instead", stacklevel=2)
        return state, folder / PREVIOUS


def load(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """:func:`load_with_source` without the file name."""
    return load_with_source(path, map_location)[0]


def clean_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Strip wrapper prefixes (``module.``, ``_orig_mod.``, ``_forward_module.``) from keys."""
    out = {}
    for key, value in state.items():
        for prefix in ("_forward_module.", "module.", "_orig_mod."):
            key = key.replace(prefix, "")
        out[key] = value
    return out
