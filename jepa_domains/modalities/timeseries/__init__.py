"""Time-series modality: registers ``timeseries``."""

from jepa_domains.modalities.timeseries.adapter import TimeSeriesAdapter, TimeSeriesConfig

__all__ = ["TimeSeriesAdapter", "TimeSeriesConfig"]
