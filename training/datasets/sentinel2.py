"""Sentinel-2 super-resolution pairs by the Wald protocol (train at a coarser scale, apply at the native one).

Bands (official DiffusionSat SR order): B4 B3 B2 B5 B6 B7 B8 B8A B11 B12, scaled to [0, 1] reflectance
(float reflectance as is, integer DN / 10 000 -- :func:`backend.geo.scaling.to_unit` 'auto'), then each
band stretched between its 2 and 98 % percentiles over the scene (:func:`.raster.stretch_bands`): the
per-raster stretch the product applies at inference for the bundled model (``diffusionsat.json``
``stretch``) and inverts on the output.

For a target crop of S x S pixels of the **original 10 m** data:

* target  = B4 B3 B2 of the crop (3, S, S) at 10 m;
* control = all 10 bands degraded by 4 (``area``: 4 x 4 block mean; ``gaussian``: Gaussian blur with
  sigma = 0.5 x factor high-res pixels, then the block mean) -> (10, S/4, S/4) at 40 m; the 20 m bands of a
  DSen2 file are degraded by 2 from their own grid to the same 40 m) -> bicubic up-sampling to
  (10, S/2, S/2): the control sits at half the target's pixel count, as the official SR ControlNet
  (``conditioning_scale`` 2) expects;
* metadata = the crop's own (centre lon/lat, GSD 10 m, date where known); cond metadata = the same with
  GSD := 40 m, the true resolution of the control's content (the official model uses the Sentinel-2
  native 10 m for its control).

At inference the model is applied one scale finer: a 10 m tile (GSD 10 as cond metadata) presented at 2x
its pixel count becomes a 2.5 m output (target GSD 2.5). That scale transfer is the Wald-protocol
assumption; it is not verified by these data (no real 2.5 m Sentinel-2 truth exists).

DSen2 ``.npz`` (``im10``: B2 B3 B4 B8 at 10 m, ``im20``: B5 B6 B7 B8A B11 B12 at 20 m, DN x 10 000) has
no georeference: its lon/lat are unknown (the MGRS tile 33UUB is known, but not where in the 110 km
tile the 6 km crop lies, so any lon/lat would be invented); GSD 10 m and the date (from the product
name, ``date`` argument) are known.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from .captions import scene_caption
from .dropout import metadata_dropout
from .raster import Scene, area_downsample, crop_metadata, resize, split_columns, stretch_bands

SR_BANDS = ("B04", "B03", "B02", "B05", "B06", "B07", "B08", "B8A", "B11", "B12")
RGB_IDX = (0, 1, 2)
DSEN2_10M = ("B02", "B03", "B04", "B08")
DSEN2_20M = ("B05", "B06", "B07", "B8A", "B11", "B12")


@dataclasses.dataclass
class S2Source:
    """10 SR bands: ``hi`` bands on the 10 m grid, ``lo`` bands (if any) on a 20 m grid; [0, 1] reflectance."""

    name: str
    hi: Dict[str, np.ndarray]
    lo: Dict[str, np.ndarray]
    scene: Scene  # georeference + known metadata, image = the RGB (for crop metadata / hold-out)


def load_s2_geotiff(path, place: Optional[str] = None, date=None) -> S2Source:
    from backend.geo.read import read_sentinel2_sr
    from backend.geo.scaling import to_unit

    from backend.geo.raster_metadata import date_and_cloud

    data = read_sentinel2_sr(path)
    arr = stretch_bands(to_unit(data.array, "auto", valid=data.valid), data.valid)
    hi = {b: arr[i] for i, b in enumerate(SR_BANDS)}
    found_date, cloud, _ = date_and_cloud(path, data.tags, data.descriptions)
    scene = Scene(name=Path(path).name, image=arr[list(RGB_IDX)], valid=data.valid, crs=data.crs,
                  transform=data.transform, date=found_date if date is None else _dt.date.fromisoformat(str(date)),
                  cloud_cover=cloud, sensor="sentinel-2", place=place)
    return S2Source(scene.name, hi, {}, scene)


def load_dsen2_npz(path, date=None, place: Optional[str] = None) -> S2Source:
    with np.load(path) as npz:
        im10 = np.clip(np.asarray(npz["im10"], dtype=np.float32) / 10000.0, 0, 1)
        im20 = np.clip(np.asarray(npz["im20"], dtype=np.float32) / 10000.0, 0, 1)
    im10 = stretch_bands(im10, (im10 > 0).any(axis=0))
    im20 = stretch_bands(im20, (im20 > 0).any(axis=0))
    hi = {b: im10[i] for i, b in enumerate(DSEN2_10M)}
    lo = {b: im20[i] for i, b in enumerate(DSEN2_20M)}
    rgb = np.stack([hi["B04"], hi["B03"], hi["B02"]])
    valid = (im10 > 0).any(axis=0)
    scene = Scene(name=Path(path).name, image=rgb, valid=valid, crs=None, transform=None, gsd=10.0,
                  date=None if date is None else _dt.date.fromisoformat(str(date)), sensor="sentinel-2",
                  place=place)
    return S2Source(scene.name, hi, lo, scene)


def degrade(band: np.ndarray, factor: int, how: str = "area") -> np.ndarray:
    if how == "gaussian":
        from scipy.ndimage import gaussian_filter

        band = gaussian_filter(band, 0.5 * factor, mode="reflect")
    elif how != "area":
        raise ValueError(f"degradation must be 'area' or 'gaussian', not {how!r}")
    return area_downsample(band[None], factor)[0]


def make_pair(src: S2Source, x0: int, y0: int, size: int, factor: int = 4, how: str = "area") -> Dict:
    """Wald pair for the target window (x0, y0, size) of ``src`` (x0, y0 even, size divisible by 2 * factor)."""
    ctl = []
    for b in SR_BANDS:
        if b in src.hi:
            ctl.append(degrade(src.hi[b][y0:y0 + size, x0:x0 + size], factor, how))
        else:
            h = size // 2
            ctl.append(degrade(src.lo[b][y0 // 2:y0 // 2 + h, x0 // 2:x0 // 2 + h], factor // 2, how))
    low = np.stack(ctl)  # (10, S/f, S/f)
    control = np.clip(resize(low, (size // 2, size // 2), mode="bicubic"), 0, 1)
    target = np.stack([src.hi[b][y0:y0 + size, x0:x0 + size] for b in ("B04", "B03", "B02")])
    meta = crop_metadata(src.scene, x0, y0, size, size)
    cond = meta.replace(gsd=None if meta.gsd is None else meta.gsd * factor)
    return {"target": np.ascontiguousarray(target, dtype=np.float32), "control": control.astype(np.float32),
            "low": low.astype(np.float32), "meta": meta, "cond_meta": cond}


class S2SuperResolution:
    def __init__(self, sources: Sequence[S2Source], size: int = 64, split: str = "train", factor: int = 4,
                 degradation: str = "area", holdout_frac: float = 0.25, min_holdout: int = 32,
                 md_dropout: float = 0.0, flips: bool = True):
        if size % (2 * factor):
            raise ValueError(f"the target size must be a multiple of {2 * factor}")
        self.size, self.factor, self.how = int(size), int(factor), degradation
        self.md_dropout, self.flips, self.split = float(md_dropout), bool(flips), split
        self.entries = []
        for s in sources:
            c0, c1 = split_columns(s.scene.width, split, holdout_frac, min_holdout)
            c0 += c0 % 2
            if c1 - c0 >= self.size and s.scene.height >= self.size:
                self.entries.append((s, c0, c1))
        if not self.entries:
            raise ValueError(f"no Sentinel-2 source is large enough for {size}-px targets in the {split!r} split")

    def sample(self, rng: np.random.Generator) -> Dict:
        src, c0, c1 = self.entries[int(rng.integers(len(self.entries)))]
        x0 = c0 + 2 * int(rng.integers(0, (c1 - c0 - self.size) // 2 + 1))
        y0 = 2 * int(rng.integers(0, (src.scene.height - self.size) // 2 + 1))
        pair = make_pair(src, x0, y0, self.size, self.factor, self.how)
        tgt, ctl = pair["target"], pair["control"]
        if self.flips and rng.random() < 0.5:
            tgt, ctl = tgt[:, :, ::-1], ctl[:, :, ::-1]
        md, cmd = pair["meta"].to_vector(), pair["cond_meta"].to_vector()
        if self.md_dropout > 0:
            md = metadata_dropout(md, rng, self.md_dropout)
            cmd = metadata_dropout(cmd, rng, self.md_dropout)
        return {"image": np.ascontiguousarray(tgt), "control": np.ascontiguousarray(ctl), "metadata": md,
                "cond_metadata": cmd, "caption": scene_caption(src.scene.sensor, src.scene.place),
                "scene": src.name}

    def batch(self, rng: np.random.Generator, n: int) -> Dict:
        items = [self.sample(rng) for _ in range(n)]
        out = {k: np.stack([it[k] for it in items]).astype(np.float32)
               for k in ("image", "control", "metadata", "cond_metadata")}
        out["caption"] = [it["caption"] for it in items]
        out["scene"] = [it["scene"] for it in items]
        return out


def load_sources(specs: Sequence[dict], base: Optional[str] = None) -> List[S2Source]:
    """Config entries ``{"path": ..., "kind": "geotiff"|"dsen2", "place": ..., "date": ...}`` -> sources."""
    out = []
    for spec in specs:
        path = Path(spec["path"])
        if base is not None and not path.is_absolute():
            path = Path(base) / path
        kind = spec.get("kind") or ("dsen2" if path.suffix == ".npz" else "geotiff")
        if kind == "dsen2":
            out.append(load_dsen2_npz(path, date=spec.get("date"), place=spec.get("place")))
        else:
            out.append(load_s2_geotiff(path, place=spec.get("place"), date=spec.get("date")))
    return out


__all__ = ["SR_BANDS", "S2Source", "S2SuperResolution", "load_s2_geotiff", "load_dsen2_npz", "load_sources",
           "make_pair", "degrade"]
