"""Train the 2-D inpainting ControlNet (cloud / gap filling) with real cloud-mask shapes.

    python -m training.train_controlnet_inpaint --config training/configs/controlnet_inpaint_mini.json [--resume]

Control = ``[RGB * (1 - mask), mask]`` (4 channels, full resolution, ``conditioning_scale`` 1); masks from
the 68 dated Sentinel-2 s2cloudless masks and the Landsat 5 reference cloud mask, randomly cropped,
rotated, flipped and resized (:mod:`training.datasets.masks`).
"""

from __future__ import annotations

import sys

from backend.model_layout import INPAINT_FOLDER

from .base import rgb_dataset
from .common import main, resolve_path
from .controlnet_task import ControlNetTask
from .datasets.masks import CloudMaskBank
from .datasets.pack import load_pack
from .datasets.tasks import InpaintDataset


class InpaintTask(ControlNetTask):
    """Train the inpainting ControlNet."""

    name = "controlnet_inpaint"
    kind = "2d"
    folder_name = INPAINT_FOLDER
    conditioning_in_channels = 4
    conditioning_scale = 1

    def build_data(self, split):
        d = self.cfg["data"]
        if d.get("pack"):
            masks = load_pack(resolve_path(d["pack"]))["masks"]
        else:
            masks = CloudMaskBank.from_files([resolve_path(p) for p in d["mask_files"]],
                                             cloud_values=tuple(d.get("cloud_values", [4])))
        return InpaintDataset(rgb_dataset(d, split), masks)


if __name__ == "__main__":
    sys.exit(main(InpaintTask))
