"""SatMetadata (centre lon/lat, GSD, cloud cover, date) from a raster, a window, a grid or an extent.

Nothing is invented: a field the sources do not give stays ``None``.

* lon/lat: the grid centre transformed to WGS84 with ``pyproj.Transformer`` (``always_xy``).
* GSD: metres per pixel, see :func:`backend.geo.grids.pixel_size_m` (projected: CRS unit factor;
  geographic: geodesic length across the centre pixel).
* date, in this order: a Landsat ``*_MTL.txt`` beside the file (``DATE_ACQUIRED``); acquisition tags
  (``ACQUISITION_DATE``, ``DATE_ACQUIRED``, ``SENSING_TIME``, ``DATATAKE_SENSING_START``,
  ``PRODUCT_START_TIME``, ``DIFFUSIONSAT_METADATA``); a Sentinel-2 / Landsat product name in the file
  name (``S2A_MSIL1C_20170527T...``, ``LC08_L1TP_224078_20200518_...``, ``LT52240631988227...``);
  band descriptions that are timestamps (only if all selected bands give the same day);
  ``TIFFTAG_DATETIME`` (``YYYY:MM:DD HH:MM:SS``, often the processing time, hence last).
* cloud cover: MTL ``CLOUD_COVER`` or tags ``CLOUD_COVER`` / ``CLOUDY_PIXEL_PERCENTAGE`` /
  ``CLOUD_COVERAGE_ASSESSMENT`` (percent -> fraction; negative = unknown), or ``DIFFUSIONSAT_METADATA``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import json
import math
import os
import re
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

from . import _proj  # noqa: F401
from affine import Affine
from pyproj import Transformer
from rasterio.windows import Window

from ..metadata import SatMetadata
from .bands import find_mtl
from .errors import ExtentError, MetadataReadError
from .grids import Grid, _check_bounds, as_crs, to_pyproj

_DATE_TAGS = ("ACQUISITION_DATE", "DATE_ACQUIRED", "SENSING_TIME", "SENSING_DATE", "DATATAKE_SENSING_START",
              "PRODUCT_START_TIME", "DATE_TIME", "ACQUISITIONDATE", "ACQUISITION_TIME")
_CLOUD_TAGS = ("CLOUD_COVER", "CLOUDY_PIXEL_PERCENTAGE", "CLOUD_COVERAGE_ASSESSMENT", "CLOUD_COVERAGE")

_S2_NAME = re.compile(r"S2[ABCD]_MSI(?:L1C|L2A|L1B)_(\d{8})T\d{6}", re.IGNORECASE)
_S2_TILE_NAME = re.compile(r"T\d{2}[A-Z]{3}_(\d{8})T\d{6}", re.IGNORECASE)  # T33UUB_20170527T102031_B04.jp2
_LANDSAT_C_NAME = re.compile(r"L[COTEM]0\d_L\d[A-Z]{2,3}_\d{6}_(\d{8})_\d{8}_\d{2}_[A-Z0-9]{2}", re.IGNORECASE)
_LANDSAT_PRE_NAME = re.compile(r"L[COTEM]\d(\d{6})(\d{4})(\d{3})[A-Z]{3}\d{2}", re.IGNORECASE)


def parse_timestamp(text) -> Optional[_dt.date]:
    """A date from a timestamp-like string, or None. The whole string must be a date/timestamp."""
    if text is None:
        return None
    s = str(text).strip().strip('"')
    m = re.fullmatch(r"(\d{4})[:\-/](\d{2})[:\-/](\d{2})(?:[ T_]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?", s)
    if not m:
        m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})(?:T\d{6})?", s)
    if not m:
        return None
    try:
        return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def date_from_product_name(name: str) -> Optional[_dt.date]:
    """Acquisition date of a Sentinel-2 or Landsat product / band file name, or None."""
    base = os.path.basename(str(name))
    for pattern in (_S2_NAME, _S2_TILE_NAME, _LANDSAT_C_NAME):
        m = pattern.search(base)
        if m:
            return parse_timestamp(m.group(1))
    m = _LANDSAT_PRE_NAME.search(base)
    if m:
        year, doy = int(m.group(2)), int(m.group(3))
        if 1 <= doy <= 366 and 1972 <= year <= 2100:
            return _dt.date(year, 1, 1) + _dt.timedelta(days=doy - 1)
    return None


def read_mtl(path) -> Dict[str, str]:
    """A Landsat MTL text file -> {KEY: value} (groups flattened, quotes stripped, NUL padding ignored)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise MetadataReadError(f"cannot read the Landsat metadata file {path}: {exc}") from None
    text = raw.replace(b"\x00", b"").decode("ascii", errors="replace")
    out: Dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or key in ("GROUP", "END_GROUP") or not key:
            continue
        out.setdefault(key, value.strip().strip('"'))
    if "DATE_ACQUIRED" not in out and "ACQUISITION_DATE" not in out and "LANDSAT_SCENE_ID" not in out:
        raise MetadataReadError(f"{path} does not look like a Landsat MTL file")
    return out


