"""Run configuration: dataclasses, loadable from YAML/TOML, overridable with ``a.b=c`` strings.

Precedence, lowest first: dataclass defaults < the modality's ``run_defaults`` < ``--quick``
overrides < config file or shipped recipe (``--config``) < ``--set`` overrides. The resolved
config is saved in every run.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass
class ModelConfig:
    """Encoder and predictor shape (defaults: a ViT-tiny-like encoder, narrow predictor).

    ``readout_layers``: how many of the encoder's last representations a frozen evaluation reads,
    concatenated (``1``: the last block; up to ``depth + 1``, the token embeddings included); see
    :class:`~jepa_domains.core.jepa.Encoder`. Pretraining does not depend on it, and
    ``eval --option layers=K`` sets it on an existing run.
    """

    dim: int = 192
    depth: int = 6
    num_heads: int = 3
    mlp_ratio: float = 4.0
    pred_dim: int = 96
    pred_depth: int = 3
    pred_heads: int = 3
    readout_layers: int = 1


@dataclass
class ObjectiveConfig:
    """Latent loss, anti-collapse regulariser and EMA target encoder.

    The momentum ramps linearly from ``ema_start`` to ``ema_end`` over the run (I-JEPA:
    0.996 -> 1.0). ``ema_horizon > 0`` replaces ``ema_start`` by ``1 - 1 / (ema_horizon * steps)``:
    the target then averages over that fraction of the run, whatever its length (0 = off).
    ``share_tokenizer``: the target encoder uses the online, gradient-trained tokenizer and the
    EMA averages only the transformer (Point-JEPA, Graph-JEPA). ``freeze_tokenizer``: the
    tokenizer keeps its random initial weights (eval mode) and is shared by both encoders; only
    the transformer and the predictor learn.
    """

    loss: str = "smooth_l1"
    regularizer: str = "none"
    regularizer_weight: float = 1.0
    ema_start: float = 0.996
    ema_end: float = 1.0
    ema_horizon: float = 0.0
    share_tokenizer: bool = False
    freeze_tokenizer: bool = False

    def __post_init__(self) -> None:
        for name in ("ema_start", "ema_end"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"objective.{name} must be in [0, 1], got {value!r}")
        if not self.ema_horizon >= 0.0:
            raise ConfigError(f"objective.ema_horizon must be >= 0 (0 = off), got {self.ema_horizon!r}")


@dataclass
class OptimConfig:
    """AdamW with linear warm-up + cosine LR and a cosine weight-decay ramp."""

    lr: float = 5e-4
    min_lr: float = 1e-6
    warmup_steps: int = 100
    weight_decay: float = 0.04
    final_weight_decay: float = 0.4
    beta1: float = 0.9
    beta2: float = 0.95
    clip_grad: float = 1.0
    accumulate: int = 1


@dataclass
class DataConfig:
    """Where the samples come from and how they are batched."""

    source: str | None = None
    data_root: str | None = None
    batch_size: int = 64
    num_workers: int = 0
    skip_bad: bool = False

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ConfigError(f"data.batch_size must be >= 1, got {self.batch_size!r}")
        if self.num_workers < 0:
            raise ConfigError(f"data.num_workers must be >= 0, got {self.num_workers!r}")


@dataclass
class TrainConfig:
    """Loop length, devices and bookkeeping.

    ``cpu_threads`` caps torch's intra-op threads (0 keeps torch's default). On a shared CPU
    where other processes keep cores busy, OpenMP spin-waiting can make 2 threads many times
    slower than 1 (measured here: 28x on a 2-core machine with one core busy).

    ``probe_every``: steps between online probes (kNN + linear on a labelled subset of the
    training data, see :mod:`jepa_domains.train.online_probe`); 0 = off, None = automatic when
    the training data has labels: every tenth of the run while probing costs at most 5 % of the
    training time. Probes also run at step 0 and at the last step. ``probe_samples``: size of
    that subset (half fits the probes, half scores them).
    """

    steps: int = 1000
    seed: int = 0
    log_every: int = 10
    diagnostics_every: int = 50
    checkpoint_every: int = 500
    accelerator: str = "auto"
    devices: int = 1
    num_nodes: int = 1
    strategy: str = "auto"
    precision: str = "auto"
    nonfinite: str = "stop"
    progress: bool = True
    cpu_threads: int = 0
    probe_every: int | None = None
    probe_samples: int = 256

    def __post_init__(self) -> None:
        for name in ("steps", "log_every", "diagnostics_every", "checkpoint_every", "devices", "num_nodes"):
            if getattr(self, name) < 1:
                raise ConfigError(f"train.{name} must be >= 1, got {getattr(self, name)!r}")
        if self.nonfinite not in ("stop", "skip"):
            raise ConfigError(f"train.nonfinite must be 'stop' or 'skip', got {self.nonfinite!r}")
        if self.probe_every is not None and self.probe_every < 0:
            raise ConfigError(f"train.probe_every must be >= 0 (0 = off) or null (auto), got {self.probe_every!r}")
        if self.probe_samples < 4:
            raise ConfigError(f"train.probe_samples must be >= 4 (two per probe split), got {self.probe_samples!r}")


@dataclass
class RunConfig:
    """Everything a run needs; ``modality`` holds the adapter's own options as a dict until
    :func:`modality_options` turns it into the adapter's ``Config`` dataclass."""

    modality_name: str = ""
    model: ModelConfig = field(default_factory=ModelConfig)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    modality: dict[str, Any] = field(default_factory=dict)


class ConfigError(ValueError):
    """A user mistake in a config file or override; the message names the key."""


