"""Modality adapters. Each built-in modality is a subpackage; see :mod:`jepa_domains.registry`."""

from jepa_domains.modalities.base import ModalityAdapter, mean_pool

__all__ = ["ModalityAdapter", "mean_pool"]
