"""Config layers, overrides, files and the errors users see."""

import pytest

from jepa_domains.train.config import ConfigError, parse_override, resolve, save_yaml


def test_precedence_defaults_quick_file_set(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("model:\n  depth: 5\n  dim: 96\noptim:\n  lr: 0.01\n")
    cfg = resolve("timeseries", defaults={"model.depth": 3, "train.steps": 7}, quick={"model.depth": 2, "model.dim": 48},
                  file=path, overrides=["model.dim=128", "modality.patch_len=8"])
    assert cfg.model.depth == 5            # file beats quick and defaults
    assert cfg.model.dim == 128            # --set beats file
    assert cfg.train.steps == 7            # untouched default layer survives
    assert cfg.optim.lr == 0.01
    assert cfg.modality == {"patch_len": 8}


def test_toml_file_and_types(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('[objective]\nregularizer = "sigreg"\n[data]\nsource = "GunPoint"\n')
    cfg = resolve("timeseries", file=path, overrides=["train.nonfinite=skip", "data.skip_bad=true"])
    assert cfg.objective.regularizer == "sigreg" and cfg.data.source == "GunPoint"
    assert cfg.data.skip_bad is True and cfg.train.nonfinite == "skip"


def test_errors_name_the_key():
    with pytest.raises(ConfigError, match="depht"):
        resolve("timeseries", overrides=["model.depht=3"])
    with pytest.raises(ConfigError, match="model.depth"):
        resolve("timeseries", overrides=["model.depth=three"])
    with pytest.raises(ConfigError, match="key.path=value"):
        parse_override("model.depth")


def test_saved_config_roundtrips(tmp_path):
    import yaml

    cfg = resolve("timeseries", overrides=["modality.mask_ratio=[0.4, 0.6]"])
    save_yaml(cfg, tmp_path / "c.yaml")
    again = resolve("timeseries", file=tmp_path / "c.yaml")
    assert again == cfg
    assert yaml.safe_load((tmp_path / "c.yaml").read_text())["modality"]["mask_ratio"] == [0.4, 0.6]


def test_new_objective_and_probe_keys_are_validated():
    cfg = resolve("timeseries")
    assert cfg.objective.ema_horizon == 0.0 and cfg.objective.share_tokenizer is False
    assert cfg.train.probe_every is None and cfg.train.probe_samples == 256
    assert resolve("timeseries", overrides=["train.probe_every=null"]).train.probe_every is None
    for bad, key in (("objective.ema_horizon=-0.1", "ema_horizon"), ("objective.ema_start=1.5", "ema_start"),
                     ("objective.ema_end=-1", "ema_end"), ("train.probe_every=-1", "probe_every")):
        with pytest.raises(ConfigError, match=key):
            resolve("timeseries", overrides=[bad])
