"""Task datasets built on the adapters: inpainting (2-D ControlNet) and multi-date prediction (3-D ControlNet).

Inpainting: an RGB crop (:class:`~training.datasets.geotiff.GeoTiffCrops`) and a real cloud-mask shape
(:class:`~training.datasets.masks.CloudMaskBank`); control = ``[RGB * (1 - mask), mask]`` (4 channels, at
the image resolution: ``conditioning_scale`` 1); target = the RGB crop; cond metadata = the crop's
metadata.

Multi-date / cloud-free composition: T control frames of one place, each with its own metadata, and a
clear target frame. Two kinds of source:

* a **stack** of co-registered frames of the same place (the five Slovenia Sentinel-2 frames): the target
  is one of the frames documented clear; the control frames are the other frames;
* a **single scene** (any clear RGB raster): every control frame is the same scene.

Each control frame gets, with probability ``p_cloud``, a real cloud shape blended in towards white/grey
(:func:`~training.datasets.masks.add_cloud`). Metadata are never invented: the Slovenia frames' dates are
unknown at the source, so their date fields stay unknown (0); a frame's cloud cover is the pasted mask's
fraction only when its base frame is documented clear (0 otherwise added), and unknown for a frame that
was cloudy at the source (its real cloud amount was not recorded).
"""

from __future__ import annotations

from typing import Dict, Sequence

import numpy as np

from .captions import scene_caption
from .dropout import metadata_dropout
from .geotiff import GeoTiffCrops
from .masks import CloudMaskBank, add_cloud
from .raster import Scene, split_columns


class InpaintDataset:
    def __init__(self, crops: GeoTiffCrops, masks: CloudMaskBank):
        self.crops, self.masks = crops, masks

    def sample(self, rng: np.random.Generator) -> Dict:
        item = self.crops.sample(rng)
        mask = self.masks.sample(rng, item["image"].shape[1:])
        control = np.concatenate([item["image"] * (1.0 - mask)[None], mask[None]], axis=0).astype(np.float32)
        return {"image": item["image"], "control": control, "mask": mask[None], "metadata": item["metadata"],
                "cond_metadata": item["metadata"], "caption": item["caption"], "scene": item["scene"]}

    def batch(self, rng: np.random.Generator, n: int) -> Dict:
        items = [self.sample(rng) for _ in range(n)]
        out = {k: np.stack([it[k] for it in items]).astype(np.float32)
               for k in ("image", "control", "mask", "metadata", "cond_metadata")}
        out["caption"] = [it["caption"] for it in items]
        out["scene"] = [it["scene"] for it in items]
        return out


class MultiDateDataset:
    """``stacks``: list of (frames, clear_flags) with frames co-registered Scenes; ``singles``: clear Scenes."""

    def __init__(self, stacks: Sequence, singles: Sequence[Scene], masks: CloudMaskBank, frames: int = 3,
                 size: int = 64, split: str = "train", p_cloud: float = 0.7, holdout_frac: float = 0.25,
                 min_holdout: int = 32, md_dropout: float = 0.0, max_invalid: float = 0.02):
        self.T, self.size, self.split = int(frames), int(size), split
        self.masks, self.p_cloud, self.md_dropout, self.max_invalid = masks, float(p_cloud), float(md_dropout), max_invalid
        self.entries = []  # (frames, clear, c0, c1)
        for frames_, clear in stacks:
            c0, c1 = split_columns(frames_[0].width, split, holdout_frac, min_holdout)
            if c1 - c0 >= self.size and frames_[0].height >= self.size and any(clear):
                self.entries.append((list(frames_), list(clear), c0, c1))
        for scene in singles:
            c0, c1 = split_columns(scene.width, split, holdout_frac, min_holdout)
            if c1 - c0 >= self.size and scene.height >= self.size:
                self.entries.append(([scene], [True], c0, c1))
        if not self.entries:
            raise ValueError(f"no multi-date source is large enough for {size}-px crops in the {split!r} split")

    def sample(self, rng: np.random.Generator) -> Dict:
        for _ in range(50):
            frames, clear, c0, c1 = self.entries[int(rng.integers(len(self.entries)))]
            x0 = int(rng.integers(c0, c1 - self.size + 1))
            y0 = int(rng.integers(0, frames[0].height - self.size + 1))
            if 1.0 - frames[0].valid[y0:y0 + self.size, x0:x0 + self.size].mean() <= self.max_invalid:
                break
        s = self.size
        clear_idx = [i for i, c in enumerate(clear) if c]
        t_idx = clear_idx[int(rng.integers(len(clear_idx)))]
        others = [i for i in range(len(frames)) if i != t_idx] or [t_idx]
        order = rng.permutation(len(others))
        picks = [others[order[k % len(others)]] for k in range(self.T)]
        picks.sort()  # keep the source order (time order where the frames are dated)
        target_scene = frames[t_idx]
        target = target_scene.image[:, y0:y0 + s, x0:x0 + s].copy()
        tmeta = target_scene.metadata(x0, y0, s, s)
        if clear[t_idx] and tmeta.cloud_cover is None:
            tmeta = tmeta.replace(cloud_cover=0.0)
        ctl, cmds = [], []
        for i in picks:
            img = frames[i].image[:, y0:y0 + s, x0:x0 + s].copy()
            meta = frames[i].metadata(x0, y0, s, s)
            frac = 0.0
            if rng.random() < self.p_cloud:
                mask = self.masks.sample(rng, (s, s))
                img = add_cloud(img, mask, rng)
                frac = float(mask.mean())
            cloud = frac if clear[i] else None
            meta = meta.replace(cloud_cover=cloud)
            ctl.append(img)
            cmds.append(meta.to_vector())
        md = tmeta.to_vector()
        cmd = np.stack(cmds, axis=1)  # (7, T)
        if self.md_dropout > 0:
            md = metadata_dropout(md, rng, self.md_dropout)
            cmd = metadata_dropout(cmd, rng, self.md_dropout)
        return {"image": target.astype(np.float32), "control": np.stack(ctl, axis=1).astype(np.float32),  # (C, T, H, W)
                "metadata": md, "cond_metadata": cmd.astype(np.float32),
                "caption": scene_caption(target_scene.sensor, target_scene.place), "scene": target_scene.name}

    def batch(self, rng: np.random.Generator, n: int) -> Dict:
        items = [self.sample(rng) for _ in range(n)]
        out = {k: np.stack([it[k] for it in items]).astype(np.float32)
               for k in ("image", "control", "metadata", "cond_metadata")}
        out["caption"] = [it["caption"] for it in items]
        out["scene"] = [it["scene"] for it in items]
        return out


__all__ = ["InpaintDataset", "MultiDateDataset"]
