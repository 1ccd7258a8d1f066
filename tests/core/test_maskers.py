"""Masker properties: disjoint context/targets, bounds, padding never chosen, determinism."""

import pytest
import torch

from jepa_domains.core import CurriculumMasker, GroupMasker, Layout, MultiBlockMasker, RandomMasker, SpanMasker


def gens(n, seed=0):
    return [torch.Generator().manual_seed(seed * 1000 + i) for i in range(n)]


def rows(plan):
    """Per row: (context set, list of target sets) without padding."""
    out = []
    for r in range(plan.context.shape[0]):
        ctx = set(plan.context[r][~plan.context_pad[r]].tolist())
        tgts = [set(plan.targets[r, m][~plan.target_pad[r, m]].tolist()) for m in range(plan.targets.shape[1])]
        out.append((ctx, tgts))
    return out


def test_random_masker_ratio_disjoint_and_valid_only():
    valid = torch.tensor([20, 7, 13, 2])
    plan = RandomMasker(ratio=(0.5, 0.7))(Layout((20,), valid=valid), gens(4))
    for (ctx, (tgt,)), v in zip(rows(plan), valid.tolist()):
        assert ctx and tgt and not ctx & tgt
        assert ctx | tgt == set(range(v))                    # every valid token used, no padding
        if v >= 10:
            assert 0.5 * v - 1 <= len(tgt) <= 0.7 * v + 1


def test_span_masker_point_jepa_bounds():
    masker = SpanMasker(num_targets=4, target_ratio=(0.15, 0.2), context_ratio=(0.4, 0.75), context_mode="contiguous")
    plan = masker(Layout((64,), valid=torch.full((32,), 64)), gens(32))
    for ctx, tgts in rows(plan):
        assert len(tgts) == 4
        covered = set().union(*tgts)
        for t in tgts:
            assert round(0.15 * 64) <= len(t) <= round(0.2 * 64)
            assert max(t) - min(t) + 1 == len(t)            # contiguous run
        assert not ctx & covered
        rest = sorted(set(range(64)) - covered)
        assert 0.4 * len(rest) - 1 <= len(ctx) <= 0.75 * len(rest) + 1
        positions = [rest.index(i) for i in sorted(ctx)]
        assert positions == list(range(positions[0], positions[0] + len(positions)))  # contiguous in rest


def test_span_masker_t_jepa_choices_and_scatter():
    masker = SpanMasker(num_targets=3, target_ratio_choices=(0.2, 0.3, 0.4), contiguous_prob=0.0,
                        context_ratio=(0.85, 1.0), context_mode="random")
    plan = masker(Layout((50,), valid=torch.full((64,), 50)), gens(64))
    sizes, scattered = set(), 0
    for ctx, tgts in rows(plan):
        covered = set().union(*tgts)
        assert not ctx & covered
        assert len(ctx) >= 0.85 * (50 - len(covered)) - 1
        for t in tgts:
            sizes.add(len(t))
            scattered += max(t) - min(t) + 1 > len(t)
    assert sizes == {10, 15, 20}
    assert scattered > 100                                   # most of 192 spans are not contiguous


def test_span_masker_future_hides_the_end():
    plan = SpanMasker(num_targets=1, target_ratio=(0.25, 0.25), context_ratio=(1.0, 1.0), future=True)(
        Layout((40,), valid=torch.tensor([40, 20])), gens(2))
    (ctx0, (t0,)), (ctx1, (t1,)) = rows(plan)
    assert t0 == set(range(30, 40)) and ctx0 == set(range(30))
    assert t1 == set(range(15, 20)) and ctx1 == set(range(15))


def test_multiblock_ijepa_semantics():
    masker = MultiBlockMasker()
    height, width = 14, 14
    plan = masker(Layout((height, width), valid=torch.full((32,), height)), gens(32))
    for ctx, tgts in rows(plan):
        assert len(tgts) == 4 and len(ctx) >= 4
        for t in tgts:
            r = [i // width for i in t]
            c = [i % width for i in t]
            h, w = max(r) - min(r) + 1, max(c) - min(c) + 1
            assert h * w == len(t)                           # a full rectangle
            assert 0.15 * 196 * 0.6 <= len(t) <= 0.2 * 196 * 1.5
            assert 0.75 / 1.6 <= h / w <= 1.5 * 1.6
        assert not ctx & set().union(*tgts)


def test_multiblock_stays_in_valid_rows():
    plan = MultiBlockMasker(min_keep=2)(Layout((10, 8), valid=torch.tensor([10, 4, 6])), gens(3))
    for (ctx, tgts), v in zip(rows(plan), [10, 4, 6]):
        assert all(i // 8 < v for i in ctx | set().union(*tgts))


def test_group_masker_never_picks_padding_and_handles_small_rows():
    valid = torch.tensor([8, 3, 2])
    plan = GroupMasker(num_targets=4)(Layout((8,), valid=valid), gens(3))
    r = rows(plan)
    assert len(r[0][0]) == 1 and sum(len(t) for t in r[0][1]) == 4
    assert sum(len(t) for t in r[1][1]) == 2 and sum(len(t) for t in r[2][1]) == 1
    for (ctx, tgts), v in zip(r, valid.tolist()):
        chosen = ctx | set().union(*tgts)
        assert max(chosen) < v and not ctx & set().union(*tgts)
    assert plan.target_pad[2, 1:].all()                      # missing groups are pure padding


@pytest.mark.parametrize("masker,layout", [
    (RandomMasker(), Layout((30,), valid=torch.full((5,), 30))),
    (SpanMasker(), Layout((30,), valid=torch.full((5,), 30))),
    (MultiBlockMasker(), Layout((8, 8), valid=torch.full((5,), 8))),
    (GroupMasker(), Layout((16,), valid=torch.full((5,), 16))),
])
def test_maskers_are_deterministic_under_a_seed(masker, layout):
    a, b, c = masker(layout, gens(5, 1)), masker(layout, gens(5, 1)), masker(layout, gens(5, 2))
    assert torch.equal(a.context, b.context) and torch.equal(a.targets, b.targets)
    assert not (torch.equal(a.context, c.context) and torch.equal(a.targets, c.targets))


def test_curriculum_moves_from_start_to_end():
    start = SpanMasker(num_targets=1, target_ratio=(0.1, 0.1), context_ratio=(1.0, 1.0))
    end = SpanMasker(num_targets=3, target_ratio=(0.1, 0.1), context_ratio=(1.0, 1.0))
    masker = CurriculumMasker(start=start, end=end, ramp=(0.2, 0.8))
    layout = Layout((40,), valid=torch.full((200,), 40))

    def share_end(progress):
        plan = masker(layout, gens(200), progress=progress)
        return (~plan.target_pad[:, 1:].all(-1).all(-1)).float().mean().item() if plan.targets.shape[1] > 1 else 0.0

    assert share_end(0.1) == 0.0 and share_end(0.9) == 1.0
    assert 0.3 < share_end(0.5) < 0.7
    assert masker.end_probability(0.5) == pytest.approx(0.5)


def test_invalid_arguments_name_the_value():
    with pytest.raises(ValueError, match="ratio"):
        RandomMasker(ratio=(0.5, 1.0))
    with pytest.raises(ValueError, match="context_mode"):
        SpanMasker(context_mode="middle")
    with pytest.raises(ValueError, match="2-D"):
        MultiBlockMasker()(Layout((10,), valid=torch.tensor([10])), gens(1))
