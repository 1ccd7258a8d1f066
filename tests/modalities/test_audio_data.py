"""Audio readers and front end: generated wav/flac files (good and bad), FSDD/ESC-50 layouts,
Kaldi fbank agreement of the batched front end, crops and padding in the collate."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from jepa_domains.data.audio_datasets import audio_folder, detect_layout, esc50, fsdd
from jepa_domains.data.audio_io import AudioClip, read_audio
from jepa_domains.data.audio_synthetic import CLASSES, synthetic_clips
from jepa_domains.modalities.audio import AudioConfig
from jepa_domains.modalities.audio.collate import collate_clips
from jepa_domains.modalities.audio.features import LogMelFrontEnd, clip_fbank
from jepa_domains.registry import get_modality

RATE = 8000
OPTS = {"sample_rate": 16_000, "min_samples": 400}


def tone(seconds: float = 0.5, freq: float = 440.0, rate: int = RATE, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    x = 0.5 * np.sin(2 * np.pi * freq * t).astype(np.float32)
    return np.stack([x] * channels, 1) if channels > 1 else x


def test_read_audio_resamples_and_mixes_to_mono(tmp_path):
    sf.write(tmp_path / "a.flac", tone(0.5, channels=2), RATE)
    wave = read_audio(tmp_path / "a.flac", sample_rate=16_000)
    assert wave.dtype == np.float32 and wave.shape == (16_000 // 2,)
    # a 440 Hz tone stays a 440 Hz tone after 8 -> 16 kHz resampling
    peak = np.argmax(np.abs(np.fft.rfft(wave))) * 16_000 / wave.size
    assert abs(peak - 440.0) < 4.0


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_bytes(b"RIFF\x00\x00\x00\x00garbage"), "cannot decode"),
    (lambda p: sf.write(p, np.zeros(4000, np.float32), RATE), "all-silent"),
    (lambda p: sf.write(p, np.zeros(0, np.float32), RATE), "zero-length"),
    (lambda p: sf.write(p, np.full(4000, np.nan, np.float32), RATE, subtype="FLOAT"), "NaN/inf"),
    (lambda p: sf.write(p, np.ones((800, 10), np.float32) * 0.1, RATE), "channel count 10"),
    (lambda p: sf.write(p, tone(0.5), 500), "sample rate 500"),
    (lambda p: sf.write(p, tone(0.01), RATE), "shorter than one analysis window"),
])
def test_bad_files_raise_with_the_file_name(tmp_path, make, message):
    path = tmp_path / "bad.wav"
    make(path)
    with pytest.raises(ValueError, match=message) as err:
        read_audio(path, sample_rate=16_000, min_samples=400)
    assert str(path) in str(err.value)


def test_truncated_wav_and_flac_are_detected(tmp_path):
    for ext in ("wav", "flac"):
        good = tmp_path / f"good.{ext}"
        sf.write(good, tone(1.0), RATE)
        cut = tmp_path / f"cut.{ext}"
        cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
        with pytest.raises(ValueError, match="truncated|cannot decode"):
            read_audio(cut, sample_rate=16_000)


def _fsdd_tree(root, bad: bool = False):
    rec = root / "recordings"
    rec.mkdir(parents=True)
    for digit in range(3):
        for speaker in ("ann", "bob"):
            for index in (0, 1, 7, 9):
                sf.write(rec / f"{digit}_{speaker}_{index}.wav", tone(0.3, 300 + 100 * digit), RATE)
    if bad:
        (rec / "1_bob_12.wav").write_bytes(b"not audio")
    return root


def test_fsdd_official_split_and_skip_bad(tmp_path):
    root = _fsdd_tree(tmp_path / "fsdd", bad=True)
    with pytest.raises(ValueError, match="1_bob_12.wav"):
        fsdd(root, split="train", **OPTS)
    train = fsdd(root, split="train", skip_bad=True, **OPTS)
    test = fsdd(root, split="test", skip_bad=True, **OPTS)
    assert (len(train), train.skipped) == (12, 1)     # index >= 5 is train
    assert (len(test), test.skipped) == (12, 0)       # index 0-4 is test
    assert sorted(set(train.labels.tolist())) == [0, 1, 2]
    assert set(train.groups.tolist()) == {"ann", "bob"}
    assert not {c.id for c in train} & {c.id for c in test}


def test_esc50_layout_folds(tmp_path):
    root = tmp_path / "esc50"
    (root / "audio").mkdir(parents=True)
    (root / "meta").mkdir()
    lines = ["filename,fold,target,category,esc10,src_file,take"]
    for fold in range(1, 6):
        for target in range(2):
            name = f"{fold}-{target}-A-0.wav"
            sf.write(root / "audio" / name, tone(0.4, 200 + 300 * target, 44_100), 44_100)
            lines.append(f"{name},{fold},{target},{'dog' if target == 0 else 'rain'},False,x,A")
    (root / "meta" / "esc50.csv").write_text("\n".join(lines) + "\n")
    train = esc50(root, split="train", test_fold=2, **OPTS)
    test = esc50(root, split="test", test_fold=2, **OPTS)
    assert (len(train), len(test)) == (8, 2)
    assert set(test.groups.tolist()) == {2} and 2 not in set(train.groups.tolist())
    assert train.class_names == ["dog", "rain"]
    adapter = get_modality("audio")
    assert len(adapter.load_dataset(AudioConfig(), str(root), split="all")) == 10


def test_audio_folder_labelled_and_flat(tmp_path):
    for label in ("cat", "dog"):
        (tmp_path / "lab" / label).mkdir(parents=True)
        for i in range(10):
            sf.write(tmp_path / "lab" / label / f"{i}.ogg", tone(0.3, 300 + 30 * i), RATE)
    (tmp_path / "flat").mkdir()
    sf.write(tmp_path / "flat" / "x.wav", tone(0.3), RATE)
    train = audio_folder(tmp_path / "lab", split="train", **OPTS)
    test = audio_folder(tmp_path / "lab", split="test", **OPTS)
    assert len(train) + len(test) == 20 and train.class_names == ["cat", "dog"]
    flat = audio_folder(tmp_path / "flat", split="all", **OPTS)
    assert flat.labels is None and len(flat) == 1


def test_named_dataset_needs_data_root():
    with pytest.raises(ValueError, match="dataset 'esc50' needs --data-root or JEPA_DOMAINS_DATA"):
        get_modality("audio").load_dataset(AudioConfig(), "esc50", data_root=None)


def test_synthetic_set_is_deterministic_balanced_and_marked():
    a, b = synthetic_clips(12, seed=0), synthetic_clips(12, seed=0)
    assert all(np.array_equal(x.wave, y.wave) for x, y in zip(a, b))
    assert [c.label for c in a] == [i % len(CLASSES) for i in range(12)]
    assert all(np.isfinite(c.wave).all() and 0.0 < np.abs(c.wave).max() <= 1.0 for c in a)
    ds = get_modality("audio").load_dataset(AudioConfig(synthetic_train=12, synthetic_test=6), "synthetic", split="test")
    assert "SYNTHETIC" in ds.description and len(ds) == 6


def test_batched_front_end_matches_kaldi_fbank():
    cfg = AudioConfig()
    waves = torch.stack([torch.from_numpy(c.wave[:12_000]) for c in synthetic_clips(3) if c.wave.size >= 12_000][:2])
    batched = LogMelFrontEnd(cfg=cfg)(waves)
    for r in range(waves.shape[0]):
        ref = clip_fbank(waves[r], cfg)
        assert batched[r].shape == ref.shape == (cfg.num_frames(12_000), 128)
        torch.testing.assert_close(batched[r], ref, atol=2e-3, rtol=1e-4)


def _clip(seconds: float, label: int = 0) -> AudioClip:
    return AudioClip(wave=tone(seconds, rate=16_000), sample_rate=16_000, label=label, id=f"clip{seconds}")


def test_collate_pads_short_clips_in_the_layout_and_paths_agree():
    cfg = AudioConfig(norm_mean=-3.0, norm_std=4.0, feature_path="collate")
    clips = [_clip(0.3), _clip(1.6, 1)]
    gens = [torch.Generator().manual_seed(i) for i in range(2)]
    batch = collate_clips(cfg, clips, gens)
    assert batch.features.shape == (2, 1, cfg.grid_frames, 128) and batch.layout.shape == (6, 8)
    # 0.3 s -> 28 frames -> 2 time patches (the second partly filled); 1.6 s crop -> all 6
    assert batch.layout.valid.tolist() == [2, 6] and batch.num_frames.tolist() == [28, 96]
    assert (batch.features[0, 0, 28:] == 0).all() and batch.labels.tolist() == [0, 1]
    device_cfg = AudioConfig(norm_mean=-3.0, norm_std=4.0, feature_path="device")
    tokenizer = get_modality("audio").build_tokenizer(device_cfg, 32)
    on_device = tokenizer.spectrogram(collate_clips(device_cfg, clips, [torch.Generator().manual_seed(i) for i in range(2)]))
    torch.testing.assert_close(on_device, batch.features, atol=1e-3, rtol=1e-4)


def test_eval_crops_are_deterministic_and_windows_cover_the_clip():
    cfg = AudioConfig(norm_mean=0.0, norm_std=1.0, eval_windows=3, feature_path="collate")
    batch = collate_clips(cfg, [_clip(3.0), _clip(0.5)], None)
    assert batch.layout.rows_per_sample == 3 and batch.features.shape[0] == 6
    again = collate_clips(cfg, [_clip(3.0), _clip(0.5)], None)
    assert torch.equal(batch.features, again.features)
    centre = collate_clips(AudioConfig(norm_mean=0.0, norm_std=1.0, feature_path="collate"), [_clip(3.0)], None)
    assert centre.layout.rows_per_sample == 1


def test_prepare_stores_statistics_and_features_are_standardised():
    adapter = get_modality("audio")
    cfg = AudioConfig(synthetic_train=24, synthetic_test=6)
    ds = adapter.load_dataset(cfg, "synthetic")
    prepared = adapter.prepare(cfg, ds)
    assert prepared.norm_mean is not None and prepared.norm_std > 0
    feats = torch.cat([clip_fbank(torch.from_numpy(c.wave), prepared).flatten() for c in ds])
    z = (feats - prepared.norm_mean) / prepared.norm_std
    assert abs(float(z.mean())) < 1e-3 and abs(float(z.std()) - 1.0) < 1e-3
    base = adapter.feature_baseline(prepared, ds)
    assert base.shape == (24, 256) and np.isfinite(base).all()
    with pytest.raises(ValueError, match="norm_mean"):
        collate_clips(AudioConfig(feature_path="collate"), [ds[0]], None)


def test_fsdd_names_a_misnamed_file_instead_of_changing_layout(tmp_path):
    root = _fsdd_tree(tmp_path / "fsdd")
    rec = root / "recordings"
    sf.write(rec / "seven_ann_3.wav", tone(0.3), RATE)
    (rec / "notes.txt").write_text("x")
    assert detect_layout(root) == "fsdd"
    adapter = get_modality("audio")
    with pytest.raises(ValueError, match=r"seven_ann_3\.wav: not an FSDD file name .*--skip-bad"):
        adapter.load_dataset(AudioConfig(), str(root), split="all")
    data = adapter.load_dataset(AudioConfig(), str(root), split="all", skip_bad=True)
    report = data.read_report
    assert data.class_names == [str(d) for d in range(10)] and len(data) == 24
    assert data.skipped == 1 and report.skipped[0][0] == str(rec / "seven_ann_3.wav")
    assert report.ignored == [("notes.txt", "not an audio file (extension '.txt'; read: .wav, .flac, .ogg, .mp3)")]
    assert report.read + len(report.skipped) + len(report.ignored) == 26


def test_audio_folder_names_what_it_ignores(tmp_path, capsys):
    for label in ("cat", "dog"):
        (tmp_path / label / "deeper").mkdir(parents=True)
        for i in range(3):
            sf.write(tmp_path / label / f"{i}.wav", tone(0.3, 300 + 30 * i), RATE)
        sf.write(tmp_path / label / "deeper" / "x.wav", tone(0.3), RATE)     # nested: read, same label
        (tmp_path / label / "y.txt").write_text("notes")
    sf.write(tmp_path / "loose.wav", tone(0.3), RATE)
    (tmp_path / "empty").mkdir()
    data = audio_folder(tmp_path, split="all", **OPTS)
    assert len(data) == 8 and data.class_names == ["cat", "dog"]
    assert data.labels.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    assert [c.id for c in data.clips[:4]] == ["cat/0.wav", "cat/1.wav", "cat/2.wav", "cat/deeper/x.wav"]
    ignored = [name for name, _ in data.read_report.ignored]
    assert ignored == ["loose.wav", "cat/y.txt", "dog/y.txt", "empty/"]
    assert "read 8 files, skipped 0, ignored 4" in data.description
    assert "read 8; ignored 4 (loose.wav: file beside the label subfolders" in capsys.readouterr().err
