"""A scikit-learn transformer around a JEPA encoder: ``fit`` pretrains one (or loads a run),
``transform`` returns frozen embeddings ``[n, E]`` of a list of modality samples.

    pipe = make_pipeline(JEPAEmbedder(run_dir="runs/ts"), LogisticRegression())
    cross_val_score(pipe, samples, labels, cv=5)

Pretraining uses the library's :class:`~jepa_domains.train.trainer.Trainer` and embedding uses
:func:`~jepa_domains.eval.embed.extract` (collated deterministically, pooled by the adapter).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted
from torch.utils.data import Dataset

from jepa_domains.modalities.base import SampleList
from jepa_domains.train.trainer import Trainer


def as_dataset(X: Any, adapter: Any = None, options: Any = None) -> Dataset:
    """A torch ``Dataset`` is used as it is (e.g. from ``adapter.load_dataset``); a list of
    samples goes through ``adapter.samples_dataset`` (the modality's own dataset type, which its
    ``prepare`` reads), or into a :class:`SampleList` without an adapter."""
    if isinstance(X, Dataset) and hasattr(X, "__len__"):
        return X
    if isinstance(X, (str, bytes)):
        raise ValueError(f"X must be a list of modality samples, got the string {X!r}")
    samples = list(X)
    if not samples:
        raise ValueError("JEPAEmbedder got no samples (X is empty)")
    return adapter.samples_dataset(options, samples) if adapter is not None else SampleList(samples)


class JEPAEmbedder(TransformerMixin, BaseEstimator):
    """Frozen JEPA embeddings as a scikit-learn transformer.

    Args:
        modality: modality to pretrain on ``X`` in :meth:`fit` (ignored with ``run_dir``).
        run_dir: an existing run (folder or checkpoint) to load instead of pretraining.
        overrides: dotted run-config overrides for pretraining, e.g. ``{"train.steps": 100}``.
        quick: start from the ``--quick`` sizes (small model, few steps).
        seed: ``train.seed`` of the pretraining run.
        out_dir: where the pretraining run is written (default: a new temporary folder).
        batch_size: samples per forward pass in :meth:`transform`.
        device: ``"cpu"``, ``"cuda"``... (default: CUDA when available).
        encoder: ``"context"`` (the gradient-trained encoder), ``"target"`` (its EMA copy),
            ``"both"`` (their embeddings side by side, ``[n, 2E]``: context first) or None (the
            modality's ``default_encoder``, context for the built-in modalities).

    Fitted attributes: ``run_dir_`` (Path), ``encoders_`` (``{which: encoder}``), ``encoder_``
    (the first of them), ``adapter_``, ``options_``.
    """

    def __init__(self, modality: str | None = None, *, run_dir: str | Path | None = None,
                 overrides: dict[str, Any] | None = None, quick: bool = False, seed: int = 0,
                 out_dir: str | Path | None = None, batch_size: int = 64, device: str | None = None,
                 encoder: str | None = None) -> None:
        # scikit-learn convention: store the arguments untouched, validate in fit
        self.modality = modality
        self.run_dir = run_dir
        self.overrides = overrides
        self.quick = quick
        self.seed = seed
        self.out_dir = out_dir
        self.batch_size = batch_size
        self.device = device
        self.encoder = encoder

    def _validate(self) -> None:
        if self.run_dir is None and not self.modality:
            raise ValueError("JEPAEmbedder needs modality= (to pretrain) or run_dir= (to load a run)")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {self.batch_size!r}")
        if self.overrides is not None and not isinstance(self.overrides, dict):
            raise ValueError(f"overrides must be a dict of dotted keys, got {self.overrides!r}")

    def fit(self, X: Any, y: Any = None) -> JEPAEmbedder:
        """Pretrain on the samples ``X`` (labels ``y`` are not used), or load ``run_dir``."""
        from jepa_domains.eval.embed import ENCODER_CHOICES, load_runs

        self._validate()
        if self.encoder is not None and self.encoder not in ENCODER_CHOICES:
            raise ValueError(f"encoder must be one of {', '.join(ENCODER_CHOICES)} or None, got {self.encoder!r}")
        run_dir = Path(self.run_dir) if self.run_dir is not None else self._pretrain(X)
        runs = load_runs(run_dir, encoder=self.encoder)
        loaded = next(iter(runs.values()))
        self.run_dir_ = loaded.run_dir
        self.encoders_ = {which: r.encoder for which, r in runs.items()}
        self.encoder_, self.adapter_, self.options_ = loaded.encoder, loaded.adapter, loaded.options
        return self

    def _pretrain(self, X: Any) -> Path:
        from jepa_domains.registry import get_modality
        from jepa_domains.train.config import GLOBAL_QUICK, modality_options, resolve

        adapter = get_modality(self.modality)
        dataset = as_dataset(X, adapter, modality_options(adapter.Config, {}))
        layer = {**GLOBAL_QUICK, **adapter.quick_overrides} if self.quick else {}
        layer.update(self.overrides or {})
        layer.update({"train.seed": self.seed, "train.progress": False})
        if len(dataset) < int(layer.get("data.batch_size", adapter.run_defaults.get("data.batch_size", 64))):
            layer["data.batch_size"] = len(dataset)  # a small X still gives full batches
        cfg = resolve(adapter.name, defaults=adapter.run_defaults, quick=layer)
        out = Path(self.out_dir) if self.out_dir is not None else Path(tempfile.mkdtemp(prefix="jepa-embedder-"))
        if (out / "checkpoints" / "last.pt").exists():
            # refitting into a finished run would mix two runs' logs; loading it is run_dir=
            raise ValueError(f"out_dir {out} already holds a run; pass run_dir={str(out)!r} to load it, or a new out_dir")
        try:
            Trainer(cfg, run_dir=out, dataset=dataset).fit()
        except AttributeError as err:
            if not isinstance(dataset, SampleList):
                raise
            # the adapter's prepare() reads attributes of its own dataset type
            raise ValueError(f"modality {adapter.name!r} cannot pretrain on a plain list of samples ({err}); pass "
                             "X as a dataset of that modality (e.g. adapter.load_dataset(...)) or give "
                             "run_dir= of a pretrained run") from None
        return out

    def transform(self, X: Any) -> np.ndarray:
        """Embeddings ``[n, E]`` (``[n, 2E]`` with ``encoder="both"``), float32, of the samples ``X``, in order."""
        from jepa_domains.eval.embed import extract

        check_is_fitted(self, "encoders_")
        dataset = as_dataset(X, self.adapter_, self.options_)
        parts = [extract(model, self.adapter_, self.options_, dataset, batch_size=self.batch_size, device=self.device).X
                 for model in self.encoders_.values()]
        return np.concatenate(parts, axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # X is a list of modality samples, not a matrix
        tags.requires_fit = True
        return tags
