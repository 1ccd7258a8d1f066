"""An sktime transformer: a panel of time series -> one row of frozen JEPA embeddings per series
(``Series`` in, ``Primitives`` out), so a JEPA encoder drops into sktime classification and
regression pipelines where MiniRocket would go. ``fit`` pretrains on the panel (or loads a run)
through :class:`~jepa_domains.interop.JEPAEmbedder`. It passes sktime's own conformance suite
(``tests/interop/test_sktime_checks.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sktime.transformations.base import BaseTransformer

from jepa_domains.interop.pretrain import non_overlapping_patches
from jepa_domains.interop.sklearn_embedder import JEPAEmbedder
from jepa_domains.registry import get_modality


class JEPATransformer(BaseTransformer):
    """Frozen JEPA embeddings ``[n, E]`` of a panel of ``n`` series (any channel count; equal
    lengths or not), as sktime's ``Series -> Primitives`` transformer.

    Args:
        run_dir: a pretrained ``timeseries`` run to load; None pretrains on the panel given to
            ``fit`` (sizes: the modality defaults, ``quick`` sizes, then ``overrides``).
        overrides, quick, seed, out_dir, batch_size, device, encoder: as in
            :class:`~jepa_domains.interop.JEPAEmbedder` (``out_dir=None``: nothing is left on disk).

    Fitted attributes: ``embedder_`` (the fitted :class:`JEPAEmbedder`).

    Examples:
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sktime.classification.compose import SklearnClassifierPipeline
        >>> from sktime.datasets import load_unit_test
        >>> from jepa_domains.interop import JEPATransformer
        >>> X_train, y_train = load_unit_test(split="train", return_type="numpy3D")
        >>> tiny = {"train.steps": 2, "model.dim": 16, "model.depth": 1, "model.num_heads": 2,
        ...         "model.pred_dim": 8, "model.pred_depth": 1, "model.pred_heads": 2}
        >>> jepa = JEPATransformer(overrides=tiny, device="cpu")
        >>> jepa.fit_transform(X_train).shape                  # 20 series of 24 steps
        (20, 16)
        >>> pipe = SklearnClassifierPipeline(LogisticRegression(), [JEPATransformer(overrides=tiny, device="cpu")])
        >>> pipe.fit(X_train, y_train).predict(X_train).shape
        (20,)
    """

    _tags = {
        "authors": ["jepa-domains"],
        "scitype:transform-input": "Series",
        "scitype:transform-output": "Primitives",   # one row of embeddings per series
        "scitype:instancewise": True,               # each row depends on its series only (once fitted)
        "X_inner_mtype": ["numpy3D", "df-list"],    # equal-length panels, and unequal-length ones
        "y_inner_mtype": "None",
        "requires_y": False,
        "fit_is_empty": False,                      # fit pretrains (or loads) the encoder
        "capability:multivariate": True,
        "capability:unequal_length": True,
        "capability:missing_values": False,
        "capability:inverse_transform": False,
    }

    def __init__(self, run_dir: str | Path | None = None, overrides: dict[str, Any] | None = None,
                 quick: bool = False, seed: int = 0, out_dir: str | Path | None = None, batch_size: int = 64,
                 device: str | None = None, encoder: str | None = None) -> None:
        self.run_dir = run_dir
        self.overrides = overrides
        self.quick = quick
        self.seed = seed
        self.out_dir = out_dir
        self.batch_size = batch_size
        self.device = device
        self.encoder = encoder
        super().__init__()

    @staticmethod
    def _series(X: np.ndarray | list[pd.DataFrame]) -> np.ndarray | list[np.ndarray]:
        """sktime's inner panel (``numpy3D`` ``[n, C, T]`` or a list of ``[T, C]`` frames) as
        what :class:`JEPAEmbedder` reads: the array itself, or a list of ``[C, T]`` arrays."""
        if isinstance(X, np.ndarray):
            return X
        return [np.asarray(frame, dtype=np.float64).T for frame in X]

    def _fit(self, X: Any, y: Any = None) -> JEPATransformer:
        overrides = self.overrides if self.run_dir is not None else non_overlapping_patches(
            get_modality("timeseries"), self.overrides)
        self.embedder_ = JEPAEmbedder("timeseries", run_dir=self.run_dir, overrides=overrides, quick=self.quick,
                                      seed=self.seed, out_dir=self.out_dir, batch_size=self.batch_size,
                                      device=self.device, encoder=self.encoder).fit(self._series(X))
        return self

    def _transform(self, X: Any, y: Any = None) -> pd.DataFrame:
        """``[n, E]`` embeddings, one row per series, columns ``jepa0, jepa1, ...``."""
        Z = self.embedder_.transform(self._series(X))
        return pd.DataFrame(Z, columns=[f"jepa{i}" for i in range(Z.shape[1])])

    @classmethod
    def get_test_params(cls, parameter_set: str = "default") -> list[dict[str, Any]]:
        """Two cheap configurations for sktime's checks: a tiny encoder pretrained for two steps
        in ``fit``, with the context encoder and with both encoders (patches of 4)."""
        tiny = {"train.steps": 2, "model.dim": 16, "model.depth": 1, "model.num_heads": 2, "model.pred_dim": 8,
                "model.pred_depth": 1, "model.pred_heads": 2, "optim.warmup_steps": 1}
        return [{"overrides": tiny, "device": "cpu"},
                {"overrides": {**tiny, "modality.patch_len": 4, "modality.stride": 4}, "encoder": "both",
                 "seed": 1, "device": "cpu"}]
