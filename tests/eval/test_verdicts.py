"""Paired verdicts: unit-level t-tests, per-sample McNemar, words and sense of the metric."""

import math

import numpy as np
import pytest
from scipy import stats

from jepa_domains.eval.verdicts import bootstrap_interval, mcnemar_exact, paired_units, verdicts, word_for


def unit_rows(method, values, metric="accuracy", **extra):
    return [{"dataset": "D", "task": "classify", "probe": "logistic", "encoder": "context", "method": method,
             "metric": metric, "value": v, "seed": s, **extra} for s, v in enumerate(values)]


def sample_row(method, correct, **extra):
    return {"dataset": "D", "task": "classify", "probe": "logistic", "encoder": "context", "method": method,
            "metric": "accuracy", "value": float(np.mean(correct)), "seed": 0, "per_sample": list(correct), **extra}


def test_paired_t_over_units_matches_scipy():
    jepa = [0.80, 0.84, 0.79, 0.86, 0.83]
    base = [0.70, 0.75, 0.72, 0.74, 0.71]
    (v,) = verdicts(unit_rows("jepa", jepa) + unit_rows("random_init", base))
    assert v.test == "paired_t" and v.units == 5 and v.baseline == "random_init"
    assert v.p_value == pytest.approx(stats.ttest_rel(jepa, base).pvalue)
    d = np.subtract(jepa, base)
    half = stats.t.ppf(0.975, 4) * d.std(ddof=1) / math.sqrt(5)
    assert (v.low, v.high) == pytest.approx((d.mean() - half, d.mean() + half))
    assert v.difference == pytest.approx(d.mean()) and v.word == "better"


def test_identical_scores_are_level_and_worse_is_worse():
    same = [0.7, 0.8, 0.75]
    (v,) = verdicts(unit_rows("jepa", same) + unit_rows("random_init", same))
    assert v.word == "level" and v.p_value == 1.0 and v.difference == 0.0
    (w,) = verdicts(unit_rows("jepa", [0.5, 0.52, 0.49, 0.51]) + unit_rows("features", [0.7, 0.74, 0.69, 0.72]))
    assert w.word == "worse" and w.high < 0


def test_lower_is_better_flips_the_word_not_the_difference():
    (v,) = verdicts(unit_rows("jepa", [0.30, 0.31, 0.29, 0.30], metric="mse", horizon=96)
                    + unit_rows("linear_raw", [0.40, 0.42, 0.41, 0.40], metric="mse", horizon=96))
    assert v.difference < 0 and v.word == "better"
    assert "D classify logistic 96 mse [context]" in v.line()


def test_per_sample_mcnemar_against_scipy_binomial():
    rng = np.random.default_rng(0)
    base = rng.random(300) < 0.6
    jepa = base.copy()
    jepa[np.flatnonzero(~base)[:40]] = True                 # 40 fixed
    jepa[np.flatnonzero(base)[:10]] = False                 # 10 broken
    (v,) = verdicts([sample_row("jepa", jepa.astype(int)), sample_row("random_init", base.astype(int))])
    assert v.test == "mcnemar_exact" and v.units == 300
    assert v.p_value == pytest.approx(stats.binomtest(40, 50, 0.5).pvalue)
    assert v.difference == pytest.approx(30 / 300) and v.low > 0 and v.word == "better"
    assert mcnemar_exact(base, base) == 1.0


def test_per_sample_identical_is_level_and_continuous_errors_use_a_paired_t():
    same = [1, 0, 1, 1, 0, 1]
    (v,) = verdicts([sample_row("jepa", same), sample_row("random_init", same)])
    assert v.word == "level" and v.p_value == 1.0 and (v.low, v.high) == (0.0, 0.0)
    rng = np.random.default_rng(1)
    a, b = rng.random(200), rng.random(200) + 0.2
    rows = [{"dataset": "D", "method": m, "metric": "mse", "value": float(x.mean()), "seed": 0,
             "per_sample": x.tolist()} for m, x in (("jepa", a), ("naive_last", b))]
    (w,) = verdicts(rows)
    assert w.test == "paired_t_samples" and w.p_value == pytest.approx(stats.ttest_rel(a, b).pvalue)
    assert w.word == "better"


def test_one_unit_without_samples_has_no_test():
    (v,) = verdicts(unit_rows("jepa", [0.9]) + unit_rows("random_init", [0.5]))
    assert v.test == "none" and math.isnan(v.p_value) and v.word == "level"
    assert "[n/a], p=n/a (none, 1 units) -> level with random_init" in v.line()


