"""Audio tokenizer shapes/positions and the maskers' properties on the time x frequency grid."""

from __future__ import annotations

import pytest
import torch

from jepa_domains.core import CurriculumMasker, Layout, MultiBlockMasker, sincos_2d
from jepa_domains.data.audio_io import AudioClip
from jepa_domains.data.audio_synthetic import synthetic_clips
from jepa_domains.modalities.audio import AudioConfig, RandomBlockMasker, TimeFrequencyMasker
from jepa_domains.modalities.audio.collate import collate_clips
from jepa_domains.modalities.audio.maskers import build_audio_masker
from jepa_domains.registry import get_modality

GRID = (6, 8)


def gens(n: int, seed: int = 0) -> list[torch.Generator]:
    return [torch.Generator().manual_seed(seed * 1000 + i) for i in range(n)]


def _batch(cfg: AudioConfig, n: int = 3):
    return collate_clips(cfg, synthetic_clips(n), gens(n))


@pytest.mark.parametrize("patch_freq, grid", [(16, (6, 8)), (128, (6, 1))])
def test_tokenizer_shapes_positions_and_padding(patch_freq, grid):
    cfg = AudioConfig(norm_mean=-3.0, norm_std=4.0, patch_freq=patch_freq)
    batch = _batch(cfg)
    tokens = get_modality("audio").build_tokenizer(cfg, 32)(batch)
    n = grid[0] * grid[1]
    assert tokens.x.shape == tokens.pos.shape == (3, n, 32)
    torch.testing.assert_close(tokens.pos[1], sincos_2d(*grid, 32))
    # token t*F+f is time patch t: padded time patches are padded across all frequencies
    valid = batch.layout.valid
    expected = (torch.arange(grid[0]).unsqueeze(0) >= valid.unsqueeze(1)).repeat_interleave(grid[1], 1)
    assert torch.equal(tokens.pad, expected)


def test_tokenizer_patch_is_a_conv_of_its_time_frequency_cell():
    cfg = AudioConfig(norm_mean=-3.0, norm_std=4.0, feature_path="collate")
    batch = _batch(cfg, 1)
    tok = get_modality("audio").build_tokenizer(cfg, 32)
    x = tok(batch).x
    t, f = 2, 5  # token 2*8+5 sees frames 32..47, mel bins 80..95
    cell = batch.features[0, 0, 32:48, 80:96]
    ref = (tok.proj.weight[:, 0] * cell).sum((1, 2)) + tok.proj.bias
    torch.testing.assert_close(x[0, t * 8 + f], ref, atol=1e-5, rtol=1e-5)


def test_tokenizer_rejects_width_not_divisible_by_four():
    with pytest.raises(ValueError, match="divisible by 4"):
        get_modality("audio").build_tokenizer(AudioConfig(norm_mean=0.0, norm_std=1.0), 30)


