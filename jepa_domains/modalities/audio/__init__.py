"""Audio spectrogram modality (A-JEPA, Audio-JEPA): ``jepa-domains train audio``."""

from jepa_domains.modalities.audio.adapter import AudioAdapter
from jepa_domains.modalities.audio.collate import AudioBatch
from jepa_domains.modalities.audio.config import AudioConfig
from jepa_domains.modalities.audio.maskers import RandomBlockMasker, TimeFrequencyMasker
from jepa_domains.modalities.audio.tokenizer import SpectrogramPatchTokenizer

__all__ = ["AudioAdapter", "AudioBatch", "AudioConfig", "RandomBlockMasker", "SpectrogramPatchTokenizer",
           "TimeFrequencyMasker"]
