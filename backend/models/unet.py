"""`SatUNet`: diffusers' UNet2DConditionModel plus DiffusionSat's metadata embedding.

The released ``SatUNet`` (diffusers 0.17) is a UNet2DConditionModel whose timestep embedding gets
``sum_i metadata_embedding[i](time_proj(metadata[:, i]))`` added (see
:mod:`backend.models.embeddings`). Everything else -- blocks, attention, the head split where
``attention_head_dim`` is really the *number of heads* -- is the stock UNet, so this class reuses
the current diffusers forward unchanged and only feeds the metadata embedding in through the
(otherwise unused) class-embedding hook. The cost over a plain UNet is 7 small MLPs per call.

Config: every UNet2DConditionModel key plus ``use_metadata`` and ``num_metadata``; the released
``unet/config.json`` files load as they are.
"""

from __future__ import annotations

import inspect
from collections import OrderedDict
from typing import Optional, Sequence

import torch

from diffusers.configuration_utils import register_to_config
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel, UNet2DConditionOutput

from .embeddings import MetadataEmbedding, as_metadata_tensor, zeros_metadata

_SAT_KEYS = ("use_metadata", "num_metadata")


def _reorder_modules(module: torch.nn.Module, name: str, after: str) -> None:
    """Move child ``name`` right after child ``after`` (state-dict order as in the released models)."""
    items = list(module._modules.items())
    moved = [(k, v) for k, v in items if k == name]
    rest = [(k, v) for k, v in items if k != name]
    out = []
    for k, v in rest:
        out.append((k, v))
        if k == after:
            out.extend(moved)
            moved = []
    out.extend(moved)
    module._modules = OrderedDict(out) if isinstance(module._modules, OrderedDict) else dict(out)


def _sat_unet_init(self, **kwargs):
    use_metadata = bool(kwargs.pop("use_metadata", True))
    num_metadata = int(kwargs.pop("num_metadata", 7))
    UNet2DConditionModel.__init__(self, **kwargs)
    cfg = self.config
    if use_metadata and self.class_embedding is not None:
        raise NotImplementedError("SatUNet with both metadata and a class embedding is not supported")
    if use_metadata and cfg.time_embedding_type != "positional":
        raise NotImplementedError("SatUNet metadata needs the positional (sinusoidal) time projection")
    self.use_metadata = use_metadata
    self.num_metadata = num_metadata
    if use_metadata:
        block_out_channels = cfg.block_out_channels
        self.metadata_embedding = MetadataEmbedding(
            num_metadata,
            in_channels=block_out_channels[0],
            time_embed_dim=self.time_embedding.linear_1.out_features,
            flip_sin_to_cos=cfg.flip_sin_to_cos,
            freq_shift=cfg.freq_shift,
        )
        _reorder_modules(self, "metadata_embedding", after="time_embedding")
    else:
        self.metadata_embedding = None
    # down residual slots (for residual-only calls, see forward)
    self._num_down_residuals = 1 + sum(
        len(b.resnets) + (len(b.downsamplers) if getattr(b, "downsamplers", None) is not None else 0)
        for b in self.down_blocks
    )


# The signature diffusers' config machinery sees: the UNet's own keys + ours.
_parent_params = list(inspect.signature(UNet2DConditionModel.__init__).parameters.values())
_sat_unet_init.__signature__ = inspect.Signature(
    _parent_params
    + [
        inspect.Parameter("use_metadata", inspect.Parameter.KEYWORD_ONLY, default=True),
        inspect.Parameter("num_metadata", inspect.Parameter.KEYWORD_ONLY, default=7),
    ]
)


class SatUNet(UNet2DConditionModel):
    """DiffusionSat UNet. ``forward(sample, timestep, encoder_hidden_states, metadata=None, ...)``.

    ``metadata``: (B, num_metadata) normalised vector(s) (a single (num_metadata,) vector is broadcast);
    ``None`` means all unknown (zeros), the value used for the CFG unconditional branch.
    """

    __init__ = register_to_config(_sat_unet_init)

    # --------------------------------------------------------------- embedding
    def get_class_embed(self, sample: torch.Tensor, class_labels: Optional[torch.Tensor]):
        # forward() routes the metadata here; the stock forward adds the result to the time embedding
        if self.metadata_embedding is None:
            return super().get_class_embed(sample=sample, class_labels=class_labels)
        return self.metadata_embedding(class_labels)

    def _metadata_or_zeros(self, metadata, sample: torch.Tensor) -> Optional[torch.Tensor]:
        if self.metadata_embedding is None:
            if metadata is not None:
                raise ValueError("this SatUNet was built with use_metadata=False; do not pass metadata")
            return None
        batch = sample.shape[0]
        metadata = as_metadata_tensor(metadata, batch, self.num_metadata, sample.device)
        if metadata is None:
            metadata = zeros_metadata(batch, self.num_metadata, device=sample.device)
        return metadata

    def embedding(self, sample: torch.Tensor, timestep, metadata=None) -> torch.Tensor:
        """The total embedding (time + metadata) every ResNet receives, as computed in :meth:`forward`."""
        t_emb = self.get_time_embed(sample=sample, timestep=timestep)
        emb = self.time_embedding(t_emb)
        md = self._metadata_or_zeros(metadata, sample)
        if md is not None:
            emb = emb + self.get_class_embed(sample, md)
        return emb

    # ----------------------------------------------------------------- forward
    def forward(
        self,
        sample: torch.Tensor,
        timestep,
        encoder_hidden_states: torch.Tensor,
        metadata=None,
        down_block_additional_residuals: Optional[Sequence[torch.Tensor]] = None,
        mid_block_additional_residual: Optional[torch.Tensor] = None,
        return_dict: bool = True,
        **kwargs,
    ):
        if "class_labels" in kwargs and self.metadata_embedding is not None:
            raise TypeError("SatUNet takes `metadata`, not `class_labels`")
        md = self._metadata_or_zeros(metadata, sample)
        if md is not None:
            kwargs["class_labels"] = md
        # The released UNet adds ControlNet residuals whenever they are given; current diffusers only
        # treats (down, mid) pairs as ControlNet residuals. Complete a lone half with exact zeros.
        if down_block_additional_residuals is not None or mid_block_additional_residual is not None:
            zero = sample.new_zeros(())
            if mid_block_additional_residual is None:
                mid_block_additional_residual = zero
            if down_block_additional_residuals is None:
                down_block_additional_residuals = (zero,) * self._num_down_residuals
            down_block_additional_residuals = tuple(down_block_additional_residuals)
            if len(down_block_additional_residuals) != self._num_down_residuals:
                raise ValueError(
                    f"expected {self._num_down_residuals} down-block residuals, got {len(down_block_additional_residuals)}"
                )
        return super().forward(
            sample,
            timestep,
            encoder_hidden_states,
            down_block_additional_residuals=down_block_additional_residuals,
            mid_block_additional_residual=mid_block_additional_residual,
            return_dict=return_dict,
            **kwargs,
        )


__all__ = ["SatUNet", "UNet2DConditionOutput"]
