"""Adapter (b): the official fMoW layout (image + JSON metadata), as DiffusionSat was trained on.

Layout (fMoW-rgb / fMoW-full)::

    <root>/<split>/<category>/<category>_<id>/<category>_<id>_<k>_rgb.jpg   (or .png / .tif)
    <root>/<split>/<category>/<category>_<id>/<category>_<id>_<k>_rgb.json

JSON fields used (official names): ``gsd`` (m), ``cloud_cover`` (percent, 0..100), ``timestamp``
(ISO 8601), ``country_code`` (ISO 3166 alpha-3), ``bounding_boxes`` (list of ``{"category", "box":
[x, y, w, h]}``), and the location as ``raw_location`` (WKT polygon in lon/lat) or, failing that,
``lon``/``lat`` fields. Missing fields are unknown (0 in the vector).

Metadata as in the official fMoW dataset: lon/lat = centroid of the location polygon, ``gsd_eff =
gsd * min(H, W) / size`` (the image is resized to ``size`` x ``size``), cloud cover = percent / 100,
date from the timestamp. Caption: ``"a fmow satellite image of a <class> in <country>"``.
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

from backend.metadata import SatMetadata

from .captions import fmow_caption
from .dropout import metadata_dropout
from .raster import resize

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")


def _read_image(path: Path) -> np.ndarray:
    """RGB image -> (3, H, W) float32 in [0, 1]."""
    if path.suffix.lower() in (".tif", ".tiff"):
        import rasterio

        with rasterio.open(path) as ds:
            arr = ds.read([1, 2, 3] if ds.count >= 3 else [1, 1, 1])
        scale = 255.0 if arr.dtype == np.uint8 else float(np.iinfo(arr.dtype).max) if arr.dtype.kind in "ui" else 1.0
        return np.clip(arr.astype(np.float32) / scale, 0, 1)
    from PIL import Image

    with Image.open(path) as im:
        arr = np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0
    return np.ascontiguousarray(arr.transpose(2, 0, 1))


def _location(info: dict):
    wkt = info.get("raw_location")
    if wkt:
        try:
            from shapely import wkt as _wkt

            c = _wkt.loads(wkt).centroid
            return float(c.x), float(c.y)
        except Exception:
            pass
    if info.get("lon") is not None and info.get("lat") is not None:
        return float(info["lon"]), float(info["lat"])
    return None, None


def _timestamp(text) -> Optional[_dt.date]:
    if not text:
        return None
    try:
        return _dt.datetime.fromisoformat(str(text).replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return _dt.date.fromisoformat(str(text)[:10])
        except ValueError:
            return None


def fmow_record(json_path) -> Dict:
    """One fMoW JSON -> dict(category, country_code, raw SatMetadata fields, gsd, image path)."""
    json_path = Path(json_path)
    info = json.loads(json_path.read_text(encoding="utf-8"))
    boxes = info.get("bounding_boxes") or []
    category = boxes[0].get("category") if boxes else None
    if not category:  # the folder name is the class in the official layout
        category = json_path.parent.parent.name
    image = None
    for suffix in IMAGE_SUFFIXES:
        cand = json_path.with_suffix(suffix)
        if cand.exists():
            image = cand
            break
    lon, lat = _location(info)
    cloud = info.get("cloud_cover")
    return {
        "json": json_path, "image": image, "category": category, "country_code": info.get("country_code"),
        "lon": lon, "lat": lat, "gsd": info.get("gsd"),
        "cloud_cover": None if cloud is None else min(max(float(cloud) / 100.0, 0.0), 1.0),
        "date": _timestamp(info.get("timestamp")),
    }


class FMoWDataset:
    def __init__(self, root, split: str = "train", size: int = 64, md_dropout: float = 0.0, flips: bool = False):
        root = Path(root)
        base = root / split if (root / split).is_dir() else root
        self.records: List[Dict] = []
        for jp in sorted(base.rglob("*.json")):
            rec = fmow_record(jp)
            if rec["image"] is not None:
                self.records.append(rec)
        if not self.records:
            raise ValueError(f"no fMoW image + JSON pairs under {base}")
        self.size = int(size)
        self.md_dropout = float(md_dropout)
        self.flips = bool(flips)

    def __len__(self):
        return len(self.records)

    def item(self, index: int, rng: Optional[np.random.Generator] = None) -> Dict:
        rec = self.records[index]
        img = _read_image(rec["image"])
        h, w = img.shape[1:]
        image = resize(img, (self.size, self.size), mode="bicubic").clip(0, 1)
        gsd = None if rec["gsd"] is None else float(rec["gsd"]) * min(h, w) / self.size
        meta = SatMetadata(lon=rec["lon"], lat=rec["lat"], gsd=gsd, cloud_cover=rec["cloud_cover"], date=rec["date"])
        vec = meta.to_vector()
        if rng is not None and self.flips and rng.random() < 0.5:
            image = image[:, :, ::-1]
        if rng is not None and self.md_dropout > 0:
            vec = metadata_dropout(vec, rng, self.md_dropout)
        return {"image": np.ascontiguousarray(image, dtype=np.float32), "metadata": vec, "meta": meta,
                "caption": fmow_caption(rec["category"], rec["country_code"]), "scene": rec["json"].stem}

    def sample(self, rng: np.random.Generator) -> Dict:
        return self.item(int(rng.integers(len(self.records))), rng)

    def batch(self, rng: np.random.Generator, n: int) -> Dict:
        items = [self.sample(rng) for _ in range(n)]
        return {"image": np.stack([it["image"] for it in items]),
                "metadata": np.stack([it["metadata"] for it in items]).astype(np.float32),
                "caption": [it["caption"] for it in items], "scene": [it["scene"] for it in items]}


__all__ = ["FMoWDataset", "fmow_record"]
