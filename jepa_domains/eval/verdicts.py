"""Paired verdicts: is the JEPA encoder better than, level with, or worse than each baseline?

Result rows are grouped by what they measure (:data:`GROUP_FIELDS`: dataset, task, protocol,
probe, encoder, horizon, ..., metric). Inside a group, ``jepa`` is paired with every other
method (``random_init`` first; reference rows such as ``chance`` are skipped) on the units
both share:

* **>= 2 paired units** (a unit is one ``(seed, fold)``): the per-unit differences ``d`` get a
  paired t-test (``scipy.stats.ttest_rel``) and the t interval ``mean(d) ± t(0.975, n-1) · sd/√n``.
  When the units are folds of one k-fold cross-validation their training parts overlap, which
  makes that test too liberal; the variance factor ``1/n`` then becomes Nadeau & Bengio's
  corrected ``1/n + 1/(k-1)`` (test/train size ratio of k-fold), widening the interval (about
  1.45x for 10 folds) and raising ``p`` (test name ``corrected_t``).
  Constant non-zero differences leave the spread unobservable: no test (``p`` NaN, ``level``);
  all-zero differences give ``p = 1``.
* **one unit whose rows carry ``per_sample`` values** (one train/test split, one seed): pairs are
  test samples. 0/1 correctness: McNemar's exact test (a two-sided binomial test on the
  discordant pairs); continuous per-sample errors: a paired t-test over samples. The interval is
  a paired bootstrap (2,000 resamples of the test samples, seed 0, percentile 2.5–97.5 %).
* otherwise no test (``p`` is NaN) and the word is ``level``.

The word is ``better`` / ``worse`` only when ``p < 0.05`` **and** the interval excludes 0;
otherwise ``level``. For metrics where lower is better (:data:`LOWER_IS_BETTER`: mse, mae,
ade, fde, mean_rank) the sense is flipped; the reported difference is always ``jepa − baseline``
in the metric's own units.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

GROUP_FIELDS = ("entry", "dataset", "task", "protocol", "probe", "encoder", "horizon", "perturbation", "rate",
                "metric")
UNIT_FIELDS = ("seed", "fold")
HIGHER_IS_BETTER = frozenset({"accuracy"})
LOWER_IS_BETTER = frozenset({"mse", "mae", "ade", "fde", "mean_rank"})
REFERENCE_METHODS = frozenset({"chance", "majority"})
ALPHA = 0.05
BOOTSTRAP_RESAMPLES = 2000
PER_SAMPLE = "per_sample"


@dataclass(frozen=True)
class Verdict:
    """``jepa`` against one ``baseline`` in one group (see the module docstring)."""

    group: dict[str, Any]
    baseline: str
    jepa: float
    other: float
    difference: float            # jepa − baseline (metric units)
    low: float
    high: float
    p_value: float
    test: str                    # "paired_t" | "corrected_t" | "mcnemar_exact" | "paired_t_samples" | "none"
    units: int                   # paired units (or samples) the test used
    word: str                    # "better" | "level" | "worse"

    def line(self) -> str:
        """``verdict: MUTAG classify logistic [context]: jepa 0.872 vs random_init 0.856: +0.016
        [-0.020, +0.050], p=0.31 (paired_t, 5 units) -> level with random_init``."""
        label = " ".join(str(self.group[k]) for k in GROUP_FIELDS
                         if k not in ("encoder", "metric") and self.group.get(k) not in (None, "", "-"))
        enc = f" [{self.group['encoder']}]" if self.group.get("encoder") not in (None, "", "-") else ""
        metric = "" if self.group.get("metric") == "accuracy" else f" {self.group.get('metric', '')}"
        p = "p=n/a" if math.isnan(self.p_value) else f"p={self.p_value:.3g}"
        interval = "[n/a]" if math.isnan(self.low) else f"[{self.low:+.3f}, {self.high:+.3f}]"
        relation = {"better": "better than", "worse": "worse than", "level": "level with"}[self.word]
        return (f"verdict: {label}{metric}{enc}: jepa {self.jepa:.3f} vs {self.baseline} {self.other:.3f}: "
                f"{self.difference:+.3f} {interval}, {p} ({self.test}, {self.units} "
                f"{'samples' if self.test in ('mcnemar_exact', 'paired_t_samples') else 'units'}) "
                f"-> {relation} {self.baseline}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def word_for(difference: float, low: float, high: float, p_value: float, *, lower_is_better: bool) -> str:
    """``better`` / ``worse`` when ``p < 0.05`` and ``[low, high]`` excludes 0, else ``level``."""
    if math.isnan(p_value) or p_value >= ALPHA or low <= 0.0 <= high:
        return "level"
    gain = -difference if lower_is_better else difference
    return "better" if gain > 0 else "worse"


def paired_units(diffs: Sequence[float], *, test_train_ratio: float = 0.0) -> tuple[float, float, float, float]:
    """Paired t-test over ``n >= 2`` unit differences: ``(mean, low, high, p)``.

    ``test_train_ratio`` > 0 applies Nadeau & Bengio's correction for resampled training sets
    (variance factor ``1/n + ratio`` instead of ``1/n``; ``1/(k-1)`` for k-fold CV); 0 is the
    plain paired t-test.
    """
    d = np.asarray(diffs, dtype=float)
    if d.size < 2:
        raise ValueError(f"a paired t-test needs >= 2 units, got {d.size}")
    if test_train_ratio < 0:
        raise ValueError(f"test_train_ratio must be >= 0, got {test_train_ratio}")
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    if sd <= 1e-9 * max(1.0, abs(mean)):   # equal up to float rounding (e.g. 0.7367-0.8433 twice)
        # every unit differs by exactly the same amount (common with 2 seeds and accuracies
        # quantised to 1/n_test): the spread between units is unobservable, so there is no test
        return mean, mean, mean, 1.0 if abs(mean) <= 1e-12 else float("nan")
    se = sd * math.sqrt(1.0 / d.size + test_train_ratio)
    half = float(stats.t.ppf(1 - ALPHA / 2, d.size - 1)) * se
    p = float(2 * stats.t.sf(abs(mean) / se, d.size - 1))
    return mean, mean - half, mean + half, p


def fold_ratio(units: Sequence[tuple]) -> float:
    """Test/train size ratio ``1/(k-1)`` when the units are folds of a k-fold CV (``k`` distinct
    ``fold`` values, k >= 2), else 0 (independent units such as seeds of one split)."""
    folds = {u[UNIT_FIELDS.index("fold")] for u in units} - {None}
    return 1.0 / (len(folds) - 1) if len(folds) >= 2 else 0.0


def mcnemar_exact(correct_a: np.ndarray, correct_b: np.ndarray) -> float:
    """Two-sided exact McNemar p-value of paired 0/1 outcomes ``[m]`` (1 when no pair disagrees)."""
    a, b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"paired outcomes differ in shape: {a.shape} vs {b.shape}")
    only_a, only_b = int((a & ~b).sum()), int((~a & b).sum())
    if only_a + only_b == 0:
        return 1.0
    return float(stats.binomtest(only_a, only_a + only_b, 0.5).pvalue)


def bootstrap_interval(diffs: np.ndarray, *, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0) -> tuple[float, float]:
    """Percentile 95 % interval of the mean of per-sample differences ``[m]`` (paired bootstrap)."""
    d = np.asarray(diffs, dtype=float)
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, d.size, size=(resamples, d.size))].mean(1)
    low, high = np.quantile(means, [ALPHA / 2, 1 - ALPHA / 2])
    return float(low), float(high)


def paired_samples(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float, float, str]:
    """Per-sample comparison of one split: ``(mean diff, low, high, p, test name)``."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape or x.size == 0:
        raise ValueError(f"per-sample values must be paired and non-empty, got {x.shape} and {y.shape}")
    d = x - y
    low, high = bootstrap_interval(d)
    if np.isin(x, (0.0, 1.0)).all() and np.isin(y, (0.0, 1.0)).all():
        return float(d.mean()), low, high, mcnemar_exact(x, y), "mcnemar_exact"
    if np.all(d == d[0]):
        return float(d.mean()), low, high, 1.0 if d[0] == 0 else 0.0, "paired_t_samples"
    return float(d.mean()), low, high, float(stats.ttest_rel(x, y).pvalue), "paired_t_samples"


