"""Errors raised by the geospatial layer, worded for a GIS analyst.

Every error is a :class:`GeoError` (itself a ``ValueError``) so callers can catch the family once and
show ``str(err)`` to the user as is.
"""


class GeoError(ValueError):
    """Base class of every geospatial input/output error."""


class RasterReadError(GeoError):
    """A raster could not be opened or read."""


class MissingCRSError(GeoError):
    """The raster has no coordinate reference system (or no geotransform) but the task needs one."""


class BandSelectionError(GeoError):
    """Requested bands do not exist in the raster (wrong name, index or count)."""


class ExtentError(GeoError):
    """An extent is empty, invalid, or does not overlap the raster."""


class GridMismatchError(GeoError):
    """Rasters that must share one pixel grid (CRS, transform, size) do not."""


class MaskError(GeoError):
    """A mask (vector layer or classification raster) could not be built."""


class OutputPathError(GeoError):
    """The output path cannot be written (would overwrite an input, folder missing or read-only)."""


class MetadataReadError(GeoError):
    """A metadata side-car (e.g. a Landsat MTL file) is malformed."""


__all__ = [
    "GeoError", "RasterReadError", "MissingCRSError", "BandSelectionError", "ExtentError",
    "GridMismatchError", "MaskError", "OutputPathError", "MetadataReadError",
]
