"""Build the model and masker of a run from its config: the one place that wires an adapter
into the core."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from jepa_domains.core import JEPA, Encoder, Predictor, build_regularizer
from jepa_domains.core.maskers import Masker
from jepa_domains.modalities.base import ModalityAdapter
from jepa_domains.registry import get_modality
from jepa_domains.train.config import RunConfig, modality_options


@dataclass
class Built:
    adapter: ModalityAdapter
    options: Any
    model: JEPA
    masker: Masker


def build_encoder(adapter: ModalityAdapter, options: Any, cfg: RunConfig) -> Encoder:
    m = cfg.model
    tokenizer = adapter.build_tokenizer(options, m.dim)
    return Encoder(tokenizer, dim=m.dim, depth=m.depth, num_heads=m.num_heads, mlp_ratio=m.mlp_ratio,
                   readout_layers=m.readout_layers)


def build_model(adapter: ModalityAdapter, options: Any, cfg: RunConfig) -> JEPA:
    """The JEPA of a run; weights initialised from ``cfg.train.seed``."""
    torch.manual_seed(cfg.train.seed)
    m = cfg.model
    encoder = build_encoder(adapter, options, cfg)
    predictor = Predictor(dim=m.dim, pred_dim=m.pred_dim, depth=m.pred_depth, num_heads=m.pred_heads,
                          mlp_ratio=m.mlp_ratio)
    target_head = adapter.build_target_head(options, m.dim)
    return JEPA(encoder=encoder, predictor=predictor, loss=cfg.objective.loss,
                regularizer=build_regularizer(cfg.objective.regularizer, cfg.objective.regularizer_weight),
                target_head=target_head, share_tokenizer=cfg.objective.share_tokenizer,
                freeze_tokenizer=cfg.objective.freeze_tokenizer)


def adapter_and_options(cfg: RunConfig) -> tuple[ModalityAdapter, Any]:
    """The run's adapter and its typed options (no model built)."""
    adapter = get_modality(cfg.modality_name)
    return adapter, modality_options(adapter.Config, cfg.modality)


def build(cfg: RunConfig) -> Built:
    adapter, options = adapter_and_options(cfg)
    return Built(adapter=adapter, options=options, model=build_model(adapter, options, cfg),
                 masker=adapter.build_masker(options))
