"""Probes choose their regularisation on the training part only, by stratified inner CV."""

import numpy as np
import pytest

from jepa_domains.eval.probes import PROBES, chance_level, fit_probe, get_probe, inner_folds


def correlated(n, seed):
    """Two classes shifted along x1 under a strongly correlated covariance: the mean-difference
    direction (what a heavily regularised linear model follows) is nearly useless, the
    weakly regularised separator (along x1 - x2) is not."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.multivariate_normal([0, 0], [[10, 9.9], [9.9, 10]], n) + np.c_[y * 1.0, np.zeros(n)]
    return X, y


def centroids(n, d, seed):
    """Few samples, many dimensions, a small shift in every one: strong regularisation wins."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return rng.normal(size=(n, d)) + 0.25 * (2 * y[:, None] - 1), y


def noisy_labels(n, seed, flip):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = (X[:, 0] > 0).astype(int)
    swap = rng.random(n) < flip
    y[swap] = 1 - y[swap]
    return X, y


def test_chance_level_is_the_majority_share_of_the_test_labels():
    assert chance_level(np.array([0, 1, 1, 2, 1, 0])) == pytest.approx(0.5)
    assert chance_level(np.array([3, 3, 3])) == 1.0
    with pytest.raises(ValueError, match="empty"):
        chance_level(np.array([]))


def test_inner_folds_follow_the_smallest_class():
    assert inner_folds(np.array([0] * 50 + [1] * 50)) == 5
    assert inner_folds(np.array([0] * 50 + [1] * 3)) == 3
    assert inner_folds(np.array([0] * 50 + [1])) == 2                       # at least 2


@pytest.mark.parametrize("name", ["logistic", "svm_unscaled", "knn"])
def test_poisoned_test_part_leaves_the_choice_unchanged(name):
    (Xtr, ytr), (Xte, yte) = correlated(200, 0), correlated(100, 1)
    clean = get_probe(name)(Xtr, ytr, Xte, yte, seed=0)
    rng = np.random.default_rng(5)
    poisoned = get_probe(name)(Xtr, ytr, Xte, rng.permutation(yte), seed=0)
    assert poisoned["chosen"] == clean["chosen"]
    np.testing.assert_array_equal(poisoned["predictions"], clean["predictions"])
    # the test features only get predicted: changing some rows changes only those predictions
    moved = Xte.copy()
    moved[:10] = rng.normal(size=(10, 2)) * 100
    other = get_probe(name)(Xtr, ytr, moved, yte, seed=0)
    assert other["chosen"] == clean["chosen"]
    np.testing.assert_array_equal(other["predictions"][10:], clean["predictions"][10:])


def test_chosen_regularisation_follows_the_data():
    for kind in ("logistic", "svm"):
        weak = fit_probe(*correlated(300, 0), *correlated(200, 1), kind=kind)
        strong = fit_probe(*centroids(40, 500, 0), *centroids(200, 500, 1), kind=kind)
        c_weak, c_strong = float(weak["chosen"][2:]), float(strong["chosen"][2:])
        assert c_weak >= 1.0 and c_strong <= 1e-2, (kind, weak["chosen"], strong["chosen"])
        assert weak["accuracy"] > 0.8 and strong["accuracy"] > 0.9
    clean = fit_probe(*noisy_labels(400, 0, 0.0), *noisy_labels(200, 1, 0.0), kind="knn")
    noisy = fit_probe(*noisy_labels(400, 0, 0.35), *noisy_labels(200, 1, 0.35), kind="knn")
    assert int(clean["chosen"][2:]) <= 5 < int(noisy["chosen"][2:])


