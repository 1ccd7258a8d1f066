"""Rebuild the embedded FSDD (``jepa_domains/data/fsdd/fsdd.flac`` + ``clips.csv``) from the wav files.

    python benchmarks/audio_build_fsdd.py --data-root /path/to/data        # reads DATA/fsdd/recordings

Every recording is re-encoded losslessly (16-bit PCM into one FLAC stream) and checked by decoding
it again. LICENSE, README.md (attribution) and the *.license sidecars in that folder are kept as they are.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from jepa_domains.data.audio_fsdd import EMBEDDED_DIR, build_embedded_fsdd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", required=True, help="folder holding fsdd/recordings/*.wav")
    parser.add_argument("--out", default=str(EMBEDDED_DIR), help="output folder (default: the package's copy)")
    args = parser.parse_args()
    root = Path(args.data_root).expanduser() / "fsdd"
    recordings = root / "recordings" if (root / "recordings").is_dir() else root
    stats = build_embedded_fsdd(recordings, args.out)
    print(f"wrote {stats['clips']} clips ({stats['samples']} samples at 8 kHz) into {args.out}: "
          f"fsdd.flac {stats['bytes'] / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
