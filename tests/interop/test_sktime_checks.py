"""JEPAForecaster and JEPATransformer against sktime's own conformance suite (``check_estimator``
over every parameter set of ``get_test_params``), and the transformer in an sktime
classification pipeline next to MiniRocket."""

import numpy as np
import pytest

pytest.importorskip("sktime")

from sktime.utils.estimator_checks import check_estimator  # noqa: E402

from jepa_domains.interop import JEPAForecaster, JEPATransformer  # noqa: E402

# sktime tests each class is expected to fail, by test name, with the reason (also in
# docs/interop.md, "Conformance"). Both classes pass every test: nothing is expected to fail.
EXPECTED_FAILURES: dict[type, dict[str, str]] = {JEPAForecaster: {}, JEPATransformer: {}}

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")   # two-step runs look collapsed


def run_suite(cls) -> tuple[dict[str, object], dict[str, object]]:
    """All results of sktime's suite for ``cls`` and the failures that are not expected."""
    results = check_estimator(cls, raise_exceptions=False, verbose=False)
    failed = {name: err for name, err in results.items() if err != "PASSED"}
    unexpected = {name: err for name, err in failed.items() if name.split("[")[0] not in EXPECTED_FAILURES[cls]}
    return results, unexpected


@pytest.mark.parametrize("cls", [JEPAForecaster, JEPATransformer], ids=lambda c: c.__name__)
def test_sktime_conformance(cls):
    results, unexpected = run_suite(cls)
    assert len(results) > 100                                    # the suite ran, over both parameter sets
    assert not unexpected, "\n".join(f"{name}: {type(err).__name__}: {err}" for name, err in unexpected.items())


def test_test_params_are_two_cheap_sets():
    for cls in (JEPAForecaster, JEPATransformer):
        params = cls.get_test_params()
        assert len(params) >= 2 and all(p["overrides"]["train.steps"] <= 2 for p in params)


def test_forecaster_fh_tag_follows_horizon():
    assert JEPAForecaster().get_tag("requires-fh-in-fit") is True
    assert JEPAForecaster(horizon=3).get_tag("requires-fh-in-fit") is False


@pytest.mark.parametrize("length, horizon, window", [(20, 1, 16), (20, 5, 14), (50, 5, 22), (10, 5, 4), (132, 12, 60),
                                                     (2000, 12, 336)])
def test_automatic_lookback_fits_short_series(length, horizon, window):
    # default patch 16, run window 336: half of what is left, at least a patch, two windows at least
    assert JEPAForecaster.auto_window(length, horizon, 16, 336) == window


def test_jepa_transformer_in_a_classification_pipeline_next_to_minirocket():
    import copy

    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    from sktime.classification.compose import SklearnClassifierPipeline
    from sktime.datasets import load_italy_power_demand
    from sktime.transformations.panel.rocket import MiniRocket

    from jepa_domains.eval.embed import random_encoder
    from jepa_domains.eval.verdicts import mcnemar_exact
    from jepa_domains.interop.pretrain import pretrain_config
    from jepa_domains.registry import get_modality

    X_train, y_train = load_italy_power_demand(split="train", return_type="numpy3D")
    X_test, y_test = load_italy_power_demand(split="test", return_type="numpy3D")
    tiny = {"train.steps": 20, "model.dim": 32, "model.depth": 1, "model.num_heads": 2, "model.pred_dim": 16,
            "model.pred_depth": 1, "model.pred_heads": 2, "modality.patch_len": 8, "modality.stride": 8}
    jepa = JEPATransformer(overrides=tiny, device="cpu") * StandardScaler() * LogisticRegression(max_iter=1000)
    rocket = MiniRocket(random_state=0) * StandardScaler() * LogisticRegression(max_iter=1000)
    assert isinstance(jepa, SklearnClassifierPipeline)
    scores = {name: float((pipe.fit(X_train, y_train).predict(X_test) == y_test).mean())
              for name, pipe in (("jepa", jepa), ("minirocket", rocket))}
    # both far above chance (0.5) on 1029 test series; MiniRocket, the state of the art here, leads
    assert scores["jepa"] > 0.75 and scores["minirocket"] > 0.9, scores
    # the pipeline is the transformer's embeddings probed by the classifier, nothing else
    from sklearn.pipeline import make_pipeline

    embed = JEPATransformer(overrides=tiny, device="cpu").fit(X_train)
    Z_train, Z_test = embed.transform(X_train), embed.transform(X_test)
    assert Z_train.shape == (len(X_train), 32) and list(Z_train.columns[:2]) == ["jepa0", "jepa1"]
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(Z_train, y_train)
    assert (probe.predict(Z_test) == jepa.predict(X_test)).all()
    # random-init control: the same architecture and seed, untrained, probed the same way
    control = copy.copy(embed.embedder_)
    cfg = pretrain_config(get_modality("timeseries"), overrides=tiny, quick=False, seed=0)
    control.encoders_ = {"context": random_encoder(cfg, control.adapter_, control.options_)}
    series_train, series_test = list(X_train), list(X_test)
    random_probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    random_probe.fit(control.transform(series_train), y_train)
    random_correct = random_probe.predict(control.transform(series_test)) == y_test
    correct = {"jepa": jepa.predict(X_test) == y_test, "minirocket": rocket.predict(X_test) == y_test}
    scores["random_init"] = float(random_correct.mean())
    assert scores["random_init"] > 0.6
    print(f"ItalyPowerDemand test accuracy (1029 series): {scores}; McNemar p jepa vs random_init "
          f"{mcnemar_exact(correct['jepa'], random_correct):.3g}, jepa vs minirocket "
          f"{mcnemar_exact(correct['jepa'], correct['minirocket']):.3g}")
