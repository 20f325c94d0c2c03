"""Predict the image of a place at a target date from 1-4 dated frames (3-D temporal ControlNet).

Frames are read on the first frame's grid (others are resampled onto it when their grids differ).
Each frame brings its own metadata (its date, and its location per tile); the target metadata is
the first frame's location with the target date. Frame dates come from the job, else from the files
(tags, product names, MTL); an unknown date stays unknown (0 for the model), never invented.

What is written by default (issue 14): before anything is written, a backtest per tile predicts the most
recent frame from the older ones and scores it against persistence (:mod:`.predict_check`); tiles where the
model scores lower are written as the most recent frame, so the output is never silently worse than the
obvious forecast. ``job.fallback=False`` (CLI ``--no-fallback``) writes the model's prediction everywhere.
"""

from __future__ import annotations

import numpy as np

import time

from ..cancel import raise_if_cancelled
from ..geo.raster_metadata import metadata_from_raster
from ..geo.read import open_raster, require_georeferenced
from ..geo.scaling import from_unit, resolve_mode, stretch, to_unit
from ..geo.write import TAG_PREFIX
from ..tiling import RasterSource, plan_tiles
from .common import TaskContext, TaskOutput, TileProgress, run_and_write, sample, tile_and_overlap, to_chw
from .inpaint import _Units, _pad, _scaled, _window_key, rgb_bands
from .inpaint_check import Score, TileCheck
from .predict_check import PredictCheck, most_recent_order
from .stretch import output_to_input_units, shared_limits, stretch_percentiles

CHECK_SHARE = 0.5  # of the progress bar: the backtest runs the model once per tile, as the prediction does


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
        target_base = frame_md[0].replace(date=job.target_date, cloud_cover=0.0)
        percentiles = stretch_percentiles(ctx.model)  # one stretch pooled over all frames, inverted on the output
        limits = shared_limits(sources, mode, percentiles) if percentiles else None

        order = most_recent_order([m.date for m in frame_md])
        tiles = plan_tiles(grid, tile, overlap, 1, ctx.seed, frame_md[0])
        report = backtest(ctx, sources, frame_md, order, tiles, mode, limits, tile)
        keys = [_window_key(t.window) for t in tiles]
        share = report.persistence_share(keys)
        ctx.tags.update({TAG_PREFIX + k: v for k, v in report.tags(share).items()})
        runs = [report.use_model(k) for k in keys]
        before = np.concatenate([[0], np.cumsum(runs)]).astype(int)
        lo = CHECK_SHARE if report.enabled and report.possible else 0.0
        tracker = TileProgress(_scaled(ctx.progress, lo, 1.0), "predict")
        with_spread = int(job.sampling.num_samples) > 1
        units = _Units(limits)

        def tile_progress(done: int, total: int) -> None:
            tracker.tiles(int(before[min(int(done), len(tiles))]), max(1, int(before[-1])))

        def tile_fn(batch):
            outs = []
            running = 0
            for k, t in enumerate(batch.tiles):
                frames = [to_unit(batch.inputs[i][k], mode, valid=batch.valid[i][k]) for i in range(len(sources))]
                if limits is not None:
                    frames = [stretch(f, limits, batch.valid[i][k]) for i, f in enumerate(frames)]
                if not report.use_model(_window_key(t.window)):  # persistence: the most recent frame as it is
                    raw = to_unit(batch.inputs[order[0]][k], mode, valid=batch.valid[order[0]][k], clip=False)
                    out = np.asarray(units.to_model(raw), np.float32)  # unclipped: the inverse gives it back exactly
                    if with_spread:
                        out = np.concatenate([out, np.zeros_like(out[:1])])
                else:
                    tracker.begin_tile(running, len(batch))
                    running += 1
                    here = t.metadata  # this tile's location and GSD
                    per_frame = [m.replace(lon=here.lon, lat=here.lat, gsd=here.gsd) for m in frame_md]
                    target = here.replace(date=job.target_date, cloud_cover=0.0)
                    image, spread = sample(pipe, "predict", job, t.seed, tracker, ctx.cancel, frames, per_frame,
                                           target, prompt=job.prompt)
                    out = to_chw(image, spread)
                if limits is not None:
                    output_to_input_units(out, limits)
                outs.append(out)
            return np.stack(outs)

        def to_output(x):
            return from_unit(x, np.float32, mode)

        out = run_and_write(ctx, tile_fn, tile_progress, sources=sources, tile_size=tile, overlap=overlap,
                            metadata=target_base, dtype=dtype, to_output=to_output,
                            inputs=[p for p, _ in job.frames])
        out.check = report.to_dict(share)
        return out
    finally:
        for s in sources:
            s.close()


def backtest(ctx: TaskContext, sources, frame_md, order, tiles, mode, limits, tile_size: int) -> PredictCheck:
    """Per tile: the model's prediction of the most recent frame from the older ones vs. the next most recent
    frame (persistence), both scored against the most recent frame (see :mod:`.predict_check`)."""
    job, pipe = ctx.job, ctx.model.pipeline
    report = PredictCheck(enabled=bool(getattr(job, "fallback", True)), possible=len(sources) >= 2,
                          total_tiles=len(tiles), latest_name=str(job.frames[order[0]][0]))
    if not report.enabled or not report.possible:
        return report
    started = time.perf_counter()
    latest, previous = order[0], order[1]
    older = sorted(order[1:])  # the controls keep the job's frame order, as in the real prediction
    tracker = TileProgress(_scaled(ctx.progress, 0.0, CHECK_SHARE), "predict: self-check")
    for i, t in enumerate(tiles):
        tracker.tiles(i, len(tiles))
        raise_if_cancelled(ctx.cancel, "predict")
        reads = [s.read(t.window) for s in sources]
        frames, valid = [], []
        for raw, ok in reads:
            f = to_unit(raw, mode, valid=ok)
            frames.append(stretch(f, limits, ok) if limits is not None else f)
            valid.append(ok)
        h, w = frames[0].shape[1:]
        where = valid[latest] & valid[previous]
        if not where.any():
            continue
        ph, pw = max(h, tile_size), max(w, tile_size)
        here = t.metadata
        per_frame = [frame_md[j].replace(lon=here.lon, lat=here.lat, gsd=here.gsd) for j in older]
        target = here.replace(date=frame_md[latest].date, cloud_cover=0.0)
        image, _ = sample(pipe, "predict", job, t.seed ^ 0x5EED, tracker, ctx.cancel,
                          [_pad(np.asarray(frames[j], np.float32), ph, pw) for j in older], per_frame, target,
                          prompt=job.prompt)
        predicted = to_chw(image, None)[:, :h, :w]
        model, persistence = Score(), Score()
        model.add(predicted, frames[latest], where)
        persistence.add(frames[previous], frames[latest], where)
        report.add(_window_key(t.window), TileCheck(model, persistence))
    report.seconds = time.perf_counter() - started
    return report
