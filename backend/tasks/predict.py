"""Predict the image of a place at a target date from 1-4 dated frames (3-D temporal ControlNet).

Frames are read on the first frame's grid (others are resampled onto it when their grids differ).
Each frame brings its own metadata (its date, and its location per tile); the target metadata is
the first frame's location with the target date. Frame dates come from the job, else from the files
(tags, product names, MTL); an unknown date stays unknown (0 for the model), never invented.
"""

from __future__ import annotations

import numpy as np

from ..geo.raster_metadata import metadata_from_raster
from ..geo.read import open_raster, require_georeferenced
from ..geo.scaling import from_unit, resolve_mode, stretch, to_unit
from ..tiling import RasterSource
from .common import TaskContext, TaskOutput, TileProgress, run_and_write, sample, tile_and_overlap, to_chw
from .inpaint import rgb_bands
from .stretch import output_to_input_units, shared_limits, stretch_percentiles


class PredictError(ValueError):
    pass


def _require_overlap(path, grid, first_path) -> None:
    """A frame that does not overlap the first one would become an all-missing frame: refuse it."""
    from rasterio.warp import transform_bounds

    with open_raster(path) as ds:
        frame = require_georeferenced(ds)
        left, bottom, right, top = transform_bounds(frame.crs, grid.crs, *ds.bounds, densify_pts=21)
    g_left, g_top = grid.transform * (0, 0)
    g_right, g_bottom = grid.transform * (grid.width, grid.height)
    g_left, g_right = min(g_left, g_right), max(g_left, g_right)
    g_bottom, g_top = min(g_bottom, g_top), max(g_bottom, g_top)
    if right <= g_left or left >= g_right or top <= g_bottom or bottom >= g_top:
        raise PredictError(f"the frame {path} does not overlap the first frame {first_path}: "
                           "all frames must show the same place")


def run(ctx: TaskContext) -> TaskOutput:
    job, pipe = ctx.job, ctx.model.pipeline
    if pipe.controlnet3d is None:
        raise PredictError(f"the model {ctx.model.name} has no temporal 3-D ControlNet (controlnet3d/ folder)")
    channels = int(pipe.controlnet3d.config.conditioning_in_channels)
    first_path = job.frames[0][0]
    with open_raster(first_path) as ds:
        grid = require_georeferenced(ds)
        descriptions = ds.descriptions
        dtype = np.dtype(ds.dtypes[0])
    bands = rgb_bands(descriptions, job.bands)
    if len(bands) != channels:
        raise PredictError(f"the temporal model takes {channels} bands per frame, {len(bands)} were selected")
    for path, _ in job.frames[1:]:
        _require_overlap(path, grid, first_path)
    frame_md = []
    sources = []
    try:
        for path, date in job.frames:
            md = metadata_from_raster(path)
            frame_md.append(md.replace(date=date) if date is not None else md)
            sources.append(RasterSource(path, bands, grid=grid))
        mode = resolve_mode(dtype)
        tile, overlap = tile_and_overlap(job, ctx.model.tile_size)
        tracker = TileProgress(ctx.progress, "predict")
        target_base = frame_md[0].replace(date=job.target_date, cloud_cover=0.0)
        percentiles = stretch_percentiles(ctx.model)  # one stretch pooled over all frames, inverted on the output
        limits = shared_limits(sources, mode, percentiles) if percentiles else None

        def tile_fn(batch):
            outs = []
            for k, t in enumerate(batch.tiles):
                tracker.begin_tile(k, len(batch))
                frames = [to_unit(batch.inputs[i][k], mode, valid=batch.valid[i][k]) for i in range(len(sources))]
                if limits is not None:
                    frames = [stretch(f, limits, batch.valid[i][k]) for i, f in enumerate(frames)]
                here = t.metadata  # this tile's location and GSD
                per_frame = [m.replace(lon=here.lon, lat=here.lat, gsd=here.gsd) for m in frame_md]
                target = here.replace(date=job.target_date, cloud_cover=0.0)
                image, spread = sample(pipe, "predict", job, t.seed, tracker, ctx.cancel, frames, per_frame, target,
                                       prompt=job.prompt)
                out = to_chw(image, spread)
                if limits is not None:
                    output_to_input_units(out, limits)
                outs.append(out)
            return np.stack(outs)

        def to_output(x):
            return from_unit(x, np.float32, mode)

        return run_and_write(ctx, tile_fn, tracker.tiles, sources=sources, tile_size=tile, overlap=overlap,
                             metadata=target_base, dtype=dtype, to_output=to_output,
                             inputs=[p for p, _ in job.frames])
    finally:
        for s in sources:
            s.close()
