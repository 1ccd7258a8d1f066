"""Sequence embeddings for classification: masked mean, or means over equal parts of a row."""

import pytest
import torch

from jepa_domains.core import Layout
from jepa_domains.modalities.base import max_mean_pool
from jepa_domains.modalities.timeseries.adapter import TimeSeriesAdapter, TimeSeriesConfig
from jepa_domains.modalities.timeseries.tokenizer import SeriesBatch


def test_mean_and_segment_pooling_respect_padding_and_order():
    adapter = TimeSeriesAdapter()
    latents = torch.arange(8, dtype=torch.float32).reshape(1, 8, 1).repeat(2, 1, 3)    # [R=2, N=8, D=3]
    pad = torch.zeros(2, 8, dtype=torch.bool)
    pad[1, 2:] = True                                                                     # row 1: 2 valid patches
    batch = SeriesBatch(layout=Layout((8,), valid=torch.tensor([8, 2]), rows_per_sample=1))
    mean = adapter.pool(TimeSeriesConfig(), latents, pad, batch)
    assert mean.shape == (2, 3) and mean[0, 0] == pytest.approx(3.5) and mean[1, 0] == pytest.approx(0.5)
    seg = adapter.pool(TimeSeriesConfig(pool="segments", pool_segments=4), latents, pad, batch)
    assert seg.shape == (2, 12)
    assert seg[0, ::3].tolist() == pytest.approx([0.5, 2.5, 4.5, 6.5])                  # order kept
    assert seg[1, ::3].tolist() == pytest.approx([0.0, 0.0, 1.0, 1.0])                  # short row repeats
    # channel rows of one sample sit side by side
    two = SeriesBatch(layout=Layout((8,), valid=torch.tensor([8, 2]), rows_per_sample=2))
    assert adapter.pool(TimeSeriesConfig(pool="segments"), latents, pad, two).shape == (1, 24)
    mm = adapter.pool(TimeSeriesConfig(pool="max_mean"), latents, pad, batch)
    assert mm.shape == (2, 6)
    assert mm[0].tolist() == pytest.approx([7, 7, 7, 3.5, 3.5, 3.5])                    # max first, then mean
    assert mm[1].tolist() == pytest.approx([1, 1, 1, 0.5, 0.5, 0.5])                    # padding ignored
    assert adapter.pool(TimeSeriesConfig(pool="max_mean"), latents, pad, two).shape == (1, 12)
    empty = torch.ones(1, 8, dtype=torch.bool)
    assert torch.equal(max_mean_pool(latents[:1], empty), torch.zeros(1, 6))          # no valid token: zeros
    with pytest.raises(ValueError, match="modality.pool"):
        TimeSeriesConfig(pool="max")