GLOBAL_QUICK: dict[str, Any] = {
    "train.steps": 60,
    "train.log_every": 5,
    "train.diagnostics_every": 20,
    "train.checkpoint_every": 30,
    "optim.warmup_steps": 10,
    "model.dim": 64,
    "model.depth": 2,
    "model.num_heads": 2,
    "model.pred_dim": 32,
    "model.pred_depth": 1,
    "model.pred_heads": 2,
    "data.batch_size": 16,
    # 0.996 (I-JEPA) has a ~250-step time constant: longer than a quick run.
    "objective.ema_start": 0.98,
}


def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def coerce(value: Any, annotation: Any, key: str) -> Any:
    """Coerce a parsed value to a dataclass field's annotated type."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return coerce(value, arg, key)
            except ConfigError as err:
                errors.append(str(err))
        raise ConfigError(f"{key}: {value!r} fits none of {annotation}")
    if origin in (tuple, list):
        if isinstance(value, str):
            value = [v.strip() for v in value.strip("()[]").split(",") if v.strip()]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        inner = args[0] if args else Any
        items = [coerce(v, inner, key) for v in value]
        return tuple(items) if origin is tuple else items
    if origin is dict or annotation is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a mapping, got {value!r}")
        return dict(value)
    if annotation is Any:
        return value
    if annotation is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        raise ConfigError(f"{key}: expected true/false, got {value!r}")
    if annotation is int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{key}: expected an integer, got {value!r}") from None
    if annotation is float:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{key}: expected a number, got {value!r}") from None
    if annotation is str:
        if isinstance(value, (dict, list)):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
        return str(value)
    return value


def from_dict(cls: type, data: dict[str, Any], prefix: str = "") -> Any:
    """Build dataclass ``cls`` from a nested dict, rejecting unknown keys with their path."""
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix or 'config'}: expected a mapping, got {data!r}")
    hints = _field_types(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ConfigError(f"unknown key '{prefix}{sorted(unknown)[0]}'; known: {', '.join(sorted(names))}")
    kwargs = {}
    for name, value in data.items():
        hint = hints[name]
        key = f"{prefix}{name}"
        if dataclasses.is_dataclass(hint):
            kwargs[name] = from_dict(hint, value, key + ".")
        else:
            kwargs[name] = coerce(value, hint, key)
    return cls(**kwargs)


def to_dict(cfg: Any) -> dict[str, Any]:
    """Plain nested dict (tuples kept) of a dataclass config."""
    return dataclasses.asdict(cfg)


def parse_override(text: str) -> tuple[str, Any]:
    """``"model.depth=6"`` -> ``("model.depth", 6)`` (values parsed as YAML scalars/lists)."""
    if "=" not in text:
        raise ConfigError(f"override {text!r} must look like key.path=value")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key:
        raise ConfigError(f"override {text!r} has an empty key")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key, value


def set_dotted(tree: dict[str, Any], key: str, value: Any) -> None:
    """Set ``tree[a][b][c] = value`` for ``key = "a.b.c"``, creating mappings as needed."""
    parts = key.split(".")
    node = tree
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"cannot set {key!r}: {part!r} is not a section")
        node = child
    node[parts[-1]] = value


def merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Recursive dict merge (``update`` wins)."""
    out = dict(base)
    for k, v in update.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def load_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML (``.yaml``/``.yml``) or TOML (``.toml``) config file into a dict."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    text = path.read_text()
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"cannot parse {path}: {err}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    return _nest(data)


def _nest(data: dict[str, Any]) -> dict[str, Any]:
    """Expand dotted keys of a config file (``train.steps: 400``) into nested sections."""
    tree: dict[str, Any] = {}
    for key, value in data.items():
        value = _nest(value) if isinstance(value, dict) else value
        if isinstance(key, str) and "." in key:
            nested: dict[str, Any] = {}
            set_dotted(nested, key, value)
            tree = merge(tree, nested)
        else:
            tree = merge(tree, {key: value})
    return tree


def resolve(modality: str, *, defaults: dict[str, Any] | None = None, quick: dict[str, Any] | None = None,
            file: str | Path | None = None, settings: dict[str, Any] | None = None,
            overrides: list[str] | None = None) -> RunConfig:
    """Build the run config of ``modality`` from its layers (see the module docstring).

    ``file`` is a config file or the name of a shipped recipe (:mod:`jepa_domains.recipes`);
    ``settings`` are dotted overrides as a mapping, applied after the file and before the
    ``overrides`` strings."""
    from jepa_domains.recipes import config_file

    tree: dict[str, Any] = to_dict(RunConfig(modality_name=modality))
    for layer in (defaults or {}, quick or {}):
        for key, value in layer.items():
            set_dotted(tree, key, value)
    if file is not None:
        tree = merge(tree, load_file(config_file(modality, file)))
    for key, value in (settings or {}).items():
        set_dotted(tree, key, value)
    for text in overrides or []:
        key, value = parse_override(text)
        set_dotted(tree, key, value)
    if tree.get("modality_name") != modality:
        raise ConfigError(f"config is for modality {tree.get('modality_name')!r}, not {modality!r}")
    return from_dict(RunConfig, tree)


def modality_options(config_cls: type, options: dict[str, Any]) -> Any:
    """The adapter's ``Config`` instance from the run's ``modality`` mapping."""
    return from_dict(config_cls, options, "modality.")


def save_yaml(cfg: RunConfig, path: Path) -> None:
    """Write the resolved config (tuples as lists) next to a run."""
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    path.write_text(yaml.safe_dump(plain(to_dict(cfg)), sort_keys=False))
