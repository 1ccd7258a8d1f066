"""A scikit-learn transformer around a JEPA encoder: ``fit`` pretrains one (or loads a run),
``transform`` returns frozen embeddings ``[n, E]``.

``X`` is a ``[n, T]`` or ``[n, C, T]`` array or a list of variable-length series (time series,
validated as scikit-learn does), a list of modality samples, or a dataset of a modality. It passes
scikit-learn's own conformance suite (``tests/interop/test_sklearn_checks.py``).

    >>> import numpy as np
    >>> from jepa_domains.interop import JEPAEmbedder
    >>> X = np.random.default_rng(0).normal(size=(12, 40))           # 12 series of 40 steps
    >>> embedder = JEPAEmbedder("timeseries", overrides={"train.steps": 2, "model.dim": 16,
    ...     "model.depth": 1, "model.num_heads": 2, "model.pred_dim": 8, "model.pred_depth": 1,
    ...     "model.pred_heads": 2, "optim.warmup_steps": 1}, device="cpu")
    >>> embedder.fit_transform(X).shape
    (12, 16)
    >>> embedder.n_features_in_, embedder.get_feature_names_out()[:2].tolist()
    (40, ['jepaembedder0', 'jepaembedder1'])

Pretraining uses the library's :class:`~jepa_domains.train.trainer.Trainer` and embedding uses
:func:`~jepa_domains.eval.embed.extract` (collated deterministically, pooled by the adapter).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import _check_feature_names, check_is_fitted
from torch.utils.data import Dataset, Subset

from jepa_domains.interop.pretrain import pretrain, pretrain_config
from jepa_domains.interop.series_input import SeriesInput, is_array_input, read_series
from jepa_domains.modalities.base import SampleList


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


class JEPAEmbedder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Frozen JEPA embeddings as a scikit-learn transformer.

    Args:
        modality: modality to pretrain on ``X`` in :meth:`fit` (ignored with ``run_dir``).
        run_dir: an existing run (folder or checkpoint) to load instead of pretraining.
        overrides: dotted run-config overrides for pretraining, e.g. ``{"train.steps": 100}``.
        quick: start from the ``--quick`` sizes (small model, few steps).
        seed: ``train.seed`` of the pretraining run.
        out_dir: where pretraining runs are kept: each fit writes a fresh ``out_dir/fit-NNN``
            (clones and refits never collide). None: a temporary folder, deleted once the
            encoder is loaded (the fitted encoder then lives in memory only).
        batch_size: samples per forward pass in :meth:`transform`.
        device: ``"cpu"``, ``"cuda"``... (default: CUDA when available).
        encoder: ``"context"`` (the gradient-trained encoder), ``"target"`` (its EMA copy),
            ``"both"`` (their embeddings side by side, ``[n, 2E]``: context first) or None (the
            modality's ``default_encoder``, context for the built-in modalities).
        verbose: let the library's run announcements through while fitting (they go to the
            ``jepa_domains`` logger; hidden by default).

    Input ``X``: a list of modality samples (e.g. graphs,
    :class:`~jepa_domains.data.timeseries_readers.Series`) or a dataset of the modality; for
    ``timeseries`` also arrays, validated as scikit-learn does: ``[n, T]`` (univariate series,
    the columns are time steps), ``[n, C, T]``, or a list of numpy ``[T]`` / ``[C, T]`` series
    of any lengths.

    Fitted attributes: ``encoders_`` (``{which: encoder}``), ``encoder_`` (the first of them),
    ``adapter_``, ``options_``, ``run_dir_`` (Path of the run, None when it was temporary),
    ``n_features_in_`` (array input: ``T`` for a ``[n, T]`` table, whose width ``transform``
    then requires; ``C`` for ``[n, C, T]`` panels and lists of series, which may have any length),
    ``n_channels_in_``, ``feature_names_in_`` (DataFrame input with string columns).
    """

    def __init__(self, modality: str | None = None, *, run_dir: str | Path | None = None,
                 overrides: dict[str, Any] | None = None, quick: bool = False, seed: int = 0,
                 out_dir: str | Path | None = None, batch_size: int = 64, device: str | None = None,
                 encoder: str | None = None, verbose: bool = False) -> None:
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
        self.verbose = verbose

    def _validate(self) -> None:
        from jepa_domains.eval.embed import ENCODER_CHOICES

        if self.run_dir is None and not self.modality:
            raise ValueError("JEPAEmbedder needs modality= (to pretrain) or run_dir= (to load a run)")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {self.batch_size!r}")
        if self.encoder is not None and self.encoder not in ENCODER_CHOICES:
            raise ValueError(f"encoder must be one of {', '.join(ENCODER_CHOICES)} or None, got {self.encoder!r}")

    # --- input ----------------------------------------------------------------------------
    def _dataset(self, X: Any, adapter: Any, options: Any, *, reset: bool) -> Dataset:
        """``X`` as a dataset of ``adapter``'s samples; arrays are validated (and, with
        ``reset``, their shape is recorded as ``n_features_in_``)."""
        if adapter.name != "timeseries" or not is_array_input(X):
            if reset:   # a refit on samples: forget the array shape of an earlier fit
                for name in ("n_features_in_", "n_channels_in_", "feature_names_in_", "_fitted_on_table"):
                    self.__dict__.pop(name, None)
            return as_dataset(X, adapter, options)   # the modality's own samples, checked by its adapter
        data = read_series(X)
        self._check_layout(X, data, reset=reset)
        return adapter.samples_dataset(options, data.as_series())

    def _check_layout(self, X: Any, data: SeriesInput, *, reset: bool) -> None:
        _check_feature_names(self, X, reset=reset)
        if reset:
            self.n_features_in_ = data.length if data.layout == "table" else data.channels
            self.n_channels_in_, self._fitted_on_table = data.channels, data.layout == "table"
            return
        if not hasattr(self, "n_channels_in_"):
            return   # fitted on modality samples: the model checks what it needs
        if data.channels != self.n_channels_in_:
            raise ValueError(f"X has {data.channels} channel(s), but {type(self).__name__} was fitted on "
                             f"{self.n_channels_in_}")
        if self._fitted_on_table and data.layout == "table" and data.length != self.n_features_in_:
            raise ValueError(f"X has {data.length} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input (a [n, T] table keeps its width; "
                             "pass a list of series for other lengths)")

    # --- scikit-learn interface -----------------------------------------------------------
    def fit(self, X: Any, y: Any = None) -> JEPAEmbedder:
        """Pretrain on the samples ``X`` (labels ``y`` are not used), or load ``run_dir``."""
        from jepa_domains.eval.embed import load_runs
        from jepa_domains.registry import get_modality
        from jepa_domains.train.config import modality_options

        self._validate()
        if self.run_dir is not None:
            runs = load_runs(Path(self.run_dir), encoder=self.encoder)
            first = next(iter(runs.values()))
            dataset = self._dataset(X, first.adapter, first.options, reset=True)
            run_dir = first.run_dir
        else:
            adapter = get_modality(self.modality)
            dataset = self._dataset(X, adapter, modality_options(adapter.Config, {}), reset=True)
            cfg = pretrain_config(adapter, overrides=self.overrides, quick=self.quick, seed=self.seed)
            runs, run_dir = pretrain(cfg, dataset, out_dir=self.out_dir, encoder=self.encoder, verbose=self.verbose)
        loaded = next(iter(runs.values()))
        self.run_dir_ = run_dir
        self.encoders_ = {which: r.encoder for which, r in runs.items()}
        self.encoder_, self.adapter_, self.options_ = loaded.encoder, loaded.adapter, loaded.options
        self._n_features_out = self._embed(Subset(dataset, [0])).shape[1]
        return self

    def _embed(self, dataset: Dataset) -> np.ndarray:
        from jepa_domains.eval.embed import extract

        parts = [extract(model, self.adapter_, self.options_, dataset, batch_size=self.batch_size,
                         device=self.device).X for model in self.encoders_.values()]
        return np.concatenate(parts, axis=1)

    def transform(self, X: Any) -> np.ndarray:
        """Embeddings ``[n, E]`` (``[n, 2E]`` with ``encoder="both"``), float32, of the samples ``X``, in order."""
        check_is_fitted(self, "encoders_")
        return self._embed(self._dataset(X, self.adapter_, self.options_, reset=False))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True     # [n, T]: n univariate series of T steps
        tags.input_tags.three_d_array = True   # [n, C, T]
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = ["float32"]   # the encoders compute in float32
        tags.non_deterministic = False         # seeded training, deterministic collate
        tags.requires_fit = True
        return tags
