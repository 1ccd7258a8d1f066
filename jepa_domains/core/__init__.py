"""Modality-free JEPA core: containers, maskers, transformer, predictor, losses, EMA."""

from jepa_domains.core.batch import Batch
from jepa_domains.core.jepa import JEPA, Encoder, JEPAOutput
from jepa_domains.core.maskers import (
    CurriculumMasker,
    GroupMasker,
    Masker,
    MultiBlockMasker,
    RandomMasker,
    SpanMasker,
)
from jepa_domains.core.positions import sincos_1d, sincos_2d
from jepa_domains.core.predictor import Predictor
from jepa_domains.core.regularizers import SIGRegRegularizer, VICRegRegularizer, build_regularizer, effective_rank
from jepa_domains.core.tokens import Layout, MaskPlan, Tokens, gather_tokens

__all__ = [
    "JEPA", "Batch", "CurriculumMasker", "Encoder", "GroupMasker", "JEPAOutput", "Layout", "MaskPlan",
    "Masker", "MultiBlockMasker", "Predictor", "RandomMasker", "SIGRegRegularizer", "SpanMasker",
    "Tokens", "VICRegRegularizer", "build_regularizer", "effective_rank", "gather_tokens",
    "sincos_1d", "sincos_2d",
]
