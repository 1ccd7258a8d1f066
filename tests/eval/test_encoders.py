"""Which encoder is evaluated: context (the default), target, or both, on every row."""

import numpy as np
import pytest

from jepa_domains.eval.embed import extract, load_run, load_runs, resolve_encoders
from jepa_domains.eval.probes import chance_level
from jepa_domains.eval.protocols import classify_run, label_encoders
from jepa_domains.modalities.base import ModalityAdapter
from jepa_domains.registry import get_modality, list_modalities
from jepa_domains.train import checkpoint as ckpt


def test_default_encoder_is_context_for_every_builtin():
    assert ModalityAdapter.default_encoder == "context"
    for name in list_modalities():
        assert resolve_encoders(None, get_modality(name)) == ("context",)
    adapter = get_modality("timeseries")
    assert resolve_encoders("both", adapter) == ("context", "target")
    with pytest.raises(ValueError, match="got 'ema'"):
        resolve_encoders("ema", adapter)
    with pytest.raises(ValueError, match="got 'both'"):
        load_run("unused", which="both")


def test_checkpoint_holds_both_encoders_and_they_differ(trained_timeseries_run):
    model = ckpt.load(trained_timeseries_run)["model"]
    context = {k[len("encoder."):] for k in model if k.startswith("encoder.")}
    target = {k[len("target_encoder."):] for k in model if k.startswith("target_encoder.")}
    assert context and context == target
    runs = load_runs(trained_timeseries_run, encoder="both")
    assert list(runs) == ["context", "target"] and [r.which for r in runs.values()] == ["context", "target"]
    assert load_run(trained_timeseries_run).which == "context"
    run = runs["context"]
    test = run.adapter.load_dataset(run.options, "GunPoint", split="test")
    emb = {w: extract(r.encoder, r.adapter, r.options, test, device="cpu").X for w, r in runs.items()}
    assert emb["context"].shape == emb["target"].shape
    assert not np.allclose(emb["context"], emb["target"], atol=1e-4)   # the EMA lags the trained encoder
    default = extract(load_run(trained_timeseries_run).encoder, run.adapter, run.options, test, device="cpu").X
    np.testing.assert_array_equal(default, emb["context"])


def test_classify_both_gives_complete_groups_per_encoder(trained_timeseries_run):
    rows = classify_run(trained_timeseries_run, probes=("logistic",), encoder="both")
    assert all(r["encoder"] in ("context", "target") for r in rows)
    by = {(r["encoder"], r["method"]): r for r in rows}
    assert set(by) == {(e, m) for e in ("context", "target") for m in ("jepa", "random_init", "features", "chance")}
    # baselines are computed once and shared: identical rows under both encoders
    for method in ("random_init", "features", "chance"):
        assert by[("context", method)]["value"] == by[("target", method)]["value"]
    adapter = get_modality("timeseries")
    labels = adapter.load_dataset(adapter.Config(), "GunPoint", split="test").labels
    assert by[("context", "chance")]["value"] == pytest.approx(chance_level(labels))
    for key, r in by.items():
        if key[1] != "chance":
            assert len(r["per_sample"]) == len(labels) and np.mean(r["per_sample"]) == pytest.approx(r["value"])
            assert r["chosen"].startswith("C=")
    single = classify_run(trained_timeseries_run, probes=("logistic",), encoder="target")
    assert {r["encoder"] for r in single} == {"target"}
    assert [r["value"] for r in single] == [r["value"] for r in rows if r["encoder"] == "target"]


def test_label_encoders_repeats_baselines_per_encoder():
    rows = [{"method": "jepa[context]", "value": 1}, {"method": "jepa[target]", "value": 2},
            {"method": "naive_last", "value": 3}]
    assert [(r["encoder"], r["method"], r["value"]) for r in label_encoders(rows)] == [
        ("context", "jepa", 1), ("context", "naive_last", 3), ("target", "jepa", 2), ("target", "naive_last", 3)]
