"""Import smoke test of every dependency with compiled code or a compiled ABI link.

Each package is imported and exercised in a fresh interpreter, so that an undefined symbol, a
missing system library or an abort in one extension fails its own test with a message naming the
package and the versions involved, instead of crashing the whole test session.
"""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import pytest

# package (distribution name) -> (import name, a tiny computation that needs the compiled part)
CHECKS: dict[str, tuple[str, str]] = {
    "torch": ("torch", "torch.ones(3).sum().item()"),
    "torchaudio": ("torchaudio",
                   "__import__('torchaudio.compliance.kaldi').compliance.kaldi.fbank("
                   "torch.randn(1, 4000), num_mel_bins=23).shape"),
    "open3d": ("open3d", "open3d.geometry.PointCloud(open3d.utility.Vector3dVector([[0.0, 0, 0], [1, 0, 0]]))"
                         ".get_axis_aligned_bounding_box().get_extent()"),
    "pymetis": ("pymetis", "pymetis.part_graph(2, adjacency=[[1], [0, 2], [1, 3], [2]])"),
    "torch-geometric": ("torch_geometric", "__import__('torch_geometric.utils').utils.to_undirected("
                                           "torch.tensor([[0, 1], [1, 2]])).shape"),
    "lightning-fabric": ("lightning_fabric", "lightning_fabric.Fabric(accelerator='cpu', devices=1)"),
    "soundfile": ("soundfile", "soundfile.__libsndfile_version__"),
    "h5py": ("h5py", "h5py.version.hdf5_version"),
    "scikit-learn": ("sklearn", "__import__('sklearn.linear_model').linear_model.LogisticRegression()"
                                ".fit([[0.0], [1.0]], [0, 1]).predict([[0.9]])"),
    "sktime": ("sktime", "sktime.__version__"),
    "numba": ("numba", "numba.njit(lambda x: x * 2)(21)"),
}


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _probe(module: str, expression: str) -> subprocess.CompletedProcess:
    needs_torch = "torch." in expression or module in ("torch", "torchaudio", "torch_geometric", "lightning_fabric")
    code = (("import torch\n" if needs_torch else "") + f"import {module}\n"
            f"print(repr({expression}))\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)


@pytest.mark.parametrize("dist", sorted(CHECKS))
def test_compiled_dependency_loads_and_computes(dist):
    module, expression = CHECKS[dist]
    proc = _probe(module, expression)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        pytest.fail(f"{dist} {_version(dist)} fails to load or compute (torch {_version('torch')}, "
                    f"python {sys.version.split()[0]}, exit {proc.returncode}): {last}", pytrace=False)


def test_torch_and_torchaudio_are_a_supported_pair():
    """A drifted install (another torch under a torchaudio built for a different one) fails here
    with both versions named, before any audio code runs."""
    from jepa_domains.compat import SUPPORTED_TORCH_PAIRS, torch_pair

    pair = torch_pair()
    assert pair in SUPPORTED_TORCH_PAIRS, (f"torch {pair[0]} with torchaudio {pair[1]} is not a supported pair; "
                                           f"supported: {SUPPORTED_TORCH_PAIRS}")


def test_the_lock_pins_a_supported_pair():
    from pathlib import Path

    from jepa_domains.compat import SUPPORTED_TORCH_PAIRS

    lock = Path(__file__).resolve().parents[1] / "requirements" / "lock.txt"
    pins = dict(line.split("==", 1) for line in lock.read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    assert (pins["torch"].strip(), pins["torchaudio"].strip()) in SUPPORTED_TORCH_PAIRS
