"""The encoder's readout of its last K representations (``model.readout_layers``,
``eval --option layers=K``): what it concatenates, that pretraining ignores it, and that a
loaded run and its random-init twin read the same K."""

import pytest
import torch

from jepa_domains.core import JEPA, Encoder, Predictor, RandomMasker
from jepa_domains.core.transformer import Transformer
from jepa_domains.eval.embed import load_runs, random_encoder

from tests.core.test_model import VecTokenizer, make_batch


def test_transformer_concatenates_the_last_k_representations_shallowest_first():
    torch.manual_seed(0)
    model = Transformer(dim=8, depth=3, num_heads=2).eval()
    x = torch.randn(2, 5, 8)
    pad = torch.zeros(2, 5, dtype=torch.bool)
    pad[1, 3:] = True
    last = model(x, pad)
    hidden = [x]
    for block in model.blocks:
        hidden.append(block(hidden[-1], pad))
    for k in (2, 3, 4):
        out = model(x, pad, layers=k)
        assert out.shape == (2, 5, 8 * k)
        torch.testing.assert_close(out[..., -8:], last, rtol=0, atol=0)       # layers=1 is the last D columns
        expected = torch.cat([model.norm(h) for h in hidden[-k:]], dim=-1)  # each through the final norm
        torch.testing.assert_close(out, expected)
    # K = depth + 1 starts with the (normed) input itself
    torch.testing.assert_close(model(x, pad, layers=4)[..., :8], model.norm(x))
    for bad in (0, 5):
        with pytest.raises(ValueError, match=r"layers must lie in \[1, depth \+ 1 = 4\]"):
            model(x, pad, layers=bad)


def test_readout_changes_the_embedding_width_but_not_pretraining():
    batch = make_batch(valid=torch.tensor([12, 9, 5, 12]))
    plan = RandomMasker(ratio=(0.4, 0.6), num_targets=2)(batch.layout, [torch.Generator().manual_seed(i) for i in range(4)])
    losses, widths = [], []
    for k in (1, 3):
        torch.manual_seed(0)
        enc = Encoder(VecTokenizer(16), dim=16, depth=2, num_heads=2, readout_layers=k)
        model = JEPA(encoder=enc, predictor=Predictor(dim=16, pred_dim=8, depth=1, num_heads=2))
        losses.append(model(batch, plan).loss.item())
        widths.append(enc(batch)[0].shape[-1])
    assert losses[0] == losses[1]              # the JEPA objective always reads the last block
    assert widths == [16, 48]
    with pytest.raises(ValueError, match="readout_layers must lie in"):
        Encoder(VecTokenizer(16), dim=16, depth=2, num_heads=2, readout_layers=4)


def test_load_runs_sets_the_readout_for_the_run_and_its_random_init_twin(trained_timeseries_run):
    own = load_runs(trained_timeseries_run, encoder="context")["context"]
    assert own.cfg.model.readout_layers == 1 and own.encoder.readout_layers == 1
    runs = load_runs(trained_timeseries_run, encoder="both", layers=2)      # TINY: depth 1 -> up to 2
    for run in runs.values():
        assert run.cfg.model.readout_layers == 2 and run.encoder.readout_layers == 2
    run = runs["context"]
    assert random_encoder(run.cfg, run.adapter, run.options).readout_layers == 2
    # the trained weights are the same; only the readout widens
    torch.testing.assert_close(run.encoder.state_dict()["transformer.norm.weight"],
                               own.encoder.state_dict()["transformer.norm.weight"])
    with pytest.raises(ValueError, match=r"layers must lie in \[1, depth \+ 1 = 2\] for .*ts_run.*, got 3"):
        load_runs(trained_timeseries_run, layers=3)
