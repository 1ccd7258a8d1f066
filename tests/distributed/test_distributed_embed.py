"""``jepa-domains embed --devices 2`` writes one ``.npz`` per rank whose rows, joined by dataset
index, equal the single-process embeddings and carry the samples' ids and labels."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from jepa_domains.eval.embed import extract, load_run
from jepa_domains.train.launch import rank_slice, read_embedding_shards
from tests.distributed.dist_helpers import REPO, single_thread_env


def test_rank_slices_partition_the_dataset():
    for n, w in ((10, 3), (2, 4), (0, 2), (7, 1)):
        parts = [list(rank_slice(n, r, w)) for r in range(w)]
        assert sum(parts, []) == list(range(n))
        assert max(map(len, parts)) - min(map(len, parts)) <= 1


def test_two_process_embed_equals_single_process(trained_timeseries_run, tmp_path):
    out = tmp_path / "emb"
    cmd = [sys.executable, "-m", "jepa_domains.cli.app", "embed", str(trained_timeseries_run), "--devices", "2",
           "--accelerator", "cpu", "--split", "test", "--data", "GunPoint", "--out", str(out), "--batch-size", "16"]
    proc = subprocess.run(cmd, cwd=REPO, env=single_thread_env(), capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in out.glob("*.npz")) == ["embeddings-rank00000-of-00002.npz",
                                                        "embeddings-rank00001-of-00002.npz"]
    joined = read_embedding_shards(out)

    loaded = load_run(trained_timeseries_run)
    dataset = loaded.adapter.load_dataset(loaded.options, "GunPoint", split="test")
    reference = extract(loaded.encoder, loaded.adapter, loaded.options, dataset, batch_size=16, device="cpu")
    assert joined["X"].shape == reference.X.shape == (len(dataset), loaded.cfg.model.dim)
    np.testing.assert_allclose(joined["X"], reference.X, rtol=1e-5, atol=1e-6)
    assert joined["ids"].tolist() == [str(i) for i in reference.ids]     # joinable back to the inputs
    assert np.array_equal(joined["y"], reference.y) and np.array_equal(joined["index"], np.arange(len(dataset)))
