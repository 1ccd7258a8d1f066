"""Shipped recipes: named run configs found by ``--config NAME``, listed, used by the bench suite."""

import pytest
import yaml

from jepa_domains.benchmarks.harness import store
from jepa_domains.benchmarks.harness.runner import entry_config
from jepa_domains.benchmarks.harness.schema import SuiteError, load_suite, parse_suite
from jepa_domains.recipes import RECIPES_DIR, config_file, list_recipes
from jepa_domains.registry import get_modality, list_modalities
from jepa_domains.train.config import ConfigError, resolve

SHIPPED = [(m, r) for m in list_modalities() for r in list_recipes(m)]


def test_recipes_are_shipped():
    assert ("graph", "graph-jepa") in SHIPPED


@pytest.mark.parametrize(("modality", "name"), SHIPPED)
def test_every_shipped_recipe_resolves_with_a_description(modality, name):
    adapter = get_modality(modality)
    cfg = resolve(modality, defaults=adapter.run_defaults, file=name)
    assert list_recipes(modality)[name], f"{modality}/{name}.yaml needs a '# description' first line"
    data = yaml.safe_load((RECIPES_DIR / modality / f"{name}.yaml").read_text())
    # every key of the file reached the resolved config (nothing silently dropped)
    tree = {"model": cfg.model, "objective": cfg.objective, "optim": cfg.optim, "data": cfg.data, "train": cfg.train}
    for key, value in data.items():
        section, field = key.split(".", 1)
        got = cfg.modality[field] if section == "modality" else getattr(tree[section], field)
        assert got == value, key
    adapter.Config(**cfg.modality)  # the adapter accepts its options


def test_recipe_layers_sit_between_quick_and_set(tmp_path):
    cfg = resolve("graph", quick={"train.steps": 7, "model.depth": 1}, file="graph-jepa",
                  settings={"model.dim": 64}, overrides=["train.steps=3"])
    assert (cfg.model.depth, cfg.model.dim, cfg.train.steps) == (4, 64, 3)


