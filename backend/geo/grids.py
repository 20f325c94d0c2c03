"""Pixel grids: a CRS + an affine transform + a size, and the grids the tasks write to.

* :func:`sr_output_grid` -- super-resolution output: same CRS and origin, pixel size divided by the
  factor, size multiplied by it (the exact ``transform * Affine.scale(1 / factor)``).
* :func:`extent_grid` -- generation output covering a requested extent at a requested GSD. The grid
  starts at the extent's upper-left corner; width and height are rounded **up** to whole pixels
  (``ceil(extent / gsd)``, with a 1e-9 relative tolerance so an exact multiple is not padded), so the
  grid always covers the whole extent and may extend at most one pixel beyond its right/bottom edge.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Optional, Tuple

from . import _proj  # noqa: F401  (PROJ data for pyproj in a venv)
import pyproj
from affine import Affine
from rasterio.crs import CRS
from rasterio.windows import Window
from rasterio.windows import bounds as window_bounds
from rasterio.windows import transform as window_transform

from .errors import ExtentError, GeoError, MissingCRSError


def as_crs(crs) -> CRS:
    """Anything rasterio understands (EPSG int, 'EPSG:32633', WKT, pyproj CRS) -> rasterio CRS."""
    if crs is None:
        raise MissingCRSError("no coordinate reference system was given")
    if isinstance(crs, CRS):
        return crs
    try:
        if isinstance(crs, int):
            return CRS.from_epsg(crs)
        if isinstance(crs, pyproj.CRS):
            return CRS.from_wkt(crs.to_wkt())
        return CRS.from_user_input(crs)
    except Exception as exc:
        raise GeoError(f"{crs!r} is not a coordinate reference system GDAL understands: {exc}") from None


def to_pyproj(crs) -> pyproj.CRS:
    crs = as_crs(crs)
    epsg = crs.to_epsg()
    return pyproj.CRS.from_epsg(epsg) if epsg else pyproj.CRS.from_wkt(crs.to_wkt())


@dataclasses.dataclass(frozen=True)
class Grid:
    """A georeferenced pixel grid (what a raster, a window or an output occupies)."""

    crs: CRS
    transform: Affine
    width: int
    height: int

    def __post_init__(self):
        # crs None is allowed for non-georeferenced work; anything needing a location then raises
        # MissingCRSError.
        if self.crs is not None:
            object.__setattr__(self, "crs", as_crs(self.crs))
        if int(self.width) <= 0 or int(self.height) <= 0:
            raise ExtentError(f"a grid must have at least one pixel, got {self.width} x {self.height}")
        object.__setattr__(self, "width", int(self.width))
        object.__setattr__(self, "height", int(self.height))

    @classmethod
    def from_dataset(cls, dataset) -> "Grid":
        if dataset.crs is None:
            raise MissingCRSError(
                f"{dataset.name} has no coordinate reference system; assign one (e.g. with "
                "'Assign Projection' in QGIS or gdal_edit.py -a_srs) before running a georeferenced task"
            )
        return cls(dataset.crs, dataset.transform, dataset.width, dataset.height)

    @property
    def shape(self) -> Tuple[int, int]:
        return (self.height, self.width)

    @property
    def bounds(self) -> Tuple[float, float, float, float]:
        """(left, bottom, right, top) in CRS units."""
        return window_bounds(Window(0, 0, self.width, self.height), self.transform)

    @property
    def res(self) -> Tuple[float, float]:
        """Pixel size (x, y) in CRS units (positive)."""
        t = self.transform
        return (math.hypot(t.a, t.d), math.hypot(t.b, t.e))

    def window_grid(self, window: Window) -> "Grid":
        """The sub-grid a window covers (the window may extend beyond the grid)."""
        return Grid(self.crs, window_transform(window, self.transform), int(window.width), int(window.height))

    def window_transform(self, window: Window) -> Affine:
        return window_transform(window, self.transform)

    @property
    def georeferenced(self) -> bool:
        return self.crs is not None

    def same_as(self, other: "Grid", tol: float = 1e-9) -> bool:
        if (self.width, self.height) != (other.width, other.height) or self.crs != other.crs:
            return False
        res = max(self.res)
        return self.transform.almost_equals(other.transform, precision=tol * max(res, 1.0))

    def gsd(self) -> float:
        """Ground sample distance in metres per pixel at the grid centre (see :func:`pixel_size_m`)."""
        return pixel_size_m(self.crs, self.transform, self.width, self.height)

    def __str__(self):
        crs = self.crs.to_string() if self.crs is not None else "no CRS"
        return f"{self.width}x{self.height} px, {crs}, pixel {self.res[0]:.6g}x{self.res[1]:.6g}"


def pixel_size_m(crs, transform: Affine, width: int, height: int) -> float:
    """Mean pixel size in metres (x and y averaged) at the grid centre.

    Projected CRS: pixel size in CRS units times the CRS's linear unit factor (so US-foot grids work).
    Geographic CRS: geodesic lengths (``pyproj.Geod`` of the CRS's ellipsoid) across the centre pixel,
    east-west and north-south.
    """
    pcrs = to_pyproj(crs)
    t = transform
    sx, sy = math.hypot(t.a, t.d), math.hypot(t.b, t.e)
    if pcrs.is_geographic:
        geod = pcrs.get_geod()
        cx, cy = t * (width / 2.0, height / 2.0)
        # corner of the centre pixel and its neighbours along the pixel's axes
        x0, y0 = t * (width / 2.0 - 0.5, height / 2.0)
        x1, y1 = t * (width / 2.0 + 0.5, height / 2.0)
        _, _, dx = geod.inv(x0, y0, x1, y1)
        x0, y0 = t * (width / 2.0, height / 2.0 - 0.5)
        x1, y1 = t * (width / 2.0, height / 2.0 + 0.5)
        _, _, dy = geod.inv(x0, y0, x1, y1)
        return (abs(dx) + abs(dy)) / 2.0
    axis = pcrs.axis_info
    factor = axis[0].unit_conversion_factor if axis else 1.0
    if not factor:
        factor = 1.0
    return (sx + sy) / 2.0 * factor


def sr_output_grid(grid: Grid, factor: int) -> Grid:
    """Super-resolution output grid: same CRS and origin, pixel size / factor, size * factor."""
    factor = int(factor)
    if factor < 1:
        raise GeoError(f"the scale factor must be a positive integer, got {factor}")
    return Grid(grid.crs, grid.transform * Affine.scale(1.0 / factor), grid.width * factor, grid.height * factor)


def _check_bounds(bounds) -> Tuple[float, float, float, float]:
    try:
        left, bottom, right, top = (float(v) for v in bounds)
    except Exception:
        raise ExtentError(f"an extent is (xmin, ymin, xmax, ymax), got {bounds!r}") from None
    if not all(math.isfinite(v) for v in (left, bottom, right, top)):
        raise ExtentError(f"the extent {bounds!r} has non-finite coordinates")
    if right <= left or top <= bottom:
        raise ExtentError(
            f"the extent (xmin={left}, ymin={bottom}, xmax={right}, ymax={top}) is empty: "
            "draw an extent with a non-zero width and height"
        )
    return left, bottom, right, top


def extent_grid(bounds, crs, gsd: float, max_pixels: Optional[int] = None) -> Grid:
    """North-up grid covering ``bounds`` (xmin, ymin, xmax, ymax in ``crs`` units) at ``gsd``.

    ``gsd`` is in metres for projected CRSs (converted with the CRS's linear unit) and, for geographic
    CRSs, in metres too: it is converted to degrees at the extent centre with the CRS's ellipsoid.
    Size is rounded up to whole pixels (see module doc). ``max_pixels`` guards against typos.
    """
    left, bottom, right, top = _check_bounds(bounds)
    crs = as_crs(crs)
    gsd = float(gsd)
    if not math.isfinite(gsd) or gsd <= 0:
        raise GeoError(f"the ground sample distance must be > 0 metres per pixel, got {gsd}")
    pcrs = to_pyproj(crs)
    if pcrs.is_geographic:
        geod = pcrs.get_geod()
        cx, cy = (left + right) / 2.0, (top + bottom) / 2.0
        _, _, m_per_deg_x = geod.inv(cx - 0.5, cy, cx + 0.5, cy)
        _, _, m_per_deg_y = geod.inv(cx, cy - 0.5, cx, cy + 0.5)
        if m_per_deg_x <= 0:
            raise ExtentError("the extent is at a pole; pick a projected CRS for it")
        px, py = gsd / m_per_deg_x, gsd / m_per_deg_y
    else:
        factor = pcrs.axis_info[0].unit_conversion_factor if pcrs.axis_info else 1.0
        px = py = gsd / (factor or 1.0)
    width = max(1, math.ceil((right - left) / px - 1e-9))
    height = max(1, math.ceil((top - bottom) / py - 1e-9))
    if max_pixels is not None and width * height > max_pixels:
        raise ExtentError(
            f"the extent at {gsd:g} m per pixel is {width} x {height} pixels, more than the limit of "
            f"{max_pixels}; draw a smaller extent or choose a coarser GSD"
        )
    return Grid(crs, Affine(px, 0.0, left, 0.0, -py, top), width, height)


def generation_grid(bounds, crs, gsd: float, multiple: int = 8, max_pixels: Optional[int] = None) -> Grid:
    """The grid a generated image is written on: exactly ``bounds`` (nothing beyond the drawn extent), its
    width and height the nearest multiples of ``multiple`` (the VAE factor) to the sizes at ``gsd``; the
    pixel size follows (within half a ``multiple`` of pixels of ``gsd``: 3 % at 128 px)."""
    at_gsd = extent_grid(bounds, crs, gsd, max_pixels=max_pixels)
    left, bottom, right, top = _check_bounds(bounds)
    width = max(multiple, int(math.floor(at_gsd.width / multiple + 0.5)) * multiple)  # halves round up
    height = max(multiple, int(math.floor(at_gsd.height / multiple + 0.5)) * multiple)
    return Grid(at_gsd.crs, Affine((right - left) / width, 0.0, left, 0.0, -(top - bottom) / height, top),
                width, height)


def bounds_window(grid: Grid, bounds, bounds_crs=None) -> Window:
    """Integer window of ``grid`` covering ``bounds`` (reprojected from ``bounds_crs``), clipped to it.

    Raises :class:`ExtentError` if the extent is empty or does not overlap the raster.
    """
    from rasterio.warp import transform_bounds
    from rasterio.windows import from_bounds

    left, bottom, right, top = _check_bounds(bounds)
    if bounds_crs is not None and as_crs(bounds_crs) != grid.crs:
        left, bottom, right, top = transform_bounds(as_crs(bounds_crs), grid.crs, left, bottom, right, top, densify_pts=21)
    gl, gb, gr, gt = grid.bounds
    if right <= gl or left >= gr or top <= gb or bottom >= gt:
        raise ExtentError(
            f"the extent ({left:.6g}, {bottom:.6g}, {right:.6g}, {top:.6g}) does not overlap the raster "
            f"({gl:.6g}, {gb:.6g}, {gr:.6g}, {gt:.6g}) in {grid.crs.to_string()}"
        )
    win = from_bounds(left, bottom, right, top, transform=grid.transform)
    eps = 1e-6
    col0 = max(0, math.floor(win.col_off + eps))
    row0 = max(0, math.floor(win.row_off + eps))
    col1 = min(grid.width, math.ceil(win.col_off + win.width - eps))
    row1 = min(grid.height, math.ceil(win.row_off + win.height - eps))
    if col1 <= col0 or row1 <= row0:
        raise ExtentError("the extent covers less than one pixel of the raster")
    return Window(col0, row0, col1 - col0, row1 - row0)


__all__ = ["Grid", "as_crs", "to_pyproj", "pixel_size_m", "sr_output_grid", "extent_grid", "bounds_window"]
