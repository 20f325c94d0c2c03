"""Scene packs: the training data of every trainer as plain arrays, for machines without GDAL or PROJ.

A GPU machine lent for a few minutes has PyTorch but no rasterio / pyproj, and nothing can be fetched
there. :func:`save_pack` writes what the trainers read -- RGB scenes, multi-date stacks, Sentinel-2
super-resolution sources, cloud-mask layers -- into one folder (``arrays.npz`` + ``index.json``; no
pickles), after the geo layer has done its work here: images already scaled to [0, 1] (stored as 8 bits --
three-band ones as lossless WebP -- or float16 for the reflectance bands of the SR sources), and each
georeferenced scene's CRS replaced by a
:class:`GeoGrid` of centre lon/lat and GSD sampled every ``step`` pixels, which gives a crop's metadata by
bilinear interpolation (lon/lat within ~1e-6 degree of the pyproj value for UTM scenes of a few km).

``data.pack`` in a trainer's config points at such a folder; the trainers then read it instead of
``data.root`` (:func:`load_pack`, cached per process).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import io
import json
from pathlib import Path
from typing import Dict, Optional, Sequence

import numpy as np

from backend.metadata import SatMetadata

from .masks import CloudMaskBank
from .raster import Scene
from .sentinel2 import S2Source

PACK_VERSION = 2  # 2: three-band images as lossless WebP; version 1 packs (raw arrays) still load
READABLE_VERSIONS = (1, 2)


def encode_image(u8: np.ndarray):
    """A (C, H, W) uint8 image as stored: three bands as lossless WebP bytes (the 0.3 pack's images take 24 MB
    so, against 35 MB as deflated arrays, which leaves room in a GPU call's 64 MiB for a model to continue
    from), anything else as it is. Returns (array, format)."""
    if u8.ndim != 3 or u8.shape[0] != 3:
        return u8, "raw"
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(u8.transpose(1, 2, 0))).save(buf, "WEBP", lossless=True, quality=100, method=4)
    return np.frombuffer(buf.getvalue(), dtype=np.uint8), "webp"


def decode_image(stored: np.ndarray, fmt: str, shape) -> np.ndarray:
    """The (C, H, W) uint8 image back, bit for bit."""
    if fmt == "raw":
        return stored
    from PIL import Image

    image = np.asarray(Image.open(io.BytesIO(stored.tobytes())).convert("RGB")).transpose(2, 0, 1)
    if image.shape != tuple(shape):
        raise ValueError(f"a packed image decodes to {image.shape}, not {tuple(shape)}")
    return image


@dataclasses.dataclass
class GeoGrid:
    """Centre lon/lat (degrees) and pixel size (m) of a scene's pixels, sampled on a regular node grid."""

    step: int
    lon: np.ndarray  # (ny, nx) at pixel-coordinate nodes (i * step, j * step), edges included
    lat: np.ndarray
    gsd: np.ndarray

    def _interp(self, field: np.ndarray, x: float, y: float) -> float:
        ny, nx = field.shape
        fx = min(max(x / self.step, 0.0), nx - 1.0)
        fy = min(max(y / self.step, 0.0), ny - 1.0)
        i0, j0 = min(int(fy), ny - 2) if ny > 1 else 0, min(int(fx), nx - 2) if nx > 1 else 0
        i1, j1 = min(i0 + 1, ny - 1), min(j0 + 1, nx - 1)
        wy, wx = fy - i0, fx - j0
        top = field[i0, j0] * (1 - wx) + field[i0, j1] * wx
        bottom = field[i1, j0] * (1 - wx) + field[i1, j1] * wx
        return float(top * (1 - wy) + bottom * wy)

    def metadata(self, x0: int, y0: int, w: int, h: int, base: SatMetadata) -> SatMetadata:
        cx, cy = x0 + w / 2.0, y0 + h / 2.0
        return base.replace(lon=self._interp(self.lon, cx, cy), lat=self._interp(self.lat, cx, cy),
                            gsd=self._interp(self.gsd, cx, cy))


def geo_grid_of(scene: Scene, step: int = 32) -> Optional[GeoGrid]:
    """Sample a georeferenced scene's metadata (through the real geo layer) on a node grid."""
    from .raster import crop_metadata

    if scene.crs is None or scene.transform is None:
        return None
    # nodes at every multiple of step up to one past the edge (the affine grid extends beyond the raster)
    xs = [i * step for i in range(int(np.ceil(scene.width / step)) + 1)]
    ys = [i * step for i in range(int(np.ceil(scene.height / step)) + 1)]
    lon = np.zeros((len(ys), len(xs)))
    lat = np.zeros_like(lon)
    gsd = np.zeros_like(lon)
    for i, y in enumerate(ys):
        for j, x in enumerate(xs):
            m = crop_metadata(scene, x - 1, y - 1, 2, 2)  # a 2 x 2 window centred on the node
            lon[i, j], lat[i, j], gsd[i, j] = m.lon, m.lat, m.gsd
    return GeoGrid(step, lon, lat, gsd)


