"""1-D multi-span masking over an ordered token sequence (Point-JEPA, T-JEPA, TS-JEPA spans)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from jepa_domains.core.maskers.base import (
    Masker,
    RowMask,
    check_range,
    ensure_context,
    randint,
    uniform,
    valid_indices,
)


class SpanMasker(Masker):
    """``M`` target spans over the first axis, context taken from the remaining tokens.

    Target span lengths are a fraction of the valid length, drawn either uniformly from a
    ``(min, max)`` range or from a set of choices. A span is contiguous with probability
    ``contiguous_prob`` and otherwise scattered (the same number of tokens at random positions).
    The context is then built from the tokens no target covers, either as one contiguous run of
    the remaining sequence (Point-JEPA) or as a random subset (T-JEPA); ``context_ratio`` is the
    fraction of the remaining tokens kept.

    Args:
        num_targets: ``M``, the number of target spans.
        target_ratio: ``(min, max)`` range of each span's fraction of the valid length.
        target_ratio_choices: alternatively, a set of fractions drawn uniformly (T-JEPA:
            ``(0.2, 0.3, 0.4)``); overrides ``target_ratio`` when given.
        contiguous_prob: probability that a span is contiguous rather than scattered.
        context_ratio: ``(min, max)`` fraction of the non-target tokens used as context.
        context_mode: ``"contiguous"`` (one run of the remaining tokens) or ``"random"``.
        future: if True, the single target span is the end of the valid sequence (future-block
            masking for forecasting); the context is drawn from what precedes it.
    """

    def __init__(
        self,
        *,
        num_targets: int = 4,
        target_ratio: tuple[float, float] = (0.15, 0.2),
        target_ratio_choices: Sequence[float] | None = None,
        contiguous_prob: float = 1.0,
        context_ratio: tuple[float, float] = (0.4, 0.75),
        context_mode: str = "contiguous",
        future: bool = False,
    ) -> None:
        if num_targets < 1:
            raise ValueError(f"num_targets must be >= 1, got {num_targets}")
        if context_mode not in ("contiguous", "random"):
            raise ValueError(f"context_mode must be 'contiguous' or 'random', got {context_mode!r}")
        if not 0.0 <= contiguous_prob <= 1.0:
            raise ValueError(f"contiguous_prob must be in [0, 1], got {contiguous_prob}")
        self.num_targets = num_targets
        self.target_ratio = check_range("target_ratio", target_ratio)
        self.choices = None
        if target_ratio_choices is not None:
            self.choices = tuple(float(c) for c in target_ratio_choices)
            if not self.choices or any(not 0.0 < c < 1.0 for c in self.choices):
                raise ValueError(f"target_ratio_choices must be fractions in (0, 1), got {target_ratio_choices}")
        self.contiguous_prob = contiguous_prob
        self.context_ratio = check_range("context_ratio", context_ratio)
        if self.context_ratio[0] <= 0.0:
            raise ValueError(f"context_ratio must be > 0, got {context_ratio}")
        self.context_mode = context_mode
        self.future = future

    def _span_ratio(self, generator: torch.Generator) -> float:
        if self.choices is not None:
            return self.choices[randint(generator, 0, len(self.choices) - 1)]
        return uniform(generator, *self.target_ratio)

    def _sample_span(self, n: int, generator: torch.Generator) -> torch.Tensor:
        length = min(max(1, round(self._span_ratio(generator) * n)), n)
        if self.future:
            return torch.arange(n - length, n)
        if float(torch.rand((), generator=generator)) < self.contiguous_prob:
            start = randint(generator, 0, n - length)
            return torch.arange(start, start + length)
        return torch.randperm(n, generator=generator)[:length].sort().values

    def sample_row(self, shape, extent, generator, progress) -> RowMask:
        if len(shape) != 1:
            raise ValueError(f"SpanMasker needs a 1-D layout, got shape {shape}")
        n = valid_indices(shape, extent).numel()
        n_targets = 1 if self.future else self.num_targets
        targets = [self._sample_span(n, generator) for _ in range(n_targets)]
        covered = torch.zeros(n, dtype=torch.bool)
        for t in targets:
            covered[t] = True
        rest = torch.nonzero(~covered).squeeze(1)
        keep = min(len(rest), max(1, round(uniform(generator, *self.context_ratio) * len(rest)))) if len(rest) else 0
        if self.context_mode == "contiguous" or self.future:
            start = len(rest) - keep if self.future else randint(generator, 0, len(rest) - keep)
            context = rest[start : start + keep]
        else:
            context = rest[torch.randperm(len(rest), generator=generator)[:keep]].sort().values
        return ensure_context(context, targets)
