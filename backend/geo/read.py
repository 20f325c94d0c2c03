"""Reading rasters: a file (or a window of it) -> array + profile + validity, with band selection.

>>> data = read_raster("scene.tif", bands=["B4", "B3", "B2"], edge_zeros=True)
>>> data.array.shape, data.valid.shape, data.grid

``valid`` combines GDAL's dataset mask (declared nodata, internal mask, alpha) and, with
``edge_zeros=True``, undeclared scene-edge zeros (see :func:`backend.geo.masks.edge_zero_mask`; on a
window, "border" means the window's border).
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from typing import List, Optional, Sequence, Union

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from rasterio.windows import Window

from .bands import BandSpec, find_mtl, landsat_band_files, resolve_bands, sentinel2_sr_indexes, SENTINEL2_SR_BANDS
from .errors import BandSelectionError, GeoError, GridMismatchError, MissingCRSError, RasterReadError
from .grids import Grid, bounds_window
from .masks import edge_zero_mask, nodata_mask

PathLike = Union[str, os.PathLike]


@dataclasses.dataclass
class RasterData:
    """Pixels of (a window of) a raster and what is needed to write results back on its grid."""

    array: np.ndarray  # (bands, H, W) in the source dtype
    valid: np.ndarray  # (H, W) bool, True where there is data
    profile: dict  # rasterio profile of the window (driver, dtype, nodata, width, height, count, crs, transform)
    band_indexes: List[int]  # 1-based indexes in the source
    descriptions: tuple  # band descriptions of the selected bands (None where unset)
    tags: dict  # dataset tags
    path: str
    window: Window

    @property
    def crs(self):
        return self.profile.get("crs")

    @property
    def transform(self):
        return self.profile["transform"]

    @property
    def grid(self) -> Grid:
        if self.crs is None:
            raise MissingCRSError(_no_crs_message(self.path))
        return Grid(self.crs, self.transform, self.array.shape[2], self.array.shape[1])

    @property
    def dtype(self):
        return self.array.dtype


def _no_crs_message(path) -> str:
    return (
        f"{os.path.basename(str(path))} has no coordinate reference system or geotransform, so it cannot be "
        "placed on the map. Georeference it first (QGIS: Raster > Projections > Assign Projection, or "
        "gdal_edit.py -a_srs EPSG:xxxx), or use a task that does not need a location."
    )


def open_raster(path: PathLike):
    """rasterio.open with errors a GIS analyst understands (and no NotGeoreferencedWarning noise)."""
    from .sentinel2_product import resolve_raster

    path = os.fspath(resolve_raster(path))  # a Sentinel-2 product opens as its reflectance VRT
    if not os.path.exists(path):
        raise RasterReadError(f"the raster {path} does not exist")
    if os.path.isdir(path):
        raise RasterReadError(f"{path} is a folder; pick a raster file (or read it as a Landsat product folder)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            return rasterio.open(path)
    except RasterioIOError as exc:
        raise RasterReadError(f"{path} is not a raster GDAL can read: {exc}") from None


def is_georeferenced(dataset) -> bool:
    return dataset.crs is not None and not (dataset.transform.is_identity and not dataset.gcps[0])


def require_georeferenced(dataset) -> Grid:
    """The dataset's grid, or :class:`MissingCRSError` if it has no CRS / geotransform."""
    if not is_georeferenced(dataset):
        raise MissingCRSError(_no_crs_message(dataset.name))
    if dataset.transform.b != 0 or dataset.transform.d != 0:
        warnings.warn(f"{dataset.name} has a rotated geotransform; outputs keep the rotation")
    return Grid.from_dataset(dataset)


