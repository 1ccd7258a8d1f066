"""Use JEPA encoders from other libraries: a scikit-learn transformer (:class:`JEPAEmbedder`)
and an sktime forecaster on a frozen time-series encoder (:class:`JEPAForecaster`, imported
lazily because it needs sktime)."""

from jepa_domains.interop.sklearn_embedder import JEPAEmbedder, as_dataset
from jepa_domains.modalities.base import SampleList

__all__ = ["JEPAEmbedder", "JEPAForecaster", "SampleList", "as_dataset"]


def __getattr__(name: str):
    if name == "JEPAForecaster":
        from jepa_domains.interop.sktime_forecaster import JEPAForecaster

        return JEPAForecaster
    raise AttributeError(f"module 'jepa_domains.interop' has no attribute {name!r}")
