"""Scenes (whole rasters in memory, scaled to [0, 1]) and the metadata of a crop of one.

A :class:`Scene` is a (C, H, W) float32 array in [0, 1] with a validity mask, its georeference (CRS +
affine transform, or none) and what is known about the acquisition (sensor, place, date, cloud
cover). Crops compute their own :class:`backend.metadata.SatMetadata`: centre longitude/latitude of the
crop (pyproj, WGS84; :mod:`backend.geo.raster_metadata`), ground sample distance in metres of the crop's pixels (times the zoom factor when
a crop is down-sampled), and the scene's date / cloud cover where known
(:func:`backend.geo.raster_metadata.date_and_cloud`: Landsat MTL, acquisition tags, product names;
a per-file ``date`` in the source spec documented at the source overrides). Nothing unknown is invented:
an unknown field stays ``None`` (0 in the model's vector).

Spatial hold-out (deterministic, per scene): the right-most ``max(ceil(holdout_frac * W), min_holdout)``
columns (capped at half the width) are the evaluation block; the 'train' split only crops columns left of
it, the 'eval' split only inside it. See :func:`split_columns`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import re
import warnings
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from backend.metadata import SatMetadata

try:  # the project's geo layer (reading by band name, scaling, grids)
    from backend.geo import grids as _grids
    from backend.geo import raster_metadata as _rmeta
    from backend.geo import read as _read
    from backend.geo import scaling as _scaling
    from backend.geo.bands import band_code, find_mtl, landsat_band_files
except ImportError:  # pragma: no cover - backend.geo is part of the project
    _grids = _read = _scaling = _rmeta = None

RASTER_SUFFIXES = (".tif", ".tiff")
STRETCH_PERCENTILES = (2.0, 98.0)  # the bundled model's diffusionsat.json "stretch" (inference uses the same)


def stretch_bands(unit: np.ndarray, valid: Optional[np.ndarray]) -> np.ndarray:
    """Per-band 2-98 % stretch of [0, 1] values over the valid pixels (how the product prepares inputs)."""
    return _scaling.stretch(unit, _scaling.percentile_limits(unit, valid, STRETCH_PERCENTILES), valid)


def stretch_jointly(scenes: Sequence["Scene"]) -> None:
    """Re-stretch co-registered scenes (loaded with ``scaling`` 'auto') with limits pooled over all of them,
    as the product does for the input frames of a multi-date prediction (one stretch for the series)."""
    pooled = np.concatenate([s.image[:, s.valid] for s in scenes], axis=1)[:, None, :]
    limits = _scaling.percentile_limits(pooled, None, STRETCH_PERCENTILES)
    for s in scenes:
        s.image = _scaling.stretch(s.image, limits, s.valid)


# --------------------------------------------------------------------------- small array helpers
def area_downsample(image: np.ndarray, factor: int) -> np.ndarray:
    """(C, H, W) -> (C, H // f, W // f) by averaging f x f blocks (the 'area' filter)."""
    factor = int(factor)
    if factor == 1:
        return np.asarray(image, dtype=np.float32)
    c, h, w = image.shape
    h2, w2 = h // factor, w // factor
    x = np.asarray(image[:, : h2 * factor, : w2 * factor], dtype=np.float32)
    return x.reshape(c, h2, factor, w2, factor).mean(axis=(2, 4)).astype(np.float32)


def resize(image: np.ndarray, size: Tuple[int, int], mode: str = "bicubic") -> np.ndarray:
    """(C, H, W) float -> (C, size[0], size[1]); anti-aliased when shrinking."""
    t = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None]
    if tuple(t.shape[-2:]) == tuple(size):
        return np.asarray(image, dtype=np.float32)
    if mode == "nearest":
        out = F.interpolate(t, size=size, mode="nearest")
    else:
        shrink = size[0] < t.shape[-2] or size[1] < t.shape[-1]
        out = F.interpolate(t, size=size, mode=mode, align_corners=False, antialias=shrink)
    return out[0].numpy().astype(np.float32)


# --------------------------------------------------------------------------- scenes
@dataclasses.dataclass
class Scene:
    name: str
    image: np.ndarray  # (C, H, W) float32 in [0, 1]
    valid: np.ndarray  # (H, W) bool
    crs: object = None  # rasterio CRS or None
    transform: object = None  # affine.Affine or None
    gsd: Optional[float] = None  # metres / pixel when known without a CRS
    date: Optional[_dt.date] = None
    cloud_cover: Optional[float] = None
    sensor: Optional[str] = None
    place: Optional[str] = None
    band_names: Tuple[str, ...] = ()
    weight: float = 1.0  # relative sampling weight (source spec 'weight')
    geo_grid: object = None  # a pack's GeoGrid standing in for crs + transform (training.datasets.pack)

    @property
    def height(self) -> int:
        return int(self.image.shape[1])

    @property
    def width(self) -> int:
        return int(self.image.shape[2])

    def metadata(self, x0: int, y0: int, w: int, h: int, zoom: float = 1.0, gsd_override=None) -> SatMetadata:
        """SatMetadata of the window (x0, y0, w, h) of this scene, down-sampled by ``zoom``."""
        return crop_metadata(self, x0, y0, w, h, zoom=zoom, gsd_override=gsd_override)


