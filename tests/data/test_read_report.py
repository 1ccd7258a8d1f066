"""The shared read report: skips raise or are named, ignores are named, the summary is one line."""

import pytest

from jepa_domains.data.read_report import ReadReport


def test_skip_or_raise_raises_with_the_hint_or_records_the_name_once():
    report = ReadReport(source="set")
    with pytest.raises(ValueError, match=r"^a\.wav: truncated \(pass --skip-bad to skip bad files\)$"):
        report.skip_or_raise("a.wav", ValueError("a.wav: truncated"), skip_bad=False)
    assert report.skipped == []
    report.skip_or_raise("a.wav", ValueError("a.wav: truncated"), skip_bad=True)
    assert report.skipped == [("a.wav", "truncated")]


def test_skip_many_counts_and_names_the_first_few():
    report = ReadReport(source="points.csv")
    names = [f"track {i}" for i in range(8)]
    with pytest.raises(ValueError, match=r"^points\.csv: no points: 8 of 10 \(track 0, track 1, track 2, track 3, "
                                         r"track 4 and 3 more\) \(pass --skip-bad"):
        report.skip_many_or_raise(names, "no points", skip_bad=False, total=10)
    report.skip_many_or_raise(names, "no points", skip_bad=True, total=10)
    assert len(report.skipped) == 8 and report.skipped[-1] == ("track 7", "no points")


def test_summary_is_one_line_limited_and_announce_is_silent_when_clean(capsys):
    report = ReadReport(source="root", read=3)
    report.announce()
    assert capsys.readouterr().err == ""
    for i in range(7):
        report.ignore(f"x{i}.txt", "not audio")
    line = report.summary(limit=2)
    assert line == "root: read 3; ignored 7 (x0.txt: not audio; x1.txt: not audio; and 5 more)"
    report.announce(limit=2)
    assert capsys.readouterr().err.strip() == f"[jepa-domains] {line}"


def test_merge_and_as_dict_keep_every_count():
    a = ReadReport(source="TRAIN", read=2, skipped=[("t:1", "nan")])
    b = ReadReport(source="TEST", read=5, ignored=[("y", "why")])
    merged = a.merge(b)
    assert (merged.read, len(merged.skipped), len(merged.ignored)) == (7, 1, 1)
    assert merged.as_dict() == {"read": 7, "skipped": 1, "ignored": 1, "skipped_names": ["t:1: nan"],
                                "ignored_names": ["y: why"]}


def test_series_checks_name_their_skips_in_the_report():
    import numpy as np

    from jepa_domains.data.timeseries_readers import Series
    from jepa_domains.modalities.timeseries.datasets import SeriesDataset, check_series

    good = Series(np.zeros((1, 30), dtype=np.float32), 0, "f.ts:1")
    short = Series(np.zeros((1, 5), dtype=np.float32), 0, "f.ts:2")
    report = ReadReport(source="f.ts")
    kept, skipped = check_series([good, short], min_length=16, impute=False, skip_bad=True, report=report)
    dataset = SeriesDataset(kept, description="f", read_report=report)
    assert (dataset.skipped, report.read) == (1, 1) == (skipped, len(kept))
    assert report.skipped == [("series f.ts:2", "has 5 steps, shorter than one patch (16)")]
