"""share_tokenizer: one gradient-trained tokenizer for both encoders, EMA on the transformer only."""

import torch

from jepa_domains.core import JEPA, Encoder, Predictor, RandomMasker
from tests.core.test_model import VecTokenizer, make_batch


def make_model(share):
    torch.manual_seed(0)
    return JEPA(encoder=Encoder(VecTokenizer(16), dim=16, depth=1, num_heads=2),
                predictor=Predictor(dim=16, pred_dim=8, depth=1, num_heads=2), share_tokenizer=share)


def train_steps(model, steps=3):
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    for step in range(steps):
        batch = make_batch()
        plan = RandomMasker()(batch.layout, [torch.Generator().manual_seed(step * 10 + i) for i in range(4)])
        model(batch, plan).loss.backward()
        opt.step()
        opt.zero_grad()
        model.update_target(0.9)


def test_target_uses_the_online_tokenizer_and_averages_only_the_transformer():
    model = make_model(share=True)
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    train_steps(model)
    state = model.state_dict()
    assert model.target_encoder.tokenizer is model.encoder.tokenizer
    assert model.encoder.tokenizer.proj.weight.requires_grad
    for key in [k for k in state if k.startswith("encoder.tokenizer.")]:
        twin = "target_" + key
        assert torch.equal(state[key], state[twin]), twin                # complete keys, identical values
        assert not torch.equal(state[key], initial[key]), key            # trained by gradient
    moved = [k for k in state if k.startswith("encoder.transformer.") and not torch.equal(state[k], initial[k])]
    assert moved
    for key in moved:
        assert not torch.equal(state[key], state["target_" + key]), key  # the EMA lags behind


def test_ema_is_applied_once_to_the_transformer_and_never_to_the_tokenizer():
    model = make_model(share=True)
    with torch.no_grad():
        for p in model.encoder.transformer.parameters():
            p.add_(1.0)
    target_before = [p.clone() for p in model.target_encoder.transformer.parameters()]
    tok_before = [p.clone() for p in model.encoder.tokenizer.parameters()]
    model.update_target(0.75)
    for t0, t1, o in zip(target_before, model.target_encoder.transformer.parameters(),
                         model.encoder.transformer.parameters()):
        assert torch.allclose(t1, 0.75 * t0 + 0.25 * o)
    assert all(torch.equal(a, b) for a, b in zip(tok_before, model.encoder.tokenizer.parameters()))


def test_state_dict_round_trip_and_the_unshared_default():
    model = make_model(share=True)
    train_steps(model, steps=2)
    twin = make_model(share=True)
    twin.load_state_dict(model.state_dict())
    assert twin.target_encoder.tokenizer is twin.encoder.tokenizer
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), twin.state_dict().values()))
    plain = make_model(share=False)
    assert plain.target_encoder.tokenizer is not plain.encoder.tokenizer
    assert not any(p.requires_grad for p in plain.target_encoder.parameters())
    # the same parameters are trained whether or not the tokenizer is shared
    assert sum(p.numel() for p in plain.parameters() if p.requires_grad) == \
        sum(p.numel() for p in model.parameters() if p.requires_grad)


def test_a_target_view_feeds_the_target_encoder_and_only_it():
    """``batch.target_view``: the context reads the batch, the EMA target the view (T-JEPA's
    perturbed context); a view equal to the batch changes nothing; a grid mismatch is refused."""
    import dataclasses

    import pytest

    from tests.core.test_model import make_batch

    for share in (True, False):
        model = make_model(share=share).eval()
        torch.manual_seed(1)
        clean = make_batch()
        perturbed = dataclasses.replace(clean, x=clean.x + 0.5 * torch.randn_like(clean.x))
        plan = RandomMasker()(clean.layout, [torch.Generator().manual_seed(i) for i in range(4)])
        def pred_and_target(batch):
            pred, target = model(batch, plan, diagnostics=True).watch[:2]
            return pred.detach(), target

        two_view = pred_and_target(dataclasses.replace(perturbed, target_view=clean))
        same = pred_and_target(dataclasses.replace(clean, target_view=clean))
        for a, b in zip(same, pred_and_target(clean)):
            assert torch.allclose(a, b, atol=1e-6)                        # a view equal to the batch: no change
        assert torch.allclose(two_view[1], pred_and_target(clean)[1], atol=1e-6)      # targets: the clean view
        assert torch.allclose(two_view[0], pred_and_target(perturbed)[0], atol=1e-6)  # context: the perturbed one
        assert not torch.allclose(two_view[1], pred_and_target(perturbed)[1], atol=1e-3)
        out = model(dataclasses.replace(perturbed, target_view=clean), plan)
        out.loss.backward()
        assert model.encoder.tokenizer.proj.weight.grad is not None
        assert all(p.grad is None for p in model.target_encoder.transformer.parameters())
        shorter = make_batch(valid=torch.tensor([12, 12, 12, 9]))
        with pytest.raises(ValueError, match="target view tokenizes to a grid"):
            model(dataclasses.replace(clean, target_view=shorter), plan)
