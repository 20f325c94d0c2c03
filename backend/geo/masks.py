"""Masks on a target pixel grid. Convention: ``True`` (or 1) = masked (nodata / cloud / area to fill).

* :func:`nodata_mask` -- declared nodata, internal masks and alpha bands, through GDAL's dataset mask.
* :func:`edge_zero_mask` -- undeclared scene-edge fill: pixels that are 0 in every band *and* connected
  to the raster border through such pixels (dark pixels inside the scene are kept).
* :func:`vector_mask` -- polygons (an OGR vector file/layer, GeoJSON-like dicts or shapely geometries)
  reprojected to the grid's CRS with GDAL (``rasterio.warp.transform_geom``) and burned with
  ``rasterio.features.rasterize``.
* :func:`scl_mask` / :func:`qa_pixel_mask` / :func:`mask_from_raster` -- classification rasters
  (Sentinel-2 SCL classes, Landsat Collection-2 QA_PIXEL bits), resampled to the grid with nearest.
* :func:`dilate_mask` -- grow a mask by a distance in metres (converted with the grid's GSD).
"""

from __future__ import annotations

import json
import math
import os
from typing import Iterable, Optional, Sequence, Tuple, Union

import numpy as np

from .errors import MaskError, MissingCRSError
from .grids import Grid, as_crs

#: Sentinel-2 L2A scene classification: 3 cloud shadow, 8 cloud medium, 9 cloud high, 10 thin cirrus.
SCL_CLOUD_CLASSES = (3, 8, 9, 10)
#: Landsat Collection-2 QA_PIXEL bits: 1 dilated cloud, 2 cirrus, 3 cloud, 4 cloud shadow.
QA_PIXEL_CLOUD_BITS = (1, 2, 3, 4)


def nodata_mask(dataset, bands: Optional[Sequence[int]] = None, window=None, how: str = "all") -> np.ndarray:
    """Bool (H, W): True where GDAL's mask says "no data" in all (``how='all'``) or any selected band."""
    bands = list(bands) if bands is not None else list(range(1, dataset.count + 1))
    masks = dataset.read_masks(bands, window=window, boundless=False)
    invalid = masks == 0
    return invalid.all(axis=0) if how == "all" else invalid.any(axis=0)


def edge_zero_mask(array: np.ndarray, value: float = 0) -> np.ndarray:
    """Bool (H, W): pixels equal to ``value`` in every band and 4-connected to the array border."""
    from scipy import ndimage

    arr = np.asarray(array)
    if arr.ndim == 2:
        arr = arr[None]
    zero = np.all(arr == value, axis=0)
    if not zero.any():
        return zero
    labels, count = ndimage.label(zero)
    border = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    keep = np.unique(border[border > 0])
    if keep.size == 0:
        return np.zeros_like(zero)
    return np.isin(labels, keep)


def dilate_mask(mask: np.ndarray, metres: float, gsd: float) -> np.ndarray:
    """Grow ``mask`` by ``metres`` (a disk of ``ceil(metres / gsd)`` pixels' radius)."""
    mask = np.asarray(mask, dtype=bool)
    if metres is None or metres <= 0:
        return mask.copy()
    if gsd is None or gsd <= 0:
        raise MaskError("cannot dilate by a distance in metres without the grid's pixel size")
    radius = int(math.ceil(metres / gsd - 1e-9))
    if radius > max(mask.shape):  # checked first: the disk alone would need (2 r + 1)^2 cells
        raise MaskError(f"a mask dilation of {metres:g} m is larger than the raster ({mask.shape[1]} x "
                        f"{mask.shape[0]} px at {gsd:g} m); choose a smaller dilation")
    if radius <= 0 or not mask.any():
        return mask.copy()
    from scipy import ndimage

    yy, xx = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    disk = (yy * yy + xx * xx) <= radius * radius
    return ndimage.binary_dilation(mask, structure=disk)


# ----------------------------------------------------------------------------------------- vectors
def _split_layer_source(source: str) -> Tuple[str, Optional[str]]:
    """QGIS-style 'file.gpkg|layername=roads' -> (file, layer)."""
    path, layer = source, None
    if "|" in source:
        path, _, rest = source.partition("|")
        for part in rest.split("|"):
            key, _, value = part.partition("=")
            if key.strip().lower() == "layername":
                layer = value.strip()
            elif key.strip().lower() == "layerid" and layer is None:
                layer = int(value)
    return path, layer


