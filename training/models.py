"""Building, loading and saving the components (the only place that knows the model classes).

* VAE: ``diffusers.AutoencoderKL`` (the official models use the SD 2.1 VAE; the mini model trains a small
  one with the same x8 down-sampling);
* text encoder: ``transformers.CLIPTextModel`` sized by the config, vocabulary = the project tokenizer;
* ``backend.models.SatUNet`` / ``SatControlNetModel`` / ``SatControlNetModel3D`` (the ControlNets are built
  with ``from_unet`` as the official ``train_controlnet.py`` does).

Saving: diffusers / transformers folders with safetensors weights (``save_dtype`` 'float16' halves the
size; ``from_pretrained`` loads them back as float32 with ``torch_dtype=torch.float32``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np
import torch

SD21_SCHEDULER = {
    "_class_name": "DDIMScheduler",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "clip_sample": False,
    "num_train_timesteps": 1000,
    "prediction_type": "v_prediction",
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "thresholding": False,
    "trained_betas": None,
}


def model_classes():
    from backend.models import SatControlNetModel, SatControlNetModel3D, SatUNet

    return SatUNet, SatControlNetModel, SatControlNetModel3D


def build_vae(config: dict):
    from diffusers import AutoencoderKL

    return AutoencoderKL(**config)


def build_text_encoder(config: dict, tokenizer):
    from transformers import CLIPTextConfig, CLIPTextModel

    cfg = CLIPTextConfig(
        vocab_size=len(tokenizer), max_position_embeddings=tokenizer.model_max_length,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        hidden_act=config.get("hidden_act", "gelu"), **{k: v for k, v in config.items() if k != "hidden_act"},
    )
    return CLIPTextModel(cfg)


def build_unet(config: dict):
    SatUNet, _, _ = model_classes()
    return SatUNet(**config)


def build_controlnet(unet, kind: str, conditioning_in_channels: int, conditioning_scale: int = 1,
                     conditioning_embedding_out_channels=(16, 32, 96, 256), vae_factor: int = 8):
    """A ControlNet copied from ``unet`` whose conditioning CNN brings a control image at 1/``conditioning_scale``
    of the image's size to the latent of a VAE of ``vae_factor``."""
    from backend.models.controlnet import conditioning_strides

    _, CN2D, CN3D = model_classes()
    levels = len(conditioning_embedding_out_channels) - 1
    down = (int(np.prod(conditioning_strides(levels, conditioning_scale, vae_factor))) if kind == "2d"
            else 2 ** levels)  # the 3-D CNN halves at every level
    if down * conditioning_scale != vae_factor:
        raise ValueError(f"a {kind} ControlNet with conditioning_embedding_out_channels "
                         f"{list(conditioning_embedding_out_channels)} and conditioning_scale {conditioning_scale} "
                         f"down-samples the control by {down}, not the {vae_factor // conditioning_scale} that a "
                         f"x{vae_factor} VAE needs")
    if kind == "2d":
        return CN2D.from_unet(unet, conditioning_in_channels=conditioning_in_channels,
                              conditioning_scale=conditioning_scale,
                              conditioning_embedding_out_channels=tuple(conditioning_embedding_out_channels),
                              conditioning_vae_factor=vae_factor)
    if kind == "3d":
        return CN3D.from_unet(unet, conditioning_in_channels=conditioning_in_channels, use_temporal_transformer=True,
                              conditioning_embedding_out_channels=tuple(conditioning_embedding_out_channels))
    raise ValueError(f"unknown ControlNet kind {kind!r}")


def load_component(path, kind: str):
    """Load a saved component folder as float32 ('vae', 'unet', 'text_encoder', 'controlnet', 'controlnet3d')."""
    path = str(path)
    if kind == "vae":
        from diffusers import AutoencoderKL

        return AutoencoderKL.from_pretrained(path, torch_dtype=torch.float32)
    if kind == "text_encoder":
        from transformers import CLIPTextModel

        return CLIPTextModel.from_pretrained(path, dtype=torch.float32)
    if kind == "tokenizer":
        from transformers import CLIPTokenizer

        return CLIPTokenizer.from_pretrained(path)
    from backend.model_layout import INPAINT_FOLDER

    SatUNet, CN2D, CN3D = model_classes()
    cls = {"unet": SatUNet, "controlnet": CN2D, INPAINT_FOLDER: CN2D, "controlnet3d": CN3D}[kind]
    return cls.from_pretrained(path, torch_dtype=torch.float32)


def save_component(model, folder, save_dtype: str = "float32"):
    """``save_pretrained`` with safetensors; ``save_dtype`` 'float16' stores half-precision weights."""
    import copy

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if save_dtype in ("float16", "fp16"):
        model = copy.deepcopy(model).to(torch.float16)
    model.save_pretrained(str(folder), safe_serialization=True)
    return folder


def write_scheduler(folder, prediction_type: str = "v_prediction"):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cfg = dict(SD21_SCHEDULER, prediction_type=prediction_type)
    (folder / "scheduler_config.json").write_text(json.dumps(cfg, indent=2))


def write_model_index(folder, controlnet: Optional[str] = None):
    """A ``model_index.json`` as the official pipelines write it (custom classes with library null)."""
    from backend.model_layout import write_model_index as write

    entries = {"scheduler": ["diffusers", "DDIMScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
               "tokenizer": ["transformers", "CLIPTokenizer"], "unet": [None, "SatUNet"],
               "vae": ["diffusers", "AutoencoderKL"]}
    if controlnet:
        entries["controlnet"] = [None, controlnet]
    official = {"feature_extractor": [None, None], "requires_safety_checker": False, "safety_checker": [None, None]}
    write(folder, entries, class_name="StableDiffusionPipeline", extra=official)


def count_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters())


def folder_weight_bytes(folder) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*.safetensors"))


__all__ = ["build_vae", "build_text_encoder", "build_unet", "build_controlnet", "load_component", "save_component",
           "write_scheduler", "write_model_index", "count_parameters", "folder_weight_bytes", "SD21_SCHEDULER"]
