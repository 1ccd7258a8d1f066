"""``eval --option pool=...``: one override of a run's pooling, for every modality that has one."""

import pytest
import torch

from jepa_domains.eval.embed import load_runs
from jepa_domains.modalities.base import mean_pool, segment_pool


def test_segment_pool_parts_cover_the_valid_tokens_in_order():
    latents = torch.arange(6, dtype=torch.float32).reshape(1, 6, 1).repeat(3, 1, 2)   # [R=3, N=6, D=2]
    pad = torch.zeros(3, 6, dtype=torch.bool)
    pad[1, 3:] = True                                                                   # 3 valid tokens
    pad[2, :] = True                                                                    # none valid
    torch.testing.assert_close(segment_pool(latents, pad, 1)[:, 0], mean_pool(latents, pad))
    three = segment_pool(latents, pad, 3)
    assert three.shape == (3, 3, 2)
    assert three[0, :, 0].tolist() == [0.5, 2.5, 4.5]
    assert three[1, :, 0].tolist() == [0.0, 1.0, 2.0]
    assert not three[2].any()                                                           # empty row: zeros
    assert segment_pool(latents, pad, 4)[1, :, 0].tolist() == [0.0, 0.5, 1.5, 2.0]  # token on a border counts twice
    with pytest.raises(ValueError, match="parts >= 1"):
        segment_pool(latents, pad, 0)


def test_load_runs_replaces_the_pool_and_validates_it(trained_timeseries_run):
    runs = load_runs(trained_timeseries_run, encoder="both", pool="segments")
    assert {r.options.pool for r in runs.values()} == {"segments"}
    assert load_runs(trained_timeseries_run).popitem()[1].options.pool == "mean"          # the run's own
    with pytest.raises(ValueError, match="modality.pool"):
        load_runs(trained_timeseries_run, pool="max")


def test_a_modality_without_pooling_choice_refuses_the_override(tmp_path):
    from jepa_domains.train.config import resolve
    from jepa_domains.train.trainer import Trainer

    from tests.conftest import TINY

    cfg = resolve("pointcloud", overrides=TINY + ["train.steps=1", "data.batch_size=4"])
    Trainer(cfg, run_dir=tmp_path).fit()
    with pytest.raises(ValueError, match="modality 'pointcloud' has no pool option"):
        load_runs(tmp_path, pool="segments")


def test_eval_layers_option_widens_the_embeddings_of_jepa_and_random_init_alike(trained_timeseries_run):
    """``eval --task classify --option layers=2`` reaches the protocol; the JEPA and random-init
    rows are computed from embeddings of twice the width (the raw-feature row does not change)."""
    from jepa_domains.eval.protocols import labelled_splits, method_embeddings
    from jepa_domains.modalities.timeseries.evaluate import classify_run

    def widths(layers):
        runs = load_runs(trained_timeseries_run, encoder="context", layers=layers)
        splits, _, _ = labelled_splits(runs["context"], None, None)
        feats = method_embeddings(runs, splits["test"])["context"]
        return {m: X.shape[1] for m, X in feats.items()}

    one, two = widths(None), widths(2)
    assert two["jepa"] == 2 * one["jepa"] and two["random_init"] == 2 * one["random_init"]
    assert two["features"] == one["features"]
    rows = classify_run(trained_timeseries_run, probes=("knn",), encoder="context", layers=2)
    assert {r["method"] for r in rows} >= {"jepa", "random_init", "features"}
