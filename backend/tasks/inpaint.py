"""Inpaint the masked pixels of a raster (clouds, or any mask); every other pixel is kept.

Unmasked pixels are the input's values: exactly for integer data, and up to float32 rounding of the
tiling engine's overlap blend (about 1e-7 relative) for float data.

The mask (polygons, raster classes or bits, drawn shapes; optionally dilated) is rasterised on the
input grid. Tiles without a masked pixel are copied through without running the model. The output
holds the selected RGB bands in the input's data type and units.
"""

from __future__ import annotations

import numpy as np

from ..geo.grids import Grid
from ..geo.masks import build_mask
from ..geo.raster_metadata import metadata_from_raster
from ..geo.read import open_raster, require_georeferenced
from ..geo.scaling import from_unit, resolve_mode, stretch, to_unit
from ..tiling import ArraySource, RasterSource
from .common import TaskContext, TaskOutput, TileProgress, run_and_write, sample, tile_and_overlap, to_chw
from .stretch import output_to_input_units, shared_limits, stretch_percentiles


class InpaintError(ValueError):
    pass


def rgb_bands(descriptions, requested):
    """Requested bands, else red/green/blue by name when the bands are named, else the first three."""
    from ..geo.bands import band_code

    if requested:
        return list(requested)
    codes = [band_code(d) for d in descriptions]
    for names in (("B04", "B03", "B02"), ("B4", "B3", "B2")):
        if all(n in codes for n in names):
            return list(names)
    lowered = [(d or "").strip().lower() for d in descriptions]
    if all(c in lowered for c in ("red", "green", "blue")):
        return [lowered.index(c) + 1 for c in ("red", "green", "blue")]
    if len(descriptions) < 3:
        raise InpaintError(f"inpainting needs 3 bands (RGB); the raster has {len(descriptions)}")
    return [1, 2, 3]


def run(ctx: TaskContext) -> TaskOutput:
    job, pipe = ctx.job, ctx.model.pipeline
    with open_raster(job.input) as ds:
        grid: Grid = require_georeferenced(ds)
        descriptions = ds.descriptions
        dtype = np.dtype(ds.dtypes[0])
        nodata = ds.nodata
    spec = job.mask
    mask = build_mask(grid, vector=spec.vector, vector_layer=spec.vector_layer, raster=spec.raster,
                      classes=spec.classes, bits=spec.bits, geometries_wkt=spec.geometries_wkt,
                      geometries_crs=spec.geometries_crs, dilate_m=spec.dilate_m)
    if not mask.any():
        raise InpaintError("the mask covers no pixel of the raster: nothing to inpaint")
    source = RasterSource(job.input, rgb_bands(descriptions, job.bands))
    mode = resolve_mode(dtype)
    tile, overlap = tile_and_overlap(job, ctx.model.tile_size)
    tracker = TileProgress(ctx.progress, "inpaint")
    with_spread = int(job.sampling.num_samples) > 1
    percentiles = stretch_percentiles(ctx.model)  # over the pixels that are kept (clouds would skew it)
    limits = shared_limits([source], mode, percentiles, exclude=mask) if percentiles else None

    def tile_fn(batch):
        outs = []
        images, masks = batch.inputs[0], batch.inputs[1]
        for k, t in enumerate(batch.tiles):
            tracker.begin_tile(k, len(batch))
            raw = to_unit(images[k], mode, valid=batch.valid[0][k], clip=False)  # exact inverse of to_output
            unit = np.clip(raw, 0.0, 1.0)  # what the model sees
            hole = masks[k, 0] > 0.5
            if not hole.any():  # nothing to do here: keep the input exactly
                out = raw
                if with_spread:
                    out = np.concatenate([out, np.zeros_like(out[:1])])
                outs.append(out.astype(np.float32))
                continue
            seen = stretch(unit, limits) if limits is not None else unit
            image, spread = sample(pipe, "inpaint", job, t.seed, tracker, ctx.cancel,
                                   np.transpose(seen, (1, 2, 0)), hole.astype(np.float32), job.prompt, t.metadata)
            out = to_chw(image, spread)
            if limits is not None:
                output_to_input_units(out, limits)
            out[:3] = np.where(hole[None], out[:3], raw)  # unmasked pixels are the input's
            outs.append(out)
        return np.stack(outs)

    def to_output(x):
        return from_unit(x, np.float32, mode)

    try:
        return run_and_write(ctx, tile_fn, tracker.tiles, sources=[source, ArraySource(mask.astype(np.uint8), grid)],
                             tile_size=tile, overlap=overlap, metadata=metadata_from_raster(job.input),
                             dtype=dtype, to_output=to_output, nodata=nodata, mask_invalid=nodata is not None,
                             descriptions=[d or f"band {i}" for i, d in
                                                                             enumerate(source.descriptions, 1)],
                             inputs=[job.input] + [p for p in (spec.raster, spec.vector) if p])
    finally:
        source.close()