def read_vector(source: Union[str, os.PathLike], layer=None) -> Tuple[list, Optional[str]]:
    """Polygons of an OGR vector file -> (GeoJSON-like geometries, CRS WKT or None)."""
    path, parsed_layer = _split_layer_source(os.fspath(source))
    layer = parsed_layer if layer is None else layer
    if not os.path.exists(path):
        raise MaskError(f"the mask layer {path} does not exist")
    try:
        from osgeo import ogr
    except ImportError:  # pragma: no cover - GDAL's Python bindings missing
        raise MaskError(
            "reading vector files needs GDAL's Python bindings (osgeo.ogr); pass shapely geometries and "
            "their CRS instead"
        ) from None
    ogr.UseExceptions()
    try:
        ds = ogr.Open(path)
    except Exception as exc:
        raise MaskError(f"cannot open the mask layer {path}: {exc}") from None
    if ds is None:
        raise MaskError(f"{path} is not a vector file GDAL/OGR can read")
    lyr = ds.GetLayer(layer if layer is not None else 0) if not isinstance(layer, str) else ds.GetLayerByName(layer)
    if lyr is None:
        raise MaskError(f"{path} has no layer {layer!r}")
    srs = lyr.GetSpatialRef()
    wkt = srs.ExportToWkt() if srs is not None else None
    geoms = []
    for feature in lyr:
        geom = feature.GetGeometryRef()
        if geom is None:
            continue
        geoms.append(json.loads(geom.ExportToJson()))
    return geoms, wkt


def _looks_like_wkt(text: str) -> bool:
    head = text.lstrip().split("(", 1)[0].strip().upper()
    return head in ("POLYGON", "MULTIPOLYGON", "GEOMETRYCOLLECTION", "POLYGON Z", "MULTIPOLYGON Z")


def _as_geojson(geom) -> dict:
    if isinstance(geom, str):
        from shapely import wkt

        try:
            return wkt.loads(geom).__geo_interface__
        except Exception as exc:
            raise MaskError(f"{geom[:60]!r} is not a WKT geometry: {exc}") from None
    if isinstance(geom, dict):
        if geom.get("type") == "Feature":
            return geom["geometry"]
        return geom
    if hasattr(geom, "__geo_interface__"):
        gi = geom.__geo_interface__
        return gi["geometry"] if gi.get("type") == "Feature" else gi
    raise MaskError(f"{type(geom).__name__} is not a geometry (expected shapely or GeoJSON)")


def _grid_shapes(source, grid: Grid, crs=None, layer=None) -> list:
    """The polygons of ``source`` (see :func:`vector_mask`) as GeoJSON-like geometries in the grid's CRS."""
    from rasterio.warp import transform_geom

    if isinstance(source, os.PathLike) or (isinstance(source, str) and not _looks_like_wkt(source)):
        geoms, wkt = read_vector(source, layer)
        src_crs = crs if crs is not None else wkt
        if src_crs is None:
            raise MissingCRSError(f"the mask layer {source} has no coordinate reference system; set one first")
    else:
        single = isinstance(source, (dict, str)) or hasattr(source, "__geo_interface__")
        geoms = [_as_geojson(g) for g in ([source] if single else list(source))]
        if crs is None:
            raise MissingCRSError("mask geometries were given without their coordinate reference system")
        src_crs = crs
    src_crs = as_crs(src_crs)
    shapes = []
    for g in geoms:
        if not g or not g.get("coordinates") and g.get("type") != "GeometryCollection":
            continue
        if g.get("type") not in ("Polygon", "MultiPolygon", "GeometryCollection"):
            raise MaskError(f"mask geometries must be polygons, got a {g.get('type')}")
        if src_crs != grid.crs:
            try:
                g = transform_geom(src_crs, grid.crs, g)
            except Exception as exc:
                raise MaskError(f"cannot reproject the mask from {src_crs.to_string()} to {grid.crs.to_string()}: {exc}") from None
        shapes.append(g)
    return shapes


def vector_mask(source, grid: Grid, crs=None, *, layer=None, all_touched: bool = False,
                dilate_m: float = 0.0) -> np.ndarray:
    """Bool (H, W) on ``grid``: True inside the polygons.

    ``source``: a vector file path / QGIS layer source ('file.gpkg|layername=x'), or an iterable of
    shapely geometries / GeoJSON geometries or features / WKT strings, in ``crs`` (default: the file's own CRS; for
    geometries ``crs`` is required unless they are already in the grid's CRS, which must then be said
    by passing ``crs=grid.crs``).
    """
    from rasterio.features import rasterize

    shapes = [(g, 1) for g in _grid_shapes(source, grid, crs, layer)]
    if not shapes:
        return np.zeros(grid.shape, dtype=bool)
    burned = rasterize(shapes, out_shape=grid.shape, transform=grid.transform, fill=0, dtype="uint8",
                       all_touched=all_touched)
    mask = burned.view(bool)  # 0 / 1 bytes already: no second whole-raster copy
    if dilate_m:
        mask = dilate_mask(mask, dilate_m, grid.gsd())
    return mask


