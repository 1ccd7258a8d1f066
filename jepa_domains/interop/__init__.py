"""Use JEPA encoders from other libraries: a scikit-learn transformer (:class:`JEPAEmbedder`),
an sktime forecaster on a frozen time-series encoder (:class:`JEPAForecaster`) and an sktime
panel -> embeddings transformer (:class:`JEPATransformer`); the sktime ones are imported lazily
because they need sktime. See docs/interop.md."""

from jepa_domains.interop.sklearn_embedder import JEPAEmbedder, as_dataset
from jepa_domains.modalities.base import SampleList

__all__ = ["JEPAEmbedder", "JEPAForecaster", "JEPATransformer", "SampleList", "as_dataset"]


def __getattr__(name: str):
    if name == "JEPAForecaster":
        from jepa_domains.interop.sktime_forecaster import JEPAForecaster

        return JEPAForecaster
    if name == "JEPATransformer":
        from jepa_domains.interop.sktime_transformer import JEPATransformer

        return JEPATransformer
    raise AttributeError(f"module 'jepa_domains.interop' has no attribute {name!r}")
