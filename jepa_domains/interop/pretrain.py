"""Pretraining inside an estimator's ``fit``: the run config from the estimator's parameters, a
run folder that never collides with another fit's, and encoders loaded into memory (the folder
may be temporary and deleted right after)."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import tempfile
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from jepa_domains.logs import LIBRARY_LOGGER, get_logger
from jepa_domains.modalities.base import SampleList


@contextlib.contextmanager
def library_messages(verbose: bool):
    """Hide the library's INFO messages (run announcements) unless ``verbose``: an estimator
    fitted hundreds of times inside a grid search should not narrate every run."""
    logger = get_logger(LIBRARY_LOGGER)
    previous = logger.level
    if not verbose:
        logger.setLevel(max(logging.WARNING, logger.getEffectiveLevel()))
    try:
        yield
    finally:
        logger.setLevel(previous)


def fresh_run_folder(out_dir: Path) -> Path:
    """``out_dir/fit-000``, ``fit-001``...: the first free one, created atomically, so that clones
    and refits (``GridSearchCV``, ``cross_val_score``, also in parallel) never share a run."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for k in range(100_000):
        folder = out_dir / f"fit-{k:03d}"
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise ValueError(f"out_dir {out_dir} holds 100000 fit-* runs already")


def non_overlapping_patches(adapter: Any, overrides: dict[str, Any] | None) -> dict[str, Any]:
    """``overrides`` with ``modality.stride = modality.patch_len`` (non-overlapping patches, as
    TS-JEPA) unless they set the stride themselves. The time-series wrappers pretrain on short
    sktime series: a window of two overlapping patches leaves no context patch that shares no
    time step with its target, which the leak-free masker refuses."""
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, dict) or "modality.stride" in overrides:
        return overrides  # a non-mapping is refused, naming it, by pretrain_config
    patch_len = overrides.get("modality.patch_len", adapter.Config().patch_len)
    return {**overrides, "modality.stride": patch_len}


def pretrain_config(adapter: Any, *, overrides: dict[str, Any] | None, quick: bool, seed: int) -> Any:
    """The run config: the modality's defaults, the ``--quick`` sizes when ``quick``, then
    ``overrides`` (dotted keys); ``train.seed`` = ``seed``, no progress lines."""
    from jepa_domains.train.config import GLOBAL_QUICK, resolve

    if overrides is not None and not isinstance(overrides, dict):
        raise ValueError(f"overrides must be a dict of dotted keys, got {overrides!r}")
    layer = {**GLOBAL_QUICK, **adapter.quick_overrides} if quick else {}
    layer.update(overrides or {})
    layer.update({"train.seed": seed, "train.progress": False})
    return resolve(adapter.name, defaults=adapter.run_defaults, quick=layer)


def pretrain(cfg: Any, dataset: Dataset, *, out_dir: str | Path | None, encoder: str | None,
             verbose: bool = False) -> tuple[dict[str, Any], Path | None]:
    """Train a run of ``cfg`` on ``dataset`` and load its encoder(s) ``encoder``.

    Returns ``({which: LoadedRun}, run folder)``: the folder is a fresh ``out_dir/fit-NNN``, or
    None when ``out_dir`` is None (the run went to a temporary folder, deleted before returning;
    the loaded encoders live in memory). A ``dataset`` smaller than a batch trains on full batches
    of all its samples.
    """
    from jepa_domains.eval.embed import load_runs
    from jepa_domains.train.trainer import Trainer

    if len(dataset) < cfg.data.batch_size:
        cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, batch_size=len(dataset)))

    def train(out: Path) -> dict[str, Any]:
        try:
            with library_messages(verbose):
                Trainer(cfg, run_dir=out, dataset=dataset).fit()
        except AttributeError as err:
            if not isinstance(dataset, SampleList):
                raise
            # the adapter's prepare() reads attributes of its own dataset type
            raise ValueError(f"modality {cfg.modality_name!r} cannot pretrain on a plain list of samples ({err}); "
                             "pass X as a dataset of that modality (e.g. adapter.load_dataset(...)) or give "
                             "run_dir= of a pretrained run") from None
        return load_runs(out, encoder=encoder)

    if out_dir is not None:
        out = fresh_run_folder(Path(out_dir))
        return train(out), out
    with tempfile.TemporaryDirectory(prefix="jepa-pretrain-") as tmp:
        return train(Path(tmp)), None