# --------------------------------------------------------------------------- writing
class _Writer:
    def __init__(self):
        self.arrays: Dict[str, np.ndarray] = {}
        self.written: Dict[int, dict] = {}  # a Scene used twice (an RGB scene that is also a frame) is stored once

    def put(self, key: str, arr: np.ndarray) -> str:
        self.arrays[key] = arr
        return key

    def scene(self, prefix: str, scene: Scene, step: int) -> dict:
        if id(scene) in self.written:
            return self.written[id(scene)]
        img = np.clip(np.asarray(scene.image, dtype=np.float32), 0.0, 1.0)
        stored, fmt = encode_image(np.round(img * 255).astype(np.uint8))
        rec = {
            "name": scene.name, "image": self.put(prefix + ".image", stored), "image_format": fmt,
            "valid": self.put(prefix + ".valid", np.packbits(np.asarray(scene.valid, dtype=bool), axis=None)),
            "shape": list(scene.image.shape), "gsd": scene.gsd,
            "date": scene.date.isoformat() if scene.date else None, "cloud_cover": scene.cloud_cover,
            "sensor": scene.sensor, "place": scene.place, "band_names": list(scene.band_names),
            "weight": scene.weight,
        }
        grid = scene.geo_grid if scene.geo_grid is not None else geo_grid_of(scene, step)
        if grid is not None:
            rec["grid"] = {"step": grid.step, "lon": self.put(prefix + ".lon", grid.lon),
                           "lat": self.put(prefix + ".lat", grid.lat), "gsd": self.put(prefix + ".gsd", grid.gsd)}
        self.written[id(scene)] = rec
        return rec


def save_pack(folder, *, rgb: Sequence[Scene] = (), stacks: Sequence = (), singles: Sequence[Scene] = (),
              s2: Sequence[S2Source] = (), masks: Optional[CloudMaskBank] = None, step: int = 32,
              notes: Optional[dict] = None) -> Path:
    """Write the pack; ``stacks`` are (frames, clear flags) as :class:`~.tasks.MultiDateDataset` takes."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    w = _Writer()
    index = {"version": PACK_VERSION, "notes": notes or {},
             "rgb": [w.scene(f"rgb{i}", s, step) for i, s in enumerate(rgb)],
             "singles": [w.scene(f"single{i}", s, step) for i, s in enumerate(singles)],
             "stacks": [{"clear": [bool(c) for c in clear],
                         "frames": [w.scene(f"stack{i}.{k}", f, step) for k, f in enumerate(frames)]}
                        for i, (frames, clear) in enumerate(stacks)],
             "s2": [], "masks": []}
    for i, src in enumerate(s2):
        index["s2"].append({
            "name": src.name, "scene": w.scene(f"s2_{i}.scene", src.scene, step),
            "hi": {b: w.put(f"s2_{i}.hi.{b}", np.asarray(a, dtype=np.float16)) for b, a in src.hi.items()},
            "lo": {b: w.put(f"s2_{i}.lo.{b}", np.asarray(a, dtype=np.float16)) for b, a in src.lo.items()},
        })
    if masks is not None:
        for i, (layer, name) in enumerate(zip(masks.layers, masks.names)):
            index["masks"].append({"name": name, "shape": list(layer.shape),
                                   "bits": w.put(f"mask{i}", np.packbits(layer, axis=None))})
    np.savez_compressed(folder / "arrays.npz", **w.arrays)
    (folder / "index.json").write_text(json.dumps(index, indent=1))
    return folder


# --------------------------------------------------------------------------- reading
_CACHE: Dict[str, dict] = {}


def _scene(rec: dict, arrays) -> Scene:
    shape = tuple(rec["shape"])
    image = decode_image(arrays[rec["image"]], rec.get("image_format", "raw"), shape).astype(np.float32) / 255.0
    valid = np.unpackbits(arrays[rec["valid"]], count=shape[1] * shape[2]).reshape(shape[1:]).astype(bool)
    grid = None
    if rec.get("grid"):
        g = rec["grid"]
        grid = GeoGrid(int(g["step"]), arrays[g["lon"]], arrays[g["lat"]], arrays[g["gsd"]])
    return Scene(name=rec["name"], image=image, valid=valid, gsd=rec.get("gsd"),
                 date=_dt.date.fromisoformat(rec["date"]) if rec.get("date") else None,
                 cloud_cover=rec.get("cloud_cover"), sensor=rec.get("sensor"), place=rec.get("place"),
                 band_names=tuple(rec.get("band_names") or ()), weight=float(rec.get("weight", 1.0)), geo_grid=grid)


def load_pack(folder) -> dict:
    """{'rgb', 'singles', 'stacks', 's2', 'masks'} rebuilt from a pack folder (cached per process)."""
    key = str(Path(folder).resolve())
    if key in _CACHE:
        return _CACHE[key]
    folder = Path(folder)
    index = json.loads((folder / "index.json").read_text())
    if index.get("version") not in READABLE_VERSIONS:
        raise ValueError(f"{folder}: pack version {index.get('version')} is not one of {READABLE_VERSIONS}")
    with np.load(folder / "arrays.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    out = {
        "rgb": [_scene(r, arrays) for r in index["rgb"]],
        "singles": [_scene(r, arrays) for r in index["singles"]],
        "stacks": [([_scene(f, arrays) for f in st["frames"]], list(st["clear"])) for st in index["stacks"]],
        "s2": [S2Source(name=r["name"], hi={b: arrays[k].astype(np.float32) for b, k in r["hi"].items()},
                        lo={b: arrays[k].astype(np.float32) for b, k in r["lo"].items()},
                        scene=_scene(r["scene"], arrays)) for r in index["s2"]],
        "masks": None,
    }
    if index["masks"]:
        layers = [np.unpackbits(arrays[m["bits"]], count=int(np.prod(m["shape"]))).reshape(m["shape"]).astype(bool)
                  for m in index["masks"]]
        out["masks"] = CloudMaskBank(layers, [m["name"] for m in index["masks"]])
    _CACHE[key] = out
    return out


__all__ = ["GeoGrid", "geo_grid_of", "save_pack", "load_pack"]