def mask_footprint(grid: Grid, *, vector=None, vector_layer=None, raster=None, geometries_wkt=None,
                   geometries_crs=None, dilate_m: float = 0.0) -> Optional[Tuple[int, int, int, int]]:
    """(row0, row1, col0, col1) of ``grid`` that a mask (the arguments of :func:`build_mask`) can touch, known
    without rasterising it: the polygons' bounds, or a mask raster's extent, grown by one pixel and by the
    dilation; None when it covers no pixel of the grid. Lets a small mask on a huge raster be built, and
    filled, on the windows around it only."""
    from rasterio.warp import transform_bounds

    if vector is not None or geometries_wkt:
        from shapely.geometry import shape

        source = vector if vector is not None else list(geometries_wkt)
        boxes = [shape(g).bounds for g in _grid_shapes(source, grid, None if vector is not None else geometries_crs,
                                                         vector_layer)]
        boxes = [b for b in boxes if all(math.isfinite(v) for v in b)]
        if not boxes:
            return None
        left, bottom = min(b[0] for b in boxes), min(b[1] for b in boxes)
        right, top = max(b[2] for b in boxes), max(b[3] for b in boxes)
    elif raster is not None:
        with open_mask_raster(raster) as src:
            left, bottom, right, top = src.bounds
            if src.crs != grid.crs:
                left, bottom, right, top = transform_bounds(src.crs, grid.crs, left, bottom, right, top,
                                                            densify_pts=21)
    else:
        raise MaskError("a mask needs exactly one source: a polygon file, a raster, or drawn shapes")
    inv = ~grid.transform
    corners = [inv * (x, y) for x in (left, right) for y in (bottom, top)]
    cols, rows = [c for c, _ in corners], [r for _, r in corners]
    grow = 1 + (int(math.ceil(dilate_m / grid.gsd())) if dilate_m else 0)
    row0, row1 = max(0, math.floor(min(rows)) - grow), min(grid.height, math.ceil(max(rows)) + grow)
    col0, col1 = max(0, math.floor(min(cols)) - grow), min(grid.width, math.ceil(max(cols)) + grow)
    if row1 <= row0 or col1 <= col0:
        return None
    return row0, row1, col0, col1


# Bytes per raster pixel an inpainting run holds for its whole-raster mask: the mask (bool), the engine's
# view of it (no copy), a dilation's result and the self-check's two uint16 tile counts
# (tasks/inpaint.py, InpaintCheck.count_classical).
MASK_BYTES_PER_PIXEL = 6


def memory_available() -> Optional[int]:
    """Bytes this process can still allocate: the smaller of the system's available memory (Linux
    ``MemAvailable``) and what an address-space limit (``ulimit -v``) leaves; None where neither is known."""
    limits = []
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    limits.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft != resource.RLIM_INFINITY:
            with open("/proc/self/statm") as f:
                used = int(f.read().split()[0]) * resource.getpagesize()
            limits.append(max(0, soft - used))
    except (ImportError, OSError, ValueError, IndexError):
        pass
    return min(limits) if limits else None


def require_mask_memory(grid: Grid, path, available: Optional[int] = None) -> None:
    """Refuse, before any work, a raster whose whole-raster mask would not fit in memory (MaskError naming
    the raster, its size and the limit), instead of failing part-way with an allocation error."""
    need = grid.width * grid.height * MASK_BYTES_PER_PIXEL
    available = memory_available() if available is None else available
    if available is None or need <= available:
        return
    limit = available // MASK_BYTES_PER_PIXEL
    raise MaskError(f"{os.fspath(path)} is {grid.width} x {grid.height} px ({grid.width * grid.height / 1e6:.0f} Mpx): "
                    f"its inpainting mask needs about {need / 2**30:.1f} GiB of memory and {available / 2**30:.1f} GiB "
                    f"is available (a limit of {limit / 1e6:.0f} Mpx here); crop the raster around the area to fill")


def build_mask(grid: Grid, *, vector=None, vector_layer=None, raster=None, classes=None, bits=None,
               geometries_wkt=None, geometries_crs=None, dilate_m: float = 0.0, all_touched: bool = False) -> np.ndarray:
    """One mask from exactly one source (mirrors ``backend.jobs.MaskSpec``) on ``grid``.

    vector (+ vector_layer): polygon file; raster + classes: those values; raster + bits: QA bits;
    raster alone: non-zero pixels; geometries_wkt + geometries_crs: drawn shapes. Then ``dilate_m``.
    """
    chosen = [vector is not None, raster is not None, bool(geometries_wkt)]
    if sum(chosen) != 1:
        raise MaskError("a mask needs exactly one source: a polygon file, a raster, or drawn shapes")
    if vector is not None:
        mask = vector_mask(vector, grid, layer=vector_layer, all_touched=all_touched)
    elif raster is not None:
        if classes is not None and bits is not None:
            raise MaskError("give either classes or bits for a mask raster, not both")
        if classes is not None:
            mask = mask_from_raster(raster, grid, "values", classes=classes)
        elif bits is not None:
            mask = mask_from_raster(raster, grid, "qa_pixel", bits=bits)
        else:
            mask = mask_from_raster(raster, grid, "nonzero")
    else:
        mask = vector_mask(list(geometries_wkt), grid, crs=geometries_crs, all_touched=all_touched)
    if dilate_m:
        mask = dilate_mask(mask, dilate_m, grid.gsd())
    return mask


