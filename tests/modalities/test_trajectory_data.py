"""Trajectory readers on small generated files: nothing is lost without being counted and named."""

import pandas as pd
import pytest

from jepa_domains.data.trajectory_readers import read_gotrack, read_mat_raw, read_table_file


def _points(track_ids, points_per_track=4):
    """A long-format table: ``points_per_track`` points for each id, planar metres, 1 s apart."""
    rows = [{"track_id": tid, "time": k, "x": 10.0 * k + i, "y": float(i), "label": "a" if i % 2 else "b"}
            for i, tid in enumerate(track_ids) for k in range(points_per_track)]
    return pd.DataFrame(rows)


def _write_gotrack(folder, n_tracks=40, keep=None):
    """Go!Track files; ``keep`` (an id count) writes points of the first ``keep`` tracks only."""
    folder.mkdir(parents=True, exist_ok=True)
    meta = pd.DataFrame({"id": range(1, n_tracks + 1), "car_or_bus": [1 + i % 2 for i in range(n_tracks)]})
    rows = [{"id": 0, "latitude": -10.9 + 1e-4 * k + 1e-3 * t, "longitude": -37.0 + 1e-4 * k,
             "track_id": t, "time": f"2014-09-13 07:{k:02d}:00"}
            for t in range(1, (keep or n_tracks) + 1) for k in range(5)]
    meta.to_csv(folder / "go_track_tracks.csv", index=False)
    pd.DataFrame(rows).to_csv(folder / "go_track_trackspoints.csv", index=False)
    return folder


def test_rows_without_track_id_raise_or_are_counted_and_named(tmp_path):
    path = tmp_path / "tracks.csv"
    table = _points(["t1", "t2", "t3"])
    table.loc[[5, 6], "track_id"] = None          # two points of t2 lose their id
    table.to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"tracks\.csv: rows with an empty track id: 2 of 12 \(row 6, row 7\)"):
        read_table_file(path)
    data = read_table_file(path, skip_bad=True)
    assert len(data) == 3 and data.skipped == 2
    assert [name for name, _ in data.read_report.skipped] == ["row 6", "row 7"]


def test_csv_cut_mid_line_is_refused_naming_file_and_line(tmp_path):
    path = tmp_path / "tracks.csv"
    text = _points(["t1", "t2"]).to_csv(index=False)
    path.write_text(text[: text.rindex(",", 0, len(text) - 4)])   # last line loses its last fields
    with pytest.raises(ValueError, match=r"tracks\.csv:9: last line has 3 of the 5 fields of the header \(file cut\?\)"):
        read_table_file(path)


def test_gotrack_points_file_cut_loses_no_track_silently(tmp_path):
    folder = _write_gotrack(tmp_path / "gotrack", n_tracks=40, keep=21)
    with pytest.raises(ValueError, match=r"go_track_trackspoints\.csv: tracks listed in go_track_tracks\.csv without "
                                         r"points \(file cut\?\): 19 of 40 \(track 22, track 23, .* and 14 more\)"):
        read_gotrack(folder)
    data = read_gotrack(folder, skip_bad=True)
    report = data.read_report
    assert (len(data), data.skipped, report.read) == (21, 19, 21)
    assert report.read + len(report.skipped) == 40
    assert report.skipped[0] == ("track 22", "tracks listed in go_track_tracks.csv without points (file cut?)")


def test_missing_label_columns_are_one_line_errors(tmp_path):
    folder = _write_gotrack(tmp_path / "gotrack", n_tracks=4)
    pd.read_csv(folder / "go_track_tracks.csv").drop(columns="car_or_bus").to_csv(folder / "go_track_tracks.csv",
                                                                                  index=False)
    with pytest.raises(ValueError, match=r"go_track_tracks\.csv: missing column\(s\) 'car_or_bus' \(has id\)"):
        read_gotrack(folder)
    mat = tmp_path / "Animals"
    mat.mkdir()
    table = _points([1, 2]).rename(columns={"track_id": "tid", "x": "lon", "y": "lat"})
    table.to_csv(mat / "specific_train.csv", index=False)
    table.drop(columns="label").to_csv(mat / "specific_test.csv", index=False)
    with pytest.raises(ValueError, match=r"specific_test\.csv: missing column\(s\) 'label'"):
        read_mat_raw(mat, "all")
