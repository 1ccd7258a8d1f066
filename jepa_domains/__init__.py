"""jepa-domains: Joint-Embedding Predictive Architectures for audio, point clouds, graphs,
trajectories and time series."""

from jepa_domains.modalities.base import ModalityAdapter
from jepa_domains.registry import get_modality, list_modalities, register_modality

__version__ = "0.1.0"

__all__ = ["ModalityAdapter", "get_modality", "list_modalities", "register_modality", "__version__"]
