"""No context patch shares a time step with a target patch (overlapping patches, every masker)."""

import pytest
import torch

from jepa_domains.core import Layout, RandomMasker, SpanMasker
from jepa_domains.modalities.timeseries.adapter import TimeSeriesAdapter, TimeSeriesConfig
from jepa_domains.modalities.timeseries.masking import NoOverlapMasker, overlap_reach, patch_steps
from jepa_domains.modalities.timeseries.tokenizer import num_patches


def leaks(plan, row: int, patch_len: int, stride: int) -> int:
    """Number of (context, target) patch pairs of ``row`` that share a time step."""
    context = plan.context[row][~plan.context_pad[row]].tolist()
    targets = plan.targets[row][~plan.target_pad[row]].tolist()
    seen = set()
    for t in targets:
        seen |= set(patch_steps(t, patch_len, stride))
    return sum(bool(seen & set(patch_steps(c, patch_len, stride))) for c in context)


@pytest.mark.parametrize("patch_len,stride", [(16, 8), (16, 4), (12, 5)])
@pytest.mark.parametrize("mask", ["random", "span", "future"])
def test_no_context_patch_shares_a_step_with_a_target(patch_len, stride, mask):
    cfg = TimeSeriesConfig(patch_len=patch_len, stride=stride, mask=mask, mask_ratio=(0.3, 0.5), max_length=512)
    masker = TimeSeriesAdapter().build_masker(cfg)
    assert isinstance(masker, NoOverlapMasker)
    lengths = [336, 200, 96, 64]
    n = num_patches(max(lengths), patch_len, stride)
    valid = torch.tensor([num_patches(length, patch_len, stride) for length in lengths] * 8)
    gens = [torch.Generator().manual_seed(i) for i in range(len(valid))]
    plan = masker(Layout((n,), valid=valid), gens)
    for r in range(len(valid)):
        assert leaks(plan, r, patch_len, stride) == 0
        ctx = plan.context[r][~plan.context_pad[r]]
        tgt = plan.targets[r][~plan.target_pad[r]]
        assert ctx.numel() >= 1 and tgt.numel() >= 1
        assert int(ctx.max()) < int(valid[r]) and int(tgt.max()) < int(valid[r])


def test_the_unwrapped_masker_leaks_and_non_overlapping_patches_need_no_wrapper():
    """Control: the former behaviour (mask_overlap='allow') has leaks, so the test above can fail."""
    cfg = TimeSeriesConfig(patch_len=16, stride=8, mask_overlap="allow")
    masker = TimeSeriesAdapter().build_masker(cfg)
    assert isinstance(masker, RandomMasker)
    plan = masker(Layout((41,), valid=torch.full((4,), 41)), [torch.Generator().manual_seed(i) for i in range(4)])
    assert all(leaks(plan, r, 16, 8) > 0 for r in range(4))
    # the default (PatchTST's 16 / 8) overlaps, so it is wrapped; non-overlapping needs no wrapper
    assert isinstance(TimeSeriesAdapter().build_masker(TimeSeriesConfig()), NoOverlapMasker)
    flat = TimeSeriesConfig(patch_len=16, stride=16)
    assert overlap_reach(16, 16) == 0 and isinstance(TimeSeriesAdapter().build_masker(flat), RandomMasker)
    assert overlap_reach(16, 8) == 1 and overlap_reach(16, 5) == 3


def test_crowded_rows_keep_one_clean_context_patch():
    """When the inner plan leaves no clean context, one context patch is kept and the target
    patches overlapping it leave the targets."""
    inner = SpanMasker(num_targets=1, target_ratio=(0.8, 0.8), context_ratio=(1.0, 1.0))
    masker = NoOverlapMasker(inner, patch_len=16, stride=8)
    plan = masker(Layout((10,), valid=torch.full((16,), 10)), [torch.Generator().manual_seed(i) for i in range(16)])
    for r in range(16):
        assert leaks(plan, r, 16, 8) == 0
        assert (~plan.context_pad[r]).sum() >= 1 and (~plan.target_pad[r]).sum() >= 1
    with pytest.raises(ValueError, match="cannot hold a context"):
        NoOverlapMasker(inner, patch_len=16, stride=4)(Layout((3,), valid=torch.full((1,), 3)),
                                                         [torch.Generator().manual_seed(0)])
    with pytest.raises(ValueError, match="mask_overlap"):
        TimeSeriesConfig(mask_overlap="sometimes")
