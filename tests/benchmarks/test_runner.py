"""A tiny suite end to end on CPU: results, report, checkpoint reuse and resuming an
interrupted run without recomputing finished cells."""

import csv
import json
import shutil

import numpy as np
import pytest

from jepa_domains.benchmarks.harness import load_results, parse_suite, run_suite, write_report
from jepa_domains.benchmarks.harness import runner, store
from jepa_domains.benchmarks.harness.report import aggregate, build_tables, variant
from jepa_domains.train import checkpoint as ckpt
from jepa_domains.train.trainer import Trainer, read_metrics

TINY = {"train.steps": 4, "model.dim": 32, "model.depth": 1, "model.num_heads": 2, "model.pred_dim": 16,
        "model.pred_depth": 1, "model.pred_heads": 2, "optim.warmup_steps": 1, "data.batch_size": 16,
        "train.log_every": 1, "train.diagnostics_every": 2, "train.checkpoint_every": 2}


class Interrupted(BaseException):
    """Stands for Ctrl-C / a killed job (a BaseException, so no ``except Exception`` swallows it;
    a real KeyboardInterrupt would also stop pytest itself)."""


def tiny_suite(seeds=(0, 1), probes=("logistic", "knn")):
    return parse_suite({
        "name": "tiny",
        "entries": [{
            "name": "ts-gunpoint", "modality": "timeseries", "dataset": "GunPoint", "pretrain": dict(TINY),
            "tasks": [{"task": "classify", "options": {"probes": list(probes)}}],
            "baselines": ["random_init", "features"], "seeds": list(seeds),
            "anchors": [{"task": "classify", "metric": "accuracy", "probe": "logistic", "value": 0.9,
                         "citation": "test anchor", "provenance": "measured"}],
        }],
    })


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    result = run_suite(tiny_suite(), out, progress=False)
    write_report(out)
    return out, result


