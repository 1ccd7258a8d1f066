"""The FSDD copy shipped in the package: complete, bit-exact (CRC-32 per clip), the official split,
licensed and attributed, the audio default, and rebuilt identically by the build script."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from jepa_domains.data.audio_datasets import fsdd
from jepa_domains.data.audio_fsdd import (AUDIO_FILE, EMBEDDED_DIR, INDEX_FILE, build_embedded_fsdd,
                                          embedded_fsdd_clips)
from jepa_domains.modalities.audio import AudioConfig
from jepa_domains.registry import get_modality

REPO = Path(__file__).resolve().parents[2]
SPEAKERS = {"george", "jackson", "lucas", "nicolas", "theo", "yweweler"}


def test_all_3000_clips_are_shipped_bit_exact_with_the_official_split():
    clips = embedded_fsdd_clips(split="all", sample_rate=8_000, verify=True)   # raises on a CRC mismatch
    assert len(clips) == 3000
    assert Counter(c.group for c in clips) == {s: 500 for s in SPEAKERS}
    assert Counter(c.label for c in clips) == {d: 300 for d in range(10)}
    assert Counter((c.label, c.group) for c in clips) == {(d, s): 50 for d in range(10) for s in SPEAKERS}
    test = embedded_fsdd_clips(split="test", sample_rate=8_000)
    train = embedded_fsdd_clips(split="train", sample_rate=8_000)
    assert (len(train), len(test)) == (2700, 300)
    assert {int(c.id.split("_")[2].split(".")[0]) for c in test} == {0, 1, 2, 3, 4}
    assert min(int(c.id.split("_")[2].split(".")[0]) for c in train) == 5
    lengths = np.array([c.wave.size for c in clips]) / 8_000
    assert 0.1 < lengths.min() and lengths.max() < 2.5 and 0.4 < lengths.mean() < 0.5   # as documented
    assert (EMBEDDED_DIR / AUDIO_FILE).stat().st_size < 12_000_000


def test_license_attribution_and_package_data():
    license_text = (EMBEDDED_DIR / "LICENSE").read_text()
    readme = (EMBEDDED_DIR / "README.md").read_text()
    assert "CC BY-SA 4.0" in license_text and "creativecommons.org/licenses/by-sa/4.0" in license_text
    # the whole legal code ships with the data, not only a link to it
    assert "Creative Commons Attribution-ShareAlike 4.0 International Public" in license_text
    assert "Section 3 -- License Conditions." in license_text and "Section 8 -- Interpretation." in license_text
    for needle in ("Jakobovski/free-spoken-digit-dataset", "26eb9aaf76e81b692f806f9140c2d2777410d7a1",
                   "zenodo", "re-encoded losslessly", "CC BY-SA 4.0"):
        assert needle in readme
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    shipped = pyproject["tool"]["setuptools"]["package-data"]["jepa_domains.data"]
    assert {Path(p).name for p in shipped} == {AUDIO_FILE, INDEX_FILE, "LICENSE", "README.md",
                                               f"{AUDIO_FILE}.license", f"{INDEX_FILE}.license"}
    assert all((REPO / "jepa_domains" / "data" / p).is_file() for p in shipped)
    for name in (AUDIO_FILE, INDEX_FILE):          # a license file beside each data file (REUSE sidecar)
        sidecar = (EMBEDDED_DIR / f"{name}.license").read_text()
        assert "SPDX-License-Identifier: CC-BY-SA-4.0" in sidecar and "Jakobovski" in sidecar


def test_fsdd_is_the_default_and_needs_no_data_root():
    adapter = get_modality("audio")
    assert adapter.default_dataset == "fsdd"
    default = adapter.load_dataset(AudioConfig(), None, split="test")
    named = adapter.load_dataset(AudioConfig(), "fsdd", split="test")
    assert len(default) == len(named) == 300 and "FSDD" in default.description and "embedded" in default.description
    assert default.class_names == [str(d) for d in range(10)] and set(default.groups.tolist()) == SPEAKERS
    assert default.clips[0].sample_rate == 16_000
    synthetic = adapter.load_dataset(AudioConfig(synthetic_train=12, synthetic_test=6), "synthetic", split="test")
    assert "SYNTHETIC" in synthetic.description and len(synthetic) == 6


def _fake_recordings(folder: Path) -> None:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    for digit in (3, 7):
        for speaker in ("ann", "bo"):
            for index in (0, 4, 5, 12):
                samples = (rng.normal(size=int(rng.integers(1500, 4000))) * 3000).astype(np.int16)
                sf.write(folder / f"{digit}_{speaker}_{index}.wav", samples, 8_000, subtype="PCM_16")


def test_build_script_round_trip_equals_the_wav_reader(tmp_path):
    _fake_recordings(tmp_path / "fsdd" / "recordings")
    stats = build_embedded_fsdd(tmp_path / "fsdd" / "recordings", tmp_path / "out")
    assert stats["clips"] == 16 and (tmp_path / "out" / AUDIO_FILE).stat().st_size == stats["bytes"]
    for split in ("train", "test", "all"):
        built = embedded_fsdd_clips(split=split, sample_rate=16_000, min_samples=400, folder=tmp_path / "out",
                                    verify=True)
        read = fsdd(tmp_path / "fsdd", split=split, sample_rate=16_000, min_samples=400).clips
        assert [(c.id, c.label, c.group) for c in built] == [(c.id, c.label, c.group) for c in read]
        assert all(np.array_equal(a.wave, b.wave) for a, b in zip(built, read))
    assert len(embedded_fsdd_clips(split="test", sample_rate=8_000, folder=tmp_path / "out")) == 8


def test_build_refuses_other_rates_and_names(tmp_path):
    (tmp_path / "rec").mkdir()
    sf.write(tmp_path / "rec" / "3_ann_0.wav", np.zeros(100, np.int16) + 5, 16_000, subtype="PCM_16")
    with pytest.raises(ValueError, match=r"3_ann_0\.wav: expected 8000 Hz mono PCM_16, got 16000 Hz"):
        build_embedded_fsdd(tmp_path / "rec", tmp_path / "out")
    (tmp_path / "rec" / "3_ann_0.wav").unlink()
    (tmp_path / "rec" / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match=r"notes\.txt: not an FSDD recording"):
        build_embedded_fsdd(tmp_path / "rec", tmp_path / "out")


def test_an_incomplete_copy_is_one_clear_error(tmp_path):
    _fake_recordings(tmp_path / "rec")
    build_embedded_fsdd(tmp_path / "rec", tmp_path / "out")
    (tmp_path / "out" / INDEX_FILE).unlink()
    with pytest.raises(ValueError, match=r"embedded FSDD is incomplete: .*clips\.csv is missing"):
        embedded_fsdd_clips(split="all", sample_rate=8_000, folder=tmp_path / "out")


def test_the_default_run_is_the_fsdd_recipe():
    import yaml

    from jepa_domains.recipes import list_recipes, recipe_path
    from jepa_domains.train.config import resolve

    assert "fsdd" in list_recipes("audio") and list_recipes("audio")["fsdd"]
    adapter = get_modality("audio")
    default = resolve("audio", defaults=adapter.run_defaults)
    recipe = resolve("audio", defaults=adapter.run_defaults, file="fsdd")
    keys = yaml.safe_load(recipe_path("audio", "fsdd").read_text())
    assert (keys["train.steps"], default.train.steps, keys["optim.warmup_steps"]) == (1200, 1200, 100)
    assert default == recipe                                      # `train audio` is `train audio --config fsdd`
    assert default.modality["sample_rate"] == 8_000 and default.objective.regularizer == "vicreg"
    options = adapter.Config(**default.modality)
    assert options.grid_time * options.grid_freq == 48            # a 1-s clip: 12 time x 4 frequency patches
    assert (options.pool, options.pool_segments) == ("segments", 3)   # chosen on validation clips


def test_the_long_recipe_is_the_default_with_finer_time_patches_and_twice_the_steps():
    from jepa_domains.train.config import resolve

    adapter = get_modality("audio")
    default = resolve("audio", defaults=adapter.run_defaults)
    long = resolve("audio", defaults=adapter.run_defaults, file="fsdd-long")
    assert (long.train.steps, long.optim.warmup_steps) == (2 * default.train.steps, 2 * default.optim.warmup_steps)
    options = adapter.Config(**long.modality)
    assert options.grid_time * options.grid_freq == 96            # 4-frame time patches
    assert (options.pool, options.pool_segments) == ("segments", 2)
    same = {k: v for k, v in long.modality.items() if k not in ("patch_time", "pool_segments")}
    assert same == {k: v for k, v in default.modality.items() if k not in ("patch_time", "pool_segments")}
    assert (long.model, long.objective) == (default.model, default.objective)


def test_train_and_eval_grouped_without_data_root(tmp_path, monkeypatch):
    """`train audio` on the embedded FSDD, then `eval --task classify_grouped` with no --data-root:
    official split + leave-one-speaker-out, JEPA vs random-init vs log-mel, with verdicts."""
    import json

    from typer.testing import CliRunner

    from jepa_domains.cli.app import app

    monkeypatch.delenv("JEPA_DOMAINS_DATA", raising=False)
    run = tmp_path / "run"
    args = ["train", "audio", "--out", str(run)]
    for item in ("train.steps=2", "data.batch_size=8", "model.dim=16", "model.depth=1", "model.num_heads=2",
                 "model.pred_dim=8", "model.pred_depth=1", "model.pred_heads=2", "train.progress=false",
                 "train.probe_every=0", "train.checkpoint_every=2", "train.cpu_threads=1"):
        args += ["--set", item]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "FSDD spoken digits, embedded copy (train split, 2700 clips)" in result.output
    result = CliRunner().invoke(app, ["eval", str(run), "--task", "classify_grouped", "--option", "probes=[knn]"])
    assert result.exit_code == 0, result.output
    rows = json.loads((run / "eval-classify_grouped.json").read_text())
    official = {r["method"]: r for r in rows if r["protocol"] == "official_split" and r["metric"] == "accuracy"}
    assert set(official) == {"jepa", "random_init", "features", "chance"}
    assert len(official["jepa"]["per_sample"]) == 300 and official["chance"]["value"] == pytest.approx(0.1)
    folds = [r for r in rows if r["protocol"] == "leave_one_speaker_out" and r["metric"] == "accuracy"
             and r["method"] == "features"]
    assert sorted(r["fold"] for r in folds) == sorted(SPEAKERS)
    assert all(len(r["per_sample"]) == 500 for r in folds)
    assert official["features"]["value"] > 0.8                      # log-mel statistics read digits well
    verdicts = [line for line in result.output.splitlines() if line.startswith("verdict: ")]
    assert any("vs random_init" in v for v in verdicts) and any("vs features" in v for v in verdicts)