def _percent(value) -> Optional[float]:
    try:
        v = float(str(value).strip().strip('"').rstrip("%"))
    except (TypeError, ValueError):
        return None
    if not math.isfinite(v) or v < 0 or v > 100:
        return None  # Landsat writes -1 for "not computed"
    return v / 100.0


def _our_metadata(tags) -> dict:
    raw = tags.get("DIFFUSIONSAT_METADATA")
    if not raw:
        return {}
    try:
        data = json.loads(raw)
        return data if isinstance(data, dict) else {}
    except ValueError:
        return {}


@dataclasses.dataclass
class MetadataSources:
    """Where each field came from (for the user interface); None = unknown."""

    date: Optional[str] = None
    cloud_cover: Optional[str] = None


def date_and_cloud(path=None, tags: Optional[dict] = None, descriptions: Sequence[Optional[str]] = (),
                   ) -> Tuple[Optional[_dt.date], Optional[float], MetadataSources]:
    """Acquisition date and cloud fraction from an MTL beside ``path``, ``tags``, the file name, descriptions."""
    tags = {k.upper(): v for k, v in (tags or {}).items()}
    src = MetadataSources()
    date = cloud = None
    mtl_path = None
    if tags.get("MTL_FILE"):
        mtl_path = Path(tags["MTL_FILE"])
    elif path is not None:
        mtl_path = find_mtl(path)
    if mtl_path is not None and mtl_path.is_file():
        try:
            mtl = read_mtl(mtl_path)
        except MetadataReadError:
            mtl = {}
        d = parse_timestamp(mtl.get("DATE_ACQUIRED") or mtl.get("ACQUISITION_DATE"))
        if d is not None:
            date, src.date = d, f"{mtl_path.name} DATE_ACQUIRED"
        c = _percent(mtl.get("CLOUD_COVER")) if "CLOUD_COVER" in mtl else None
        if c is not None:
            cloud, src.cloud_cover = c, f"{mtl_path.name} CLOUD_COVER"
    ours = _our_metadata(tags)
    if date is None:
        for key in _DATE_TAGS:
            d = parse_timestamp(tags.get(key))
            if d is not None:
                date, src.date = d, f"tag {key}"
                break
    if date is None and ours.get("date"):
        d = parse_timestamp(ours["date"])
        if d is not None:
            date, src.date = d, "tag DIFFUSIONSAT_METADATA"
    if date is None and path is not None:
        d = date_from_product_name(path)
        if d is not None:
            date, src.date = d, "product name"
    if date is None and descriptions:
        days = {parse_timestamp(d) for d in descriptions}
        if len(days) == 1 and None not in days:
            date, src.date = days.pop(), "band description"
    if date is None:
        d = parse_timestamp(tags.get("TIFFTAG_DATETIME"))
        if d is not None:
            date, src.date = d, "tag TIFFTAG_DATETIME"
    if cloud is None:
        for key in _CLOUD_TAGS:
            if key in tags:
                c = _percent(tags[key])
                if c is not None:
                    cloud, src.cloud_cover = c, f"tag {key}"
                    break
    if cloud is None and ours.get("cloud_cover") is not None:
        try:
            c = float(ours["cloud_cover"])
            if 0.0 <= c <= 1.0:
                cloud, src.cloud_cover = c, "tag DIFFUSIONSAT_METADATA"
        except (TypeError, ValueError):
            pass
    return date, cloud, src


def band_dates(path_or_dataset) -> list:
    """Per-band acquisition dates from band descriptions (None where a description is not a date)."""
    from .read import open_raster

    own = not hasattr(path_or_dataset, "read")
    ds = open_raster(path_or_dataset) if own else path_or_dataset
    try:
        return [parse_timestamp(d) for d in ds.descriptions]
    finally:
        if own:
            ds.close()


