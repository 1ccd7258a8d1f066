"""Audio dataset readers: any folder (``AudioFolder``), the Free Spoken Digit Dataset layout and
the ESC-50 layout. Clips are decoded, checked and resampled once, when the dataset is built,
so that bad files are found (and counted, with ``skip_bad``) before training starts.
"""

from __future__ import annotations

import csv
import re
import warnings
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch.utils.data import Dataset

from jepa_domains.data.audio_io import AudioClip, list_audio_files, read_audio

SPLITS = ("train", "test", "all")
FSDD_NAME = re.compile(r"^(\d)_([A-Za-z]+)_(\d+)$")


@dataclass
class ClipEntry:
    """A file to decode with its label, id and group."""

    path: Path
    label: int | None
    id: str
    group: str | int | None = None


class AudioClipDataset(Dataset):
    """Decoded clips in memory.

    Attributes:
        clips: the :class:`AudioClip` samples (items of the dataset).
        labels: ``[n]`` int64 labels, or None when the set is unlabelled.
        groups: ``[n]`` group keys (speaker, fold) or None.
        class_names: label index -> name.
        description: one line shown in training output and reports.
        skipped: number of bad files skipped (``skip_bad=True``).
    """

    def __init__(self, clips: Sequence[AudioClip], *, description: str,
                 class_names: Sequence[str] | None = None, skipped: int = 0) -> None:
        if not clips:
            raise ValueError(f"no usable audio clips in dataset: {description}")
        self.clips = list(clips)
        self.description = description
        self.class_names = list(class_names) if class_names is not None else None
        self.skipped = skipped
        has_labels = all(c.label is not None for c in self.clips)
        self.labels = np.array([c.label for c in self.clips], dtype=np.int64) if has_labels else None
        has_groups = all(c.group is not None for c in self.clips)
        self.groups = np.array([c.group for c in self.clips]) if has_groups else None

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, index: int) -> AudioClip:
        return self.clips[index]


def check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def decode_entries(entries: Sequence[ClipEntry], *, sample_rate: int, min_samples: int,
                   skip_bad: bool, name: str) -> tuple[list[AudioClip], int]:
    """Decode every entry; bad files raise, or are counted and reported once with ``skip_bad``."""
    clips, errors = [], []
    for e in entries:
        try:
            wave = read_audio(e.path, sample_rate=sample_rate, min_samples=min_samples)
        except ValueError as err:
            if not skip_bad:
                raise ValueError(f"{err} (pass --skip-bad to skip bad files)") from None
            errors.append(str(err))
            continue
        clips.append(AudioClip(wave=wave, sample_rate=sample_rate, label=e.label, id=e.id, group=e.group))
    if errors:
        warnings.warn(f"{name}: skipped {len(errors)} bad audio file(s) of {len(entries)}; first: {errors[0]}",
                      stacklevel=2)
        print(f"[audio] {name}: skipped {len(errors)} bad file(s) of {len(entries)}")
    return clips, len(errors)


def _hash_split(name: str, test_fraction: float = 0.2) -> str:
    """A stable train/test assignment from the file name (independent of file order)."""
    return "test" if (zlib.crc32(name.encode()) % 1000) < test_fraction * 1000 else "train"


def audio_folder(root: str | Path, *, split: str, sample_rate: int, min_samples: int,
                 skip_bad: bool = False) -> AudioClipDataset:
    """Any folder of audio: one subfolder per label (labelled) or files directly inside (unlabelled).

    A folder with ``train/`` and ``test/`` subfolders uses them as the split; otherwise files
    are split 80/20 by a hash of their relative path, stable across machines.
    """
    check_split(split)
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"audio folder not found: {root}")
    if (root / "train").is_dir() and (root / "test").is_dir():
        parts = ["train", "test"] if split == "all" else [split]
        labelled = [_folder_entries(root / p, root) for p in parts]
        names = sorted({n for _, ns in labelled for n in ns})
        if any(ns and ns != names for _, ns in labelled):
            raise ValueError(f"{root}: train/ and test/ must hold the same class folders")
        entries = [e for es, _ in labelled for e in es]
    else:
        entries, names = _folder_entries(root, root)
        if split != "all":
            entries = [e for e in entries if _hash_split(e.id) == split]
    if not entries:
        raise ValueError(f"{root}: no .wav/.flac/.ogg files for split {split!r}")
    clips, skipped = decode_entries(entries, sample_rate=sample_rate, min_samples=min_samples,
                                    skip_bad=skip_bad, name=str(root))
    kind = f"{len(names)} classes" if names else "unlabelled"
    return AudioClipDataset(clips, description=f"audio folder {root} ({kind}, split {split})",
                            class_names=names or None, skipped=skipped)


