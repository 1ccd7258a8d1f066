"""Any folder of the user's audio: every format soundfile reads (wav, flac, ogg, mp3), any sample
rate, mono or stereo, nested class folders (label = first-level folder), and a read report that
counts and names every file read, skipped or ignored."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from jepa_domains.data.audio_datasets import audio_folder
from jepa_domains.data.audio_io import AUDIO_EXTENSIONS, read_audio
from jepa_domains.modalities.audio import AudioConfig
from jepa_domains.registry import get_modality

OPTS = {"sample_rate": 16_000, "min_samples": 400}
FORMATS = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".mp3": "MP3"}


def tone(seconds: float, freq: float, rate: int, channels: int = 1) -> np.ndarray:
    """``[S]`` or ``[S, C]`` float32 sine (channel c at amplitude 0.5 / (c + 1))."""
    t = np.arange(int(seconds * rate)) / rate
    x = np.sin(2 * np.pi * freq * t).astype(np.float32)
    return np.stack([0.5 * x / (c + 1) for c in range(channels)], 1) if channels > 1 else 0.5 * x


def write(path, seconds=0.5, freq=440.0, rate=22_050, channels=1) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, tone(seconds, freq, rate, channels), rate, format=FORMATS[path.suffix.lower()])


def peak_hz(wave: np.ndarray, rate: int) -> float:
    return float(np.argmax(np.abs(np.fft.rfft(wave))) * rate / wave.size)


def test_mp3_is_a_read_extension():
    assert set(FORMATS) == set(AUDIO_EXTENSIONS)


@pytest.mark.parametrize("ext", list(FORMATS))
@pytest.mark.parametrize("rate", [8_000, 22_050, 44_100, 48_000])
@pytest.mark.parametrize("channels", [1, 2])
def test_every_format_rate_and_channel_count_becomes_16k_mono(tmp_path, ext, rate, channels):
    path = tmp_path / f"a{ext}"
    write(path, seconds=0.5, freq=440.0, rate=rate, channels=channels)
    wave = read_audio(path, sample_rate=16_000)
    assert wave.ndim == 1 and wave.dtype == np.float32
    # mp3 adds encoder delay/padding of at most a couple of frames (1152 samples each)
    slack = 2 * 1152 * 16_000 // rate + 16 if ext == ".mp3" else 2
    assert abs(wave.size - 8_000) <= slack
    assert abs(peak_hz(wave, 16_000) - 440.0) < 6.0
    # stereo is the mean of the channels: amplitude (0.5 + 0.25) / 2; mono stays 0.5
    expected = 0.375 if channels == 2 else 0.5
    assert abs(float(np.abs(wave).max()) - expected) < (0.05 if ext in (".ogg", ".mp3") else 0.01)


def test_nested_class_folders_take_the_first_level_label(tmp_path):
    root = tmp_path / "sounds"
    write(root / "bird" / "a.wav", freq=2000.0, rate=44_100, channels=2)
    write(root / "bird" / "2024" / "june" / "b.flac", freq=2100.0, rate=48_000)
    write(root / "bird" / "2024" / "c.mp3", freq=2200.0, rate=22_050)
    write(root / "car" / "d.ogg", freq=200.0, rate=16_000)
    write(root / "car" / "garage" / "e.wav", freq=210.0, rate=8_000)
    data = audio_folder(root, split="all", **OPTS)
    assert data.class_names == ["bird", "car"]
    assert [(c.id, c.label) for c in data.clips] == [
        ("bird/2024/c.mp3", 0), ("bird/2024/june/b.flac", 0), ("bird/a.wav", 0),
        ("car/d.ogg", 1), ("car/garage/e.wav", 1)]
    assert all(c.sample_rate == 16_000 and c.wave.ndim == 1 for c in data.clips)
    assert data.read_report.clean and data.read_report.read == 5
    assert "(2 classes, split all; read 5 files, skipped 0, ignored 0)" in data.description


def test_every_file_is_read_skipped_or_ignored_with_its_reason(tmp_path, capsys):
    root = tmp_path / "sounds"
    for i in range(3):
        write(root / "yes" / f"{i}.wav", freq=300.0 + 50 * i)
        write(root / "no" / "deep" / f"{i}.flac", freq=900.0 + 50 * i)
    (root / "yes" / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00garbage")
    (root / "no" / "deep" / "labels.csv").write_text("a,b\n")
    (root / "no" / ".DS_Store").write_bytes(b"\x00")
    (root / "no" / "README").write_text("x")
    write(root / "loose.wav")
    (root / ".cache").mkdir()
    with pytest.raises(ValueError, match=r"yes/broken\.wav: cannot decode audio .*--skip-bad"):
        audio_folder(root, split="all", **OPTS)
    capsys.readouterr()
    data = audio_folder(root, split="all", skip_bad=True, **OPTS)
    report = data.read_report
    assert len(data) == report.read == 6
    assert [name for name, _ in report.skipped] == [str(root / "yes" / "broken.wav")]
    assert dict(report.ignored) == {
        ".cache/": "hidden folder",
        "loose.wav": "file beside the label subfolders (belongs to no label)",
        "no/.DS_Store": "hidden file",
        "no/README": "not an audio file (no extension; read: .wav, .flac, .ogg, .mp3)",
        "no/deep/labels.csv": "not an audio file (extension '.csv'; read: .wav, .flac, .ogg, .mp3)",
    }
    files = [p for p in root.rglob("*") if p.is_file()]
    assert report.read + len(report.skipped) + len(report.ignored) == len(files) + 1   # + the hidden folder
    assert "read 6 files, skipped 1, ignored 5" in data.description
    assert "read 6; skipped 1" in capsys.readouterr().err


def test_train_test_folders_with_nested_classes(tmp_path):
    root = tmp_path / "split"
    for part, n in (("train", 3), ("test", 2)):
        for label, freq in (("hi", 3000.0), ("lo", 150.0)):
            for i in range(n):
                write(root / part / label / "take1" / f"{i}.ogg", freq=freq + i, rate=32_000)
    (root / "notes.txt").write_text("x")
    train = audio_folder(root, split="train", **OPTS)
    test = audio_folder(root, split="test", **OPTS)
    assert (len(train), len(test)) == (6, 4) and train.class_names == test.class_names == ["hi", "lo"]
    assert train.labels.tolist() == [0, 0, 0, 1, 1, 1] and test.labels.tolist() == [0, 0, 1, 1]
    assert train.read_report.ignored == [("notes.txt", "beside train/ and test/ (belongs to neither split)")]
    (root / "test" / "lo").rename(root / "test" / "low")
    with pytest.raises(ValueError, match=r"train/ and test/ must hold the same class folders .*'low'"):
        audio_folder(root, split="train", **OPTS)


def test_flat_folder_is_unlabelled_and_an_empty_one_names_what_it_saw(tmp_path):
    write(tmp_path / "flat" / "a.mp3", rate=44_100, channels=2)
    write(tmp_path / "flat" / "b.wav", rate=11_025)
    flat = audio_folder(tmp_path / "flat", split="all", **OPTS)
    assert flat.labels is None and len(flat) == 2 and "unlabelled" in flat.description
    (tmp_path / "none").mkdir()
    (tmp_path / "none" / "x.aac").write_bytes(b"\x00")
    with pytest.raises(ValueError, match=r"no wav/flac/ogg/mp3 files for split 'all' .*x\.aac: not an audio file"):
        audio_folder(tmp_path / "none", split="all", **OPTS)


def test_adapter_trains_on_a_nested_user_folder(tmp_path):
    from jepa_domains.train.config import resolve
    from jepa_domains.train.trainer import Trainer

    root = tmp_path / "mine"
    for i in range(6):
        write(root / "a" / "x" / f"{i}.flac", freq=400.0 + 20 * i, rate=44_100, channels=2)
        write(root / "b" / f"{i}.mp3", freq=1500.0 + 20 * i, rate=22_050)
    adapter = get_modality("audio")
    assert len(adapter.load_dataset(AudioConfig(), str(root), split="all")) == 12
    cfg = resolve("audio", defaults=adapter.run_defaults, overrides=[
        f"data.source={root}", "train.steps=2", "data.batch_size=4", "model.dim=32", "model.depth=1",
        "model.pred_dim=16", "model.pred_depth=1", "train.progress=false", "train.checkpoint_every=2"])
    result = Trainer(cfg, run_dir=tmp_path / "run").fit()
    assert result.steps == 2 and np.isfinite(result.final_loss)
