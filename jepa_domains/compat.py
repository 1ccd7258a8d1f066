"""Which torch / torchaudio pairs work together, and a clear error when the installed pair doesn't.

torchaudio ships a compiled extension linked against one torch C++ ABI. A torchaudio release
built for another torch fails to load with an ``undefined symbol`` deep inside its import
(torchaudio 2.11.1 against torch 2.11.0 does). Only the pairs below were checked (import, Kaldi
fbank, resampling, the test suite); ``requirements/lock.txt`` pins the first one.
"""

from __future__ import annotations

from importlib import metadata
from types import ModuleType

# (torch, torchaudio) release pairs known to load and compute together.
SUPPORTED_TORCH_PAIRS: tuple[tuple[str, str], ...] = (
    ("2.14.1", "2.11.1"),   # the locked default (requirements/lock.txt)
    ("2.11.0", "2.11.0"),   # the torch preinstalled on our GPU images, with its own torchaudio
)


def _release(dist: str) -> str:
    try:
        return metadata.version(dist).split("+", 1)[0]   # "2.14.1+cu130" -> "2.14.1"
    except metadata.PackageNotFoundError:
        return "not installed"


def torch_pair() -> tuple[str, str]:
    """Installed ``(torch, torchaudio)`` release versions (local labels such as ``+cpu`` dropped)."""
    return _release("torch"), _release("torchaudio")


def import_torchaudio() -> ModuleType:
    """``import torchaudio``, turning an ABI mismatch into one line that names both versions."""
    try:
        import torchaudio
        import torchaudio.compliance.kaldi  # noqa: F401  (the parts this library calls)
        import torchaudio.functional  # noqa: F401
    except (OSError, ImportError) as err:
        torch_version, audio_version = torch_pair()
        supported = ", ".join(f"torch {t} + torchaudio {a}" for t, a in SUPPORTED_TORCH_PAIRS)
        raise ImportError(f"torchaudio {audio_version} does not load against torch {torch_version} "
                          f"({str(err).splitlines()[0][:160]}); supported pairs: {supported}. "
                          f"Reinstall with: pip install -c requirements/lock.txt -e .") from None
    return torchaudio
