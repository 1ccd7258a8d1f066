"""The modality-free JEPA: encoder, EMA target encoder, predictor, latent loss, regulariser."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from jepa_domains.core.batch import Batch
from jepa_domains.core.distributed import gather_with_grad
from jepa_domains.core.ema import ema_update
from jepa_domains.core.losses import latent_loss
from jepa_domains.core.predictor import Predictor
from jepa_domains.core.regularizers import effective_rank
from jepa_domains.core.tokens import MaskPlan, Tokens, gather_tokens
from jepa_domains.core.transformer import Transformer


class Encoder(nn.Module):
    """Tokenizer + transformer. The tokenizer is owned here so that the EMA target encoder
    carries its own copy.

    Args:
        tokenizer: module mapping a modality batch to :class:`Tokens` of width ``dim``.
        dim, depth, num_heads, mlp_ratio: transformer shape.
        readout_layers: how many of the last representations (the token embeddings, then each
            block's output) the whole-input :meth:`forward` concatenates, each through the final
            norm (``1``: the last block's output, ``[R, N, D]``; ``K``: ``[R, N, K * D]``). It
            only changes what a frozen evaluation reads; pretraining always uses the last block.
    """

    def __init__(self, tokenizer: nn.Module, *, dim: int, depth: int, num_heads: int,
                 mlp_ratio: float = 4.0, readout_layers: int = 1) -> None:
        super().__init__()
        if not 1 <= readout_layers <= depth + 1:
            raise ValueError(f"readout_layers must lie in [1, depth + 1 = {depth + 1}], got {readout_layers}")
        self.tokenizer = tokenizer
        self.transformer = Transformer(dim=dim, depth=depth, num_heads=num_heads, mlp_ratio=mlp_ratio)
        self.dim = dim
        self.readout_layers = readout_layers

    def prepare(self, batch: Batch) -> Batch:
        """The tokenizer's parameter-free, deterministic preprocessing (e.g. point grouping,
        log-mel extraction on the device), when it has one. JEPA runs it once per batch and
        shares the result between the online and the EMA tokenizer."""
        prepare = getattr(self.tokenizer, "prepare", None)
        return prepare(batch) if prepare is not None else batch

    def tokenize(self, batch: Batch) -> Tokens:
        tokens = self.tokenizer(batch)
        if tokens.x.shape[-1] != self.dim:
            raise ValueError(f"tokenizer produced width {tokens.x.shape[-1]}, encoder expects {self.dim}")
        return tokens

    def encode(self, tokens: Tokens, index: Tensor | None = None, index_pad: Tensor | None = None) -> Tensor:
        """Encode all tokens, or only those at ``index`` (``[R, n]``, padded by ``index_pad``).

        Returns ``[R, N or n, D]`` latents.
        """
        x = tokens.x + tokens.pos
        if index is None:
            return self.transformer(x, tokens.pad)
        return self.transformer(gather_tokens(x, index), index_pad)

    def forward(self, batch: Batch) -> tuple[Tensor, Tensor]:
        """Encode a whole batch: returns latents ``[R, N, readout_layers * D]`` and padding ``[R, N]``."""
        tokens = self.tokenize(batch)
        return self.transformer(tokens.x + tokens.pos, tokens.pad, layers=self.readout_layers), tokens.pad


@dataclass
class JEPAOutput:
    """``loss`` is what to backpropagate; ``logs`` holds detached scalar tensors."""

    loss: Tensor
    logs: dict[str, Tensor] = field(default_factory=dict)
    # with ``diagnostics=True``: the detached inputs of :meth:`JEPA.diagnostics`
    watch: tuple[Tensor, ...] | None = None


class JEPA(nn.Module):
    """Predict layer-normed target-encoder latents of the target tokens from the context.

    Args:
        encoder: the online (context) encoder.
        predictor: the narrow predictor.
        loss: ``"smooth_l1"``, ``"l2"`` or ``"cosine"``.
        regularizer: optional module returning ``(weighted, unweighted, logs)`` on ``[N, D]``.
        target_head: optional module applied to both predictions and targets before the loss
            (e.g. a projection onto a manifold); None compares latents directly.
        share_tokenizer: the target encoder uses the online tokenizer itself (trained by
            gradient, not averaged) and the EMA covers only its transformer (Point-JEPA,
            Graph-JEPA). The module is registered under both encoders, so a state dict still
            holds complete ``encoder.*`` and ``target_encoder.*`` keys.
        freeze_tokenizer: the tokenizer keeps its initial weights and stays in eval mode (batch
            norms keep their initial statistics); implies ``share_tokenizer``. Only the
            transformer and the predictor learn, on top of fixed random token features (MoCo v3's
            frozen random patch projection): the loss cannot make targets predictable by making
            the tokens alike.
    """

    def __init__(self, *, encoder: Encoder, predictor: Predictor, loss: str = "smooth_l1",
                 regularizer: nn.Module | None = None, target_head: nn.Module | None = None,
                 share_tokenizer: bool = False, freeze_tokenizer: bool = False) -> None:
        super().__init__()
        self.encoder = encoder
        self.predictor = predictor
        self.target_encoder = copy.deepcopy(encoder)
        self.target_encoder.requires_grad_(False)
        self.share_tokenizer = share_tokenizer or freeze_tokenizer
        self.freeze_tokenizer = freeze_tokenizer
        if self.share_tokenizer:
            self.tie_tokenizer()
        if freeze_tokenizer:
            self.encoder.tokenizer.requires_grad_(False)
        self.loss_kind = loss
        self.regularizer = regularizer
        self.target_head = target_head

    def tie_tokenizer(self) -> None:
        """Make the target encoder use the online tokenizer module (its frozen copy is dropped).
        Call again after anything that replaces submodules by copies; ``forward`` refuses to run
        on an untied model rather than train two diverging tokenizers."""
        if not self.share_tokenizer:
            raise RuntimeError("tie_tokenizer() needs a JEPA built with share_tokenizer=True")
        self.target_encoder.tokenizer = self.encoder.tokenizer

    def _target_tokens(self, batch: Batch, tokens: Tokens) -> Tokens:
        """Tokens the target encoder sees.

        Of ``batch`` itself: the online ones (shared tokenizer, no second pass; detached because
        the target side gets no gradient) or its own EMA tokenizer's. Of ``batch.target_view``
        when the collate made one (the context then reads a perturbed copy): that view through
        the shared or the EMA tokenizer; its token grid and padding must match the context's.
        """
        if self.share_tokenizer and self.target_encoder.tokenizer is not self.encoder.tokenizer:
            raise RuntimeError("share_tokenizer is set but the target tokenizer is a separate module; "
                               "call JEPA.tie_tokenizer() after rebuilding submodules")
        view = batch.target_view
        if view is None:
            if self.share_tokenizer:
                return Tokens(tokens.x.detach(), tokens.pos.detach(), tokens.pad)
            self.target_encoder.eval()
            return self.target_encoder.tokenize(batch)
        view = self.encoder.prepare(view)
        if not self.share_tokenizer:
            self.target_encoder.eval()
        clean = self.target_encoder.tokenize(view)
        if clean.pad.shape != tokens.pad.shape or not torch.equal(clean.pad, tokens.pad):
            raise ValueError(f"the batch's target view tokenizes to a grid of {tuple(clean.pad.shape)} with "
                             f"{int((~clean.pad).sum())} tokens, the context view to {tuple(tokens.pad.shape)} with "
                             f"{int((~tokens.pad).sum())}: one mask plan cannot index both")
        return clean

    def forward(self, batch: Batch, plan: MaskPlan, *, seed: int = 0, diagnostics: bool = False) -> JEPAOutput:
        batch = self.encoder.prepare(batch)
        if self.freeze_tokenizer:
            # whatever mode the caller set (``model.train()``, the online probe): fixed features
            self.encoder.tokenizer.eval()
        tokens = self.encoder.tokenize(batch)
        context = self.encoder.encode(tokens, plan.context, plan.context_pad)           # [R, Nc, D]
        with torch.no_grad():
            # only the transformer: a shared tokenizer must stay in the online encoder's mode
            self.target_encoder.transformer.eval()
            t_tokens = self._target_tokens(batch, tokens)
            full = self.target_encoder.encode(t_tokens)                                   # [R, N, D]
            full = F.layer_norm(full, full.shape[-1:])
            target = gather_tokens(full, plan.targets)                                   # [R, M, Nt, D]
        pred = self.predictor(
            context,
            gather_tokens(tokens.pos, plan.context),
            plan.context_pad,
            gather_tokens(tokens.pos, plan.targets),
            plan.target_pad,
        )
        if self.target_head is not None:
            pred, target = self.target_head(pred), self.target_head(target)
        loss = latent_loss(pred, target, plan.target_pad, self.loss_kind)
        logs = {"loss_pred": loss.detach()}
        if self.regularizer is not None:
            weighted, _, reg_logs = self.regularizer(context[~plan.context_pad], seed=seed)
            loss = loss + weighted
            logs.update(reg_logs)
        logs["loss"] = loss.detach()
        out = JEPAOutput(loss=loss, logs=logs)
        if diagnostics:
            # kept, not computed: the caller runs :meth:`diagnostics` once it knows the loss is
            # finite on every rank (an overflowing input must reach the non-finite guard, not
            # crash the SVD of the effective rank)
            out.watch = (pred.detach(), target, plan.target_pad, full, t_tokens.pad)
        return out

    @staticmethod
    @torch.no_grad()
    def diagnostics(pred: Tensor, target: Tensor, target_pad: Tensor, full: Tensor, pad: Tensor) -> dict[str, Tensor]:
        """Collapse watch: per-feature std across tokens of targets and predictions, and the
        effective rank of per-row mean-pooled target latents, with its ceiling
        ``effective_rank_max = min(rows, dim)`` (rows gathered over processes)."""
        keep = ~target_pad
        keep_full = (~pad).unsqueeze(-1).float()
        pooled = (full * keep_full).sum(1) / keep_full.sum(1).clamp_min(1.0)            # [R, D]
        # batch statistics over the global batch under data parallelism (identity otherwise)
        pooled = gather_with_grad(pooled)
        return {
            "target_std": gather_with_grad(target[keep].float()).std(0).mean(),
            "pred_std": gather_with_grad(pred[keep].float()).std(0).mean(),
            "effective_rank": effective_rank(pooled) if pooled.shape[0] > 1 else torch.ones(()),
            "effective_rank_max": torch.tensor(float(min(pooled.shape)), device=pooled.device),
        }

    @torch.no_grad()
    def update_target(self, momentum: float) -> None:
        """EMA step of the target encoder; a shared tokenizer is left alone (it *is* the online
        one, averaging it with itself would only cost time)."""
        if self.share_tokenizer:
            ema_update(self.target_encoder.transformer, self.encoder.transformer, momentum)
        else:
            ema_update(self.target_encoder, self.encoder, momentum)
