"""freeze_tokenizer: fixed random token features shared by both encoders; only the transformer
and the predictor learn."""

import torch
from torch import nn

from jepa_domains.core import JEPA, Encoder, Predictor
from jepa_domains.core.tokens import Tokens
from tests.core.test_model import VecTokenizer
from tests.core.test_shared_tokenizer import train_steps


class NormedTokenizer(VecTokenizer):
    """VecTokenizer with a batch norm: its running statistics move whenever it runs in train mode."""

    def __init__(self, dim):
        super().__init__(dim)
        self.norm = nn.BatchNorm1d(dim)

    def forward(self, batch):
        tokens = super().forward(batch)
        x = self.norm(tokens.x.flatten(0, 1)).view_as(tokens.x)
        return Tokens(x, tokens.pos, tokens.pad)


def make_model(**kwargs):
    torch.manual_seed(0)
    return JEPA(encoder=Encoder(NormedTokenizer(16), dim=16, depth=1, num_heads=2),
                predictor=Predictor(dim=16, pred_dim=8, depth=1, num_heads=2), **kwargs)


def test_the_tokenizer_keeps_its_initial_weights_and_statistics_while_the_transformer_learns():
    model = make_model(freeze_tokenizer=True).train()
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    train_steps(model)
    state = model.state_dict()
    assert model.share_tokenizer and model.target_encoder.tokenizer is model.encoder.tokenizer
    tokenizer = [k for k in state if k.startswith("encoder.tokenizer.")]
    assert "encoder.tokenizer.norm.running_mean" in tokenizer
    for key in tokenizer:
        assert torch.equal(state[key], initial[key]), key                 # weights and BN statistics
        assert torch.equal(state[key], state["target_" + key]), key
    moved = [k for k in state if k.startswith(("encoder.transformer.", "predictor."))
             and not torch.equal(state[k], initial[k])]
    assert any(k.startswith("encoder.transformer.") for k in moved) and any(k.startswith("predictor.") for k in moved)


def test_only_the_tokenizer_leaves_the_trained_parameters():
    frozen, shared = make_model(freeze_tokenizer=True), make_model(share_tokenizer=True)
    trained = lambda m: sum(p.numel() for p in m.parameters() if p.requires_grad)     # noqa: E731
    tokenizer = sum(p.numel() for p in shared.encoder.tokenizer.parameters())
    assert tokenizer > 0 and trained(frozen) == trained(shared) - tokenizer
    # identical initialisation: the frozen tokenizer is the random-init tokenizer of the same seed
    assert all(torch.equal(a, b) for a, b in zip(frozen.state_dict().values(), shared.state_dict().values()))


def test_without_freezing_the_same_steps_move_the_tokenizer():
    """The control of the first test: train mode does update these statistics and weights."""
    model = make_model(share_tokenizer=True)
    before = {k: v.clone() for k, v in model.encoder.tokenizer.state_dict().items()}
    train_steps(model)
    after = model.encoder.tokenizer.state_dict()
    assert not torch.equal(before["norm.running_mean"], after["norm.running_mean"])
    assert not torch.equal(before["proj.weight"], after["proj.weight"])
