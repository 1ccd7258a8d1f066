"""Shapes through the model, padding honoured, EMA, schedules."""

import math

import pytest
import torch
from torch import nn

from jepa_domains.core import JEPA, Batch, Encoder, Layout, MaskPlan, Predictor, RandomMasker, Tokens, sincos_1d, sincos_2d
from jepa_domains.core.ema import ema_update
from jepa_domains.core.schedules import cosine_ramp, linear_ramp, warmup_cosine
from jepa_domains.core.transformer import Transformer
from dataclasses import dataclass


@dataclass
class VecBatch(Batch):
    x: torch.Tensor = None


class VecTokenizer(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj, self.dim = nn.Linear(3, dim), dim

    def forward(self, batch):
        x = self.proj(batch.x)
        pos = sincos_1d(torch.arange(x.shape[1]), self.dim).expand_as(x)
        return Tokens(x, pos, batch.layout.padding_mask(x.shape[0]))


def make_batch(r=4, n=12, valid=None):
    valid = valid if valid is not None else torch.full((r,), n)
    return VecBatch(layout=Layout((n,), valid=valid), x=torch.randn(r, n, 3))


def test_transformer_ignores_padded_tokens():
    torch.manual_seed(0)
    model = Transformer(dim=16, depth=2, num_heads=2).eval()
    x = torch.randn(2, 6, 16)
    pad = torch.tensor([[False] * 4 + [True] * 2] * 2)
    y1 = model(x, pad)
    x2 = x.clone()
    x2[:, 4:] = 1000.0
    y2 = model(x2, pad)
    assert torch.allclose(y1[:, :4], y2[:, :4], atol=1e-5)


def test_jepa_shapes_loss_and_grad_flow():
    torch.manual_seed(0)
    enc = Encoder(VecTokenizer(32), dim=32, depth=2, num_heads=4)
    model = JEPA(encoder=enc, predictor=Predictor(dim=32, pred_dim=16, depth=1, num_heads=2))
    batch = make_batch(valid=torch.tensor([12, 9, 5, 12]))
    plan = RandomMasker(ratio=(0.4, 0.6), num_targets=2)(batch.layout, [torch.Generator().manual_seed(i) for i in range(4)])
    out = model(batch, plan, diagnostics=True)
    assert out.loss.ndim == 0 and torch.isfinite(out.loss)
    assert {"loss", "loss_pred"} <= set(out.logs) and out.watch is not None
    # diagnostics run only when asked, after the caller has checked the loss
    assert {"target_std", "pred_std", "effective_rank"} <= set(model.diagnostics(*out.watch))
    out.loss.backward()
    assert all(p.grad is not None for p in model.encoder.parameters())
    assert all(p.grad is None for p in model.target_encoder.parameters())
    latents, pad = enc(batch)
    assert latents.shape == (4, 12, 32) and pad[2, 5:].all() and not pad[2, :5].any()


def test_predictor_output_shape():
    pred = Predictor(dim=32, pred_dim=16, depth=1, num_heads=2)
    out = pred(torch.randn(3, 5, 32), torch.randn(3, 5, 32), torch.zeros(3, 5, dtype=torch.bool),
               torch.randn(3, 4, 6, 32), torch.zeros(3, 4, 6, dtype=torch.bool))
    assert out.shape == (3, 4, 6, 32)


def test_ema_update_is_a_lerp():
    a, b = nn.Linear(3, 3), nn.Linear(3, 3)
    before = a.weight.detach().clone()
    ema_update(a, b, momentum=0.9)
    assert torch.allclose(a.weight, 0.9 * before + 0.1 * b.weight)
    ema_update(a, b, momentum=1.0)
    assert torch.allclose(a.weight, 0.9 * before + 0.1 * b.weight)


def test_schedules():
    assert warmup_cosine(0, total=100, warmup=10, peak=1.0) == 0.0
    assert warmup_cosine(10, total=100, warmup=10, peak=1.0) == pytest.approx(1.0)
    assert warmup_cosine(100, total=100, warmup=10, peak=1.0, final=0.1) == pytest.approx(0.1)
    assert warmup_cosine(55, total=100, warmup=10, peak=1.0) == pytest.approx(0.5)
    assert cosine_ramp(0, total=10, start=0.04, end=0.4) == pytest.approx(0.04)
    assert cosine_ramp(10, total=10, start=0.04, end=0.4) == pytest.approx(0.4)
    assert linear_ramp(5, total=10, start=0.996, end=1.0) == pytest.approx(0.998)


def test_sincos_2d_rows_and_columns():
    pe = sincos_2d(3, 4, 16)
    assert pe.shape == (12, 16)
    assert torch.allclose(pe[0, :8], pe[1, :8]) and not torch.allclose(pe[0, 8:], pe[1, 8:])   # same row
    assert torch.allclose(pe[0, 8:], pe[4, 8:]) and not torch.allclose(pe[0, :8], pe[4, :8])   # same column
    assert math.isclose(float(pe.abs().max()), 1.0, abs_tol=1e-6)


def test_maskplan_requires_context():
    with pytest.raises(ValueError, match="context"):
        MaskPlan(context=torch.zeros(1, 2, dtype=torch.long), targets=torch.zeros(1, 1, 1, dtype=torch.long),
                 context_pad=torch.ones(1, 2, dtype=torch.bool))


def test_layout_validation():
    with pytest.raises(ValueError, match="valid"):
        Layout((5,), valid=torch.tensor([6]))
    assert Layout((3, 2), valid=torch.tensor([1])).padding_mask(1).tolist() == [[False, False, True, True, True, True]]


def test_parameter_free_preprocessing_runs_once_per_step():
    import dataclasses as dc

    @dataclass
    class PrepBatch(Batch):
        x: torch.Tensor = None
        prepared: torch.Tensor = None

    class PrepTokenizer(VecTokenizer):
        calls = 0

        def prepare(self, batch):
            if batch.prepared is not None:
                return batch
            PrepTokenizer.calls += 1
            return dc.replace(batch, prepared=batch.x * 2)

        def forward(self, batch):
            batch = self.prepare(batch)
            return super().forward(dc.replace(batch, x=batch.prepared))

    torch.manual_seed(0)
    model = JEPA(encoder=Encoder(PrepTokenizer(16), dim=16, depth=1, num_heads=2),
                 predictor=Predictor(dim=16, pred_dim=8, depth=1, num_heads=2))
    batch = PrepBatch(layout=Layout((6,), valid=torch.full((2,), 6)), x=torch.randn(2, 6, 3))
    plan = RandomMasker()(batch.layout, [torch.Generator().manual_seed(i) for i in range(2)])
    model(batch, plan)
    assert PrepTokenizer.calls == 1          # shared by the online and the EMA tokenizer
