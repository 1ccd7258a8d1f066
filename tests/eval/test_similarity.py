import numpy as np
import pytest

from jepa_domains.eval.similarity import (
    embedding_mean_rank,
    mean_rank,
    pairwise_euclidean,
    search_summary,
    twin_ranks,
)


def test_twin_ranks_on_a_constructed_case():
    # query 0: twin nearest (rank 1); query 1: two items closer (rank 3); query 2: one closer
    dist = np.array([
        [0.1, 0.5, 0.9, 0.7],
        [0.2, 0.6, 0.3, 0.9],
        [0.4, 0.8, 0.5, 0.6],
    ])
    np.testing.assert_array_equal(twin_ranks(dist), [1, 3, 2])
    assert mean_rank(dist) == pytest.approx(2.0)
    summary = search_summary(dist, top_k=(1, 2))
    assert summary["hit@1"] == pytest.approx(1 / 3)
    assert summary["hit@2"] == pytest.approx(2 / 3)


def test_ties_count_against_the_query():
    # a constant embedding must get the worst rank, not the best
    dist = np.zeros((3, 5))
    np.testing.assert_array_equal(twin_ranks(dist), [5, 5, 5])


def test_embedding_mean_rank_perfect_and_reversed():
    rng = np.random.default_rng(0)
    db = rng.normal(size=(20, 4)) * 10
    queries = db[:5] + rng.normal(size=(5, 4)) * 0.01
    assert embedding_mean_rank(queries, db) == 1.0
    # queries placed at a distractor: their twin can no longer be first
    far = db[10:15] + 1e-3
    assert embedding_mean_rank(far, db) > 1.0


def test_pairwise_euclidean_matches_direct_computation():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(6, 3))
    direct = np.linalg.norm(a[:, None] - b[None], axis=-1)
    np.testing.assert_allclose(pairwise_euclidean(a, b), direct, atol=1e-9)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="D >= Q"):
        twin_ranks(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="NaN"):
        twin_ranks(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="expected queries"):
        pairwise_euclidean(np.zeros((2, 3)), np.zeros((2, 4)))
