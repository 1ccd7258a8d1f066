"""JEPAEmbedder against scikit-learn's own conformance suite (``parametrize_with_checks``), plus
what that suite does not look at: temporary folders, refits under ``clone`` with ``out_dir``,
variable-length series and a silent stdout."""

import os
import tempfile

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from jepa_domains.interop import JEPAEmbedder

# a 2-step run of a one-block, 16-wide model: each fit takes ~0.1 s on one core
TINY = {"train.steps": 2, "model.dim": 16, "model.depth": 1, "model.num_heads": 2, "model.pred_dim": 8,
        "model.pred_depth": 1, "model.pred_heads": 2, "optim.warmup_steps": 1}

# two-step runs of a tiny model look collapsed and have one-patch batches: the trainer says so
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

# Every check passes; the names of documented expected failures would go here with their reason
# (docs/interop.md, "Conformance"), e.g. {"check_name": "why"}.
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


def tiny_embedder(**kwargs) -> JEPAEmbedder:
    return JEPAEmbedder("timeseries", overrides=TINY, device="cpu", **kwargs)


@parametrize_with_checks([tiny_embedder()], expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_scikit_learn_conformance(estimator, check):
    check(estimator)


def series(n=24, length=40, seed=0, channels=None):
    rng = np.random.default_rng(seed)
    shape = (n, length) if channels is None else (n, channels, length)
    return rng.normal(size=shape)


def test_fit_without_out_dir_leaves_no_folder_and_keeps_the_model_in_memory(tmp_path, monkeypatch):
    X = series()
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))           # a temp dir no other process writes to
    assert tempfile.gettempdir() == str(private)
    embedder = tiny_embedder()
    Z = embedder.fit_transform(X)
    cross_val_score(make_pipeline(tiny_embedder(), LogisticRegression()), X, np.arange(len(X)) % 2, cv=3)
    assert os.listdir(private) == []                                 # 4 fits, no folder left
    assert embedder.run_dir_ is None
    np.testing.assert_array_equal(embedder.transform(X), Z)         # the encoder lives in memory


def test_refits_and_clones_with_out_dir_write_fresh_runs(tmp_path):
    X, y = series(), np.arange(24) % 2
    embedder = tiny_embedder(out_dir=tmp_path / "runs")
    first = embedder.fit(X).run_dir_
    second = embedder.fit(X).run_dir_
    third = clone(embedder).fit(X).run_dir_
    assert [first.name, second.name, third.name] == ["fit-000", "fit-001", "fit-002"]
    assert all((p / "checkpoints" / "last.pt").is_file() for p in (first, second, third))
    search = GridSearchCV(make_pipeline(tiny_embedder(out_dir=tmp_path / "grid"), LogisticRegression()),
                          {"jepaembedder__seed": [0, 1]}, cv=2).fit(X, y)
    assert len(list((tmp_path / "grid").iterdir())) == 2 * 2 + 1    # 2 seeds x 2 folds + the refit
    assert search.best_params_["jepaembedder__seed"] in (0, 1)


def test_arrays_panels_and_variable_length_lists():
    table = series(length=40)
    panel = series(length=40, channels=3)
    # one fitted embedder, same series: a [n, T] table, a [n, 1, T] panel, a list of [T] arrays
    embedder = tiny_embedder().fit(table)
    assert embedder.n_features_in_ == 40 and embedder.n_channels_in_ == 1
    Z = embedder.transform(table)
    np.testing.assert_allclose(embedder.transform(table[:, None, :]), Z, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(embedder.transform(list(table)), Z, rtol=1e-5, atol=1e-6)
    ragged = [table[0, :25], table[1], table[2, :33]]
    Zr = embedder.transform(ragged)
    np.testing.assert_allclose(Zr[1], Z[1], rtol=1e-5, atol=1e-6)   # padding of the others does not leak
    np.testing.assert_allclose(Zr[0], embedder.transform([table[0, :25]])[0], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="X has 30 features, but JEPAEmbedder is expecting 40"):
        embedder.transform(table[:, :30])
    # channels: independent channel mode gives [n, C * E]
    multi = tiny_embedder().fit(panel)
    assert multi.n_features_in_ == 3 and multi.transform(panel).shape == (24, 3 * 16)
    assert multi.transform(panel[:, :, :20]).shape == (24, 48)       # a panel may change length
    with pytest.raises(ValueError, match="X has 2 channel"):
        multi.transform(panel[:, :2])


@pytest.mark.parametrize("bad, error, match", [
    (np.zeros((5, 0)), ValueError, "0 feature"),
    (np.zeros((5, 2, 0)), ValueError, "zero-length"),
    ([np.ones(10), np.ones(0)], ValueError, r"X\[1\]"),
    ([np.ones(10), np.array([1.0, np.nan])], ValueError, "NaN"),
    (np.array([[1.0, np.inf]] * 4), ValueError, "infinity"),
    (np.ones(10), ValueError, "Expected 2D array"),
    (np.ones((2, 2, 2, 2)), ValueError, "shape"),
    (np.ones((3, 4)) + 1j, ValueError, "Complex data not supported"),
    (np.array([[{"a": 1}, 2.0]], dtype=object), TypeError, "number"),
    ([], ValueError, "0 sample"),
    ([np.ones((2, 10)), np.ones((3, 12))], ValueError, "channels"),
])
def test_bad_input_raises_what_scikit_learn_expects(bad, error, match):
    with pytest.raises(error, match=match):
        tiny_embedder().fit(bad)


def test_sparse_input_is_a_type_error():
    scipy_sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="sparse"):
        tiny_embedder().fit(scipy_sparse.csr_matrix(np.ones((4, 20))))


def test_fit_prints_nothing_to_stdout(capfd):
    tiny_embedder(verbose=False).fit(series())
    assert capfd.readouterr().out == ""


def test_set_output_pandas_and_feature_names():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(series(length=20), columns=[f"t{i}" for i in range(20)])
    embedder = tiny_embedder().set_output(transform="pandas").fit(frame)
    out = embedder.transform(frame)
    assert list(out.columns) == [f"jepaembedder{i}" for i in range(16)] and out.index.equals(frame.index)
    assert list(embedder.feature_names_in_) == list(frame.columns)