def test_result_fields_and_fixed_values():
    (Xtr, ytr), (Xte, yte) = correlated(120, 0), correlated(60, 1)
    r = get_probe("svm_unscaled@0.012")(Xtr, ytr, Xte, yte)
    assert r["chosen"] == "C=0.012"
    assert r["correct"].shape == (60,) and r["correct"].dtype == bool
    assert r["accuracy"] == pytest.approx(r["correct"].mean())
    np.testing.assert_array_equal(r["correct"], r["predictions"] == yte)
    assert r["chance"] == chance_level(yte)
    assert get_probe("knn@7")(Xtr, ytr, Xte, yte)["chosen"] == "k=7"
    # the same seed gives the same folds and the same answer
    a, b = get_probe("logistic")(Xtr, ytr, Xte, yte, seed=3), get_probe("logistic")(Xtr, ytr, Xte, yte, seed=3)
    assert a["chosen"] == b["chosen"] and a["accuracy"] == b["accuracy"]


def test_scaled_and_unscaled_variants_differ_on_badly_scaled_features():
    (Xtr, ytr), (Xte, yte) = noisy_labels(300, 0, 0.0), noisy_labels(200, 1, 0.0)
    # two useless columns 100x larger: raw cosine neighbours follow them, standardised ones do not
    junk = np.random.default_rng(0).normal(size=(500, 2)) * 100
    Xtr, Xte = np.c_[Xtr[:, :1], junk[:300]], np.c_[Xte[:, :1], junk[300:]]
    scaled = get_probe("knn")(Xtr, ytr, Xte, yte)
    unscaled = get_probe("knn_unscaled")(Xtr, ytr, Xte, yte)
    assert scaled["accuracy"] > unscaled["accuracy"] + 0.1


def test_bad_names_and_values_raise():
    assert set(PROBES) == {"logistic", "logistic_unscaled", "svm", "svm_unscaled", "knn", "knn_unscaled"}
    with pytest.raises(ValueError, match="unknown probe 'ridge'"):
        get_probe("ridge")
    with pytest.raises(ValueError, match="after '@' must be a number, got 'x'"):
        get_probe("svm@x")
    X, y = correlated(40, 0)
    with pytest.raises(ValueError, match="fixed C must be a positive number, got -1"):
        fit_probe(X, y, X, y, kind="logistic", value=-1)


def test_the_svm_solver_is_bounded_as_upstream_libsvm_and_unchanged_when_it_converges():
    """scikit-learn's libsvm has no iteration bound (one IMDB-BINARY inner fit ran > 13 min);
    the probe caps it at upstream libsvm's 10^7. A fit that converges first is unchanged."""
    from sklearn.svm import SVC

    from jepa_domains.eval.probes import SVM_MAX_ITER, _linear_svm

    assert SVM_MAX_ITER == 10_000_000
    assert _linear_svm(10.0, 0, True).max_iter == _linear_svm(0.1, 0, False).max_iter == SVM_MAX_ITER
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(80, 5)), rng.integers(0, 2, 80)
    gram = X @ X.T
    capped = _linear_svm(1.0, 0, True).fit(gram, y)
    free = SVC(C=1.0, kernel="precomputed").fit(gram, y)
    assert capped.n_iter_[0] < SVM_MAX_ITER
    np.testing.assert_array_equal(capped.predict(gram), free.predict(gram))
    np.testing.assert_allclose(capped.dual_coef_, free.dual_coef_)


def test_inner_accuracy_is_the_chosen_values_training_score_and_blind_to_the_test_part():
    from jepa_domains.eval.probes import KINDS, inner_scores
    (Xtr, ytr), (Xte, yte) = noisy_labels(200, 0, 0.1), noisy_labels(100, 1, 0.1)
    r = get_probe("logistic")(Xtr, ytr, Xte, yte, seed=2)
    grid = list(KINDS["logistic"].grid)
    scores = inner_scores(KINDS["logistic"], True, Xtr, ytr, grid, 2)
    assert r["inner_accuracy"] == pytest.approx(scores.max())
    assert r["chosen"] == f"C={grid[int(np.argmax(scores))]:g}"
    assert 0.8 < r["inner_accuracy"] < 0.95                  # 10 % of the labels are flipped
    poisoned = get_probe("logistic")(Xtr, ytr, Xte, 1 - yte, seed=2)
    assert poisoned["inner_accuracy"] == r["inner_accuracy"]
    assert get_probe("logistic@1")(Xtr, ytr, Xte, yte)["inner_accuracy"] is None   # nothing searched
