"""Trajectory modality (T-JEPA): importing this package registers ``trajectory``."""

from jepa_domains.modalities.trajectory.adapter import TrajectoryAdapter, TrajectoryConfig

__all__ = ["TrajectoryAdapter", "TrajectoryConfig"]
