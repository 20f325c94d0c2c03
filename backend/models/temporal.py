"""Temporal pieces of the 3-D ControlNet.

The temporal transformer is diffusers' ``TransformerTemporalModel``: GroupNorm (eps 1e-6) whose
statistics span the frames, attention over the T frames of each pixel, ``attn2`` a second
self-attention (``double_self_attention=True``), GEGLU feed-forward, no positional encoding, output
added to its input. The parity README (section 8) records that its current reshape is numerically
identical to the diffusers 0.17 one the released models were trained with; the fixtures check it.
"""

from __future__ import annotations

import torch

from diffusers.models.transformers.transformer_temporal import TransformerTemporalModel


class _ClampStraightThrough(torch.autograd.Function):
    """clamp(x, 0, 1) forward, identity gradient backward (the released ``MixingParam``)."""

    @staticmethod
    def forward(ctx, x):
        return x.clamp(min=0.0, max=1.0)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.clone()


def clamp_mixing(param: torch.Tensor) -> torch.Tensor:
    """Effective mixing weight alpha = clamp(param, 0, 1) (gradient passes straight through)."""
    if param.requires_grad and torch.is_grad_enabled():
        return _ClampStraightThrough.apply(param)
    return param.clamp(min=0.0, max=1.0)


__all__ = ["TransformerTemporalModel", "clamp_mixing"]
