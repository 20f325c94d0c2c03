"""Geospatial I/O for DiffusionSat: reading, band selection, scaling, metadata, grids, masks, writing.

Pure Python on rasterio / pyproj / shapely / scipy (never qgis). The tiling engine that every task uses
is :mod:`backend.tiling`.
"""

from . import _proj  # noqa: F401  (must run before pyproj is used)
from .bands import SENTINEL2_BANDS, SENTINEL2_SR_BANDS, band_code, landsat_band_files, resolve_bands
from .errors import (BandSelectionError, ExtentError, GeoError, GridMismatchError, MaskError, MetadataReadError,
                     MissingCRSError, OutputPathError, RasterReadError)
from .grids import Grid, bounds_window, extent_grid, pixel_size_m, sr_output_grid
from .masks import (QA_PIXEL_CLOUD_BITS, SCL_CLOUD_CLASSES, build_mask, dilate_mask, edge_zero_mask, mask_from_raster,
                    qa_pixel_mask, scl_mask, vector_mask)
from .raster_metadata import (band_dates, metadata_for_extent, metadata_for_grid, metadata_for_window,
                              metadata_from_raster, read_mtl, read_raster_metadata)
from .read import (RasterData, landsat_rgb_bands, open_raster, read_landsat_folder, read_raster, read_sentinel2_sr,
                   require_georeferenced)
from .scaling import from_unit, percentile_limits, to_unit
from .write import GeoTIFFWriter, check_output_path, provenance_tags, write_geotiff

__all__ = [
    "SENTINEL2_BANDS", "SENTINEL2_SR_BANDS", "band_code", "landsat_band_files", "resolve_bands",
    "BandSelectionError", "ExtentError", "GeoError", "GridMismatchError", "MaskError", "MetadataReadError",
    "MissingCRSError", "OutputPathError", "RasterReadError",
    "Grid", "bounds_window", "extent_grid", "pixel_size_m", "sr_output_grid",
    "QA_PIXEL_CLOUD_BITS", "SCL_CLOUD_CLASSES", "build_mask", "dilate_mask", "edge_zero_mask", "mask_from_raster",
    "qa_pixel_mask", "scl_mask", "vector_mask",
    "band_dates", "metadata_for_extent", "metadata_for_grid", "metadata_for_window", "metadata_from_raster",
    "read_mtl", "read_raster_metadata",
    "RasterData", "landsat_rgb_bands", "open_raster", "read_landsat_folder", "read_raster", "read_sentinel2_sr", "require_georeferenced",
    "from_unit", "percentile_limits", "to_unit",
    "GeoTIFFWriter", "check_output_path", "provenance_tags", "write_geotiff",
]