def _folder_entries(folder: Path, root: Path) -> tuple[list[ClipEntry], list[str]]:
    subdirs = sorted(p for p in folder.iterdir() if p.is_dir())
    if not subdirs:
        return [ClipEntry(p, None, str(p.relative_to(root))) for p in list_audio_files(folder)], []
    names = [d.name for d in subdirs]
    entries = [ClipEntry(p, i, str(p.relative_to(root))) for i, d in enumerate(subdirs) for p in list_audio_files(d)]
    return entries, names


def fsdd(root: str | Path, *, split: str, sample_rate: int, min_samples: int,
         skip_bad: bool = False) -> AudioClipDataset:
    """Free Spoken Digit Dataset: ``recordings/{digit}_{speaker}_{index}.wav``.

    The official split: recordings with index 0-4 are the test set, 5-49 the training set.
    ``root`` is the ``fsdd`` folder (or its ``recordings`` folder). Groups are speakers.
    """
    check_split(split)
    root = Path(root)
    folder = root / "recordings" if (root / "recordings").is_dir() else root
    if not folder.is_dir():
        raise ValueError(f"FSDD folder not found: {folder}")
    entries = []
    for path in list_audio_files(folder):
        match = FSDD_NAME.match(path.stem)
        if match is None:
            raise ValueError(f"{path}: not an FSDD file name (expected {{digit}}_{{speaker}}_{{index}}.wav)")
        digit, speaker, index = int(match[1]), match[2], int(match[3])
        part = "test" if index < 5 else "train"
        if split in ("all", part):
            entries.append(ClipEntry(path, digit, path.name, speaker))
    if not entries:
        raise ValueError(f"{folder}: no FSDD recordings for split {split!r}")
    clips, skipped = decode_entries(entries, sample_rate=sample_rate, min_samples=min_samples,
                                    skip_bad=skip_bad, name="fsdd")
    return AudioClipDataset(clips, description=f"FSDD spoken digits ({split} split, {len(clips)} clips)",
                            class_names=[str(d) for d in range(10)], skipped=skipped)


def esc50(root: str | Path, *, split: str, sample_rate: int, min_samples: int, test_fold: int = 5,
          skip_bad: bool = False) -> AudioClipDataset:
    """ESC-50: ``meta/esc50.csv`` (filename, fold, target, category, ...) and ``audio/*.wav``.

    ``split="test"`` is fold ``test_fold``, ``"train"`` the other folds, ``"all"`` every fold
    (for 5-fold cross-validation; groups are folds).
    """
    check_split(split)
    root = Path(root)
    meta = root / "meta" / "esc50.csv"
    if not meta.is_file():
        raise ValueError(f"ESC-50 metadata not found: {meta}")
    if not 1 <= test_fold <= 5:
        raise ValueError(f"ESC-50 test_fold must be in 1..5, got {test_fold}")
    with meta.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    missing = {"filename", "fold", "target", "category"} - set(rows[0] if rows else {})
    if missing:
        raise ValueError(f"{meta}: missing columns {sorted(missing)}")
    names: dict[int, str] = {}
    entries = []
    for i, row in enumerate(rows):
        try:
            fold, target = int(row["fold"]), int(row["target"])
        except ValueError:
            raise ValueError(f"{meta}: row {i + 2} has a non-integer fold/target: {row}") from None
        names[target] = row["category"]
        part = "test" if fold == test_fold else "train"
        if split in ("all", part):
            entries.append(ClipEntry(root / "audio" / row["filename"], target, row["filename"], fold))
    if not entries:
        raise ValueError(f"{meta}: no rows for split {split!r}")
    clips, skipped = decode_entries(entries, sample_rate=sample_rate, min_samples=min_samples,
                                    skip_bad=skip_bad, name="esc50")
    class_names = [names.get(i, str(i)) for i in range(max(names) + 1)]
    return AudioClipDataset(clips, description=f"ESC-50 ({split}, test fold {test_fold}, {len(clips)} clips)",
                            class_names=class_names, skipped=skipped)


def detect_layout(path: Path) -> str:
    """``"esc50"``, ``"fsdd"`` or ``"folder"`` for a user path."""
    if (path / "meta" / "esc50.csv").is_file():
        return "esc50"
    folder = path / "recordings" if (path / "recordings").is_dir() else path
    files = list_audio_files(folder) if folder.is_dir() else []
    if files and all(FSDD_NAME.match(p.stem) for p in files):
        return "fsdd"
    return "folder"
