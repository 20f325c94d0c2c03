"""Real cloud-mask shapes for inpainting and multi-date training.

Sources (any number):

* a multi-band GeoTIFF of binary cloud masks (e.g. the 68 dated s2cloudless masks, 1 = cloud): every band
  is one shape; the band description (acquisition timestamp) is kept only as provenance -- it is the date
  of the *mask*, never used as the date of an image the shape is pasted onto;
* an ``.npz`` with a classification array (e.g. the Landsat 5 reference mask ``msk``: 4 = cloud,
  0 = shadow): ``cloud_values`` selects the classes that count as cloud.

:meth:`CloudMaskBank.sample` draws a layer whose cloud fraction is in a usable range, a random square crop
of it (``min_crop`` px up to the full layer), random flips / 90 degree rotations, resizes it to the
requested size (bilinear, threshold 0.5) and redraws if the result is almost empty or almost full.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Sequence

import numpy as np

from .raster import resize


class CloudMaskBank:
    def __init__(self, layers: Sequence[np.ndarray], names: Sequence[str] = (), min_frac: float = 0.03,
                 max_frac: float = 0.85, min_crop: int = 24):
        keep, kept_names = [], []
        for i, layer in enumerate(layers):
            layer = np.asarray(layer, dtype=bool)
            frac = layer.mean()
            if min_frac <= frac <= max_frac and min(layer.shape) >= min_crop:
                keep.append(layer)
                kept_names.append(names[i] if i < len(names) else f"layer {i}")
        if not keep:
            raise ValueError("no cloud mask layer has a usable cloud fraction")
        self.layers: List[np.ndarray] = keep
        self.names = kept_names
        self.min_frac = float(min_frac)
        self.max_frac = float(max_frac)
        self.min_crop = int(min_crop)

    @classmethod
    def from_files(cls, paths: Sequence, cloud_values: Sequence[int] = (4,), **kwargs) -> "CloudMaskBank":
        layers, names = [], []
        for p in paths:
            p = Path(p)
            if p.suffix.lower() == ".npz":
                with np.load(p) as npz:
                    key = "msk" if "msk" in npz.files else npz.files[0]
                    arr = np.asarray(npz[key])
                arr = arr[..., 0] if arr.ndim == 3 else arr
                layers.append(np.isin(arr, list(cloud_values)))
                names.append(f"{p.name}:{key}")
            else:
                import rasterio

                with rasterio.open(p) as ds:
                    data = ds.read()
                    desc = ds.descriptions
                for i in range(data.shape[0]):
                    layers.append(data[i] > 0)
                    names.append(f"{p.name}:{desc[i] or i + 1}")
        return cls(layers, names, **kwargs)

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        """A (H, W) float32 {0, 1} cloud mask of ``size`` (int or (H, W))."""
        h, w = (size, size) if np.isscalar(size) else size
        out = None
        for _ in range(20):
            layer = self.layers[int(rng.integers(len(self.layers)))]
            lh, lw = layer.shape
            c = int(rng.integers(self.min_crop, min(lh, lw) + 1))
            y0 = int(rng.integers(0, lh - c + 1))
            x0 = int(rng.integers(0, lw - c + 1))
            m = layer[y0:y0 + c, x0:x0 + c].astype(np.float32)
            m = np.rot90(m, int(rng.integers(4)))
            if rng.random() < 0.5:
                m = m[:, ::-1]
            out = (resize(m[None], (h, w), mode="bilinear")[0] >= 0.5).astype(np.float32)
            if self.min_frac <= out.mean() <= self.max_frac:
                return out
        return out


def add_cloud(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator, strength=(0.7, 1.0),
              blur_px: float = 1.5) -> np.ndarray:
    """Blend ``image`` (C, H, W) in [0, 1] towards a bright white/grey cloud where ``mask`` is set.

    The mask is softened by a Gaussian blur (cloud edges are not sharp); the cloud brightness is drawn in
    [0.75, 1] (white to light grey) and its opacity in ``strength``.
    """
    from scipy.ndimage import gaussian_filter

    soft = gaussian_filter(mask.astype(np.float32), blur_px) if blur_px > 0 else mask.astype(np.float32)
    alpha = float(rng.uniform(*strength)) * np.clip(soft, 0, 1)
    grey = float(rng.uniform(0.75, 1.0))
    return (image * (1.0 - alpha) + grey * alpha).astype(np.float32)


__all__ = ["CloudMaskBank", "add_cloud"]