def test_groups_pair_within_encoder_and_probe_and_skip_chance():
    rows = (unit_rows("jepa", [0.8, 0.82]) + unit_rows("random_init", [0.6, 0.61])
            + unit_rows("chance", [0.5, 0.5]) + unit_rows("jepa", [0.7, 0.7], encoder="target")
            + unit_rows("random_init", [0.6, 0.61], encoder="target"))
    found = verdicts(rows)
    assert [(v.group["encoder"], v.baseline) for v in found] == [("context", "random_init"), ("target", "random_init")]
    assert verdicts(rows, baselines=["features"]) == []


def test_line_format():
    (v,) = verdicts(unit_rows("jepa", [0.87, 0.88, 0.86]) + unit_rows("random_init", [0.85, 0.86, 0.86]))
    line = v.line()
    assert line.startswith("verdict: D classify logistic [context]: jepa 0.870 vs random_init 0.857: +0.013 [")
    assert line.endswith(f"-> {v.word if v.word == 'level' else v.word + ' than'}{' with' if v.word == 'level' else ''} random_init")


def test_word_needs_both_p_and_interval():
    assert word_for(0.1, -0.01, 0.2, 0.01, lower_is_better=False) == "level"
    assert word_for(0.1, 0.01, 0.2, 0.2, lower_is_better=False) == "level"
    assert word_for(0.1, 0.01, 0.2, 0.01, lower_is_better=False) == "better"
    assert word_for(0.1, 0.01, 0.2, 0.01, lower_is_better=True) == "worse"


def test_helpers_validate_and_bootstrap_is_seeded():
    with pytest.raises(ValueError, match=">= 2 units, got 1"):
        paired_units([0.1])
    d = np.random.default_rng(0).normal(size=100)
    assert bootstrap_interval(d) == bootstrap_interval(d)
    low, high = bootstrap_interval(d)
    assert low < d.mean() < high


def test_fold_units_get_the_nadeau_bengio_correction():
    from jepa_domains.eval.verdicts import fold_ratio, paired_units

    d = np.array([0.05, 0.0, 0.1, -0.02, 0.06, 0.03, 0.0, 0.08, 0.01, 0.04])
    plain = paired_units(d)
    corrected = paired_units(d, test_train_ratio=1 / 9)
    assert plain[3] == pytest.approx(stats.ttest_1samp(d, 0.0).pvalue)
    # same mean, interval wider by sqrt((1/10 + 1/9) / (1/10)), larger p
    assert corrected[0] == plain[0]
    width = lambda r: r[2] - r[1]  # noqa: E731
    assert width(corrected) / width(plain) == pytest.approx(np.sqrt((0.1 + 1 / 9) / 0.1))
    se = d.std(ddof=1) * np.sqrt(0.1 + 1 / 9)
    assert corrected[3] == pytest.approx(2 * stats.t.sf(d.mean() / se, 9)) and corrected[3] > plain[3]
    assert fold_ratio([(0, f) for f in range(10)]) == pytest.approx(1 / 9)
    assert fold_ratio([(s, None) for s in range(3)]) == 0.0


def test_fold_rows_are_judged_with_the_corrected_test():
    rows = [{"dataset": "D", "task": "classify_cv", "probe": "logistic", "encoder": "context", "metric": "accuracy",
             "fold": f, "seed": 0, "method": m, "value": v}
            for f in range(10) for m, v in (("jepa", 0.80 + 0.01 * (f % 3)), ("random_init", 0.78))]
    (verdict,) = verdicts(rows)
    assert verdict.test == "corrected_t" and verdict.units == 10


def test_constant_nonzero_differences_have_no_test_and_are_level():
    mean, low, high, p = paired_units([-0.008, -0.008])
    assert mean == low == high == -0.008 and math.isnan(p)
    assert math.isnan(paired_units([0.7367 - 0.8433, 0.7366 - 0.8432])[3])   # equal up to rounding
    rows = [{"dataset": "D", "task": "classify", "probe": "knn", "metric": "accuracy", "seed": s, "method": m, "value": v}
            for s in (0, 1) for m, v in (("jepa", 0.676), ("random_init", 0.684))]
    (verdict,) = verdicts(rows)
    assert verdict.word == "level" and "p=n/a" in verdict.line()