def crop_metadata(scene: Scene, x0: int, y0: int, w: int, h: int, zoom: float = 1.0,
                  gsd_override: Optional[float] = None) -> SatMetadata:
    """Centre lon/lat (WGS84) and GSD (m) of a window, plus the scene's date and cloud cover.

    :func:`backend.geo.raster_metadata.metadata_for_window` (centre via pyproj, GSD =
    :func:`backend.geo.grids.pixel_size_m` of the window grid, geodesic for geographic CRSs), GSD
    multiplied by ``zoom`` (a crop of ``zoom * s`` pixels shown as ``s`` pixels). Without a CRS,
    lon/lat are unknown and GSD is the scene's known ``gsd`` (or unknown).
    """
    base = SatMetadata(cloud_cover=scene.cloud_cover, date=scene.date)
    if scene.crs is not None and scene.transform is not None:
        from rasterio.windows import Window

        grid = _grids.Grid(scene.crs, scene.transform, scene.width, scene.height)
        meta = _rmeta.metadata_for_window(grid, Window(x0, y0, w, h), base)
    elif scene.geo_grid is not None:
        meta = scene.geo_grid.metadata(x0, y0, w, h, base)
    else:
        meta = base.replace(gsd=scene.gsd)
    if meta.gsd is not None and zoom != 1:
        meta = meta.replace(gsd=float(meta.gsd) * float(zoom))
    if gsd_override is not None:
        meta = meta.replace(gsd=float(gsd_override))
    return meta


