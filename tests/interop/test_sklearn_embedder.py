"""JEPAEmbedder: a scikit-learn transformer (Pipeline, cross_val_score, clone) over a run or a
pretraining of its own."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from jepa_domains.eval.embed import extract, load_run
from jepa_domains.interop import JEPAEmbedder
from jepa_domains.registry import get_modality
from jepa_domains.train import checkpoint as ckpt

TINY = {"train.steps": 3, "model.dim": 24, "model.depth": 1, "model.num_heads": 2, "model.pred_dim": 16,
        "model.pred_depth": 1, "model.pred_heads": 2, "optim.warmup_steps": 1}


@pytest.fixture(scope="module")
def gunpoint():
    adapter = get_modality("timeseries")
    ds = adapter.load_dataset(adapter.Config(), "GunPoint", split="train")
    return [ds[i] for i in range(len(ds))], ds.labels


def test_transform_matches_the_library_extractor(trained_timeseries_run, gunpoint):
    X, _ = gunpoint
    emb = JEPAEmbedder(run_dir=trained_timeseries_run).fit(X)
    Z = emb.transform(X)
    run = load_run(trained_timeseries_run)
    from jepa_domains.interop import as_dataset

    ref = extract(run.encoder, run.adapter, run.options, as_dataset(X, run.adapter, run.options)).X
    assert Z.shape == (len(X), run.cfg.model.dim) and Z.dtype == np.float32
    np.testing.assert_allclose(Z, ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(Z[:7], emb.transform(X[:7]))      # per-sample, order kept, deterministic


def test_pipeline_and_cross_val_score(trained_timeseries_run, gunpoint):
    X, y = gunpoint
    pipe = make_pipeline(JEPAEmbedder(run_dir=trained_timeseries_run), StandardScaler(),
                         LogisticRegression(max_iter=1000))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    # embeddings are per-sample and frozen: the same as probing precomputed features fold by fold
    Z = JEPAEmbedder(run_dir=trained_timeseries_run).fit_transform(X)
    reference = cross_val_score(make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)), Z, y, cv=3)
    np.testing.assert_allclose(scores, reference)
    twin = clone(pipe)
    assert twin.get_params()["jepaembedder__run_dir"] == trained_timeseries_run


def test_fit_pretrains_on_a_list_of_samples(tmp_path, gunpoint):
    X, y = gunpoint
    emb = JEPAEmbedder("timeseries", quick=True, overrides=TINY, out_dir=tmp_path / "run", seed=3)
    Z = emb.fit_transform(X, y)
    state = ckpt.load(tmp_path / "run" / "fit-000")
    assert state["step"] == 3 and state["config"]["train"]["seed"] == 3
    assert state["config"]["modality"]["channels"] == 1                # prepare() saw X, a 1-channel set
    assert Z.shape == (len(X), 24) and np.isfinite(Z).all()
    assert emb.run_dir_ == tmp_path / "run" / "fit-000"
    # a refit never mixes two runs' logs: it writes its own fresh folder
    assert emb.fit(X).run_dir_ == tmp_path / "run" / "fit-001"
    np.testing.assert_allclose(emb.transform(X), Z, rtol=1e-5, atol=1e-6)   # same seed, same data: same encoder


def test_bad_arguments_raise_clear_errors(gunpoint):
    X, _ = gunpoint
    with pytest.raises(ValueError, match="modality= .* or run_dir="):
        JEPAEmbedder().fit(X)
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        JEPAEmbedder("timeseries", batch_size=0).fit(X)
    with pytest.raises(ValueError, match="list of modality samples"):
        JEPAEmbedder("timeseries", overrides=TINY).fit("GunPoint")
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        JEPAEmbedder("timeseries").transform(X)


def test_encoder_choice(trained_timeseries_run, gunpoint):
    X, _ = gunpoint
    X = X[:20]
    context = JEPAEmbedder(run_dir=trained_timeseries_run).fit_transform(X)
    np.testing.assert_array_equal(context, JEPAEmbedder(run_dir=trained_timeseries_run, encoder="context").fit_transform(X))
    target = JEPAEmbedder(run_dir=trained_timeseries_run, encoder="target").fit_transform(X)
    assert not np.allclose(context, target, atol=1e-4)
    both = JEPAEmbedder(run_dir=trained_timeseries_run, encoder="both").fit_transform(X)
    np.testing.assert_array_equal(both, np.concatenate([context, target], axis=1))
    with pytest.raises(ValueError, match="got 'ema'"):
        JEPAEmbedder(run_dir=trained_timeseries_run, encoder="ema").fit(X)