def _cells(index: torch.Tensor, width: int) -> set[tuple[int, int]]:
    return {(int(i) // width, int(i) % width) for i in index}


def test_time_frequency_masker_strips_and_bands():
    masker = TimeFrequencyMasker(num_time_strips=1, num_freq_bands=1)
    for seed in range(30):
        extent = 2 + seed % 5
        context, (strip, band) = masker.sample_row(GRID, extent, torch.Generator().manual_seed(seed), 0.0)
        strip_cells, band_cells = _cells(strip, 8), _cells(band, 8)
        strip_t = {t for t, _ in strip_cells}
        band_f = {f for _, f in band_cells}
        assert strip_cells == {(t, f) for t in strip_t for f in range(8)}          # all frequencies
        assert band_cells == {(t, f) for t in range(extent) for f in band_f}      # all valid time
        assert max(strip_t) - min(strip_t) + 1 == len(strip_t) < extent           # contiguous, partial
        assert max(band_f) - min(band_f) + 1 == len(band_f) < 8
        ctx = _cells(context, 8)
        assert ctx and not ctx & (strip_cells | band_cells)
        assert ctx | strip_cells | band_cells == {(t, f) for t in range(extent) for f in range(8)}


def test_time_frequency_masker_degenerate_grids():
    masker = TimeFrequencyMasker()
    context, targets = masker.sample_row((6, 1), 6, torch.Generator().manual_seed(0), 0.0)  # frame-level
    assert context.numel() >= 1 and all(t.numel() for t in targets)
    context, targets = masker.sample_row(GRID, 1, torch.Generator().manual_seed(0), 0.0)   # one time patch
    assert context.numel() >= 1 and all(int(i) < 8 for t in targets for i in t)


def test_random_block_masker_hides_40_to_60_percent_of_valid_patches():
    masker = RandomBlockMasker(ratio=(0.4, 0.6))
    for seed in range(30):
        extent = 1 + seed % 6
        context, (target,) = masker.sample_row(GRID, extent, torch.Generator().manual_seed(seed), 0.0)
        n = extent * 8
        assert 0.4 * n - 1 <= target.numel() <= 0.6 * n + 1
        assert context.numel() + target.numel() == n and int(torch.cat([context, target]).max()) < n
        assert not set(context.tolist()) & set(target.tolist())


def test_multiblock_masker_stays_in_valid_time_patches():
    cfg = AudioConfig(masker="multiblock")
    masker = build_audio_masker(cfg)
    assert isinstance(masker, MultiBlockMasker)
    layout = Layout(GRID, valid=torch.tensor([2, 6, 4]))
    plan = masker(layout, gens(3))
    for r, extent in enumerate([2, 6, 4]):
        used = torch.cat([plan.context[r][~plan.context_pad[r]], plan.targets[r][~plan.target_pad[r]]])
        assert int(used.max()) < extent * 8


def test_curriculum_moves_from_random_blocks_to_time_frequency_masks():
    masker = build_audio_masker(AudioConfig(curriculum_ramp=(0.2, 0.6)))
    assert isinstance(masker, CurriculumMasker)
    assert isinstance(masker.start, RandomBlockMasker) and isinstance(masker.end, TimeFrequencyMasker)
    layout = Layout(GRID, valid=torch.full((200,), 6))

    def structured_share(progress: float) -> float:
        # random-block rows have one target group, time-frequency rows four (2 strips + 2 bands)
        plan = masker(layout, gens(200, seed=int(progress * 10)), progress=progress)
        return float(((~plan.target_pad).any(-1).sum(1) > 1).float().mean())

    assert [masker.end_probability(p) for p in (0.0, 0.2, 0.4, 0.6, 1.0)] == pytest.approx([0, 0, 0.5, 1, 1])
    assert structured_share(0.1) == 0.0
    assert 0.35 < structured_share(0.4) < 0.65
    assert structured_share(0.9) == 1.0


def test_masks_are_reproducible_from_generators():
    masker = build_audio_masker(AudioConfig())
    layout = Layout(GRID, valid=torch.tensor([3, 6]))
    a, b = masker(layout, gens(2), 0.5), masker(layout, gens(2), 0.5)
    assert torch.equal(a.context, b.context) and torch.equal(a.targets, b.targets)


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="patch_freq=24"):
        AudioConfig(patch_freq=24)
    with pytest.raises(ValueError, match="masker"):
        AudioConfig(masker="spiral")
    with pytest.raises(ValueError, match="fewer than one patch"):
        AudioConfig(clip_seconds=0.1)


def test_collate_rejects_wrong_sample_rate_by_id():
    clip = AudioClip(wave=synthetic_clips(1)[0].wave, sample_rate=8000, id="odd-rate")
    with pytest.raises(ValueError, match="odd-rate: sample rate 8000"):
        collate_clips(AudioConfig(norm_mean=0.0, norm_std=1.0), [clip], None)


def _indexed_grid(time: int, valid: list[int]):
    """Two clips on a ``(time, 2)`` patch grid with ``valid`` time patches each: ``(batch,
    latents [2, time * 2, 1] where token t*F+f holds its index, pad [2, time * 2])``."""
    import torch

    from jepa_domains.core import Layout
    from jepa_domains.modalities.audio.collate import AudioBatch

    layout = Layout((time, 2), valid=torch.tensor(valid))
    latents = torch.arange(2 * time * 2, dtype=torch.float32).view(2, time * 2, 1)
    return AudioBatch(layout=layout, ids=["a", "b"]), latents, layout.padding_mask(2)


def test_time_pooling_keeps_frequency_rows_and_ignores_padding():
    from jepa_domains.modalities.audio import AudioAdapter, AudioConfig

    adapter = AudioAdapter()
    batch, latents, pad = _indexed_grid(3, [2, 3])
    latents[0, 4:] = 1e6                                                    # padding must not leak
    out = adapter.pool(AudioConfig(pool="time"), latents, pad, batch)
    assert out.tolist() == [[1.0, 2.0], [8.0, 9.0]]                       # per frequency row, mean over time
    assert adapter.pool(AudioConfig(pool="all"), latents, pad, batch).shape == (2, 1)


def test_segment_pooling_keeps_the_order_of_events_per_frequency_row():
    import torch

    from jepa_domains.modalities.audio import AudioAdapter, AudioConfig

    adapter = AudioAdapter()
    batch, latents, pad = _indexed_grid(4, [4, 2])
    latents[1, 4:] = 1e6                                                    # padding must not leak
    seg = adapter.pool(AudioConfig(pool="segments", pool_segments=2), latents, pad, batch)
    # [B, F * K * D]: row f=0 parts (t 0-1, t 2-3), then row f=1; clip b has 2 valid time patches
    assert seg.tolist() == [[1.0, 5.0, 2.0, 6.0], [8.0, 10.0, 9.0, 11.0]]
    # reversing time changes the segments but not the time mean
    full, clean, fpad = _indexed_grid(4, [4, 4])
    flipped = clean.view(2, 4, 2, 1).flip(1).reshape(2, 8, 1)
    for pool, same in (("time", True), ("segments", False)):
        a = adapter.pool(AudioConfig(pool=pool), clean, fpad, full)
        b = adapter.pool(AudioConfig(pool=pool), flipped, fpad, full)
        assert torch.allclose(a, b) is same, pool
    with pytest.raises(ValueError, match="pool_segments"):
        AudioConfig(pool="segments", pool_segments=0)


def test_clip_norm_centres_each_clip_per_bin_and_keeps_padding_zero():
    from jepa_domains.modalities.audio.tokenizer import centre_per_clip

    spec = torch.randn(3, 1, 20, 8) + torch.arange(8.0)          # per-bin offsets to remove
    frames = torch.tensor([20, 7, 1])
    spec[1, :, 7:] = 0.0
    spec[2, :, 1:] = 0.0
    out = centre_per_clip(spec, frames)
    assert torch.allclose(out[0, 0].mean(0), torch.zeros(8), atol=1e-5)
    assert torch.allclose(out[1, 0, :7].mean(0), torch.zeros(8), atol=1e-5) and not out[1, 0, 7:].any()
    assert not out[2].any()                                        # one frame: centred to zero
    torch.testing.assert_close(centre_per_clip(out, frames), out, rtol=0, atol=1e-5)   # idempotent
    # the tokenizer applies it only when asked, on both feature paths
    from jepa_domains.modalities.audio.tokenizer import SpectrogramPatchTokenizer

    clips = synthetic_clips(2)
    for path in ("device", "collate"):
        plain = AudioConfig(norm_mean=0.0, norm_std=1.0, feature_path=path)
        centred = AudioConfig(norm_mean=0.0, norm_std=1.0, feature_path=path, clip_norm=True)
        batch = collate_clips(plain, clips, None)
        a = SpectrogramPatchTokenizer(cfg=plain, dim=32).spectrogram(batch)
        b = SpectrogramPatchTokenizer(cfg=centred, dim=32).spectrogram(batch)
        torch.testing.assert_close(b, centre_per_clip(a, batch.num_frames))
