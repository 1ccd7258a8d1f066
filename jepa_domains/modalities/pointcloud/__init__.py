"""Point clouds and meshes (Point-JEPA). Importing this package registers ``pointcloud``."""

from jepa_domains.modalities.pointcloud.adapter import PointCloudAdapter, PointCloudBatch, PointCloudConfig
from jepa_domains.modalities.pointcloud.grouping import (
    farthest_point_sample,
    greedy_sequence,
    group_points,
    knn_indices,
    morton_sequence,
)
from jepa_domains.modalities.pointcloud.tokenizer import MiniPointNet, PointGroupTokenizer

__all__ = [
    "MiniPointNet", "PointCloudAdapter", "PointCloudBatch", "PointCloudConfig", "PointGroupTokenizer",
    "farthest_point_sample", "greedy_sequence", "group_points", "knn_indices", "morton_sequence",
]