def split_columns(width: int, split: str, holdout_frac: float = 0.25, min_holdout: int = 32) -> Tuple[int, int]:
    """Column range [start, stop) a split may crop from (see the module doc)."""
    hold = max(int(math.ceil(holdout_frac * width)), int(min_holdout)) if holdout_frac > 0 else 0
    hold = min(hold, width // 2)
    if split == "train":
        return 0, width - hold
    if split == "eval":
        return width - hold, width
    if split == "all":
        return 0, width
    raise ValueError(f"split must be 'train', 'eval' or 'all', not {split!r}")


# --------------------------------------------------------------------------- source specs
def load_source_specs(path) -> Dict[str, dict]:
    """``{file or folder name: spec}`` from a JSON file (``None`` -> empty). Keys starting with '_' are notes."""
    if path is None:
        return {}
    with open(path, "r", encoding="utf-8") as fh:
        data = json.load(fh)
    return {k: v for k, v in data.items() if not k.startswith("_")}


def _parse_date(text) -> Optional[_dt.date]:
    if not text:
        return None
    m = re.match(r"^\s*(\d{4})-(\d{2})-(\d{2})", str(text))
    if not m:
        return None
    try:
        return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def read_mtl(path) -> dict:
    """Date and scene cloud cover from a Landsat ``*_MTL.txt`` (``DATE_ACQUIRED``, ``CLOUD_COVER`` percent)."""
    text = Path(path).read_text(errors="replace")
    out = {}
    m = re.search(r"DATE_ACQUIRED\s*=\s*\"?(\d{4}-\d{2}-\d{2})", text) or re.search(
        r"ACQUISITION_DATE\s*=\s*\"?(\d{4}-\d{2}-\d{2})", text)
    if m:
        out["date"] = _parse_date(m.group(1))
    m = re.search(r"\n\s*CLOUD_COVER\s*=\s*\"?([-0-9.]+)", text)
    if m:
        value = float(m.group(1))
        if 0.0 <= value <= 100.0:  # -1 means "not computed"
            out["cloud_cover"] = value / 100.0
    m = re.search(r"SPACECRAFT_ID\s*=\s*\"?([A-Z_0-9]+)", text)
    if m:
        out["sensor"] = m.group(1).lower().replace("_", " ")
    return out


_S2_RGB = ("B04", "B03", "B02")


def _auto_rgb_bands(descriptions: Sequence[Optional[str]], count: int) -> Optional[List[int]]:
    names = [(d or "").strip().lower() for d in descriptions]
    if all(n in names for n in ("red", "green", "blue")):
        return [names.index("red") + 1, names.index("green") + 1, names.index("blue") + 1]
    codes = [band_code(d) for d in descriptions]
    if all(c in codes for c in _S2_RGB):
        return [codes.index(c) + 1 for c in _S2_RGB]
    if count >= 3:
        return [1, 2, 3]
    return None


def load_scene(path, spec: Optional[dict] = None, bands="rgb") -> Optional[Scene]:
    """Read a GeoTIFF (or a Landsat per-band product folder) as a :class:`Scene`.

    ``bands``: ``'rgb'`` (auto-detected or ``spec['bands']``) or an explicit list of band names/indexes.
    ``spec`` keys (all optional): ``bands``, ``scaling`` (a :mod:`backend.geo.scaling` mode; default:
    uint8 -> /255, Sentinel-2 named bands -> reflectance, anything else -> per-scene 2-98 % stretch),
    ``sensor``, ``place``, ``date`` (ISO, only when documented at the source), ``cloud_cover`` (0..1),
    ``weight`` (relative sampling weight, e.g. 0.2 for each of 5 frames of one place), ``skip``. Returns ``None`` for a raster that cannot give the requested bands.
    """
    spec = dict(spec or {})
    path = Path(path)
    if spec.get("skip"):
        return None
    tags: dict = {}
    if path.is_dir():
        files = landsat_band_files(path)
        if bands == "rgb":
            sel = spec.get("bands") or ["B3", "B2", "B1"]
        else:
            sel = list(bands)
        data = _read.read_landsat_folder(path, sel, edge_zeros=True)
        descriptions = data.descriptions
        mtl = find_mtl(path)
        if mtl is not None:
            tags.update({k: v for k, v in read_mtl(mtl).items() if k == "sensor"})
        date, cloud, _ = _rmeta.date_and_cloud(files[next(iter(files))], data.tags)
        tags.update(date=date, cloud_cover=cloud)
    else:
        with _read.open_raster(path) as ds:
            descriptions = ds.descriptions
            count = ds.count
            file_tags = ds.tags()
        if bands == "rgb":
            sel = spec.get("bands") or _auto_rgb_bands(descriptions, count)
            if sel is None:
                return None
        else:
            sel = list(bands)
        data = _read.read_raster(path, sel, require_crs=False, edge_zeros=bool(spec.get("edge_zeros", True)))
        date, cloud, _ = _rmeta.date_and_cloud(path, file_tags, data.descriptions)
        tags.update(date=date, cloud_cover=cloud)
        if file_tags.get("SENSOR"):
            tags["sensor"] = file_tags["SENSOR"].lower()
        mtl = find_mtl(path)
        if mtl is not None:
            tags.update({k: v for k, v in read_mtl(mtl).items() if k == "sensor"})
    array = data.array
    valid = data.valid
    mode = spec.get("scaling")
    if mode is None:
        # 8-bit imagery is already a display product; everything else (Sentinel-2 reflectance included) gets
        # the per-raster stretch the product applies at inference (diffusionsat.json "stretch"), so the
        # small VAE sees full contrast instead of reflectance crowded into [0, 0.3]
        mode = "uint8" if array.dtype == np.uint8 else "percentile"
    image = _scaling.to_unit(array, mode, valid=valid, percentiles=STRETCH_PERCENTILES)
    crs = data.profile.get("crs")
    transform = data.profile.get("transform") if crs is not None else None
    date = _parse_date(spec["date"]) if spec.get("date") else tags.get("date")
    cloud = spec["cloud_cover"] if "cloud_cover" in spec else tags.get("cloud_cover")
    return Scene(
        name=path.name, image=image, valid=np.asarray(valid, dtype=bool), crs=crs, transform=transform,
        gsd=spec.get("gsd"), date=date, cloud_cover=cloud,
        sensor=spec.get("sensor") or tags.get("sensor"), place=spec.get("place"),
        band_names=tuple(str(d) if d else f"band {i}" for i, d in zip(data.band_indexes, descriptions)),
        weight=float(spec.get("weight", 1.0)),
    )


def discover(folder, specs: Optional[Dict[str, dict]] = None, bands="rgb", include: Optional[Sequence[str]] = None,
             exclude: Sequence[str] = ()) -> List[Scene]:
    """Every GeoTIFF (and Landsat product sub-folder) of ``folder`` as a Scene, sorted by name.

    ``include``: only these names (glob patterns); ``exclude``: skip these. Unreadable or band-less
    rasters are skipped with a warning.
    """
    import fnmatch

    folder = Path(folder)
    specs = specs or {}
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    paths = []
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.suffix.lower() in RASTER_SUFFIXES:
            paths.append(p)
        elif p.is_dir():
            try:
                landsat_band_files(p)
                paths.append(p)
            except Exception:
                continue
    scenes = []
    for p in paths:
        if include is not None and not any(fnmatch.fnmatch(p.name, pat) for pat in include):
            continue
        if any(fnmatch.fnmatch(p.name, pat) for pat in exclude):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                scene = load_scene(p, specs.get(p.name), bands=bands)
        except Exception as exc:  # a foreign folder may hold anything
            warnings.warn(f"skipping {p.name}: {exc}")
            continue
        if scene is not None:
            scenes.append(scene)
    return scenes


__all__ = ["Scene", "crop_metadata", "split_columns", "load_scene", "discover", "load_source_specs", "read_mtl",
           "area_downsample", "resize"]
