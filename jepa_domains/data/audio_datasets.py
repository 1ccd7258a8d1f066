"""Audio dataset readers: any folder (``AudioFolder``), the Free Spoken Digit Dataset layout and
the ESC-50 layout. Clips are decoded, checked and resampled once, when the dataset is built,
so that bad files are found (and counted, with ``skip_bad``) before training starts.
"""

from __future__ import annotations

import csv
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch.utils.data import Dataset

from jepa_domains.data.audio_io import AUDIO_EXTENSIONS, AudioClip, list_audio_files, read_audio
from jepa_domains.data.read_report import ReadReport

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
        read_report: :class:`ReadReport` naming the files read, skipped and ignored.
    """

    def __init__(self, clips: Sequence[AudioClip], *, description: str,
                 class_names: Sequence[str] | None = None, skipped: int = 0,
                 read_report: ReadReport | None = None) -> None:
        if not clips:
            raise ValueError(f"no usable audio clips in dataset: {description}")
        self.clips = list(clips)
        self.description = description
        self.class_names = list(class_names) if class_names is not None else None
        self.read_report = read_report or ReadReport(source=description, read=len(self.clips))
        self.skipped = len(self.read_report.skipped) if read_report is not None else skipped
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
                   skip_bad: bool, report: ReadReport) -> list[AudioClip]:
    """Decode every entry; bad files raise, or are named as skips in ``report``, which is then
    announced if anything was skipped or ignored."""
    clips = []
    for e in entries:
        try:
            wave = read_audio(e.path, sample_rate=sample_rate, min_samples=min_samples)
        except ValueError as err:
            report.skip_or_raise(str(e.path), err, skip_bad=skip_bad)
            continue
        clips.append(AudioClip(wave=wave, sample_rate=sample_rate, label=e.label, id=e.id, group=e.group))
    report.read += len(clips)
    report.announce()
    return clips


def list_folder(folder: Path, root: Path, report: ReadReport) -> list[Path]:
    """Audio files directly inside ``folder``; subfolders and files of other types are named
    as ignored in ``report`` (relative to ``root``)."""
    for p in sorted(folder.iterdir()):
        if p.is_dir():
            report.ignore(f"{p.relative_to(root)}/", "subfolder deeper than the layout reads")
        elif p.suffix.lower() not in AUDIO_EXTENSIONS:
            report.ignore(str(p.relative_to(root)), _not_audio(p))
    return list_audio_files(folder)


def walk_audio(folder: Path, root: Path, report: ReadReport) -> list[Path]:
    """Audio files anywhere under ``folder`` (sorted by relative path); every other file is named
    as ignored in ``report`` with its reason (other extension, hidden file)."""
    found = []
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            report.ignore(str(rel), "hidden file")
        elif p.suffix.lower() not in AUDIO_EXTENSIONS:
            report.ignore(str(rel), _not_audio(p))
        else:
            found.append(p)
    return found


def _not_audio(path: Path) -> str:
    kind = f"extension {path.suffix!r}" if path.suffix else "no extension"
    return f"not an audio file ({kind}; read: {', '.join(AUDIO_EXTENSIONS)})"


def _hash_split(name: str, test_fraction: float = 0.2) -> str:
    """A stable train/test assignment from the file name (independent of file order)."""
    return "test" if (zlib.crc32(name.encode()) % 1000) < test_fraction * 1000 else "train"


def audio_folder(root: str | Path, *, split: str, sample_rate: int, min_samples: int,
                 skip_bad: bool = False) -> AudioClipDataset:
    """Any folder of audio (wav, flac, ogg, mp3; any sample rate, mono or multichannel).

    The label of a file is the first-level subfolder of ``root`` it lies in, at any depth below
    it (``root/dog/park/1.wav`` is a ``dog``); a root without subfolders is unlabelled. A root
    with ``train/`` and ``test/`` subfolders uses them as the split (labels = their first-level
    subfolders); otherwise files are split 80/20 by a hash of their relative path, stable across
    machines. Files of other types, hidden files, loose files beside label folders and label
    folders without audio are named as ignored in ``read_report``; with ``skip_bad``, files that
    fail to decode are named as skipped. The counts are in the dataset's description.
    """
    check_split(split)
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"audio folder not found: {root}")
    report = ReadReport(source=str(root))
    if (root / "train").is_dir() and (root / "test").is_dir():
        for p in sorted(root.iterdir()):
            if p.name not in ("train", "test"):
                report.ignore(str(p.relative_to(root)) + ("/" if p.is_dir() else ""),
                              "beside train/ and test/ (belongs to neither split)")
        parts = ["train", "test"] if split == "all" else [split]
        labelled = {p: _folder_entries(root / p, root, report) for p in ("train", "test")}
        train_names, test_names = labelled["train"][1], labelled["test"][1]
        if train_names != test_names:
            raise ValueError(f"{root}: train/ and test/ must hold the same class folders "
                             f"(train: {train_names}, test: {test_names})")
        names = train_names or test_names
        entries = [e for p in parts for e in labelled[p][0]]
    else:
        entries, names = _folder_entries(root, root, report)
        if split != "all":
            entries = [e for e in entries if _hash_split(e.id) == split]
    if not entries:
        raise ValueError(f"{root}: no {'/'.join(e[1:] for e in AUDIO_EXTENSIONS)} files for split {split!r}"
                         + (f" ({report.summary()})" if not report.clean else ""))
    clips = decode_entries(entries, sample_rate=sample_rate, min_samples=min_samples, skip_bad=skip_bad,
                           report=report)
    kind = f"{len(names)} classes" if names else "unlabelled"
    counts = f"read {report.read} files, skipped {len(report.skipped)}, ignored {len(report.ignored)}"
    return AudioClipDataset(clips, description=f"audio folder {root} ({kind}, split {split}; {counts})",
                            class_names=names or None, read_report=report)


def _folder_entries(folder: Path, root: Path, report: ReadReport) -> tuple[list[ClipEntry], list[str]]:
    """Entries of a flat folder (unlabelled) or of one subfolder per label, read recursively;
    loose files beside the label folders and label folders without audio are named as ignored."""
    subdirs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    for p in sorted(folder.iterdir()):
        if p.is_dir() and p.name.startswith("."):
            report.ignore(f"{p.relative_to(root)}/", "hidden folder")
    if not subdirs:
        return [ClipEntry(p, None, str(p.relative_to(root))) for p in walk_audio(folder, root, report)], []
    for p in sorted(folder.iterdir()):
        if p.is_file():
            report.ignore(str(p.relative_to(root)), "file beside the label subfolders (belongs to no label)")
    files = {d.name: walk_audio(d, root, report) for d in subdirs}
    for d in subdirs:
        if not files[d.name]:
            report.ignore(f"{d.relative_to(root)}/", "label folder without audio files (no class made)")
    names = [d.name for d in subdirs if files[d.name]]
    entries = [ClipEntry(p, i, str(p.relative_to(root))) for i, name in enumerate(names) for p in files[name]]
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
    entries, report = [], ReadReport(source=f"fsdd {folder}")
    for path in list_folder(folder, folder, report):
        match = FSDD_NAME.match(path.stem)
        if match is None:
            reason = "not an FSDD file name (expected {digit}_{speaker}_{index}.wav)"
            report.skip_or_raise(str(path), f"{path}: {reason}", skip_bad=skip_bad)
            continue
        digit, speaker, index = int(match[1]), match[2], int(match[3])
        part = "test" if index < 5 else "train"
        if split in ("all", part):
            entries.append(ClipEntry(path, digit, path.name, speaker))
    if not entries:
        raise ValueError(f"{folder}: no FSDD recordings for split {split!r}")
    clips = decode_entries(entries, sample_rate=sample_rate, min_samples=min_samples, skip_bad=skip_bad,
                           report=report)
    return AudioClipDataset(clips, description=f"FSDD spoken digits ({split} split, {len(clips)} clips)",
                            class_names=[str(d) for d in range(10)], read_report=report)


def embedded_fsdd(*, split: str, sample_rate: int, min_samples: int) -> AudioClipDataset:
    """The FSDD copy shipped in the package (all 3,000 clips; see ``jepa_domains/data/fsdd/README.md``),
    with the same clips, order, labels, groups and ids as :func:`fsdd` on the original wav files."""
    from jepa_domains.data.audio_fsdd import EMBEDDED_DIR, embedded_fsdd_clips

    check_split(split)
    clips = embedded_fsdd_clips(split=split, sample_rate=sample_rate, min_samples=min_samples)
    report = ReadReport(source=f"fsdd (embedded, {EMBEDDED_DIR})", read=len(clips))
    return AudioClipDataset(clips, description=f"FSDD spoken digits, embedded copy ({split} split, {len(clips)} clips)",
                            class_names=[str(d) for d in range(10)], read_report=report)


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
    report = ReadReport(source=f"esc50 {root}")
    clips = decode_entries(entries, sample_rate=sample_rate, min_samples=min_samples, skip_bad=skip_bad,
                           report=report)
    class_names = [names.get(i, str(i)) for i in range(max(names) + 1)]
    return AudioClipDataset(clips, description=f"ESC-50 ({split}, test fold {test_fold}, {len(clips)} clips)",
                            class_names=class_names, read_report=report)


def detect_layout(path: Path) -> str:
    """``"esc50"``, ``"fsdd"`` or ``"folder"`` for a user path.

    FSDD is chosen when most audio files (or its ``recordings/`` folder) carry FSDD names, so
    that a few misnamed files are named by :func:`fsdd` instead of silently turning the set
    into a one-class folder.
    """
    if (path / "meta" / "esc50.csv").is_file():
        return "esc50"
    folder = path / "recordings" if (path / "recordings").is_dir() else path
    files = list_audio_files(folder) if folder.is_dir() else []
    matching = sum(1 for p in files if FSDD_NAME.match(p.stem))
    if files and 2 * matching > len(files):
        return "fsdd"
    return "folder"