# ------------------------------------------------------------------------------ classification rasters
def scl_mask(scl: np.ndarray, classes: Iterable[int] = SCL_CLOUD_CLASSES) -> np.ndarray:
    """Sentinel-2 SCL values -> bool mask of the given classes (default cloud shadow, clouds, cirrus)."""
    return np.isin(np.asarray(scl), list(classes))


def qa_pixel_mask(qa: np.ndarray, bits: Iterable[int] = QA_PIXEL_CLOUD_BITS) -> np.ndarray:
    """Landsat Collection-2 QA_PIXEL -> bool mask where any of ``bits`` is set."""
    flags = 0
    for bit in bits:
        if not 0 <= int(bit) < 16:
            raise MaskError(f"QA_PIXEL bit {bit} is outside 0..15")
        flags |= 1 << int(bit)
    return (np.asarray(qa).astype(np.uint32) & flags) != 0


def open_mask_raster(path):
    """The mask raster opened with rasterio; MaskError / MissingCRSError naming it when it cannot be used."""
    import rasterio
    from rasterio.errors import RasterioIOError

    try:
        src = rasterio.open(path)
    except RasterioIOError as exc:
        raise MaskError(f"the mask raster {path} is not a raster GDAL can read: {exc}") from None
    if src.crs is None:
        src.close()
        raise MissingCRSError(f"the mask raster {path} has no coordinate reference system")
    return src


def resample_to_grid(path, grid: Grid, band: int = 1, resampling: str = "nearest") -> np.ndarray:
    """One band of a raster resampled onto ``grid`` (nearest by default), in its own dtype."""
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.warp import reproject

    with open_mask_raster(path) as src:
        fill = src.nodata if src.nodata is not None else 0
        out = np.full(grid.shape, fill, dtype=src.dtypes[band - 1])
        reproject(
            source=rasterio.band(src, band), destination=out, dst_transform=grid.transform,
            dst_crs=grid.crs, resampling=getattr(Resampling, resampling), init_dest_nodata=False,
        )
    return out


def mask_from_raster(path, grid: Grid, kind: str = "scl", *, classes: Optional[Iterable[int]] = None,
                     bits: Optional[Iterable[int]] = None, band: int = 1, dilate_m: float = 0.0) -> np.ndarray:
    """A classification raster -> bool mask on ``grid``.

    ``kind``: ``'scl'`` (Sentinel-2 SCL, ``classes`` default :data:`SCL_CLOUD_CLASSES`), ``'qa_pixel'``
    (Landsat C2 QA_PIXEL, ``bits`` default :data:`QA_PIXEL_CLOUD_BITS`), ``'values'`` (``classes``
    required) or ``'nonzero'`` (any non-zero value, e.g. a 0/1 cloud mask).
    """
    values = resample_to_grid(path, grid, band=band)
    if kind == "scl":
        mask = scl_mask(values, SCL_CLOUD_CLASSES if classes is None else classes)
    elif kind == "qa_pixel":
        mask = qa_pixel_mask(values, QA_PIXEL_CLOUD_BITS if bits is None else bits)
    elif kind == "values":
        if classes is None:
            raise MaskError("kind='values' needs the classes to mask")
        mask = np.isin(values, list(classes))
    elif kind == "nonzero":
        mask = np.not_equal(values, 0)  # not `!=`: numpy turns a MemoryError there into a plain bool
    else:
        raise MaskError(f"unknown mask raster kind {kind!r} (use 'scl', 'qa_pixel', 'values' or 'nonzero')")
    if dilate_m:
        mask = dilate_mask(mask, dilate_m, grid.gsd())
    return mask


__all__ = [
    "SCL_CLOUD_CLASSES", "QA_PIXEL_CLOUD_BITS", "nodata_mask", "edge_zero_mask", "dilate_mask", "read_vector",
    "vector_mask", "mask_footprint", "MASK_BYTES_PER_PIXEL", "memory_available", "require_mask_memory", "build_mask", "scl_mask",
    "qa_pixel_mask", "resample_to_grid", "mask_from_raster",
]
