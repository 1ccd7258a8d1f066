"""Benchmark suites: the YAML schema, its validation and the shipped suite files.

A suite is a list of entries; each entry pretrains one modality on one dataset (a config of
dotted overrides) for every seed and runs one or more downstream protocols on the frozen encoder.
Validation is structural and strict: an unknown key, a wrong type or an impossible value raises
a :class:`SuiteError` naming the file, the entry and the key.

Example::

    name: mini
    description: one tiny entry
    entries:
      - name: ts-gunpoint
        modality: timeseries
        dataset: GunPoint            # null = the modality's embedded default set
        quick: true                  # start from the --quick sizes
        recipe: ts-jepa              # a shipped recipe (jepa_domains/recipes/MODALITY/NAME.yaml)
        pretrain: {train.steps: 40}  # dotted run-config overrides
        tasks:
          - {task: classify, options: {probes: [logistic]}}
        baselines: [random_init, features]
        seeds: [0, 1]
        encoder: both                # context | target | both; omitted = the modality's default
        anchors:
          - {task: classify, metric: accuracy, value: 0.9, citation: "...", provenance: memory}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SUITES_DIR = Path(__file__).resolve().parent.parent / "suites"
PROVENANCES = ("paper", "paper_logs", "issue", "memory", "measured")
ENCODER_CHOICES = ("context", "target", "both")  # as jepa_domains.eval.embed (kept torch-free here)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class SuiteError(ValueError):
    """A suite file that does not match the schema; the message names file, entry and key."""


@dataclass(frozen=True)
class Anchor:
    """A published figure to compare with: ``value`` (± ``std``) of ``metric`` for ``method`` on
    ``task``, optionally at one ``horizon`` / ``probe``, in the unit of our result rows."""

    task: str
    metric: str
    value: float
    citation: str
    provenance: str
    std: float | None = None
    method: str = "jepa"
    dataset: str | None = None
    horizon: int | None = None
    probe: str | None = None


@dataclass(frozen=True)
class TaskSpec:
    """One downstream protocol: ``adapter.protocols()[task](run_dir, source=dataset, **options)``."""

    task: str
    options: dict[str, Any] = field(default_factory=dict)
    dataset: str | None = None  # evaluate on another set than the pretraining one (None = same)


@dataclass(frozen=True)
class Entry:
    """One (modality, dataset, pretraining config) with its protocols, baselines and seeds."""

    name: str
    modality: str
    dataset: str | None
    tasks: tuple[TaskSpec, ...]
    pretrain: dict[str, Any] = field(default_factory=dict)
    quick: bool = False
    recipe: str | None = None    # shipped recipe name; the entry's ``pretrain`` overrides go on top
    baselines: tuple[str, ...] = ("random_init",)
    seeds: tuple[int, ...] = (0,)
    anchors: tuple[Anchor, ...] = ()
    needs_data_root: bool = False
    description: str = ""
    encoder: str | None = None   # context | target | both; None = the modality's default_encoder
    pretrain_on: str | None = None  # pretraining source(s), e.g. "A+B+C"; None = ``dataset``


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    entries: tuple[Entry, ...]
    path: Path | None = None
    device: str = "cpu"  # what the suite is sized for: "cpu" or "gpu"

    def entry(self, name: str) -> Entry:
        for e in self.entries:
            if e.name == name:
                return e
        raise SuiteError(f"suite {self.name!r} has no entry {name!r}; entries: {', '.join(e.name for e in self.entries)}")


# --- validation ---------------------------------------------------------------------------
def _keys(where: str, data: Any, required: set[str], optional: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise SuiteError(f"{where}: expected a mapping, got {type(data).__name__} {data!r}")
    unknown = set(data) - required - optional
    if unknown:
        raise SuiteError(f"{where}: unknown key {sorted(unknown)[0]!r}; allowed: {', '.join(sorted(required | optional))}")
    missing = required - set(data)
    if missing:
        raise SuiteError(f"{where}: missing key {sorted(missing)[0]!r}")
    return data


def _typed(where: str, value: Any, kinds: tuple[type, ...], what: str) -> Any:
    if isinstance(value, bool) and bool not in kinds:
        raise SuiteError(f"{where}: expected {what}, got {value!r}")
    if not isinstance(value, kinds):
        raise SuiteError(f"{where}: expected {what}, got {value!r}")
    return value


def _name(where: str, value: Any) -> str:
    _typed(where, value, (str,), "a name")
    if not _NAME.match(value):
        raise SuiteError(f"{where}: {value!r} is not a valid name (letters, digits, '_', '-', '.')")
    return value


def _anchor(where: str, data: Any) -> Anchor:
    d = _keys(where, data, {"task", "metric", "value", "citation", "provenance"},
              {"std", "method", "dataset", "horizon", "probe"})
    if d["provenance"] not in PROVENANCES:
        raise SuiteError(f"{where}.provenance: {d['provenance']!r} not one of {', '.join(PROVENANCES)}")
    value = float(_typed(f"{where}.value", d["value"], (int, float), "a number"))
    std = d.get("std")
    if std is not None and float(_typed(f"{where}.std", std, (int, float), "a number")) < 0:
        raise SuiteError(f"{where}.std: must be >= 0, got {std!r}")
    horizon = d.get("horizon")
    if horizon is not None:
        _typed(f"{where}.horizon", horizon, (int,), "an integer")
    return Anchor(task=_typed(f"{where}.task", d["task"], (str,), "a task name"),
                  metric=_typed(f"{where}.metric", d["metric"], (str,), "a metric name"), value=value,
                  citation=_typed(f"{where}.citation", d["citation"], (str,), "a citation"),
                  provenance=d["provenance"], std=None if std is None else float(std),
                  method=str(d.get("method", "jepa")), dataset=d.get("dataset"), horizon=horizon,
                  probe=d.get("probe"))


def _task(where: str, data: Any) -> TaskSpec:
    if isinstance(data, str):
        data = {"task": data}
    d = _keys(where, data, {"task"}, {"options", "dataset"})
    options = d.get("options") or {}
    _typed(f"{where}.options", options, (dict,), "a mapping of protocol options")
    for bad in ("source", "data_root"):
        if bad in options:
            raise SuiteError(f"{where}.options: {bad!r} is set by the harness (use the entry's dataset / --data-root)")
    dataset = d.get("dataset")
    if dataset is not None:
        _typed(f"{where}.dataset", dataset, (str,), "a dataset name")
    return TaskSpec(task=_name(f"{where}.task", d["task"]), options=dict(options), dataset=dataset)


def _entry(where: str, data: Any, known_modalities: set[str] | None) -> Entry:
    d = _keys(where, data, {"name", "modality", "tasks"},
              {"dataset", "pretrain", "quick", "baselines", "seeds", "anchors", "needs_data_root", "description",
               "encoder", "recipe", "pretrain_on"})
    name = _name(f"{where}.name", d["name"])
    where = f"{where} ({name})"
    modality = _name(f"{where}.modality", d["modality"])
    if known_modalities is not None and modality not in known_modalities:
        raise SuiteError(f"{where}.modality: unknown modality {modality!r}; known: {', '.join(sorted(known_modalities))}")
    dataset = d.get("dataset")
    if dataset is not None:
        _typed(f"{where}.dataset", dataset, (str,), "a dataset name or null")
    pretrain = d.get("pretrain") or {}
    _typed(f"{where}.pretrain", pretrain, (dict,), "a mapping of dotted overrides")
    for key in pretrain:
        if not isinstance(key, str) or "." not in key:
            raise SuiteError(f"{where}.pretrain: key {key!r} must be dotted, e.g. train.steps")
        if key in ("data.source", "data.data_root", "train.seed"):
            raise SuiteError(f"{where}.pretrain: {key!r} is set by the harness (dataset or pretrain_on / --data-root / "
                             "seeds)")
    tasks = _typed(f"{where}.tasks", d["tasks"], (list,), "a list of tasks")
    if not tasks:
        raise SuiteError(f"{where}.tasks: needs at least one task")
    specs = tuple(_task(f"{where}.tasks[{i}]", t) for i, t in enumerate(tasks))
    if len({(s.task, s.dataset) for s in specs}) != len(specs):
        raise SuiteError(f"{where}.tasks: a (task, dataset) pair appears twice")
    seeds = d.get("seeds", [0])
    _typed(f"{where}.seeds", seeds, (list,), "a list of integers")
    if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds):
        raise SuiteError(f"{where}.seeds: expected a non-empty list of integers >= 0, got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise SuiteError(f"{where}.seeds: repeated seed in {seeds!r}")
    baselines = d.get("baselines", ["random_init"])
    _typed(f"{where}.baselines", baselines, (list,), "a list of method names")
    anchors = tuple(_anchor(f"{where}.anchors[{i}]", a) for i, a in enumerate(d.get("anchors") or []))
    task_names = {s.task for s in specs}
    for a in anchors:
        if a.task not in task_names:
            raise SuiteError(f"{where}.anchors: anchor for task {a.task!r}, which the entry does not run")
    encoder = d.get("encoder")
    if encoder is not None and encoder not in ENCODER_CHOICES:
        raise SuiteError(f"{where}.encoder: expected one of {', '.join(ENCODER_CHOICES)} (or leave it out), "
                         f"got {encoder!r}")
    pretrain_on = d.get("pretrain_on")
    if pretrain_on is not None:
        _typed(f"{where}.pretrain_on", pretrain_on, (str,), "a source or sources joined by '+', e.g. A+B")
        if dataset is None and any(s.dataset is None for s in specs):
            raise SuiteError(f"{where}.pretrain_on: name the set the tasks evaluate on (the entry's dataset, or "
                             "each task's own)")
    recipe = d.get("recipe")
    if recipe is not None:
        from jepa_domains.recipes import list_recipes

        _name(f"{where}.recipe", recipe)
        if recipe not in list_recipes(modality):
            raise SuiteError(f"{where}.recipe: no {modality} recipe {recipe!r}; shipped: "
                             f"{', '.join(list_recipes(modality)) or 'none'}")
    return Entry(name=name, modality=modality, dataset=dataset, tasks=specs, pretrain=dict(pretrain), encoder=encoder,
                 recipe=recipe, pretrain_on=pretrain_on,
                 quick=bool(_typed(f"{where}.quick", d.get("quick", False), (bool,), "true/false")),
                 baselines=tuple(str(b) for b in baselines), seeds=tuple(seeds), anchors=anchors,
                 needs_data_root=bool(_typed(f"{where}.needs_data_root", d.get("needs_data_root", False),
                                             (bool,), "true/false")),
                 description=str(d.get("description", "")))


def parse_suite(data: Any, *, where: str = "suite", path: Path | None = None,
                known_modalities: set[str] | None = None) -> Suite:
    """Validate a parsed YAML mapping into a :class:`Suite` (raises :class:`SuiteError`)."""
    d = _keys(where, data, {"name", "entries"}, {"description", "device"})
    name = _name(f"{where}.name", d["name"])
    device = d.get("device", "cpu")
    if device not in ("cpu", "gpu"):
        raise SuiteError(f"{where}.device: expected 'cpu' or 'gpu', got {device!r}")
    entries = _typed(f"{where}.entries", d["entries"], (list,), "a list of entries")
    if not entries:
        raise SuiteError(f"{where}.entries: a suite needs at least one entry")
    parsed = tuple(_entry(f"{where}.entries[{i}]", e, known_modalities) for i, e in enumerate(entries))
    names = [e.name for e in parsed]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SuiteError(f"{where}: entry name {dupes[0]!r} appears twice")
    return Suite(name=name, description=str(d.get("description", "")), entries=parsed, path=path, device=device)


def load_suite(name_or_path: str | Path, *, known_modalities: set[str] | None = None) -> Suite:
    """A shipped suite by name (``quick``, ``paper``, ...) or a YAML file by path."""
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = SUITES_DIR / f"{name_or_path}.yaml"
        if not path.is_file():
            raise SuiteError(f"unknown suite {str(name_or_path)!r}; shipped: {', '.join(shipped_suites())}")
    if not path.is_file():
        raise SuiteError(f"suite file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise SuiteError(f"{path}: cannot parse YAML: {err}") from None
    return parse_suite(data, where=str(path.name), path=path, known_modalities=known_modalities)


def shipped_suites() -> list[str]:
    """Names of the suite files shipped under ``benchmarks/suites``."""
    return sorted(p.stem for p in SUITES_DIR.glob("*.yaml"))