def test_config_files_take_dotted_and_nested_keys(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("train.steps: 11\nmodel:\n  depth: 2\noptim: {lr: 0.01}\nmodality.num_patches: 5\n")
    cfg = resolve("graph", file=path)
    assert (cfg.train.steps, cfg.model.depth, cfg.optim.lr, cfg.modality["num_patches"]) == (11, 2, 0.01, 5)


def test_unknown_recipe_and_missing_file_are_one_line_errors(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match=r"no graph recipe of that name \(recipes: .*graph-jepa"):
        resolve("graph", file="nope")
    with pytest.raises(ConfigError, match="config file not found: .*missing.yaml"):
        config_file("graph", tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="config file not found: sub/c"):
        config_file("graph", "sub/c")
    monkeypatch.setattr("jepa_domains.recipes.RECIPES_DIR", tmp_path)
    with pytest.raises(ConfigError, match=r"no graph recipe of that name \(recipes: none\)"):
        config_file("graph", "graph-jepa")


def test_cli_lists_and_trains_from_a_recipe_name(tmp_path):
    from typer.testing import CliRunner

    from jepa_domains.cli.app import app

    runner = CliRunner()
    listed = runner.invoke(app, ["modalities"])
    assert listed.exit_code == 0 and "recipe graph-jepa" in listed.output
    result = runner.invoke(app, ["train", "graph", "--config", "graph-jepa", "--out", str(tmp_path / "run"),
                                 "--set", "train.steps=1", "--set", "model.dim=16", "--set", "model.depth=1",
                                 "--set", "model.pred_dim=16", "--set", "model.num_heads=2",
                                 "--set", "model.pred_heads=2", "--set", "data.batch_size=4",
                                 "--set", "modality.num_patches=4", "--set", "modality.num_targets=1",
                                 "--set", "train.progress=false"])
    assert result.exit_code == 0, result.output
    saved = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert saved["modality"]["target"] == "hyperbolic" and saved["optim"]["weight_decay"] == 0.0
    bad = runner.invoke(app, ["train", "graph", "--config", "nope"])
    assert bad.exit_code == 2 and "no graph recipe of that name" in bad.output


def test_bench_entry_uses_its_recipe_under_its_overrides():
    suite = parse_suite({"name": "s", "entries": [{
        "name": "graph-mutag", "modality": "graph", "dataset": "MUTAG", "recipe": "graph-jepa",
        "pretrain": {"train.steps": 5}, "tasks": [{"task": "classify"}]}]})
    cfg = entry_config(suite.entries[0], seed=2, data_root=None)
    assert (cfg.model.dim, cfg.train.steps, cfg.train.seed, cfg.data.source) == (512, 5, 2, "MUTAG")
    with pytest.raises(SuiteError, match="recipe: no graph recipe 'nope'"):
        parse_suite({"name": "s", "entries": [{"name": "e", "modality": "graph", "recipe": "nope",
                                                "tasks": [{"task": "classify"}]}]})


def test_recipes_suite_names_entries_modality_dataset():
    suite = load_suite("recipes", known_modalities=set(list_modalities()))
    for entry in suite.entries:
        assert entry.name == f"{entry.modality}-{(entry.dataset or 'default').lower()}".replace(":", "-")
        if entry.recipe is not None:
            assert entry.recipe in list_recipes(entry.modality)


def test_bench_entry_pretrains_on_its_pretrain_on_sources_and_evaluates_its_dataset():
    entry = {"name": "timeseries-gunpoint", "modality": "timeseries", "dataset": "GunPoint", "recipe": "ts-jepa-long",
             "pretrain_on": "ACSF1+GunPoint", "tasks": [{"task": "classify", "options": {"pool": "segments"}}]}
    suite = parse_suite({"name": "s", "entries": [entry]})
    assert suite.entries[0].pretrain_on == "ACSF1+GunPoint" and suite.entries[0].dataset == "GunPoint"
    cfg = entry_config(suite.entries[0], seed=1, data_root=None)
    assert (cfg.data.source, cfg.train.seed, cfg.train.steps) == ("ACSF1+GunPoint", 1, 4000)
    other = entry_config(parse_suite({"name": "s", "entries": [{**entry, "name": "timeseries-acsf1",
                                                                "dataset": "ACSF1"}]}).entries[0], seed=1,
                         data_root=None)
    assert other == cfg          # one pretraining per seed serves every entry of the union
    with pytest.raises(SuiteError, match="pretrain_on: expected a source"):
        parse_suite({"name": "s", "entries": [{**entry, "pretrain_on": ["ACSF1", "GunPoint"]}]})
    with pytest.raises(SuiteError, match="pretrain_on: name the set the tasks evaluate on"):
        parse_suite({"name": "s", "entries": [{k: v for k, v in entry.items() if k != "dataset"}]})
    with pytest.raises(SuiteError, match="'data.source' is set by the harness"):
        parse_suite({"name": "s", "entries": [{**entry, "pretrain": {"data.source": "ACSF1"}}]})


def test_graph_readout_variants_reuse_the_recipes_entrys_pretraining():
    """graph-enzymes-K2..K5 (graph section 11) read the recipes entry's runs again: the same run
    config, hence the same hashed run folder in one --out, and only the readout option differs."""
    known = set(list_modalities())
    base = next(e for e in load_suite("recipes", known_modalities=known).entries if e.name == "graph-enzymes")
    variants = {e.name: e for e in load_suite("graph-variants", known_modalities=known).entries}
    base_hash = store.config_hash(entry_config(base, seed=1, data_root=None))
    for k in (2, 3, 4, 5):
        entry = variants[f"graph-enzymes-K{k}"]
        assert store.config_hash(entry_config(entry, seed=1, data_root=None)) == base_hash
        assert [t.options for t in entry.tasks] == [{**base.tasks[0].options, "layers": k}]
        assert entry_config(entry, seed=1, data_root=None).model.depth + 1 >= k
