"""What a suite run leaves on disk, so that an interrupted run continues where it stopped.

``OUT/runs/<modality>-<hash>/``  one pretraining run per resolved config (hash of the config),
                                 reused by every entry, seed and re-run with the same config;
``OUT/rows/<entry>__s<seed>__<task>[@<dataset>].json``  the finished rows of one protocol call,
                                 written atomically and never recomputed once ``status == "ok"``;
``OUT/results.{csv,json}``, ``OUT/report.{md,html}``  written from the stored rows.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from jepa_domains.train.config import RunConfig, to_dict

# Keys that do not change what a run learns: excluded from the hash so a moved data folder or
# a hidden progress bar still reuses the checkpoint.
_UNHASHED = (("data", "data_root"), ("train", "progress"), ("data", "num_workers"))


def config_hash(cfg: RunConfig) -> str:
    """12 hex digits identifying what a pretraining run computes (see ``_UNHASHED``)."""
    tree = to_dict(cfg)
    for section, key in _UNHASHED:
        tree.get(section, {}).pop(key, None)
    text = json.dumps(tree, sort_keys=True, default=list)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def run_dir_for(out: Path, cfg: RunConfig) -> Path:
    return Path(out) / "runs" / f"{cfg.modality_name}-{config_hash(cfg)}"


def run_is_complete(run_dir: Path, steps: int) -> bool:
    """A finished run has its summary and a final checkpoint at ``steps``."""
    summary = Path(run_dir) / "run.json"
    if not summary.is_file() or not (Path(run_dir) / "checkpoints" / "last.pt").is_file():
        return False
    try:
        return int(json.loads(summary.read_text()).get("steps", -1)) >= steps
    except (ValueError, OSError):
        return False


def write_json_atomic(path: Path, data: Any) -> None:
    """Temp file + rename: a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=1, default=_json_default)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (tuple, set)):
        return list(value)
    return str(value)


def cell_path(out: Path, entry: str, seed: int, task: str, dataset: str | None) -> Path:
    """Where the rows of one (entry, seed, task[, eval dataset]) are stored."""
    suffix = f"@{dataset.replace('/', '_')}" if dataset else ""
    return Path(out) / "rows" / f"{entry}__s{seed}__{task}{suffix}.json"


def read_cell(path: Path) -> dict[str, Any] | None:
    """A stored cell, or None when absent or unreadable (then it is recomputed)."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def read_all_cells(out: Path) -> list[dict[str, Any]]:
    cells = []
    for path in sorted((Path(out) / "rows").glob("*.json")):
        cell = read_cell(path)
        if cell is not None:
            cells.append(cell)
    return cells


def environment() -> dict[str, str]:
    """Device, library versions and git commit, stored with every result file."""
    import numpy
    import sklearn
    import torch

    import jepa_domains

    if torch.cuda.is_available():
        device = f"cuda:{torch.cuda.get_device_name(0)}"
    else:
        device = f"cpu:{platform.processor() or platform.machine()} x{os.cpu_count()}"
    return {
        "device": device,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "sklearn": sklearn.__version__,
        "jepa_domains": getattr(jepa_domains, "__version__", "unknown"),
        "git_commit": git_commit(),
        "platform": platform.platform(),
    }


def git_commit() -> str:
    """The commit of the library's checkout (``+dirty`` when it has local changes), or "unknown"."""
    root = Path(__file__).resolve().parents[2]
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                             timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
