"""Graph-JEPA modality: METIS subgraph patches of torch-geometric graphs (see ``adapter.py``)."""

from jepa_domains.modalities.graph.adapter import GraphAdapter, GraphConfig
from jepa_domains.modalities.graph.collate import GraphBatch
from jepa_domains.modalities.graph.tokenizer import GraphPatchTokenizer, HyperbolicTargetHead

__all__ = ["GraphAdapter", "GraphBatch", "GraphConfig", "GraphPatchTokenizer", "HyperbolicTargetHead"]
