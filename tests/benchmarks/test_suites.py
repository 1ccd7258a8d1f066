"""Suite files: every shipped suite validates; malformed suites fail naming the key."""

import copy

import pytest
import yaml

from jepa_domains.benchmarks.harness.schema import SUITES_DIR, SuiteError, load_suite, parse_suite, shipped_suites
from jepa_domains.registry import list_modalities

MODALITIES = set(list_modalities())


def test_required_suites_are_shipped():
    names = set(shipped_suites())
    assert {"quick", "paper", "audio", "graph", "pointcloud", "timeseries", "trajectory"} <= names


@pytest.mark.parametrize("name", shipped_suites())
def test_shipped_suite_validates(name):
    suite = load_suite(name, known_modalities=MODALITIES)
    assert suite.name == name
    assert suite.entries and all(e.tasks and e.seeds for e in suite.entries)
    for entry in suite.entries:
        for anchor in entry.anchors:
            assert anchor.citation and anchor.provenance
            # every anchor is stated in the unit of our rows (fractions, MSE), never percent
            assert anchor.value < 5


def test_quick_covers_every_modality_without_data_root():
    suite = load_suite("quick", known_modalities=MODALITIES)
    assert {e.modality for e in suite.entries} == MODALITIES
    assert not any(e.needs_data_root for e in suite.entries)
    assert all(e.quick for e in suite.entries)


def test_per_modality_suites_and_paper_anchors():
    for modality in MODALITIES:
        assert {e.modality for e in load_suite(modality).entries} == {modality}
    paper = load_suite("paper", known_modalities=MODALITIES)
    assert paper.device == "gpu" and {e.modality for e in paper.entries} == MODALITIES
    anchors = {(e.dataset, a.horizon): a for e in paper.entries for a in e.anchors}
    assert anchors[("MUTAG", None)].value == pytest.approx(0.9125) and anchors[("MUTAG", None)].std == pytest.approx(0.0575)
    assert anchors[("IMDB-MULTI", None)].value == pytest.approx(0.5069)
    etth1 = [anchors[("ETTh1", h)].value for h in (96, 192, 336, 720)]
    assert etth1 == pytest.approx([0.370, 0.413, 0.422, 0.447])
    assert anchors[("ETTh1", 96)].provenance == "memory"  # recalled values are marked as such
    assert {e.dataset for e in paper.entries} >= {"MUTAG", "PROTEINS", "ENZYMES", "IMDB-BINARY", "IMDB-MULTI",
                                                   "fsdd", "ETTh1", "gotrack", "animals", "vehicles", "pendigits",
                                                   "libras", "furniture3d:category"}


GOOD = {"name": "s", "entries": [{"name": "e", "modality": "timeseries", "tasks": [{"task": "classify"}]}]}


def _broken(path, value):
    data = copy.deepcopy(GOOD)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize("path,value,message", [
    (("entries", 0, "modality"), "sound", "unknown modality 'sound'"),
    (("entries", 0, "seeds"), [0, 0], "repeated seed"),
    (("entries", 0, "seeds"), ["a"], "seeds"),
    (("entries", 0, "tasks"), [], "at least one task"),
    (("entries", 0, "pretrain"), {"steps": 3}, "must be dotted"),
    (("entries", 0, "pretrain"), {"train.seed": 3}, "set by the harness"),
    (("entries", 0, "colour"), "red", "unknown key 'colour'"),
    (("entries", 0, "anchors"), [{"task": "forecast", "metric": "mse", "value": 0.3, "citation": "x",
                                  "provenance": "memory"}], "does not run"),
    (("entries", 0, "anchors"), [{"task": "classify", "metric": "accuracy", "value": 0.3, "citation": "x",
                                  "provenance": "rumour"}], "provenance"),
    (("entries", 0, "quick"), "yes", "true/false"),
    (("entries", 0, "encoder"), "ema", "encoder: expected one of context, target, both"),
])
def test_malformed_suite_names_the_key(path, value, message):
    with pytest.raises(SuiteError, match=message):
        parse_suite(_broken(path, value), known_modalities=MODALITIES)


def test_encoder_key_is_optional():
    assert parse_suite(GOOD, known_modalities=MODALITIES).entries[0].encoder is None
    data = copy.deepcopy(GOOD)
    data["entries"][0]["encoder"] = "both"
    assert parse_suite(data, known_modalities=MODALITIES).entries[0].encoder == "both"


def test_duplicate_entries_and_unknown_suite(tmp_path):
    data = copy.deepcopy(GOOD)
    data["entries"].append(copy.deepcopy(data["entries"][0]))
    with pytest.raises(SuiteError, match="appears twice"):
        parse_suite(data)
    with pytest.raises(SuiteError, match="unknown suite 'nope'.*quick"):
        load_suite("nope")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed")
    with pytest.raises(SuiteError, match="cannot parse"):
        load_suite(bad)


def test_suites_are_package_data():
    # pyproject ships benchmarks/suites/*.yaml with jepa_domains.benchmarks; the loader finds them there
    assert SUITES_DIR.name == "suites" and (SUITES_DIR / "quick.yaml").is_file()
    assert yaml.safe_load((SUITES_DIR / "quick.yaml").read_text())["name"] == "quick"
