"""`SatControlNetModel3D`: DiffusionSat's temporal ('mixattn') ControlNet over T control frames.

Follows the released ``ControlNetModel3D`` (parity README sections 2 and 8):

* control input ``(B, C, T, H, W)``; a Conv3d conditioning CNN (kernel 3, down-sampling convs
  kernel (1,3,3) stride (1,2,2), one per level: x8 with the released four channel counts, x4 with three
  for a x4 VAE) embeds it to ``(B, C0, T, h, w)``;
* the 2-D encoder (down + mid blocks) runs on the frame-major batch ``B*T`` (row ``b*T + t``):
  latent ``conv_in`` output repeated T times + frame embedding; timestep, target-metadata embedding
  and text states repeated T times; frame t's control metadata (``cond_metadata[..., t]``) through
  the shared metadata MLPs added to row ``b*T + t``;
* every residual: reshape to ``(B, C, T, h, w)``, 1x1x1 Conv3d zero-conv (5-D weights, as released),
  on temporal slots ``alpha * temporal(x) + (1 - alpha) * x`` with ``alpha = clamp(mixing, 0, 1)``,
  then the **sum over T**; the mid residual is zero-conv + sum (no temporal block);
* temporal slots: slot 0 is ``TransformerTemporalModel(8 heads x 64, GroupNorm 32)`` whatever the
  config; the slot after each down-sampler has ``C // a`` heads of ``a`` dims with ``a =
  attention_head_dim[level]`` (the reverse of the UNet's convention) and the config's norm groups; the
  other slots are Identity with an unused ``mixing_attns`` entry (kept: it is in the state dict).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import torch
from torch import nn
from torch.nn import functional as F

from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.attention import AttentionMixin
from diffusers.models.modeling_utils import ModelMixin

from .controlnet import SatControlNetOutput, _finish, _run_encoder, _SatControlNetMixin, zero_module
from .temporal import TransformerTemporalModel, clamp_mixing


class SatConditioningEmbedding3D(nn.Module):
    """Conv3d conditioning CNN of the temporal ControlNet (x2 spatial down-sampling per level, frames kept)."""

    def __init__(self, conditioning_embedding_channels: int, conditioning_channels: int = 3,
                 block_out_channels=(16, 32, 96, 256)):
        super().__init__()
        self.conv_in = nn.Conv3d(conditioning_channels, block_out_channels[0], kernel_size=3, padding=1)
        self.blocks = nn.ModuleList([])
        for i in range(len(block_out_channels) - 1):
            c_in, c_out = block_out_channels[i], block_out_channels[i + 1]
            self.blocks.append(nn.Conv3d(c_in, c_in, kernel_size=3, padding=1))
            self.blocks.append(nn.Conv3d(c_in, c_out, kernel_size=(1, 3, 3), padding=(0, 1, 1), stride=(1, 2, 2)))
        self.conv_out = zero_module(nn.Conv3d(block_out_channels[-1], conditioning_embedding_channels, 3, padding=1))

    def forward(self, conditioning: torch.Tensor) -> torch.Tensor:
        x = F.silu(self.conv_in(conditioning))
        for block in self.blocks:
            x = F.silu(block(x))
        return self.conv_out(x)


def _frames_to_batch(x: torch.Tensor) -> torch.Tensor:
    """(B, C, T, h, w) -> (B*T, C, h, w), frame-major within a sample."""
    b, c, t, h, w = x.shape
    return x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w)


def _batch_to_frames(x: torch.Tensor, frames: int) -> torch.Tensor:
    """(B*T, C, h, w) -> (B, C, T, h, w)."""
    bt, c, h, w = x.shape
    return x.reshape(bt // frames, frames, c, h, w).permute(0, 2, 1, 3, 4)


class SatControlNetModel3D(_SatControlNetMixin, ModelMixin, AttentionMixin, ConfigMixin):
    """DiffusionSat temporal ControlNet (released class name ``ControlNetModel3D``)."""

    _supports_gradient_checkpointing = True

    @register_to_config
    def __init__(
        self,
        in_channels: int = 4,
        flip_sin_to_cos: bool = True,
        freq_shift: int = 0,
        down_block_types: Tuple[str, ...] = ("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        only_cross_attention=False,
        block_out_channels: Tuple[int, ...] = (320, 640, 1280, 1280),
        layers_per_block: int = 2,
        downsample_padding: int = 1,
        mid_block_scale_factor: float = 1,
        act_fn: str = "silu",
        norm_num_groups: Optional[int] = 32,
        norm_eps: float = 1e-5,
        cross_attention_dim: int = 1280,
        attention_head_dim=8,
        use_linear_projection: bool = False,
        class_embed_type: Optional[str] = None,
        num_class_embeds: Optional[int] = None,
        upcast_attention: bool = False,
        resnet_time_scale_shift: str = "default",
        projection_class_embeddings_input_dim: Optional[int] = None,
        controlnet_conditioning_channel_order: str = "rgb",
        conditioning_embedding_out_channels: Optional[Tuple[int, ...]] = (16, 32, 96, 256),
        global_pool_conditions: bool = False,
        conditioning_in_channels: int = 3,
        use_temporal_transformer: bool = False,
        use_metadata: bool = True,
        num_metadata: int = 7,
    ):
        super().__init__()
        self._check_common(down_block_types, block_out_channels, only_cross_attention, attention_head_dim,
                           class_embed_type, num_class_embeds)
        time_embed_dim = self._build_embeddings(in_channels, block_out_channels, flip_sin_to_cos, freq_shift, act_fn,
                                                use_metadata, num_metadata)
        self.controlnet_cond_embedding = SatConditioningEmbedding3D(
            conditioning_embedding_channels=block_out_channels[0],
            conditioning_channels=conditioning_in_channels,
            block_out_channels=conditioning_embedding_out_channels,
        )

        def zero_conv(c):
            return zero_module(nn.Conv3d(c, c, kernel_size=1))

        slots = self._build_down_blocks(
            down_block_types, block_out_channels, layers_per_block, time_embed_dim, norm_eps, act_fn, norm_num_groups,
            cross_attention_dim, attention_head_dim, downsample_padding, use_linear_projection, only_cross_attention,
            upcast_attention, resnet_time_scale_shift, zero_conv,
        )
        heads = list(attention_head_dim) if isinstance(attention_head_dim, (list, tuple)) else [attention_head_dim] * len(block_out_channels)
        if use_temporal_transformer:
            self.temporal_blocks = nn.ModuleList([])
            mixing = []
            for channels, level, kind in slots:
                if kind == "in":
                    block = TransformerTemporalModel(num_attention_heads=8, attention_head_dim=64,
                                                     in_channels=channels, num_layers=1)
                elif kind == "down":
                    block = TransformerTemporalModel(channels // heads[level], heads[level], in_channels=channels,
                                                     num_layers=1, cross_attention_dim=cross_attention_dim,
                                                     norm_num_groups=norm_num_groups)
                else:
                    block = nn.Identity()
                self.temporal_blocks.append(block)
                mixing.append(nn.Parameter(torch.tensor(0.0), requires_grad=not isinstance(block, nn.Identity)))
            self.mixing_attns = nn.ParameterList(mixing)
        else:
            self.temporal_blocks = None
            self.mixing_attns = None
        self._build_mid(block_out_channels, time_embed_dim, norm_eps, act_fn, mid_block_scale_factor,
                        resnet_time_scale_shift, cross_attention_dim, attention_head_dim, norm_num_groups,
                        use_linear_projection, upcast_attention, zero_conv)

    @classmethod
    def from_unet(cls, unet, conditioning_in_channels: int = 3, use_temporal_transformer: bool = False,
                  controlnet_conditioning_channel_order: str = "rgb",
                  conditioning_embedding_out_channels=(16, 32, 96, 256), load_weights_from_unet: bool = True):
        model = cls(
            **cls._config_from_unet(unet),
            controlnet_conditioning_channel_order=controlnet_conditioning_channel_order,
            conditioning_embedding_out_channels=conditioning_embedding_out_channels,
            conditioning_in_channels=conditioning_in_channels,
            use_temporal_transformer=use_temporal_transformer,
        )
        if load_weights_from_unet:
            model._copy_from_unet(unet)
        return model

    def mixing_alpha(self) -> Optional[torch.Tensor]:
        """Effective mixing weight of every slot, clamp(mixing_attns, 0, 1) (Identity slots unused)."""
        if self.mixing_attns is None:
            return None
        return torch.stack([clamp_mixing(p) for p in self.mixing_attns])

    def embedding(self, sample, timestep, metadata=None, cond_metadata=None, num_frames: int = 1) -> torch.Tensor:
        """(B*T, D) embedding: time + target metadata repeated per frame + frame t's control metadata."""
        timesteps = self._timesteps(sample, timestep).repeat_interleave(num_frames)
        t_emb = self.time_proj(timesteps).to(dtype=sample.dtype)
        emb = self.time_embedding(t_emb)
        md = self._metadata(metadata, sample)
        if md is not None:
            emb = self.metadata_embedding.add_to(emb, md, repeat=num_frames)
            cmd = self._cond_metadata(cond_metadata, sample)
            if cmd is not None:
                if cmd.dim() == 3 and cmd.shape[2] == 1:
                    cmd = cmd[:, :, 0]  # one vector for every frame
                if cmd.dim() == 3:
                    if cmd.shape[2] != num_frames:
                        raise ValueError(
                            f"cond_metadata has {cmd.shape[2]} frames but controlnet_cond has {num_frames}"
                        )
                    emb = self.metadata_embedding.add_cond_to(emb, cmd, per_frame=True)
                else:
                    emb = self.metadata_embedding.add_to(emb, cmd, repeat=num_frames)
        return emb

    def forward(
        self,
        sample: torch.Tensor,
        timestep,
        encoder_hidden_states: torch.Tensor,
        controlnet_cond: torch.Tensor,
        conditioning_scale: float = 1.0,
        metadata=None,
        cond_metadata=None,
        return_dict: bool = True,
        attention_mask: Optional[torch.Tensor] = None,
        cross_attention_kwargs: Optional[Dict[str, Any]] = None,
        guess_mode: bool = False,
    ):
        """``controlnet_cond`` (B, C, T, H, W) with H, W = 8 x the latent's; ``cond_metadata`` (B, N, T)
        (or (B, N) / (B, N, 1) for the same vector on every frame). Returns the residuals summed over T."""
        if controlnet_cond.dim() != 5:
            raise ValueError(f"controlnet_cond must be (B, C, T, H, W), got {tuple(controlnet_cond.shape)}")
        order = self.config.controlnet_conditioning_channel_order
        if order == "bgr":
            controlnet_cond = torch.flip(controlnet_cond, dims=[1])
        elif order != "rgb":
            raise ValueError(f"unknown controlnet_conditioning_channel_order {order!r}")
        frames = controlnet_cond.shape[2]
        if attention_mask is not None:
            attention_mask = ((1 - attention_mask.to(sample.dtype)) * -10000.0).unsqueeze(1)
            attention_mask = attention_mask.repeat_interleave(frames, dim=0)

        emb = self.embedding(sample, timestep, metadata, cond_metadata, num_frames=frames)
        encoder_hidden_states = encoder_hidden_states.repeat_interleave(frames, dim=0)
        cond = _frames_to_batch(self.controlnet_cond_embedding(controlnet_cond.to(sample.dtype)))
        sample = self.conv_in(sample)
        if cond.shape[-2:] != sample.shape[-2:]:
            raise ValueError(
                f"control frames embed to {tuple(cond.shape[-2:])} but the latent is {tuple(sample.shape[-2:])}: "
                "control frames must be 8 x the latent size"
            )
        sample = sample.repeat_interleave(frames, dim=0) + cond
        sample, res = _run_encoder(self, sample, emb, encoder_hidden_states, attention_mask, cross_attention_kwargs)

        down = []
        for i, (r, zc) in enumerate(zip(res, self.controlnet_down_blocks)):
            r = zc(_batch_to_frames(r, frames))  # (B, C, T, h, w)
            if self.temporal_blocks is not None and not isinstance(self.temporal_blocks[i], nn.Identity):
                alpha = clamp_mixing(self.mixing_attns[i]).to(dtype=r.dtype)
                t_out = self.temporal_blocks[i](
                    _frames_to_batch(r), num_frames=frames, cross_attention_kwargs=cross_attention_kwargs
                ).sample
                r = alpha * _batch_to_frames(t_out, frames) + (1 - alpha) * r
            down.append(r.sum(dim=2))
        mid = self.controlnet_mid_block(_batch_to_frames(sample, frames)).sum(dim=2)
        return _finish(self, down, mid, conditioning_scale, guess_mode, return_dict, spatial_dims=(2, 3))


__all__ = ["SatControlNetModel3D", "SatConditioningEmbedding3D", "SatControlNetOutput"]
