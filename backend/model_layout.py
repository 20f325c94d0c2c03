"""The model folder's layout: which component lives in which sub-folder, which components each task
uses, and the one writer of ``model_index.json``.

Standard library only, so the hub and the plugin can ask about a folder without importing torch.
The loader (``backend.checkpoints``), the pipeline's ``from_pretrained`` / ``save_pretrained``, the
converter, the hub and training all take folder names from here.
"""

from __future__ import annotations

import json
import os
from typing import Dict, Mapping, Optional, Sequence, Tuple

MODEL_INDEX = "model_index.json"
CONFIG = "config.json"

#: pipeline component (its attribute name) -> sub-folder, in save order
FOLDERS: Dict[str, str] = {
    "vae": "vae",
    "text_encoder": "text_encoder",
    "tokenizer": "tokenizer",
    "scheduler": "scheduler",
    "unet": "unet",
    "controlnet": "controlnet",  # 2-D: super-resolution (or inpainting, when its config says so)
    "controlnet3d": "controlnet3d",  # 3-D: multi-date prediction
    "inpaint_controlnet": "controlnet_inpaint",  # 2-D, 4 control channels: what our training writes
}
#: what every pipeline needs
BASE_COMPONENTS: Tuple[str, ...] = ("vae", "text_encoder", "tokenizer", "scheduler", "unet")
#: the weight-bearing components; the others are a tokenizer and a scheduler config
MODULE_COMPONENTS: Tuple[str, ...] = ("vae", "text_encoder", "unet", "controlnet", "controlnet3d",
                                      "inpaint_controlnet")
INPAINT_FOLDER = FOLDERS["inpaint_controlnet"]

#: the components whose weights make each task's result (hashed into the output's provenance)
TASK_COMPONENTS: Dict[str, Tuple[str, ...]] = {
    "generate": ("unet",),
    "superres": ("unet", "controlnet"),
    "inpaint": ("unet", "inpaint_controlnet"),
    "predict": ("unet", "controlnet3d"),
}

#: sub-folders whose presence makes a folder look like a model (with ``model_index.json``)
MARKER_FOLDERS: Tuple[str, ...] = ("unet", "controlnet")


def folder_of(component: str) -> str:
    """The sub-folder of a pipeline component (``"inpaint_controlnet"`` -> ``"controlnet_inpaint"``)."""
    return FOLDERS[component]


def vae_factor(vae_config) -> int:
    """How much smaller a VAE's latent is than its image: x2 per level after the first (8 for SD's VAE)."""
    channels = vae_config["block_out_channels"] if isinstance(vae_config, Mapping) else vae_config.block_out_channels
    return 2 ** (len(channels) - 1)


def index_entry(component) -> list:
    """``[library, class]`` for ``model_index.json``; our own classes get library ``null`` as the
    released pipelines write them (no generic loader can import them)."""
    library = type(component).__module__.split(".")[0]
    return [library if library in ("diffusers", "transformers") else None, type(component).__name__]


def write_model_index(folder, entries: Mapping[str, Sequence], class_name: str = "DiffusionSatPipeline",
                      extra: Optional[Mapping] = None) -> str:
    """Write ``folder/model_index.json``: ``entries`` maps a sub-folder to ``[library, class]``;
    ``extra`` adds top-level keys. Informational only: the loader builds every component from its own
    ``config.json``. Returns the file's path."""
    index = {"_class_name": class_name, "_diffusers_version": _diffusers_version()}
    index.update(extra or {})
    index.update({name: list(entry) for name, entry in entries.items()})
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(os.fspath(folder), MODEL_INDEX)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(index, fh, indent=2, sort_keys=True)
        fh.write("\n")
    return path


def _diffusers_version() -> str:
    try:
        from importlib.metadata import version

        return version("diffusers")
    except Exception:  # not installed: the index stays readable without it
        return "unknown"


__all__ = ["BASE_COMPONENTS", "CONFIG", "FOLDERS", "INPAINT_FOLDER", "MARKER_FOLDERS", "MODEL_INDEX",
           "MODULE_COMPONENTS", "TASK_COMPONENTS", "folder_of", "index_entry", "write_model_index"]
