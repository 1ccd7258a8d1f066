"""What a run records about itself: EMA initialisation share, hyperparameters, shared tokenizer."""

import json
import math

import torch

from jepa_domains.core.schedules import schedule_init_weight
from jepa_domains.eval.embed import load_run, random_encoder
from jepa_domains.train import checkpoint as ckpt
from jepa_domains.train.trainer import Trainer, flatten_hparams
from tests.train.test_trainer import ts_config


def test_run_json_has_target_init_weight_and_flat_hparams(tmp_path):
    cfg = ts_config("train.steps=4", "objective.ema_horizon=0.5", "train.probe_every=0")
    Trainer(cfg, run_dir=tmp_path / "r").fit()
    summary = json.loads((tmp_path / "r" / "run.json").read_text())
    # horizon 0.5 of 4 steps: tau = 2, momenta 0.5 -> 1.0 linearly
    assert summary["target_init_weight"] == schedule_init_weight(4, total=4, start=0.0, end=1.0, horizon=0.5)
    assert math.isclose(summary["target_init_weight"], 0.5 * 0.625 * 0.75 * 0.875)
    hp = summary["hparams"]
    assert hp["objective.ema_horizon"] == 0.5 and hp["train.steps"] == 4 and hp["modality_name"] == "timeseries"
    assert hp["objective.share_tokenizer"] is False and not any(isinstance(v, dict) for v in hp.values())
    events = list((tmp_path / "r" / "tensorboard").glob("events.out.tfevents.*"))
    assert events and any(b"_hparams_/session_start_info" in e.read_bytes() for e in events)


def test_flatten_hparams():
    assert flatten_hparams({"a": {"b": 1, "c": (2, 3)}, "d": None}) == {"a.b": 1, "a.c": [2, 3], "d": None}


def test_shared_tokenizer_run_checkpoint_resume_and_eval_load(tmp_path):
    cfg = ("objective.share_tokenizer=true", "train.probe_every=0")
    Trainer(ts_config(*cfg, "train.steps=5"), run_dir=tmp_path / "full").fit()
    Trainer(ts_config(*cfg, "train.steps=5"), run_dir=tmp_path / "cut").fit(stop_at=2)
    Trainer(None, resume=tmp_path / "cut").fit()
    full, resumed = ckpt.load(tmp_path / "full")["model"], ckpt.load(tmp_path / "cut")["model"]
    assert all(torch.equal(full[k], resumed[k]) for k in full)             # resume stays bit-for-bit
    tokenizer = [k for k in full if k.startswith("encoder.tokenizer.")]
    transformer = [k for k in full if k.startswith("encoder.transformer.") and k.endswith("weight")]
    assert tokenizer and all(torch.equal(full[k], full["target_" + k]) for k in tokenizer)
    assert any(not torch.equal(full[k], full["target_" + k]) for k in transformer)
    loaded = load_run(tmp_path / "full")                                     # evaluation loads target_encoder.*
    assert torch.equal(loaded.encoder.state_dict()[tokenizer[0][len("encoder."):]], full[tokenizer[0]])


def test_checkpoints_from_before_the_new_keys_resume_bit_for_bit(tmp_path):
    Trainer(ts_config("train.steps=4"), run_dir=tmp_path / "full").fit()
    Trainer(ts_config("train.steps=4"), run_dir=tmp_path / "old").fit(stop_at=2)
    path = tmp_path / "old" / "checkpoints" / "last.pt"
    state = torch.load(path, weights_only=True)
    for section, key in (("objective", "ema_horizon"), ("objective", "share_tokenizer"),
                         ("train", "probe_every"), ("train", "probe_samples")):
        del state["config"][section][key]                                    # a config written before them
    ckpt.save_atomic(state, path)
    Trainer(None, resume=tmp_path / "old").fit()
    full, resumed = ckpt.load(tmp_path / "full")["model"], ckpt.load(tmp_path / "old")["model"]
    assert all(torch.equal(full[k], resumed[k]) for k in full)


def test_frozen_tokenizer_run_resumes_and_keeps_the_random_init_tokenizer(tmp_path):
    frozen = ("objective.freeze_tokenizer=true", "train.probe_every=0", "train.steps=5")
    Trainer(ts_config(*frozen), run_dir=tmp_path / "r").fit()
    Trainer(ts_config(*frozen), run_dir=tmp_path / "cut").fit(stop_at=2)
    Trainer(None, resume=tmp_path / "cut").fit()
    full, resumed = ckpt.load(tmp_path / "r")["model"], ckpt.load(tmp_path / "cut")["model"]
    assert all(torch.equal(full[k], resumed[k]) for k in full)             # resume stays bit-for-bit
    loaded = load_run(tmp_path / "r", which="context")
    twin = random_encoder(loaded.cfg, loaded.adapter, loaded.options)
    trained, initial = loaded.encoder.state_dict(), twin.state_dict()
    tokenizer = [k for k in trained if k.startswith("tokenizer.")]
    assert tokenizer and all(torch.equal(trained[k], initial[k]) for k in tokenizer)
    assert any(not torch.equal(trained[k], initial[k]) for k in trained if k.startswith("transformer."))
    summary = json.loads((tmp_path / "r" / "run.json").read_text())
    assert summary["hparams"]["objective.freeze_tokenizer"] is True
