"""A small mask on a large raster: only the windows around the mask are read, filled and checked (issue 20).

Polygons and drawn shapes say where they are by their bounds, a mask raster by its extent
(:func:`backend.geo.masks.mask_footprint`), so the area a mask can touch is known before any pixel is read.
When that area, grown by :data:`MARGIN_TILES` tiles on every side (room for the tiles over the mask and for
the self-check's probes of nearby known pixels), is at most :data:`AREA_SHARE` of the raster, inpainting
(this date's, or with other dates) runs on that window as if it were the raster and writes a patch. The
output is then the input's RGB bands copied block by block -- blocks that a sparse GeoTIFF never wrote are
skipped, so they stay unwritten in the output too -- with the patch written over its window. Memory and
model work follow the mask, not the raster: a 40 x 40 px mask on a 200 000 px raster is refused no more.

Outside the mask the output is the input's values exactly (copied, not blended). Inside it, the fill is the
one the task gives on the window; it differs from a whole-raster run only through the window's tile grid
and stretch statistics (percentiles of the window's known pixels), not in kind.
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ..cancel import raise_if_cancelled
from ..geo.masks import mask_footprint
from ..geo.read import open_raster
from ..geo.write import TAG_PREFIX, GeoTIFFWriter
from .common import TaskOutput, hidden_temp, scaled_progress, uncertainty_path

MARGIN_TILES = 2  # tiles of context around the mask's footprint
AREA_SHARE = 0.5  # of the raster's pixels: above it the whole raster is processed as usual
PATCH_SHARE = 0.9  # of the progress bar: the fill; the rest is the copy of the raster around it
COPY_COLUMNS = 4096  # columns copied at a time (times one block row of rows)
COPY_BYTES = 64 << 20  # a striped input is read in whole rows up to this size, so that each strip decodes once


def work_area(job, grid, tile: int, output) -> Optional[tuple]:
    """(row0, row1, col0, col1): the window inpainting runs on, or None for the whole raster (no output file,
    or a mask whose area is most of the raster). A mask that cannot reach the raster is refused here, before
    the whole-raster mask is built (on a huge raster that alone would be refused for its memory). A batch's block of a huge raster (``BLOCK_TAKEOVER``) runs the job's whole-raster plan, as
    its other blocks and the merge do."""
    from ..tiling import BLOCK_TAKEOVER

    if output is None or BLOCK_TAKEOVER.get() is not None:
        return None
    spec = job.mask
    foot = mask_footprint(grid, vector=spec.vector, vector_layer=spec.vector_layer, raster=spec.raster,
                          geometries_wkt=spec.geometries_wkt, geometries_crs=spec.geometries_crs,
                          dilate_m=spec.dilate_m)
    if foot is None:
        from .inpaint import InpaintError

        raise InpaintError("the mask covers no pixel of the raster: nothing to inpaint")
    margin = MARGIN_TILES * int(tile)
    r0, r1 = max(0, foot[0] - margin), min(grid.height, foot[1] + margin)
    c0, c1 = max(0, foot[2] - margin), min(grid.width, foot[3] + margin)
    if (r1 - r0) * (c1 - c0) > AREA_SHARE * grid.height * grid.width:
        return None
    return r0, r1, c0, c1


def area_window(area: tuple):
    from rasterio.windows import Window

    r0, r1, c0, c1 = area
    return Window(c0, r0, c1 - c0, r1 - r0)


def run_in_area(ctx, header, area: tuple, run: Callable) -> TaskOutput:
    """``run(ctx, header)`` (a task on the window's grid) writes the patch; the output is the input's RGB bands
    with the patch over the window, written atomically."""
    window = area_window(area)
    patch = hidden_temp(ctx.output, ".patch.tif")
    sub = dataclasses.replace(ctx, output=patch, progress=scaled_progress(ctx.progress, 0.0, PATCH_SHARE), cog=False)
    try:
        out = run(sub, dataclasses.replace(header, grid=header.grid.window_grid(window)))
        ctx.tags[TAG_PREFIX + "INPAINT_AREA"] = "col {} row {} width {} height {}".format(
            int(window.col_off), int(window.row_off), int(window.width), int(window.height))
        path = compose(ctx, header, window, patch)
        spread = None
        if out.uncertainty is not None:
            spread = compose_spread(ctx, header, window, Path(out.uncertainty))
        return TaskOutput(path, spread, header.grid, out.tiles, out.metadata, check=out.check)
    finally:
        for p in (patch, uncertainty_path(patch)):
            for q in (p, Path(str(p) + ".aux.xml")):
                with contextlib.suppress(OSError):
                    q.unlink()


def _empty(gds, indexes, window) -> bool:
    """Whether GDAL knows that none of the bands has data in ``window`` (a block a sparse file never wrote);
    False when the format cannot tell."""
    from osgeo import gdal

    if gds is None:
        return False
    c, r, w, h = int(window.col_off), int(window.row_off), int(window.width), int(window.height)
    for i in indexes:
        flags, _ = gds.GetRasterBand(int(i)).GetDataCoverageStatus(c, r, w, h)
        if flags != gdal.GDAL_DATA_COVERAGE_STATUS_EMPTY:
            return False
    return True


def compose(ctx, header, window, patch: Path) -> Path:
    """The output: the input's RGB bands block by block around the window (empty blocks skipped), the patch
    over it."""
    import rasterio
    from osgeo import gdal
    from rasterio.windows import Window

    job = ctx.job
    with rasterio.open(patch) as p:
        count, dtype, nodata, descriptions = p.count, p.dtypes[0], p.nodata, list(p.descriptions)
    indexes = _indexes(job, header)
    grid = header.grid
    progress = scaled_progress(ctx.progress, PATCH_SHARE, 1.0)
    with rasterio.Env(GDAL_CACHEMAX=64), contextlib.closing(open_raster(job.input)) as src, \
            GeoTIFFWriter(ctx.output, grid, count, dtype, nodata=nodata, descriptions=descriptions, tags=ctx.tags,
                          cog=ctx.cog, inputs=_inputs(job), sparse=True) as dst:
        gds = gdal.OpenEx(src.name, gdal.OF_RASTER | gdal.OF_VERBOSE_ERROR)  # the file rasterio opened (.SAFE: its VRT)
        rows = dst.block_height
        step = COPY_COLUMNS
        if src.block_shapes[0][1] >= grid.width:  # strips: a narrower read would decode each strip again
            step = max(step, COPY_BYTES // max(1, rows * len(indexes) * np.dtype(dtype).itemsize))
        r0, c0 = int(window.row_off), int(window.col_off)
        r1, c1 = r0 + int(window.height), c0 + int(window.width)
        for row in range(0, grid.height, rows):
            raise_if_cancelled(ctx.cancel, "inpaint")
            n = min(rows, grid.height - row)
            for col in range(0, grid.width, step):
                w = min(step, grid.width - col)
                if r0 <= row and row + n <= r1 and c0 <= col and col + w <= c1:
                    continue  # the patch covers it
                chunk = Window(col, row, w, n)
                if _empty(gds, indexes, chunk):
                    continue
                dst.write(src.read(indexes, window=chunk), window=chunk)
            if progress is not None:
                progress(min(row + n, grid.height) / grid.height, "inpaint: copying the raster around the fill")
        with rasterio.open(patch) as p:
            for row in range(0, p.height, rows):
                n = min(rows, p.height - row)
                dst.write(p.read(window=Window(0, row, p.width, n)), window=Window(c0, r0 + row, p.width, n))
        gds = None
    return Path(dst.path)


def compose_spread(ctx, header, window, patch_spread: Path) -> Path:
    """The per-pixel spread over the whole raster: the patch's, and 0 (never written) elsewhere, as tiles the
    model does not run get in a whole-raster run."""
    import rasterio
    from rasterio.windows import Window

    output = uncertainty_path(ctx.output)
    with rasterio.open(patch_spread) as p:
        tags = p.tags()
        with GeoTIFFWriter(output, header.grid, 1, "float32", descriptions=["spread"], tags=tags,
                           inputs=_inputs(ctx.job), sparse=True) as dst:
            for row in range(0, p.height, 256):
                n = min(256, p.height - row)
                dst.write(p.read(window=Window(0, row, p.width, n)),
                          window=Window(int(window.col_off), int(window.row_off) + row, p.width, n))
    return Path(dst.path)


def _indexes(job, header) -> list:
    """The input's bands the output holds (the task's RGB choice)."""
    from ..geo.bands import resolve_bands
    from .inpaint import rgb_bands

    return list(resolve_bands(header.descriptions, rgb_bands(header.descriptions, job.bands)))


def _inputs(job) -> list:
    others = [p for p, _ in (getattr(job, "other_dates", None) or [])]
    return [job.input, *others, *(p for p in (job.mask.raster, job.mask.vector) if p)]


__all__ = ["AREA_SHARE", "MARGIN_TILES", "area_window", "compose", "run_in_area", "work_area"]
