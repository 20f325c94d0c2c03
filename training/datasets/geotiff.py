"""Adapter (a): a folder of GeoTIFFs -> random RGB crops with their own metadata and a caption.

Each sample:  ``image`` (3, S, S) float32 in [0, 1]; ``metadata`` (7,) normalised vector (metadata dropout
applied when ``md_dropout > 0``); ``caption`` str; ``meta`` the :class:`~backend.metadata.SatMetadata` before
dropout; ``scene`` the scene name; ``window`` (x0, y0, w, h) in scene pixels.

Zoom: a crop of ``z * S`` pixels is area-averaged down to ``S`` (``z`` drawn from ``zooms``), so one
scene gives several GSDs; its GSD is ``z`` x the native pixel size. Crops with more than
``max_invalid`` invalid pixels (nodata, undeclared zero scene edges) are redrawn.

Scenes are drawn with probability proportional to their ``weight`` (source spec; default 1 per scene).

Spatial hold-out: see :func:`training.datasets.raster.split_columns`. 'train' never crops inside the
right-most block of each scene, 'eval' only inside it.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import numpy as np

from .captions import scene_caption
from .dropout import metadata_dropout
from .raster import Scene, area_downsample, split_columns


class GeoTiffCrops:
    def __init__(self, scenes: Sequence[Scene], size: int = 64, split: str = "train", zooms: Sequence[int] = (1,),
                 holdout_frac: float = 0.25, min_holdout: int = 32, md_dropout: float = 0.0,
                 max_invalid: float = 0.02, flips: bool = True, weights: Optional[Sequence[float]] = None):
        self.size = int(size)
        self.split = split
        self.md_dropout = float(md_dropout)
        self.max_invalid = float(max_invalid)
        self.flips = bool(flips)
        self.entries = []  # (scene, col0, col1, zooms that fit)
        for scene in scenes:
            c0, c1 = split_columns(scene.width, split, holdout_frac, min_holdout)
            fit = [int(z) for z in zooms if self.size * z <= min(c1 - c0, scene.height)]
            if fit:
                self.entries.append((scene, c0, c1, fit))
        if not self.entries:
            raise ValueError(f"no scene is large enough for {self.size}-px crops in the {split!r} split")
        w = np.array([e[0].weight if weights is None else weights[i] for i, e in enumerate(self.entries)], dtype=np.float64)
        self.weights = w / w.sum()

    @property
    def scenes(self) -> List[Scene]:
        return [e[0] for e in self.entries]

    def sample(self, rng: np.random.Generator) -> Dict:
        for _ in range(50):
            scene, c0, c1, zooms = self.entries[int(rng.choice(len(self.entries), p=self.weights))]
            zoom = int(zooms[int(rng.integers(len(zooms)))])
            win = self.size * zoom
            x0 = int(rng.integers(c0, c1 - win + 1))
            y0 = int(rng.integers(0, scene.height - win + 1))
            valid = scene.valid[y0:y0 + win, x0:x0 + win]
            if 1.0 - valid.mean() <= self.max_invalid:
                break
        image = area_downsample(scene.image[:, y0:y0 + win, x0:x0 + win], zoom)
        if self.flips:
            if rng.random() < 0.5:
                image = image[:, :, ::-1]
            if rng.random() < 0.5:
                image = image[:, ::-1, :]
        meta = scene.metadata(x0, y0, win, win, zoom=zoom)
        vec = meta.to_vector()
        if self.md_dropout > 0:
            vec = metadata_dropout(vec, rng, self.md_dropout)
        return {
            "image": np.ascontiguousarray(image, dtype=np.float32),
            "metadata": vec,
            "caption": scene_caption(scene.sensor, scene.place),
            "meta": meta,
            "scene": scene.name,
            "window": (x0, y0, win, win),
        }

    def batch(self, rng: np.random.Generator, n: int) -> Dict:
        items = [self.sample(rng) for _ in range(n)]
        return {
            "image": np.stack([it["image"] for it in items]),
            "metadata": np.stack([it["metadata"] for it in items]).astype(np.float32),
            "caption": [it["caption"] for it in items],
            "scene": [it["scene"] for it in items],
        }


__all__ = ["GeoTiffCrops"]
