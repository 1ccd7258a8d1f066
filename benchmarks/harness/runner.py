"""Run a suite: pretrain each (entry, seed) once with the library's Trainer, run each of its
downstream protocols on the frozen encoder, store every finished cell, then write the results.

Nothing here trains or probes by itself: pretraining is :class:`jepa_domains.train.trainer.Trainer`
and evaluation is ``adapter.protocols()[task]``. Re-running the same suite into the same folder
reuses checkpoints whose resolved config hashes the same and skips cells already stored.
"""

from __future__ import annotations

import csv
import hashlib
import dataclasses
import inspect
import json
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from jepa_domains.benchmarks.harness import store
from jepa_domains.benchmarks.harness.schema import Entry, Suite, SuiteError, TaskSpec
from jepa_domains.eval.protocols import DETAIL_FIELDS, run_protocol
from jepa_domains.modalities.base import resolve_data_root
from jepa_domains.registry import get_modality
from jepa_domains.train.config import GLOBAL_QUICK, RunConfig, resolve

ROW_FIELDS = ("suite", "entry", "modality", "task", "dataset", "method", "probe", "encoder", "horizon", "metric",
              "value", "seed", "run_key")
ENV_FIELDS = ("device", "torch", "python", "jepa_domains", "git_commit")


@dataclass
class SuiteRun:
    """What :func:`run_suite` did: stored rows, failures, skipped entries and the wall time."""

    out: Path
    rows: list[dict[str, Any]]
    errors: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    computed: int = 0
    reused: int = 0
    wall_seconds: float = 0.0


def entry_config(entry: Entry, seed: int, data_root: Path | None) -> RunConfig:
    """The resolved run config of one entry and seed (the adapter's defaults, its ``--quick``
    layer when ``entry.quick``, the entry's recipe, then the entry's overrides)."""
    adapter = get_modality(entry.modality)
    quick = {**GLOBAL_QUICK, **adapter.quick_overrides} if entry.quick else {}
    source = entry.pretrain_on if entry.pretrain_on is not None else entry.dataset
    settings = {**entry.pretrain, "data.source": source, "train.seed": seed, "train.progress": False}
    if data_root is not None:
        settings["data.data_root"] = str(data_root)
    return resolve(entry.modality, defaults=adapter.run_defaults, quick=quick, file=entry.recipe, settings=settings)


def pretrain(cfg: RunConfig, out: Path) -> tuple[Path, bool]:
    """Train ``cfg`` into its hashed run folder, resuming an interrupted run; returns
    ``(run_dir, reused)`` where ``reused`` means a finished checkpoint was found."""
    from jepa_domains.train.trainer import Trainer

    key, run_dir = store.config_hash(cfg), store.run_dir_for(out, cfg)  # before prepare() edits cfg
    if store.run_is_complete(run_dir, cfg.train.steps):
        return run_dir, True
    if (run_dir / "checkpoints" / "last.pt").is_file():
        Trainer(cfg, run_dir=run_dir, resume=run_dir).fit()
    else:
        # a crash before the first checkpoint leaves metrics for steps that will be redone
        (run_dir / "metrics.csv").unlink(missing_ok=True)
        Trainer(cfg, run_dir=run_dir).fit()
    store.write_json_atomic(run_dir / "harness.json", {"config_hash": key})
    return run_dir, False


def call_protocol(modality: str, spec: TaskSpec, run_dir: Path, *, source: str | None,
                  data_root: Path | None, seed: int, encoder: str | None = None) -> list[dict[str, Any]]:
    """``adapter.protocols()[task](run_dir, source=..., data_root=..., encoder=..., **options)``;
    lists in the options become tuples (as on the CLI), ``seed`` is passed when the protocol
    takes one, and every row has an ``encoder`` field (see :func:`run_protocol`)."""
    protocols = get_modality(modality).protocols()
    if spec.task not in protocols:
        raise SuiteError(f"modality {modality!r} has no task {spec.task!r}; known: {', '.join(protocols)}")
    fn = protocols[spec.task]
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.options.items()}
    params = inspect.signature(fn).parameters
    if "seed" not in kwargs and ("seed" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())):
        kwargs["seed"] = seed
    return run_protocol(fn, run_dir, source=source, data_root=data_root, encoder=encoder, **kwargs)