@functools.lru_cache(maxsize=32)
def _to_wgs84(crs_wkt: str) -> Transformer:
    return Transformer.from_crs(to_pyproj(crs_wkt), "EPSG:4326", always_xy=True)


def centre_lonlat(grid: Grid) -> Tuple[float, float]:
    """Grid centre in WGS84 degrees (lon, lat)."""
    cx, cy = grid.transform * (grid.width / 2.0, grid.height / 2.0)
    transformer = _to_wgs84(grid.crs.to_wkt())
    lon, lat = transformer.transform(cx, cy)
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ExtentError(f"the centre of the raster ({cx}, {cy}) has no WGS84 position in {grid.crs.to_string()}")
    lon = (lon + 180.0) % 360.0 - 180.0 if not -180.0 <= lon <= 180.0 else lon
    return float(lon), float(max(-90.0, min(90.0, lat)))


def metadata_for_grid(grid: Grid, date=None, cloud_cover: Optional[float] = None) -> SatMetadata:
    """SatMetadata of a grid's own location and pixel size, with the given date / cloud fraction."""
    lon, lat = centre_lonlat(grid)
    return SatMetadata(lon=lon, lat=lat, gsd=grid.gsd(), cloud_cover=cloud_cover, date=date)


def metadata_for_window(grid: Grid, window: Window, base: Optional[SatMetadata] = None) -> SatMetadata:
    """Metadata of one window (tile) of ``grid``: its own centre and GSD; date/cloud from ``base``."""
    sub = grid.window_grid(window)
    base = base or SatMetadata()
    lon, lat = centre_lonlat(sub)
    return base.replace(lon=lon, lat=lat, gsd=sub.gsd())


def metadata_for_extent(bounds, crs, width_px: int, height_px: int, date=None,
                        cloud_cover: Optional[float] = None) -> SatMetadata:
    """Metadata for generating ``width_px`` x ``height_px`` pixels over ``bounds`` (xmin, ymin, xmax, ymax)."""
    left, bottom, right, top = _check_bounds(bounds)
    if int(width_px) <= 0 or int(height_px) <= 0:
        raise ExtentError(f"the output size must be at least 1 x 1 pixel, got {width_px} x {height_px}")
    transform = Affine((right - left) / int(width_px), 0.0, left, 0.0, -(top - bottom) / int(height_px), top)
    return metadata_for_grid(Grid(as_crs(crs), transform, int(width_px), int(height_px)), date, cloud_cover)


def read_raster_metadata(path_or_dataset, *, bands=None, window: Optional[Window] = None):
    """(SatMetadata, MetadataSources) of a raster (or a window of it). Needs a CRS (MissingCRSError).

    A Landsat product folder is accepted too (its first band file gives the grid, its MTL the rest).
    """
    from .bands import landsat_band_files, resolve_bands
    from .read import open_raster, require_georeferenced

    if not hasattr(path_or_dataset, "read") and os.path.isdir(os.fspath(path_or_dataset)):
        path_or_dataset = next(iter(landsat_band_files(path_or_dataset).values()))
        bands = None
    own = not hasattr(path_or_dataset, "read")
    ds = open_raster(path_or_dataset) if own else path_or_dataset
    try:
        grid = require_georeferenced(ds)
        if window is not None:
            grid = grid.window_grid(window)
        idx = resolve_bands(ds.descriptions, bands)
        date, cloud, sources = date_and_cloud(ds.name, ds.tags(), [ds.descriptions[i - 1] for i in idx])
        return metadata_for_grid(grid, date, cloud), sources
    finally:
        if own:
            ds.close()


def metadata_from_raster(path_or_dataset, *, bands=None, window: Optional[Window] = None) -> SatMetadata:
    """SatMetadata of a raster or a window of it (unknown fields None). See module doc for sources."""
    return read_raster_metadata(path_or_dataset, bands=bands, window=window)[0]


__all__ = [
    "parse_timestamp", "date_from_product_name", "read_mtl", "date_and_cloud", "band_dates", "centre_lonlat",
    "metadata_for_grid", "metadata_for_window", "metadata_for_extent", "read_raster_metadata",
    "metadata_from_raster", "MetadataSources",
]
