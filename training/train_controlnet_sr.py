"""Train the 2-D super-resolution ControlNet on real Sentinel-2 data by the Wald protocol.

    python -m training.train_controlnet_sr --config training/configs/controlnet_sr_mini.json [--resume]

Control: the 10 official bands (B4 B3 B2 B5 B6 B7 B8 B8A B11 B12) degraded by 4 and presented at half the
target's pixel count (``conditioning_scale`` 2, as the official fMoW-Sentinel SR model); target: the
original 10 m B4 B3 B2; cond metadata: target metadata with the GSD of the control's content (40 m). See
:mod:`training.datasets.sentinel2`.
"""

from __future__ import annotations

import sys

from .common import main, resolve_path
from .controlnet_task import ControlNetTask
from .datasets.sentinel2 import S2SuperResolution, load_sources


class SRTask(ControlNetTask):
    """Train the Sentinel-2 super-resolution ControlNet."""

    name = "controlnet_sr"
    kind = "2d"
    conditioning_in_channels = 10
    conditioning_scale = 2

    def build_data(self, split):
        d = self.cfg["data"]
        cache = self.__dict__.setdefault("_sources", None)
        if cache is None and d.get("pack"):
            from .datasets.pack import load_pack

            self._sources = load_pack(resolve_path(d["pack"]))["s2"]
        elif cache is None:
            self._sources = load_sources(d["s2_sources"], base=str(resolve_path(d.get("root", "."))))
        return S2SuperResolution(self._sources, size=int(d.get("size", 64)), split=split,
                                 factor=int(d.get("factor", 4)), degradation=d.get("degradation", "area"),
                                 holdout_frac=float(d.get("holdout_frac", 0.25)),
                                 min_holdout=int(d.get("min_holdout", 32)),
                                 md_dropout=float(d.get("md_dropout", 0.1)) if split == "train" else 0.0,
                                 flips=split == "train")


if __name__ == "__main__":
    sys.exit(main(SRTask))