def cell_key(run_key: str, spec: TaskSpec, encoder: str | None = None) -> str:
    """Identity of a stored cell: the pretraining config hash plus the protocol, its options and
    the entry's encoder choice (absent from the hash when None, so older cells stay valid)."""
    parts = [run_key, spec.task, spec.dataset, spec.options] + ([encoder] if encoder is not None else [])
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def select_entries(suite: Suite, only: Sequence[str] | None) -> list[Entry]:
    """Entries named in ``only`` (entry names or modality names), all when empty."""
    if not only:
        return list(suite.entries)
    wanted = set(only)
    chosen = [e for e in suite.entries if e.name in wanted or e.modality in wanted]
    unknown = wanted - {e.name for e in chosen} - {e.modality for e in chosen}
    if unknown:
        raise SuiteError(f"--only {sorted(unknown)[0]!r} matches no entry of suite {suite.name!r}; entries: "
                         f"{', '.join(e.name for e in suite.entries)}")
    return chosen


def run_suite(suite: Suite, out: str | Path, *, only: Sequence[str] | None = None,
              seeds: Sequence[int] | None = None, data_root: str | Path | None = None,
              progress: bool = True, log: Callable[[str], None] | None = None) -> SuiteRun:
    """Run (or continue) ``suite`` into ``out`` and write ``results.{csv,json}``.

    Args:
        only: entry or modality names to run (default: all).
        seeds: replace every entry's seeds.
        data_root: benchmark data folder (default ``$JEPA_DOMAINS_DATA``); entries marked
            ``needs_data_root`` are skipped, with a message, without one.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    root = resolve_data_root(data_root)
    started = time.perf_counter()
    result = SuiteRun(out=out, rows=[])
    entries = select_entries(suite, only)
    jobs = []
    for entry in entries:
        if entry.needs_data_root and root is None:
            result.skipped.append(f"{entry.name}: needs --data-root or JEPA_DOMAINS_DATA")
            continue
        for seed in (tuple(seeds) if seeds else entry.seeds):
            jobs.append((entry, seed))
    bar = tqdm(total=sum(len(e.tasks) for e, _ in jobs), disable=not progress, desc=f"bench {suite.name}",
               dynamic_ncols=True)
    say = log or (lambda text: tqdm.write(text) if progress else print(text))
    for msg in result.skipped:
        say(f"[bench] skipped {msg}")
    for entry, seed in jobs:
        run_dir: Path | None = None
        try:
            run_key = store.config_hash(entry_config(entry, seed, root))
        except Exception:  # a config error: recorded per cell by _compute_cell below
            run_key = None
        for spec in entry.tasks:
            path = store.cell_path(out, entry.name, seed, spec.task, spec.dataset)
            cell = store.read_cell(path)
            bar.set_postfix_str(f"{entry.name} s{seed} {spec.task}")
            # a stored cell counts only if it was computed from the same config and protocol options
            if cell is not None and cell.get("status") == "ok" and cell.get("cell_key") == cell_key(run_key, spec, entry.encoder):
                result.reused += 1
                bar.update(1)
                continue
            cell = _compute_cell(suite, entry, seed, spec, out, root, run_dir, say)
            run_dir = Path(cell["run_dir"]) if cell.get("run_dir") else run_dir
            store.write_json_atomic(path, cell)
            result.computed += 1
            bar.update(1)
    bar.close()
    result.wall_seconds = time.perf_counter() - started
    names = {e.name for e in suite.entries}
    cells = [c for c in store.read_all_cells(out) if c.get("suite") == suite.name and c.get("entry") in names]
    result.rows = [row for c in cells if c.get("status") == "ok" for row in c["rows"]]
    result.errors = [{k: c.get(k) for k in ("entry", "seed", "task", "error")} for c in cells if c.get("status") != "ok"]
    write_results(out, suite, cells, result)
    return result


def _compute_cell(suite: Suite, entry: Entry, seed: int, spec: TaskSpec, out: Path, root: Path | None,
                  run_dir: Path | None, say: Callable[[str], None]) -> dict[str, Any]:
    """Pretrain (or reuse) and evaluate one cell; a failure becomes an ``error`` cell that the
    next run retries, so one broken entry does not stop the suite."""
    cell: dict[str, Any] = {"suite": suite.name, "entry": entry.name, "modality": entry.modality, "seed": seed,
                            "task": spec.task, "eval_dataset": spec.dataset, "finished": _now()}
    t0 = time.perf_counter()
    try:
        cfg = entry_config(entry, seed, root)
        cell["run_key"] = store.config_hash(cfg)
        cell["cell_key"] = cell_key(cell["run_key"], spec, entry.encoder)
        if run_dir is None:
            run_dir, reused = pretrain(cfg, out)
            say(f"[bench] {entry.name} seed {seed}: {'reused' if reused else 'pretrained'} {run_dir.name} "
                f"({time.perf_counter() - t0:.1f}s)")
        cell["run_dir"] = str(run_dir)
        t1 = time.perf_counter()
        source = spec.dataset if spec.dataset is not None else entry.dataset
        rows = call_protocol(entry.modality, spec, run_dir, source=source, data_root=root, seed=seed,
                             encoder=entry.encoder)
        cell["eval_seconds"] = time.perf_counter() - t1
        cell["rows"] = [_tag(row, suite, entry, spec, seed, cell["run_key"]) for row in rows]
        cell["status"] = "ok"
        say(f"[bench] {entry.name} seed {seed} {spec.task}: {len(rows)} rows in {cell['eval_seconds']:.1f}s")
    except KeyboardInterrupt:
        raise
    except Exception as err:  # recorded, reported and retried on the next run
        cell.update(status="error", error=f"{type(err).__name__}: {err}", traceback=traceback.format_exc(limit=8))
        say(f"[bench] {entry.name} seed {seed} {spec.task}: FAILED {type(err).__name__}: {err}")
    cell["seconds"] = time.perf_counter() - t0
    return cell


def _tag(row: dict[str, Any], suite: Suite, entry: Entry, spec: TaskSpec, seed: int, key: str) -> dict[str, Any]:
    tagged = {"suite": suite.name, "entry": entry.name, "modality": entry.modality, "task": spec.task,
              "seed": seed, "run_key": key}
    tagged.update(row)
    tagged["dataset"] = str(row.get("dataset", spec.dataset or entry.dataset or "default"))
    value = row.get("value")
    tagged["value"] = float(value) if value is not None else float("nan")
    return tagged


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def write_results(out: Path, suite: Suite, cells: list[dict[str, Any]], result: SuiteRun) -> None:
    """``results.json`` (environment, rows, errors, runs) and ``results.csv`` (one row per
    dataset x method x seed x metric, with the environment columns; per-sample detail such as
    ``per_sample`` stays in the JSON)."""
    env = store.environment()
    runs = {}
    for c in cells:
        if c.get("run_dir"):
            runs[c["run_key"]] = {"run_dir": c["run_dir"], "modality": c["modality"], "entry": c["entry"],
                                  "seed": c["seed"]}
    entries = {e.name: {"modality": e.modality, "dataset": e.dataset, "baselines": list(e.baselines),
                        "encoder": e.encoder,
                        "seeds": list(e.seeds), "anchors": [dataclasses.asdict(a) for a in e.anchors]}
               for e in suite.entries}
    payload = {"suite": suite.name, "description": suite.description, "environment": env, "written": _now(),
               "entries": entries,
               "wall_seconds_last_invocation": result.wall_seconds, "rows": result.rows, "errors": result.errors,
               "skipped": result.skipped, "runs": runs}
    store.write_json_atomic(out / "results.json", payload)
    extra = sorted({k for r in result.rows for k in r} - set(ROW_FIELDS) - set(DETAIL_FIELDS))
    hparams = {key: run_hparams(info["run_dir"]) for key, info in runs.items()}
    hp_fields = sorted({k for hp in hparams.values() for k in hp})
    with (out / "results.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=[*ROW_FIELDS, *extra, *ENV_FIELDS, *hp_fields], extrasaction="ignore")
        writer.writeheader()
        for row in result.rows:
            writer.writerow({**{k: env[k] for k in ENV_FIELDS}, **hparams.get(row.get("run_key"), {}), **row})


def run_hparams(run_dir: str | Path) -> dict[str, Any]:
    """The pretraining run's flattened hyperparameters (``run.json`` ``hparams``) as ``hp.<key>``
    columns; {} for runs written before runs recorded them."""
    try:
        summary = json.loads((Path(run_dir) / "run.json").read_text())
    except (OSError, ValueError):
        return {}
    return {f"hp.{k}": (json.dumps(v) if isinstance(v, (list, dict)) else v)
            for k, v in (summary.get("hparams") or {}).items()}


def load_results(out: str | Path) -> dict[str, Any]:
    """The ``results.json`` of a finished (or partial) suite run."""
    path = Path(out) / "results.json"
    if not path.is_file():
        raise FileNotFoundError(f"no results.json in {out}; run `jepa-domains bench run SUITE --out {out}` first")
    return json.loads(path.read_text())
