"""The product's choices and defaults, in one place: the plugin's settings, Processing, the CLI, the jobs
and the pipelines take them from here, and :func:`check_guidance` / :func:`check_seed` are the only rules.

Standard library only (the plugin imports it before it knows whether torch is installed).

Tile size: always the side of a tile in *output* pixels (what the tiles of the written raster measure);
each task derives its own working sizes from it (super-resolution reads ``tile / factor`` input pixels,
generation samples windows of twice the tile and decodes in tiles of up to four).
"""

from __future__ import annotations

import math
import secrets
from typing import Optional

#: task names, as jobs, tags, settings and Processing spell them
TASKS = ("generate", "superres", "inpaint", "predict")

SCHEDULERS = ("ddim", "dpm++")
DEFAULT_SCHEDULER = "ddim"  # the official sampler; DPM-Solver++ diverged on some seeds with the bundled model
DEVICES = ("auto", "cpu", "cuda")
DEFAULT_DEVICE = "auto"
PRECISIONS = ("float32", "bfloat16", "float16")  # float16 on CUDA only
DEFAULT_PRECISION = "float32"

#: guidance ``None`` means "use the model's recommendation" (its diffusionsat.json, else DEFAULT_GUIDANCE)
RECOMMENDED_GUIDANCE = None
DEFAULT_GUIDANCE = 7.5  # the official pipelines' default
NO_GUIDANCE = 1.0  # classifier-free guidance off: one UNet call per step
MAX_GUIDANCE = 30.0  # the settings page's range

#: tile side in output pixels: a multiple of 8 (the VAE factor) in this range
TILE_SIZE_MIN, TILE_SIZE_MAX, TILE_SIZE_MULTIPLE = 32, 4096, 8

SEED_LIMIT = 2**63  # seeds are 0 <= seed < SEED_LIMIT
_RANDOM_SEEDS = 2**31  # a drawn seed stays short enough to type back


def check_guidance(value) -> float:
    """The one rule for a guidance value: a finite number >= 1 (1 turns guidance off). Raises ValueError."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"guidance must be a number, got {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(number) or number < NO_GUIDANCE:
        raise ValueError(f"guidance must be >= 1.0 (1.0 turns classifier-free guidance off), got {value}")
    return number


def check_seed(seed) -> int:
    """The one rule for a seed: a whole number 0 <= seed < 2**63. Raises ValueError."""
    if isinstance(seed, bool) or not hasattr(seed, "__index__") or not 0 <= int(seed) < SEED_LIMIT:
        raise ValueError(f"seed must be a non-negative integer below 2**63, got {seed!r}")
    return int(seed)


def choose_seed(seed: Optional[int]) -> int:
    """``seed`` checked, or a fresh random one (always recorded, so a result can be made again)."""
    return secrets.randbelow(_RANDOM_SEEDS) if seed is None else check_seed(seed)


__all__ = ["DEFAULT_DEVICE", "DEFAULT_GUIDANCE", "DEFAULT_PRECISION", "DEFAULT_SCHEDULER", "DEVICES", "MAX_GUIDANCE",
           "NO_GUIDANCE", "PRECISIONS", "RECOMMENDED_GUIDANCE", "SCHEDULERS", "SEED_LIMIT", "TASKS",
           "TILE_SIZE_MAX", "TILE_SIZE_MIN", "TILE_SIZE_MULTIPLE", "check_guidance", "check_seed", "choose_seed"]
