"""Bad input through the command line, per modality: each case is either a one-line error that
names the culprit (exit 2, no traceback), or, with ``--skip-bad``, a run whose ``run.json`` names
what was skipped. Nothing is dropped silently.

The readers' own tests (tests/modalities, tests/data) check the messages in detail; this matrix
checks that the ``jepa-domains train`` a user runs surfaces them that way.
"""

from __future__ import annotations

import json

import numpy as np
import open3d as o3d
import pytest
import soundfile as sf
from typer.testing import CliRunner

from jepa_domains.cli.app import app
from tests.conftest import TINY
from tests.modalities.test_audio_data import RATE, _fsdd_tree, tone
from tests.modalities.test_graph_data import _write_tu
from tests.modalities.test_trajectory_data import _points, _write_gotrack

runner = CliRunner()
FAST = [a for o in TINY + ["train.steps=1", "data.batch_size=4", "train.probe_every=0"] for a in ("--set", o)]


def truncated_ply_folder(root):
    for label in ("chair", "table"):
        (root / label).mkdir(parents=True)
        for i in range(8):
            cloud = np.random.default_rng(i).normal(size=(2048, 3))
            o3d.io.write_point_cloud(str(root / label / f"{i}.ply"),
                                     o3d.geometry.PointCloud(o3d.utility.Vector3dVector(cloud)))
    good = root / "chair" / "0.ply"
    (root / "chair" / "cut.ply").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return root, "cut.ply"


def misnamed_fsdd(root):
    _fsdd_tree(root)
    sf.write(root / "recordings" / "seven_ann_3.wav", tone(0.3), RATE)
    return root, "seven_ann_3.wav"


def csv_with_empty_ids(root):
    table = _points([f"t{i}" for i in range(8)], points_per_track=6)
    table.loc[[7, 8], "track_id"] = None
    root.mkdir(parents=True)
    table.to_csv(root / "tracks.csv", index=False)
    return root / "tracks.csv", "row 8"


def gotrack_cut(root):
    return _write_gotrack(root / "gotrack", n_tracks=12, keep=9), "track 10"


def tu_edges_cut_mid_line(root):
    folder = _write_tu(root)
    edges = folder / "TOY_A.txt"
    edges.write_text(edges.read_text()[:-4])
    return folder, "TOY_A.txt"


# (modality, generator, can --skip-bad recover?)
CASES = {
    "pointcloud-truncated-ply": ("pointcloud", truncated_ply_folder, True),
    "audio-misnamed-fsdd-file": ("audio", misnamed_fsdd, True),
    "trajectory-empty-track-ids": ("trajectory", csv_with_empty_ids, True),
    "trajectory-gotrack-points-cut": ("trajectory", gotrack_cut, True),
    "graph-edge-list-cut": ("graph", tu_edges_cut_mid_line, False),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_a_named_error_or_a_named_skip(case, tmp_path):
    modality, make, skippable = CASES[case]
    data, culprit = make(tmp_path / "data")
    result = runner.invoke(app, ["train", modality, "--data", str(data), "--out", str(tmp_path / "run"), *FAST])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and culprit in lines[0] and "Traceback" not in result.output, result.output
    if not skippable:
        return
    result = runner.invoke(app, ["train", modality, "--data", str(data), "--out", str(tmp_path / "skip"),
                                 "--skip-bad", *FAST])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "skip" / "run.json").read_text())["data_report"]
    assert report["skipped"] >= 1 and any(culprit in name for name in report["skipped_names"]), report
