"""Shipped recipes: named, studied run configs per modality.

A recipe is an ordinary run-config file (the format of ``--config FILE``: YAML, nested or dotted
keys) shipped at ``jepa_domains/recipes/<modality>/<name>.yaml``. Its first line is a comment,
``# <one-line description>``, shown by ``jepa-domains modalities``. Wherever a config file is
accepted (``jepa-domains train MODALITY --config NAME``, a bench entry's ``recipe: NAME``,
:func:`jepa_domains.train.config.resolve`), a recipe name works too::

    jepa-domains train audio --config fsdd

How each recipe was chosen, and every variant that was tried, is in ``docs/recipes/<modality>.md``.
"""

from __future__ import annotations

from pathlib import Path

RECIPES_DIR = Path(__file__).resolve().parent
CONFIG_SUFFIXES = (".yaml", ".yml", ".toml")


def list_recipes(modality: str) -> dict[str, str]:
    """``{name: description}`` of the recipes shipped for ``modality`` (sorted by name)."""
    folder = RECIPES_DIR / modality
    if not folder.is_dir():
        return {}
    return {path.stem: _description(path) for path in sorted(folder.glob("*.yaml"))}


def recipe_path(modality: str, name: str) -> Path:
    """The file of recipe ``name`` of ``modality``; a :class:`ConfigError` lists the known ones."""
    from jepa_domains.train.config import ConfigError

    path = RECIPES_DIR / modality / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(list_recipes(modality)) or "none"
        raise ConfigError(f"--config {name}: no such file, and no {modality} recipe of that name "
                          f"(recipes: {known})")
    return path


def config_file(modality: str, value: str | Path) -> Path:
    """Resolve a ``--config`` value: an existing file, else a recipe name of ``modality``.

    A value that names a config file (it has a config suffix or a folder part) but does not exist
    is reported as a missing file, not looked up as a recipe."""
    from jepa_domains.train.config import ConfigError

    path = Path(value)
    if path.is_file():
        return path
    if path.suffix in CONFIG_SUFFIXES or len(path.parts) > 1:
        raise ConfigError(f"config file not found: {path}")
    return recipe_path(modality, str(value))


def _description(path: Path) -> str:
    first = path.read_text().splitlines()[:1]
    return first[0].lstrip("#").strip() if first and first[0].startswith("#") else ""
