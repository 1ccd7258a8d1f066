"""The throughput benchmark: one tiny measured step, its breakdown and the MFU peak table."""

import pytest

from jepa_domains.benchmarks.throughput import device_peak, format_table, measure

TINY = ["model.dim=32", "model.depth=1", "model.num_heads=2", "model.pred_dim=16", "model.pred_depth=1",
        "model.pred_heads=2", "data.source=GunPoint"]


def test_measure_reports_a_consistent_breakdown():
    row = measure("timeseries", quick=True, steps=2, warmup=1, batch_size=8, device="cpu", overrides=TINY)
    parts = sum(row[k] for k in ("data_ms", "tokenize_ms", "forward_ms", "backward_ms", "optim_ms"))
    assert row["step_ms"] == pytest.approx(parts)
    assert row["samples_per_s"] == pytest.approx(8 / (row["step_ms"] / 1000))
    # GunPoint: 150 steps, patch 16 stride 8 -> 17 patches per (single-channel) row, no padding
    assert row["tokens_per_s"] == pytest.approx(17 * row["samples_per_s"], rel=1e-6)
    assert row["batch"] == 8 and row["device"].startswith("cpu") and row["MFU"] is None
    assert row["GFLOP_per_step"] > 0 and row["peak_mem_MB"] > 10 and row["params_M"] > 0
    table = format_table([row, {"modality": "audio", "sizes": "quick", "error": "boom"}])
    assert "timeseries" in table and "FAILED: boom" in table


def test_peak_table_by_device_name():
    assert device_peak("NVIDIA H100 80GB HBM3") == 989e12
    assert device_peak("NVIDIA H200") == 989e12
    assert device_peak("NVIDIA A100-SXM4-80GB") == 312e12
    assert device_peak("Tesla T4") is None


def test_bad_step_counts_are_rejected():
    with pytest.raises(ValueError, match="steps must be >= 1"):
        measure("timeseries", steps=0)
