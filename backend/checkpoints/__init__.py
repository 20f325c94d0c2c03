"""Safe, strict loading of DiffusionSat checkpoints (official layout or our converted one).

See :mod:`backend.checkpoints.loader` for the folder layout and :mod:`backend.checkpoints.safe_io`
for how weight files are read. Importing this package is cheap; torch/diffusers are imported by the
submodules.
"""

from .safe_io import CheckpointError, find_weights, read_safetensors_header, read_shapes, read_state_dict
from .loader import (
    FolderReport,
    ModelComponents,
    build_model,
    convert_to_diffusers,
    inspect_folder,
    load_components,
    load_model,
    load_scheduler,
    load_state_dict_strict,
    load_tokenizer,
    resolve_model_class,
)

__all__ = [
    "CheckpointError",
    "ModelComponents",
    "FolderReport",
    "load_model",
    "load_components",
    "load_tokenizer",
    "load_scheduler",
    "inspect_folder",
    "convert_to_diffusers",
    "build_model",
    "resolve_model_class",
    "load_state_dict_strict",
    "read_state_dict",
    "read_shapes",
    "read_safetensors_header",
    "find_weights",
]
