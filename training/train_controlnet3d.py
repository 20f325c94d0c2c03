"""Train the 3-D (temporal) ControlNet for multi-date prediction / cloud-free composition.

    python -m training.train_controlnet3d --config training/configs/controlnet3d_mini.json [--resume]

T control frames of one place (``controlnet_cond`` (B, 3, T, H, W), ``cond_metadata`` (B, 7, T)), real
cloud shapes blended in, target = a clear frame. Dates that are unknown at the source stay unknown (see
:mod:`training.datasets.tasks`).
"""

from __future__ import annotations

import sys

from .base import rgb_scenes
from .common import main, resolve_path
from .controlnet_task import ControlNetTask
from .datasets.masks import CloudMaskBank
from .datasets.pack import load_pack
from .datasets.raster import load_scene, load_source_specs, stretch_jointly
from .datasets.tasks import MultiDateDataset


class MultiDateTask(ControlNetTask):
    """Train the temporal ControlNet."""

    name = "controlnet3d"
    kind = "3d"
    folder_name = "controlnet3d"
    conditioning_in_channels = 3

    def build_data(self, split):
        d = self.cfg["data"]
        if d.get("pack"):
            pack = load_pack(resolve_path(d["pack"]))
            return self._dataset(pack["stacks"], pack["singles"], pack["masks"], split)
        specs = load_source_specs(resolve_path(d["sources"])) if d.get("sources") else {}
        root = resolve_path(d["root"])
        stacks = []
        for st in d.get("stacks", []):
            # reflectance first, then one stretch pooled over the series (what the product does with its frames)
            frames = [load_scene(root / p, dict(specs.get(p) or {}, scaling="auto")) for p in st["paths"]]
            stretch_jointly(frames)
            stacks.append((frames, list(st["clear"])))
        singles = []
        if d.get("singles_include"):
            singles = rgb_scenes(dict(d, include=d["singles_include"]))
        masks = CloudMaskBank.from_files([resolve_path(p) for p in d["mask_files"]],
                                         cloud_values=tuple(d.get("cloud_values", [4])))
        return self._dataset(stacks, singles, masks, split)

    def _dataset(self, stacks, singles, masks, split):
        d = self.cfg["data"]
        return MultiDateDataset(stacks, singles, masks, frames=int(d.get("frames", 3)), size=int(d.get("size", 64)),
                                split=split, p_cloud=float(d.get("p_cloud", 0.7)),
                                holdout_frac=float(d.get("holdout_frac", 0.25)), min_holdout=int(d.get("min_holdout", 32)),
                                md_dropout=float(d.get("md_dropout", 0.1)) if split == "train" else 0.0)

    def control_panels(self, batch, i):
        ctl = batch["control"][i]  # (C, T, H, W)
        return [ctl[:, k] for k in range(ctl.shape[1])]


if __name__ == "__main__":
    sys.exit(main(MultiDateTask))
