"""Register and discover modality adapters (decorator + entry points), timm-style."""

from __future__ import annotations

import importlib
import warnings
from importlib.metadata import entry_points

from jepa_domains.modalities.base import ModalityAdapter

ENTRY_POINT_GROUP = "jepa_domains.modalities"

# Built-in modalities are imported lazily so that listing them does not import torch-geometric,
# open3d, ... before they are needed.
_BUILTIN: dict[str, str] = {
    "audio": "jepa_domains.modalities.audio",
    "graph": "jepa_domains.modalities.graph",
    "pointcloud": "jepa_domains.modalities.pointcloud",
    "timeseries": "jepa_domains.modalities.timeseries",
    "trajectory": "jepa_domains.modalities.trajectory",
}
_REGISTRY: dict[str, type[ModalityAdapter]] = {}
_entry_points_loaded = False


class UnknownModalityError(KeyError):
    """Raised for a modality name nobody registered; the message lists the known ones."""

    def __str__(self) -> str:  # KeyError quotes its message otherwise
        return str(self.args[0])


def register_modality(name: str):
    """Class decorator registering a :class:`ModalityAdapter` subclass under ``name``.

    Re-registering a name replaces the old adapter with a warning.
    """
    if not name or not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"modality name must be alphanumeric (with - or _), got {name!r}")

    def decorator(cls: type[ModalityAdapter]) -> type[ModalityAdapter]:
        if not (isinstance(cls, type) and issubclass(cls, ModalityAdapter)):
            raise TypeError(f"@register_modality({name!r}) needs a ModalityAdapter subclass, got {cls!r}")
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            warnings.warn(f"modality {name!r} re-registered: {_REGISTRY[name].__qualname__} "
                          f"replaced by {cls.__qualname__}", stacklevel=2)
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorator


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _REGISTRY:
            continue
        try:
            obj = ep.load()
        except Exception as err:  # a broken plugin must not break the library
            warnings.warn(f"could not load modality plugin {ep.name!r} ({ep.value}): {err}", stacklevel=2)
            continue
        if isinstance(obj, type) and issubclass(obj, ModalityAdapter) and ep.name not in _REGISTRY:
            register_modality(ep.name)(obj)


def _import_builtin(name: str) -> None:
    if name in _BUILTIN and name not in _REGISTRY:
        importlib.import_module(_BUILTIN[name])


def list_modalities() -> list[str]:
    """Names of every built-in, registered and entry-point modality, sorted."""
    _load_entry_points()
    return sorted(set(_BUILTIN) | set(_REGISTRY))


def get_modality(name: str) -> ModalityAdapter:
    """An adapter instance by name; unknown names raise with the list of known ones."""
    _import_builtin(name)
    if name not in _REGISTRY:
        _load_entry_points()
    if name not in _REGISTRY:
        raise UnknownModalityError(f"unknown modality {name!r}; known: {', '.join(list_modalities())}")
    return _REGISTRY[name]()
