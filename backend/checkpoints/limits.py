"""Sane limits on what a model folder's configs may ask for, checked before anything is built.

A ``config.json`` decides how much memory the loader allocates before any weight is read (buffers such as
position ids, a scheduler's per-timestep tables, millions of layer objects). A folder from elsewhere may
ask for petabytes by mistake or on purpose; these checks refuse it with the key, the value and the limit.
The limits are far above every released DiffusionSat / Stable Diffusion 2.1 / CLIP configuration (SD 2.1:
channels up to 1280, 2 layers per block, 77 positions, 1000 timesteps, about 0.9 G parameters).
"""

from __future__ import annotations

from typing import Iterable, Mapping

MAX_CHANNELS = 16_384  # block_out_channels, hidden sizes, cross-attention width
MAX_BLOCKS = 8  # entries of block_out_channels / down_block_types
MAX_LAYERS = 64  # layers_per_block, num_hidden_layers, transformer_layers_per_block
MAX_POSITIONS = 16_384  # max_position_embeddings (CLIP: 77)
MAX_VOCAB = 1_000_000
MAX_TIMESTEPS = 100_000  # num_train_timesteps (1000 for every released scheduler)
MAX_SAMPLE = 8_192  # sample_size (pixels or latents)
MAX_PARAMETERS = 20_000_000_000  # an estimate from the config: 20 G parameters is 80 GB in float32
MAX_TILE = 4_096  # pixels per tile side (a 4096 px tile of the released model needs tens of GB)

_CHANNEL_KEYS = ("block_out_channels", "hidden_size", "intermediate_size", "cross_attention_dim", "in_channels",
                 "out_channels", "latent_channels", "conditioning_in_channels", "conditioning_channels",
                 "conditioning_embedding_out_channels", "projection_dim", "attention_head_dim", "num_attention_heads",
                 "norm_num_groups", "time_embedding_dim", "addition_time_embed_dim")
_LAYER_KEYS = ("layers_per_block", "num_hidden_layers", "transformer_layers_per_block")


class ConfigLimitError(ValueError):
    """A config asks for more than this product will allocate; the message names the key and the limit."""


def _numbers(value) -> Iterable:
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _numbers(item)


def _check(where: str, key: str, value, limit: float, what: str) -> None:
    for number in _numbers(value):
        if not number == number or number > limit or number < 0:  # NaN, too large, negative
            raise ConfigLimitError(f"{where}: {key} = {number:g} is beyond what this product loads "
                                   f"({what} at most {limit:g}); the config is broken or not meant for this model")


def estimated_parameters(config: Mapping) -> float:
    """A rough estimate of a UNet/ControlNet/VAE/CLIP's parameter count from its config (within a small
    factor: enough to tell a real model from one that asks for petabytes)."""
    channels = [c for c in _numbers(config.get("block_out_channels", []))] or [0]
    layers = max([1, *_numbers(config.get("layers_per_block", 1))])
    hidden = float(config.get("hidden_size", 0) or 0)
    depth = float(config.get("num_hidden_layers", 0) or 0)
    inter = float(config.get("intermediate_size", 4 * hidden) or 0)
    # per level: down and up ResNet blocks (3x3 convolutions, 9 c^2 each) and attention; x 120 gives the
    # SD 2.1 UNet's 0.87 G from [320, 640, 1280, 1280] x 2 layers
    convs = sum(120.0 * c * c * layers for c in channels)
    text = depth * (4.0 * hidden * hidden + 2.0 * hidden * inter)
    vocab = float(config.get("vocab_size", 0) or 0) * hidden + float(config.get("max_position_embeddings", 0) or 0) * hidden
    return convs + text + vocab


def check_model_config(config: Mapping, where: str) -> None:
    """Raise :class:`ConfigLimitError` when a model ``config.json`` is beyond the limits above."""
    for key in _CHANNEL_KEYS:
        if key in config:
            _check(where, key, config[key], MAX_CHANNELS, "channels")
    blocks = config.get("block_out_channels")
    if isinstance(blocks, (list, tuple)) and len(blocks) > MAX_BLOCKS:
        raise ConfigLimitError(f"{where}: block_out_channels has {len(blocks)} entries (at most {MAX_BLOCKS})")
    for key in _LAYER_KEYS:
        if key in config:
            _check(where, key, config[key], MAX_LAYERS, "layers")
    for key, limit, what in (("max_position_embeddings", MAX_POSITIONS, "positions"),
                             ("vocab_size", MAX_VOCAB, "tokens"), ("sample_size", MAX_SAMPLE, "pixels")):
        if key in config:
            _check(where, key, config[key], limit, what)
    n = estimated_parameters(config)
    if n > MAX_PARAMETERS:
        raise ConfigLimitError(f"{where}: this config describes about {n:.3g} parameters "
                               f"(at most {MAX_PARAMETERS:.3g}); the config is broken or not meant for this model")


def check_scheduler_config(config: Mapping, where: str) -> None:
    if "num_train_timesteps" in config:
        _check(where, "num_train_timesteps", config["num_train_timesteps"], MAX_TIMESTEPS, "timesteps")


def check_tile_size(value, where: str) -> None:
    _check(where, "tile_size", value, MAX_TILE, "pixels per tile side")
