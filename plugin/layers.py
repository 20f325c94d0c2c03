"""What the pages read from QGIS layers and extents, on the main thread, before a job is built.

File paths, band descriptions, acquisition dates and the metadata of a drawn extent. The backend's
helpers (``backend.geo``) are used when they can be imported; a small QGIS-only fallback keeps the
dock usable when rasterio/pyproj are missing (the tasks are disabled then anyway).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from pathlib import Path
from typing import List, Optional, Tuple

from qgis.core import (QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsDistanceArea, QgsPointXY,
                       QgsProject, QgsProviderRegistry, QgsRasterLayer, QgsRectangle, QgsUnitTypes, QgsVectorLayer)

from .compat import METERS, WKT_PREFERRED
from .i18n import tr

WGS84 = "EPSG:4326"


class LayerError(ValueError):
    """A layer cannot be used for a job (not a file, no CRS...); the message is for the user."""


# ---------------------------------------------------------------------------------------------- paths
def raster_path(layer: Optional[QgsRasterLayer]) -> str:
    """The file behind a raster layer; a clear error for a layer that is not a file raster."""
    if layer is None:
        raise LayerError(tr("Choose a raster layer."))
    if layer.providerType() == "gdal":
        if layer.source().startswith(("SENTINEL2_L1C:", "SENTINEL2_L2A:")):
            return layer.source()  # GDAL's Sentinel-2 subdataset: the backend reads the product (issue 18)
        parts = QgsProviderRegistry.instance().decodeUri("gdal", layer.source())
        path = parts.get("path") or layer.source()
        if path and Path(path).is_file():
            return str(path)
    raise LayerError(tr("The layer '{}' is not a file raster: save it as a GeoTIFF first (Export, Save As…).")
                     .format(layer.name()))


def vector_source(layer: Optional[QgsVectorLayer]) -> Tuple[Optional[str], Optional[str]]:
    """(file path, layer name inside the file) of an OGR vector layer, or (None, None) if not a file."""
    if layer is None or layer.providerType() != "ogr":
        return None, None
    parts = QgsProviderRegistry.instance().decodeUri("ogr", layer.source())
    path = parts.get("path")
    if not path or not Path(path).exists():
        return None, None
    return str(path), (parts.get("layerName") or None)


def crs_text(crs: QgsCoordinateReferenceSystem) -> str:
    """'EPSG:32633' when the CRS has an authority id, else its WKT (what the backend accepts)."""
    if not crs.isValid():
        return ""
    authid = crs.authid()
    if authid and ":" in authid and not authid.upper().startswith("USER:"):
        return authid
    return crs.toWkt(WKT_PREFERRED)


# ---------------------------------------------------------------------------------------------- bands
def gdal_info(path: str):
    """(band descriptions, dataset metadata dict) read with GDAL; ([], {}) if GDAL cannot open it."""
    try:
        from osgeo import gdal
    except ImportError:
        return [], {}
    ds = gdal.Open(str(path))
    if ds is None:
        return [], {}
    try:
        descriptions = [ds.GetRasterBand(i).GetDescription() or "" for i in range(1, ds.RasterCount + 1)]
        return descriptions, dict(ds.GetMetadata() or {})
    finally:
        ds = None


def band_descriptions(layer: QgsRasterLayer) -> List[str]:
    """One description per band ('' when the band has none)."""
    path = None
    if layer.providerType() == "gdal":
        path = QgsProviderRegistry.instance().decodeUri("gdal", layer.source()).get("path") or layer.source()
    if path:
        descriptions, _ = gdal_info(path)
        if len(descriptions) == layer.bandCount():
            return descriptions
    return ["" for _ in range(layer.bandCount())]


def band_code(name: Optional[str]) -> Optional[str]:
    """'B4' / 'b04' / 'B4 red' -> 'B04'; 'B8a' -> 'B8A' (distinct from 'B08'); else None (the backend's rule)."""
    from ..backend.geo.bands import band_code as backend_band_code

    return backend_band_code(name)


def find_band(descriptions: List[str], wanted: Tuple[str, ...]) -> Optional[int]:
    """1-based index of the band whose description names one of ``wanted`` (Sentinel-2 codes or words)."""
    for name in wanted:
        code = band_code(name)
        for i, description in enumerate(descriptions, start=1):
            if code is not None and band_code(description) == code:
                return i
            if code is None and description.strip().lower() == name.lower():
                return i
    return None


# ---------------------------------------------------------------------------------------------- dates
def layer_date(layer: Optional[QgsRasterLayer]) -> Optional[_dt.date]:
    """Acquisition date of a raster layer: Landsat MTL, acquisition tags, product name, TIFFTAG_DATETIME."""
    if layer is None:
        return None
    try:
        path = raster_path(layer)
    except LayerError:
        return None
    from ..backend.geo.raster_metadata import date_and_cloud

    descriptions, tags = gdal_info(path)
    try:
        return date_and_cloud(path, tags, descriptions)[0]
    except (ValueError, OSError):
        return None


def parse_date(text: str) -> Optional[_dt.date]:
    """'YYYY-MM-DD' -> date; None for anything else (including an empty string)."""
    text = (text or "").strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------- extents
def extent_size_m(rect: QgsRectangle, crs: QgsCoordinateReferenceSystem) -> Tuple[float, float]:
    """Width and height of an extent in metres (projected: CRS units; geographic: ellipsoidal, across the centre)."""
    if crs.isGeographic():
        area = QgsDistanceArea()
        area.setSourceCrs(crs, QgsProject.instance().transformContext())
        area.setEllipsoid("WGS84")
        cx, cy = rect.center().x(), rect.center().y()
        width = area.measureLine(QgsPointXY(rect.xMinimum(), cy), QgsPointXY(rect.xMaximum(), cy))
        height = area.measureLine(QgsPointXY(cx, rect.yMinimum()), QgsPointXY(cx, rect.yMaximum()))
        return float(width), float(height)
    factor = QgsUnitTypes.fromUnitToUnitFactor(crs.mapUnits(), METERS)
    if not factor or not math.isfinite(factor):
        factor = 1.0
    return rect.width() * factor, rect.height() * factor


def centre_lonlat(rect: QgsRectangle, crs: QgsCoordinateReferenceSystem) -> Tuple[float, float]:
    transform = QgsCoordinateTransform(crs, QgsCoordinateReferenceSystem(WGS84), QgsProject.instance())
    point = transform.transform(rect.center())
    return point.x(), point.y()


def extent_metadata(rect: QgsRectangle, crs: QgsCoordinateReferenceSystem, width_px: int
                    ) -> Tuple[float, float, float, int]:
    """(lon, lat, gsd in m/pixel, height in pixels) for ``width_px`` square pixels over ``rect``.

    Uses ``backend.geo.raster_metadata.metadata_for_extent`` when it can be imported.
    """
    width_m, height_m = extent_size_m(rect, crs)
    height_px = max(1, int(round(width_px * height_m / width_m))) if width_m > 0 else 1
    try:
        from ..backend.geo.raster_metadata import metadata_for_extent
    except ImportError:
        metadata_for_extent = None
    if metadata_for_extent is not None:
        try:
            bounds = (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())
            meta = metadata_for_extent(bounds, crs_text(crs), width_px, height_px)
            return meta.lon, meta.lat, width_m / width_px, height_px
        except ValueError:
            pass
    lon, lat = centre_lonlat(rect, crs)
    return lon, lat, width_m / width_px, height_px