def read_raster(path_or_dataset, bands: Optional[Sequence[BandSpec]] = None, *, window: Optional[Window] = None,
                bounds=None, bounds_crs=None, require_crs: bool = True, edge_zeros: bool = False,
                boundless: bool = False) -> RasterData:
    """Read bands (1-based indexes and/or names) of a raster, optionally a window or an extent of it.

    ``bounds`` (xmin, ymin, xmax, ymax) in ``bounds_crs`` (default: the raster's CRS) is turned into the
    covering pixel window, clipped to the raster; an empty extent or one outside the raster raises
    :class:`~backend.geo.errors.ExtentError`. ``require_crs`` refuses files without a CRS.
    """
    own = not hasattr(path_or_dataset, "read")
    ds = open_raster(path_or_dataset) if own else path_or_dataset
    try:
        if require_crs:
            require_georeferenced(ds)
        idx = resolve_bands(ds.descriptions, bands)
        if bounds is not None:
            if window is not None:
                raise GeoError("give either a window or an extent, not both")
            if not is_georeferenced(ds):
                raise MissingCRSError(_no_crs_message(ds.name))
            window = bounds_window(Grid.from_dataset(ds), bounds, bounds_crs)
        if window is None:
            window = Window(0, 0, ds.width, ds.height)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            array = ds.read(idx, window=window, boundless=boundless)
            if boundless:
                masks = ds.read_masks(idx, window=window, boundless=True)
                invalid = (masks == 0).all(axis=0)
            else:
                invalid = nodata_mask(ds, idx, window=window)
        if edge_zeros:
            invalid |= edge_zero_mask(array, 0)
        profile = ds.profile.copy()
        for key in ("blockxsize", "blockysize", "tiled", "interleave", "compress", "photometric", "predictor"):
            profile.pop(key, None)
        profile.update(width=int(window.width), height=int(window.height), count=len(idx),
                       transform=ds.window_transform(window), crs=ds.crs)
        return RasterData(
            array=array, valid=~invalid, profile=profile, band_indexes=idx,
            descriptions=tuple(ds.descriptions[i - 1] for i in idx), tags=ds.tags(),
            path=ds.name, window=window,
        )
    except RasterioIOError as exc:
        raise RasterReadError(f"reading {ds.name} failed: {exc}") from None
    finally:
        if own:
            ds.close()


def read_sentinel2_sr(path_or_dataset, *, window: Optional[Window] = None, bounds=None, bounds_crs=None) -> RasterData:
    """The 10 Sentinel-2 super-resolution bands (:data:`SENTINEL2_SR_BANDS` order) of a 13-band stack."""
    own = not hasattr(path_or_dataset, "read")
    ds = open_raster(path_or_dataset) if own else path_or_dataset
    try:
        idx = sentinel2_sr_indexes(ds.descriptions)
        return read_raster(ds, idx, window=window, bounds=bounds, bounds_crs=bounds_crs)
    finally:
        if own:
            ds.close()


def landsat_rgb_bands(folder: PathLike) -> tuple:
    """True-colour bands of a Landsat product folder: B4 B3 B2 for Landsat 8/9 (OLI), else B3 B2 B1."""
    names = [p.name.upper() for p in landsat_band_files(folder).values()]
    oli = any(n[:4] in ("LC08", "LC09", "LO08", "LO09") or n[:3] in ("LC8", "LC9", "LO8", "LO9") for n in names)
    return ("B4", "B3", "B2") if oli else ("B3", "B2", "B1")


def read_landsat_folder(folder: PathLike, bands: Optional[Sequence[str]] = None, *, window: Optional[Window] = None,
                        bounds=None, bounds_crs=None, edge_zeros: bool = False) -> RasterData:
    """Stack per-band Landsat files (``*_B1.TIF`` ...) of a product folder; descriptions = band names.

    ``bands`` default: true colour (:func:`landsat_rgb_bands`: B4 B3 B2 for Landsat 8/9, else B3 B2 B1).

    The MTL file, when present, is referenced in ``tags['MTL_FILE']`` (for dates and cloud cover).
    """
    files = landsat_band_files(folder)
    if bands is None:
        bands = landsat_rgb_bands(folder)
    arrays, valids, profile, names = [], [], None, []
    grid = None
    for name in bands:
        key = str(name).upper()
        if key.startswith("B") and key[1:].isdigit():
            key = f"B{int(key[1:])}"
        if key not in files:
            raise BandSelectionError(f"band {name!r} is not in {folder}; available: {', '.join(files)}")
        data = read_raster(files[key], window=window, bounds=bounds, bounds_crs=bounds_crs, edge_zeros=edge_zeros)
        if grid is None:
            grid, profile = data.grid, data.profile
        elif not data.grid.same_as(grid):
            raise GridMismatchError(f"{files[key].name} is not on the same pixel grid as the other bands")
        arrays.append(data.array[0])
        valids.append(data.valid)
        names.append(key)
    profile = dict(profile, count=len(arrays))
    tags = {}
    mtl = find_mtl(folder)
    if mtl is not None:
        tags["MTL_FILE"] = str(mtl)
    return RasterData(
        array=np.stack(arrays), valid=np.logical_and.reduce(valids), profile=profile,
        band_indexes=list(range(1, len(arrays) + 1)), descriptions=tuple(names), tags=tags,
        path=str(folder), window=data.window,
    )


__all__ = [
    "RasterData", "open_raster", "is_georeferenced", "require_georeferenced", "read_raster", "read_sentinel2_sr",
    "read_landsat_folder", "landsat_rgb_bands", "SENTINEL2_SR_BANDS",
]