def test_results_have_one_row_per_method_probe_seed(finished):
    out, result = finished
    assert not result.errors and result.computed == 2
    methods = {"jepa", "random_init", "features"}
    with (out / "results.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == (len(methods) * 2 + 1) * 2                  # (methods x probes + chance) x seeds
    assert {r["method"] for r in rows} == methods | {"chance"} and {r["seed"] for r in rows} == {"0", "1"}
    assert {r["encoder"] for r in rows} == {"context"} and "per_sample" not in rows[0]   # detail stays in JSON
    assert all(0.0 <= float(r["value"]) <= 1.0 for r in rows)
    assert all(r["device"] and r["torch"] and r["git_commit"] for r in rows)   # environment on every row
    # the pretraining run's hyperparameters ride along, per seed
    assert {r["hp.train.seed"] for r in rows} == {"0", "1"} and all(r["hp.model.dim"] == "32" for r in rows)
    payload = load_results(out)
    assert payload["environment"]["device"].startswith(("cpu", "cuda")) and len(payload["rows"]) == len(rows)
    # one pretraining run per seed, keyed by the config hash
    assert len(payload["runs"]) == 2 and all(len(k) == 12 for k in payload["runs"])


def test_report_contains_every_row_and_the_plots(finished):
    out, _ = finished
    payload = load_results(out)
    md, page = (out / "report.md").read_text(), (out / "report.html").read_text()
    stats = aggregate(payload["rows"])
    assert len(stats) == 3 * 2 + 1                                   # methods x probes + chance
    for key, s in stats.items():
        values = [r["value"] for r in payload["rows"] if (r["method"], variant(r)) == (key[5], key[3])]
        assert s["mean"] == pytest.approx(np.mean(values)) and s["std"] == pytest.approx(np.std(values, ddof=1))
        cell = f"{s['mean']:.4f} ± {s['std']:.4f}"
        assert cell in md and cell in page
    table = build_tables(payload, with_plots=False)[0]
    assert table.header[4] == "jepa" and "Δ jepa−random_init" in table.header and "Δ jepa−features" in table.header
    logistic = next(r for r in table.rows if r[1] == "probe=logistic encoder=context")
    jepa, rand = stats[("ts-gunpoint", "classify", "GunPoint", "probe=logistic encoder=context", "accuracy", "jepa")], \
        stats[("ts-gunpoint", "classify", "GunPoint", "probe=logistic encoder=context", "accuracy", "random_init")]
    assert logistic[table.header.index("Δ jepa−random_init")] == f"{jepa['mean'] - rand['mean']:.4f}"
    assert logistic[table.header.index("published")].startswith("0.9000")
    assert logistic[table.header.index("Δ to published")] == f"{jepa['mean'] - 0.9:.4f}"
    knn = next(r for r in table.rows if r[1] == "probe=knn encoder=context")
    assert knn[table.header.index("published")] == "—"             # the anchor is for the logistic probe only
    # verdicts pair the two seeds (paired t-test), one per probe x baseline
    assert len(table.verdicts) == 4 and all(v.startswith("verdict: ts-gunpoint GunPoint classify ") for v in table.verdicts)
    assert all("(paired_t, 2 units)" in v for v in table.verdicts) and table.verdicts[0] in md
    # scores + pretraining curves (+ online probes when the trainer logged them)
    assert page.count("data:image/png;base64,") >= 2
    assert (out / "plots" / "pretraining.png").stat().st_size > 1000 and "plots/pretraining.png" in md


def test_rerun_reuses_everything(finished, monkeypatch):
    out, _ = finished
    calls = []
    monkeypatch.setattr(runner, "call_protocol", lambda *a, **k: calls.append(a) or [])
    monkeypatch.setattr(Trainer, "fit", lambda self, *a, **k: pytest.fail("retrained a finished run"))
    again = run_suite(tiny_suite(), out, progress=False)
    assert calls == [] and again.computed == 0 and again.reused == 2 and len(again.rows) == 14


def test_changed_options_recompute_only_their_cells(finished, monkeypatch, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(finished[0], out)                                 # leave the shared run untouched
    calls = []
    monkeypatch.setattr(runner, "call_protocol", lambda *a, **k: calls.append(k["seed"]) or [])
    monkeypatch.setattr(Trainer, "fit", lambda self, *a, **k: pytest.fail("retrained a finished run"))
    # another probe list: same pretraining runs (reused), both protocol cells redone
    result = run_suite(tiny_suite(probes=("logistic",)), out, progress=False)
    assert sorted(calls) == [0, 1] and result.computed == 2


def test_interrupted_run_resumes_without_recomputing(tmp_path, monkeypatch):
    suite = tiny_suite(seeds=(0, 1, 2), probes=("logistic",))
    # an interrupted pretraining of seed 0 (checkpoint at step 2 of 4) is continued, not restarted
    cfg0 = runner.entry_config(suite.entries[0], 0, None)
    run0 = store.run_dir_for(tmp_path, cfg0)                        # the trainer's prepare() edits cfg0
    Trainer(cfg0, run_dir=run0).fit(stop_at=2)
    real = runner.call_protocol
    calls, armed = [], [True]

    def interrupted(*args, **kwargs):
        calls.append(kwargs["seed"])
        if armed[0] and len(calls) == 2:
            armed[0] = False
            raise Interrupted                                        # like Ctrl-C during the second cell
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "call_protocol", interrupted)
    with pytest.raises(Interrupted):
        run_suite(suite, tmp_path, progress=False)
    first = store.cell_path(tmp_path, "ts-gunpoint", 0, "classify", None)
    assert first.is_file() and not store.cell_path(tmp_path, "ts-gunpoint", 1, "classify", None).exists()
    stamp = first.stat().st_mtime_ns
    assert ckpt.load(run0)["step"] == 4
    assert [s for s, _ in read_metrics(run0 / "metrics.csv")["loss"]] == [1, 2, 3, 4]

    calls.clear()
    result = run_suite(suite, tmp_path, progress=False)
    assert calls == [1, 2]                                           # only the missing cells
    assert first.stat().st_mtime_ns == stamp and result.reused == 1 and result.computed == 2
    assert sorted({r["seed"] for r in result.rows}) == [0, 1, 2] and not result.errors
    assert json.loads(first.read_text())["status"] == "ok"


def test_failed_cell_is_recorded_and_retried(tmp_path):
    suite = parse_suite({"name": "bad", "entries": [{
        "name": "ts", "modality": "timeseries", "dataset": "GunPoint", "pretrain": dict(TINY),
        "tasks": [{"task": "no_such_task"}], "seeds": [0]}]})
    result = run_suite(suite, tmp_path, progress=False)
    assert result.rows == [] and len(result.errors) == 1
    assert "no task 'no_such_task'" in result.errors[0]["error"] and "classify" in result.errors[0]["error"]
    write_report(tmp_path, with_plots=False)
    assert "failed" in (tmp_path / "report.md").read_text()
    again = run_suite(suite, tmp_path, progress=False)              # errors are retried, not kept as done
    assert again.computed == 1


def test_entries_needing_data_root_are_skipped_with_a_message(tmp_path, monkeypatch):
    monkeypatch.delenv("JEPA_DOMAINS_DATA", raising=False)
    suite = parse_suite({"name": "real", "entries": [{
        "name": "ett", "modality": "timeseries", "dataset": "ETTh1", "needs_data_root": True,
        "tasks": [{"task": "forecast"}]}]})
    messages = []
    result = run_suite(suite, tmp_path, progress=False, log=messages.append)
    assert result.skipped == ["ett: needs --data-root or JEPA_DOMAINS_DATA"] and result.computed == 0
    assert any("skipped ett" in m for m in messages)


def test_config_hash_ignores_bookkeeping_only():
    suite = tiny_suite()
    a = runner.entry_config(suite.entries[0], 0, None)
    b = runner.entry_config(suite.entries[0], 0, "/somewhere/else")
    c = runner.entry_config(suite.entries[0], 1, None)
    assert store.config_hash(a) == store.config_hash(b) != store.config_hash(c)


def test_entry_encoder_reaches_the_protocol_and_the_cell_key(trained_timeseries_run):
    spec = tiny_suite(probes=("knn",)).entries[0].tasks[0]
    rows = runner.call_protocol("timeseries", spec, trained_timeseries_run, source="GunPoint", data_root=None, seed=0,
                                encoder="both")
    assert {(r["encoder"], r["method"]) for r in rows} == {
        (e, m) for e in ("context", "target") for m in ("jepa", "random_init", "features", "chance")}
    # older cells (no encoder key) stay valid; choosing an encoder makes a new cell
    assert runner.cell_key("k", spec) == runner.cell_key("k", spec, None) != runner.cell_key("k", spec, "both")
