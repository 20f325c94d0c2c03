"""`SatControlNetModel`: DiffusionSat's 2-D ControlNet on current diffusers blocks.

Differences from diffusers' ControlNetModel, all following the released code (README of the parity
fixtures, section 2):

* the time embedding gets the metadata embedding of the target (``metadata``) *and* of the control
  image (``cond_metadata``), both through the same per-field MLPs (:class:`MetadataEmbedding`);
  ``cond_metadata`` (B, N, T) is summed over T;
* any number of control channels (``conditioning_in_channels``);
* the conditioning CNN down-samples by an integer rule: its 2nd, 4th, 6th ... convs have stride 2
  only while a running ``scale`` (starting at config ``conditioning_scale``, doubling after each
  such conv until it reaches 8) is < 8. ``conditioning_scale=1`` gives x8 (control image at image
  resolution), ``2`` gives x4 (control image at half resolution, the fMoW super-resolution model).
  The 8 is the released VAE's factor; config ``conditioning_vae_factor`` (ours, default 8, absent from
  released configs) sets it for a model on another VAE (a x4 mini VAE: ``conditioning_scale=2`` is x2).

The config keys are the released ones (``conditioning_in_channels``, int ``conditioning_scale``,
``use_metadata``, ``num_metadata`` ...), so released ``controlnet/config.json`` files load as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

import torch
from torch import nn
from torch.nn import functional as F

from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.attention import AttentionMixin
from diffusers.models.embeddings import TimestepEmbedding, Timesteps
from diffusers.models.modeling_utils import ModelMixin
from diffusers.models.unets.unet_2d_blocks import UNetMidBlock2DCrossAttn, get_down_block
from diffusers.utils import BaseOutput

from .embeddings import MetadataEmbedding, as_metadata_tensor, zeros_metadata


@dataclass
class SatControlNetOutput(BaseOutput):
    down_block_res_samples: Tuple[torch.Tensor, ...]
    mid_block_res_sample: torch.Tensor


def conditioning_strides(num_levels: int, conditioning_scale: int, vae_factor: int = 8) -> list:
    """Strides of the down-sampling convs of the 2-D conditioning CNN (released integer rule, whose VAE
    factor is 8)."""
    strides = []
    scale = conditioning_scale
    for _ in range(num_levels):
        strides.append(2 if scale < vae_factor else 1)
        if scale != vae_factor:
            scale = int(scale * 2)
    return strides


class SatConditioningEmbedding(nn.Module):
    """Conditioning CNN: conv_in, pairs of (conv, down-sampling conv), zero-initialised conv_out; SiLU between."""

    def __init__(self, conditioning_embedding_channels: int, conditioning_channels: int = 3,
                 block_out_channels=(16, 32, 96, 256), scale: int = 1, vae_factor: int = 8):
        super().__init__()
        self.conv_in = nn.Conv2d(conditioning_channels, block_out_channels[0], kernel_size=3, padding=1)
        self.blocks = nn.ModuleList([])
        strides = conditioning_strides(len(block_out_channels) - 1, scale, vae_factor)
        for i, stride in enumerate(strides):
            c_in, c_out = block_out_channels[i], block_out_channels[i + 1]
            self.blocks.append(nn.Conv2d(c_in, c_in, kernel_size=3, padding=1))
            self.blocks.append(nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, stride=stride))
        self.conv_out = zero_module(nn.Conv2d(block_out_channels[-1], conditioning_embedding_channels, 3, padding=1))

    def forward(self, conditioning: torch.Tensor) -> torch.Tensor:
        x = F.silu(self.conv_in(conditioning))
        for block in self.blocks:
            x = F.silu(block(x))
        return self.conv_out(x)


def zero_module(module: nn.Module) -> nn.Module:
    for p in module.parameters():
        nn.init.zeros_(p)
    return module


def _as_list(value, n):
    return list(value) if isinstance(value, (list, tuple)) else [value] * n


class _SatControlNetMixin:
    """Construction and embedding code shared by the 2-D and 3-D ControlNets."""

    # ------------------------------------------------------------ construction
    def _check_common(self, down_block_types, block_out_channels, only_cross_attention, attention_head_dim,
                      class_embed_type, num_class_embeds):
        if len(block_out_channels) != len(down_block_types):
            raise ValueError(f"block_out_channels {block_out_channels} and down_block_types {down_block_types} differ in length")
        if not isinstance(only_cross_attention, bool) and len(only_cross_attention) != len(down_block_types):
            raise ValueError("only_cross_attention must have one entry per down block")
        if not isinstance(attention_head_dim, int) and len(attention_head_dim) != len(down_block_types):
            raise ValueError("attention_head_dim must have one entry per down block")
        if class_embed_type is not None or num_class_embeds is not None:
            raise NotImplementedError("class embeddings are not used by DiffusionSat ControlNets")

    def _build_embeddings(self, in_channels, block_out_channels, flip_sin_to_cos, freq_shift, act_fn,
                          use_metadata, num_metadata):
        self.conv_in = nn.Conv2d(in_channels, block_out_channels[0], kernel_size=3, padding=1)
        time_embed_dim = block_out_channels[0] * 4
        self.time_proj = Timesteps(block_out_channels[0], flip_sin_to_cos, freq_shift)
        self.time_embedding = TimestepEmbedding(block_out_channels[0], time_embed_dim, act_fn=act_fn)
        self.num_metadata = int(num_metadata) if use_metadata else 0
        if use_metadata:
            self.metadata_embedding = MetadataEmbedding(
                num_metadata, block_out_channels[0], time_embed_dim, flip_sin_to_cos=flip_sin_to_cos, freq_shift=freq_shift
            )
        else:
            self.metadata_embedding = None
        self.class_embedding = None
        return time_embed_dim

    def _build_down_blocks(self, down_block_types, block_out_channels, layers_per_block, time_embed_dim, norm_eps,
                           act_fn, norm_num_groups, cross_attention_dim, attention_head_dim, downsample_padding,
                           use_linear_projection, only_cross_attention, upcast_attention, resnet_time_scale_shift,
                           zero_conv):
        """Down blocks + one zero-conv per residual. ``zero_conv(channels)`` makes a zero conv.
        Returns the (channels, level, kind) of every residual slot, kind in {'in', 'layer', 'down'}."""
        n = len(down_block_types)
        only_cross_attention = _as_list(only_cross_attention, n)
        heads = _as_list(attention_head_dim, n)  # released convention: the NUMBER of heads
        self.down_blocks = nn.ModuleList([])
        self.controlnet_down_blocks = nn.ModuleList([])
        slots = []
        output_channel = block_out_channels[0]
        self.controlnet_down_blocks.append(zero_conv(output_channel))
        slots.append((output_channel, -1, "in"))
        for i, down_block_type in enumerate(down_block_types):
            input_channel = output_channel
            output_channel = block_out_channels[i]
            is_final_block = i == n - 1
            self.down_blocks.append(
                get_down_block(
                    down_block_type,
                    num_layers=layers_per_block,
                    transformer_layers_per_block=1,
                    in_channels=input_channel,
                    out_channels=output_channel,
                    temb_channels=time_embed_dim,
                    add_downsample=not is_final_block,
                    resnet_eps=norm_eps,
                    resnet_act_fn=act_fn,
                    resnet_groups=norm_num_groups,
                    cross_attention_dim=cross_attention_dim,
                    num_attention_heads=heads[i],
                    attention_head_dim=heads[i],
                    downsample_padding=downsample_padding,
                    use_linear_projection=use_linear_projection,
                    only_cross_attention=only_cross_attention[i],
                    upcast_attention=upcast_attention,
                    resnet_time_scale_shift=resnet_time_scale_shift,
                )
            )
            for _ in range(layers_per_block):
                self.controlnet_down_blocks.append(zero_conv(output_channel))
                slots.append((output_channel, i, "layer"))
            if not is_final_block:
                self.controlnet_down_blocks.append(zero_conv(output_channel))
                slots.append((output_channel, i, "down"))
        return slots

    def _build_mid(self, block_out_channels, time_embed_dim, norm_eps, act_fn, mid_block_scale_factor,
                   resnet_time_scale_shift, cross_attention_dim, attention_head_dim, norm_num_groups,
                   use_linear_projection, upcast_attention, zero_conv):
        heads = _as_list(attention_head_dim, len(block_out_channels))
        mid_block_channel = block_out_channels[-1]
        self.controlnet_mid_block = zero_conv(mid_block_channel)
        self.mid_block = UNetMidBlock2DCrossAttn(
            in_channels=mid_block_channel,
            temb_channels=time_embed_dim,
            resnet_eps=norm_eps,
            resnet_act_fn=act_fn,
            output_scale_factor=mid_block_scale_factor,
            resnet_time_scale_shift=resnet_time_scale_shift,
            cross_attention_dim=cross_attention_dim,
            num_attention_heads=heads[-1],
            resnet_groups=norm_num_groups,
            use_linear_projection=use_linear_projection,
            upcast_attention=upcast_attention,
        )

    @staticmethod
    def _config_from_unet(unet) -> Dict[str, Any]:
        c = unet.config
        for key in ("encoder_hid_dim_type", "addition_embed_type"):
            if c.get(key) is not None:
                raise ValueError(f"cannot build a DiffusionSat ControlNet from a UNet with {key}={c.get(key)!r}")
        if c.get("num_attention_heads") is not None:
            raise ValueError("the UNet config sets num_attention_heads; DiffusionSat models use attention_head_dim")
        return dict(
            in_channels=c.in_channels,
            flip_sin_to_cos=c.flip_sin_to_cos,
            freq_shift=c.freq_shift,
            down_block_types=c.down_block_types,
            only_cross_attention=c.only_cross_attention,
            block_out_channels=c.block_out_channels,
            layers_per_block=c.layers_per_block,
            downsample_padding=c.downsample_padding,
            mid_block_scale_factor=c.mid_block_scale_factor,
            act_fn=c.act_fn,
            norm_num_groups=c.norm_num_groups,
            norm_eps=c.norm_eps,
            cross_attention_dim=c.cross_attention_dim,
            attention_head_dim=c.attention_head_dim,
            use_linear_projection=c.use_linear_projection,
            class_embed_type=c.class_embed_type,
            num_class_embeds=c.num_class_embeds,
            upcast_attention=c.upcast_attention,
            resnet_time_scale_shift=c.resnet_time_scale_shift,
            use_metadata=getattr(unet, "metadata_embedding", None) is not None,
            num_metadata=getattr(unet, "num_metadata", 0) or 0,
        )

    def _copy_from_unet(self, unet) -> None:
        self.conv_in.load_state_dict(unet.conv_in.state_dict())
        self.time_embedding.load_state_dict(unet.time_embedding.state_dict())
        if self.metadata_embedding is not None:
            self.metadata_embedding.load_state_dict(unet.metadata_embedding.state_dict())
        self.down_blocks.load_state_dict(unet.down_blocks.state_dict())
        self.mid_block.load_state_dict(unet.mid_block.state_dict())

    # --------------------------------------------------------------- embedding
    @staticmethod
    def _timesteps(sample: torch.Tensor, timestep) -> torch.Tensor:
        if not torch.is_tensor(timestep):
            dtype = torch.float64 if isinstance(timestep, float) else torch.int64
            if sample.device.type == "mps":
                dtype = torch.float32 if isinstance(timestep, float) else torch.int32
            timestep = torch.tensor([timestep], dtype=dtype, device=sample.device)
        elif timestep.dim() == 0:
            timestep = timestep[None].to(sample.device)
        return timestep.to(sample.device).expand(sample.shape[0])

    def _metadata(self, metadata, sample):
        if self.metadata_embedding is None:
            if metadata is not None:
                raise ValueError("this ControlNet was built with use_metadata=False; do not pass metadata")
            return None
        batch = sample.shape[0]
        metadata = as_metadata_tensor(metadata, batch, self.num_metadata, sample.device)
        if metadata is None:
            metadata = zeros_metadata(batch, self.num_metadata, device=sample.device)
        return metadata

    def _cond_metadata(self, cond_metadata, sample):
        if cond_metadata is None:
            return None
        if self.metadata_embedding is None:
            raise ValueError("this ControlNet was built with use_metadata=False; do not pass cond_metadata")
        return as_metadata_tensor(cond_metadata, sample.shape[0], self.num_metadata, sample.device, "cond_metadata")

    def mixing_alpha(self) -> Optional[torch.Tensor]:  # overridden by the 3-D model
        return None


class SatControlNetModel(_SatControlNetMixin, ModelMixin, AttentionMixin, ConfigMixin):
    """DiffusionSat 2-D ControlNet (released class name ``ControlNetModel``)."""

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
        conditioning_scale: int = 1,
        use_metadata: bool = True,
        num_metadata: int = 7,
        conditioning_vae_factor: int = 8,
    ):
        super().__init__()
        self._check_common(down_block_types, block_out_channels, only_cross_attention, attention_head_dim,
                           class_embed_type, num_class_embeds)
        if int(conditioning_scale) != conditioning_scale or conditioning_scale < 1:
            raise ValueError(f"config conditioning_scale must be a positive integer, got {conditioning_scale!r}")
        time_embed_dim = self._build_embeddings(in_channels, block_out_channels, flip_sin_to_cos, freq_shift, act_fn,
                                                use_metadata, num_metadata)
        self.controlnet_cond_embedding = SatConditioningEmbedding(
            conditioning_embedding_channels=block_out_channels[0],
            conditioning_channels=conditioning_in_channels,
            block_out_channels=conditioning_embedding_out_channels,
            scale=int(conditioning_scale),
            vae_factor=int(conditioning_vae_factor),
        )

        def zero_conv(c):
            return zero_module(nn.Conv2d(c, c, kernel_size=1))

        self._slots = self._build_down_blocks(
            down_block_types, block_out_channels, layers_per_block, time_embed_dim, norm_eps, act_fn, norm_num_groups,
            cross_attention_dim, attention_head_dim, downsample_padding, use_linear_projection, only_cross_attention,
            upcast_attention, resnet_time_scale_shift, zero_conv,
        )
        self._build_mid(block_out_channels, time_embed_dim, norm_eps, act_fn, mid_block_scale_factor,
                        resnet_time_scale_shift, cross_attention_dim, attention_head_dim, norm_num_groups,
                        use_linear_projection, upcast_attention, zero_conv)

    @classmethod
    def from_unet(cls, unet, conditioning_in_channels: int = 3, conditioning_scale: int = 1,
                  controlnet_conditioning_channel_order: str = "rgb",
                  conditioning_embedding_out_channels=(16, 32, 96, 256), load_weights_from_unet: bool = True,
                  conditioning_vae_factor: int = 8):
        """Build from a :class:`SatUNet`, copying conv_in, time/metadata embeddings, down and mid blocks."""
        model = cls(
            **cls._config_from_unet(unet),
            controlnet_conditioning_channel_order=controlnet_conditioning_channel_order,
            conditioning_embedding_out_channels=conditioning_embedding_out_channels,
            conditioning_in_channels=conditioning_in_channels,
            conditioning_scale=conditioning_scale,
            conditioning_vae_factor=conditioning_vae_factor,
        )
        if load_weights_from_unet:
            model._copy_from_unet(unet)
        return model

    def embedding(self, sample, timestep, metadata=None, cond_metadata=None) -> torch.Tensor:
        """Total embedding given to the ResNets: time + target metadata + control-image metadata."""
        t_emb = self.time_proj(self._timesteps(sample, timestep)).to(dtype=sample.dtype)
        emb = self.time_embedding(t_emb)
        md = self._metadata(metadata, sample)
        if md is not None:
            emb = self.metadata_embedding.add_to(emb, md)
            cmd = self._cond_metadata(cond_metadata, sample)
            if cmd is not None:
                emb = self.metadata_embedding.add_cond_to(emb, cmd, per_frame=False)
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
        """Returns ``SatControlNetOutput(down_block_res_samples, mid_block_res_sample)`` (a tuple of the two
        with ``return_dict=False``). ``metadata=None`` means all unknown (zeros); ``cond_metadata=None``
        leaves the control-image metadata out, as the released code does."""
        order = self.config.controlnet_conditioning_channel_order
        if order == "bgr":
            controlnet_cond = torch.flip(controlnet_cond, dims=[1])
        elif order != "rgb":
            raise ValueError(f"unknown controlnet_conditioning_channel_order {order!r}")
        if controlnet_cond.dim() != 4:
            raise ValueError(f"controlnet_cond must be (B, C, H, W), got {tuple(controlnet_cond.shape)}")
        if attention_mask is not None:
            attention_mask = ((1 - attention_mask.to(sample.dtype)) * -10000.0).unsqueeze(1)

        emb = self.embedding(sample, timestep, metadata, cond_metadata)
        cond = self.controlnet_cond_embedding(controlnet_cond.to(sample.dtype))
        sample = self.conv_in(sample)
        if cond.shape[-2:] != sample.shape[-2:]:
            raise ValueError(
                f"control image embeds to {tuple(cond.shape[-2:])} but the latent is {tuple(sample.shape[-2:])}: "
                f"with conditioning_scale={self.config.conditioning_scale} the control image must be "
                f"{self.control_downsampling} x the latent size"
            )
        sample = sample + cond
        sample, res = _run_encoder(self, sample, emb, encoder_hidden_states, attention_mask, cross_attention_kwargs)

        down = [zc(r) for r, zc in zip(res, self.controlnet_down_blocks)]
        mid = self.controlnet_mid_block(sample)
        return _finish(self, down, mid, conditioning_scale, guess_mode, return_dict, spatial_dims=(2, 3))

    @property
    def control_downsampling(self) -> int:
        """How much smaller than the control image the latent is (8 / 4 / ... by the integer rule)."""
        out = 1
        for s in conditioning_strides(len(self.config.conditioning_embedding_out_channels) - 1,
                                      int(self.config.conditioning_scale),
                                      int(getattr(self.config, "conditioning_vae_factor", 8))):
            out *= s
        return out


def _run_encoder(model, sample, emb, encoder_hidden_states, attention_mask, cross_attention_kwargs):
    res = (sample,)
    for block in model.down_blocks:
        if getattr(block, "has_cross_attention", False):
            sample, r = block(hidden_states=sample, temb=emb, encoder_hidden_states=encoder_hidden_states,
                              attention_mask=attention_mask, cross_attention_kwargs=cross_attention_kwargs)
        else:
            sample, r = block(hidden_states=sample, temb=emb)
        res += r
    sample = model.mid_block(sample, emb, encoder_hidden_states=encoder_hidden_states,
                             attention_mask=attention_mask, cross_attention_kwargs=cross_attention_kwargs)
    return sample, res


def _finish(model, down, mid, conditioning_scale, guess_mode, return_dict, spatial_dims):
    if guess_mode:
        scales = torch.logspace(-1, 0, len(down) + 1, device=mid.device) * conditioning_scale
        down = [d * s for d, s in zip(down, scales)]
        mid = mid * scales[-1]
    else:
        down = [d * conditioning_scale for d in down]
        mid = mid * conditioning_scale
    if model.config.global_pool_conditions:
        down = [d.mean(dim=spatial_dims, keepdim=True) for d in down]
        mid = mid.mean(dim=spatial_dims, keepdim=True)
    down = tuple(down)
    if not return_dict:
        return (down, mid)
    return SatControlNetOutput(down_block_res_samples=down, mid_block_res_sample=mid)


__all__ = ["SatControlNetModel", "SatControlNetOutput", "SatConditioningEmbedding", "conditioning_strides"]
