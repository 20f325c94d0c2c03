"""DiffusionSat models on current diffusers: SatUNet, the 2-D and 3-D ControlNets, the metadata embedding.

Importing this package imports torch and diffusers (the ``backend`` package itself does not).
``MODEL_CLASSES`` maps class names -- ours and the released ones found in official
``config.json`` / ``model_index.json`` files -- to our classes.
"""

from .controlnet import SatControlNetModel, SatControlNetOutput
from .controlnet3d import SatControlNetModel3D
from .embeddings import MetadataEmbedding
from .unet import SatUNet

MODEL_CLASSES = {
    # ours
    "SatUNet": SatUNet,
    "SatControlNetModel": SatControlNetModel,
    "SatControlNetModel3D": SatControlNetModel3D,
    # released DiffusionSat class names
    "ControlNetModel": SatControlNetModel,
    "ControlNetModel3D": SatControlNetModel3D,
}

__all__ = [
    "SatUNet",
    "SatControlNetModel",
    "SatControlNetModel3D",
    "SatControlNetOutput",
    "MetadataEmbedding",
    "MODEL_CLASSES",
]
