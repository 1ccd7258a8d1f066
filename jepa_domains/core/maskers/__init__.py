"""Generic, seeded maskers. A modality picks one of these or composes its own from them."""

from jepa_domains.core.maskers.base import Masker, pack_rows, valid_indices
from jepa_domains.core.maskers.block_masker import MultiBlockMasker
from jepa_domains.core.maskers.curriculum_masker import CurriculumMasker
from jepa_domains.core.maskers.group_masker import GroupMasker
from jepa_domains.core.maskers.random_masker import RandomMasker
from jepa_domains.core.maskers.span_masker import SpanMasker

__all__ = [
    "CurriculumMasker",
    "GroupMasker",
    "Masker",
    "MultiBlockMasker",
    "RandomMasker",
    "SpanMasker",
    "pack_rows",
    "valid_indices",
]