def compare(jepa_rows: list[dict[str, Any]], other_rows: list[dict[str, Any]], *, group: dict[str, Any],
            baseline: str) -> Verdict | None:
    """The verdict of two methods' rows in one group, paired on ``(seed, fold)``; None when they
    share no unit."""
    unit = lambda r: tuple(r.get(k) for k in UNIT_FIELDS)  # noqa: E731
    mine, theirs = {unit(r): r for r in jepa_rows}, {unit(r): r for r in other_rows}
    shared = [u for u in mine if u in theirs]
    if not shared:
        return None
    a = [float(mine[u]["value"]) for u in shared]
    b = [float(theirs[u]["value"]) for u in shared]
    lower = group.get("metric") in LOWER_IS_BETTER
    if len(shared) >= 2:
        ratio = fold_ratio(shared)
        diff, low, high, p = paired_units(np.subtract(a, b), test_train_ratio=ratio)
        test, n = ("corrected_t" if ratio else "paired_t"), len(shared)
    elif mine[shared[0]].get(PER_SAMPLE) is not None and theirs[shared[0]].get(PER_SAMPLE) is not None:
        diff, low, high, p, test = paired_samples(mine[shared[0]][PER_SAMPLE], theirs[shared[0]][PER_SAMPLE])
        n = len(mine[shared[0]][PER_SAMPLE])
        diff = a[0] - b[0]                  # the rows' own values (identical for per-sample means)
    else:
        diff, low, high, p, test, n = a[0] - b[0], float("nan"), float("nan"), float("nan"), "none", 1
    return Verdict(group=group, baseline=baseline, jepa=float(np.mean(a)), other=float(np.mean(b)),
                   difference=float(diff), low=low, high=high, p_value=p, test=test, units=n,
                   word=word_for(diff, low, high, p, lower_is_better=lower))


def verdicts(rows: Iterable[dict[str, Any]], *, baselines: Sequence[str] | None = None) -> list[Verdict]:
    """Verdicts of ``jepa`` against every other method (or only ``baselines``) in every group of
    ``rows`` whose metric has a sense (:data:`HIGHER_IS_BETTER`, :data:`LOWER_IS_BETTER`)."""
    groups: dict[tuple, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r.get("metric") not in HIGHER_IS_BETTER | LOWER_IS_BETTER:
            continue
        key = tuple((k, r.get(k)) for k in GROUP_FIELDS if r.get(k) is not None)
        groups[key][str(r["method"])].append(r)
    out = []
    for key, methods in groups.items():
        if "jepa" not in methods:
            continue
        others = [m for m in methods if m != "jepa" and m not in REFERENCE_METHODS]
        if baselines is not None:
            others = [m for m in others if m in baselines]
        others.sort(key=lambda m: (m != "random_init", m))
        for other in others:
            v = compare(methods["jepa"], methods[other], group=dict(key), baseline=other)
            if v is not None:
                out.append(v)
    return out
