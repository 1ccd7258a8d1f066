"""Nested selection chooses per fold from training-part scores, never from the test folds."""

import numpy as np
import pytest

from jepa_domains.eval.selection import nested_select, seed_means
from jepa_domains.eval.verdicts import verdicts


def rows_for(entry, encoder, seed, fold, *, jepa, inner, random_init):
    base = {"entry": entry, "dataset": "D", "seed": seed, "fold": fold, "probe": "logistic", "encoder": encoder,
            "metric": "accuracy"}
    return [{**base, "method": "jepa", "value": jepa, "inner_accuracy": inner},
            {**base, "method": "random_init", "value": random_init, "inner_accuracy": 0.5},
            {**base, "probe": "-", "method": "chance", "value": 0.5}]


def test_each_fold_keeps_the_candidate_with_the_best_inner_score_not_the_best_test_score():
    rows = []
    for fold in range(4):
        # A has the better *test* accuracy everywhere, B the better *inner* accuracy on folds 0-2
        rows += rows_for("A", "context", 0, fold, jepa=0.9, inner=0.6 if fold < 3 else 0.8, random_init=0.7)
        rows += rows_for("B", "context", 0, fold, jepa=0.6 + 0.01 * fold, inner=0.7, random_init=0.65)
    selected, picks = nested_select(rows, [("A", "context"), ("B", "context")], probe="logistic")
    assert picks == {("B", "context"): 3, ("A", "context"): 1}
    jepa = {r["fold"]: r for r in selected if r["method"] == "jepa"}
    assert [jepa[f]["value"] for f in range(4)] == [0.6, 0.61, 0.62, 0.9]
    assert jepa[0]["picked"] == "B [context]" and jepa[3]["picked"] == "A [context]"
    # the controls come from the chosen candidate's own run on the same fold
    ri = {r["fold"]: r["value"] for r in selected if r["method"] == "random_init"}
    assert ri == {0: 0.65, 1: 0.65, 2: 0.65, 3: 0.7}
    assert {r["method"] for r in selected} == {"jepa", "random_init", "chance"}


def test_ties_go_to_the_earlier_candidate_and_the_rows_feed_verdicts():
    rows = []
    for seed in range(3):
        for fold in range(5):
            rows += rows_for("A", "target", seed, fold, jepa=0.80 + 0.01 * fold, inner=0.7, random_init=0.70)
            rows += rows_for("B", "target", seed, fold, jepa=0.50, inner=0.7, random_init=0.70)
    selected, picks = nested_select(rows, [("A", "target"), ("B", "target")], probe="logistic")
    assert picks == {("A", "target"): 15}
    means = seed_means(selected)
    assert {r["seed"] for r in means} == {0, 1, 2}
    assert [r["value"] for r in means if r["method"] == "jepa"] == pytest.approx([0.82] * 3)
    verdict = next(v for v in verdicts([{k: v for k, v in r.items() if k != "per_sample"} for r in selected])
                   if v.baseline == "random_init")
    assert verdict.word == "better" and verdict.units == 15 and verdict.test == "corrected_t"


def test_a_candidate_without_inner_scores_is_named():
    rows = rows_for("A", "context", 0, 0, jepa=0.9, inner=0.8, random_init=0.7)
    rows += rows_for("B", "context", 0, 0, jepa=0.9, inner=None, random_init=0.7)
    with pytest.raises(ValueError, match=r"B \[context\] has no inner_accuracy .*fold 0"):
        nested_select(rows, [("A", "context"), ("B", "context")], probe="logistic")
    with pytest.raises(ValueError, match=r"C \[context\] has no row for dataset D, seed 0, fold 0"):
        nested_select(rows, [("A", "context"), ("C", "context")], probe="logistic")
    with pytest.raises(ValueError, match="no candidates"):
        nested_select(rows, [], probe="logistic")
    with pytest.raises(ValueError, match="no per-fold accuracy rows"):
        nested_select(rows, [("A", "context")], probe="svm")
    assert np.isfinite(nested_select(rows, [("A", "context")], probe="logistic")[0][0]["value"])
