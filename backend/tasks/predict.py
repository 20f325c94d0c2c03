"""Predict the image of a place at a target date from 1-4 dated frames (3-D temporal ControlNet).

Frames are read on the first frame's grid (others are resampled onto it when their grids differ).
Each frame brings its own metadata (its date, and its location per tile); the target metadata is
the first frame's location with the target date. Frame dates come from the job, else from the files
(tags, product names, MTL); an unknown date stays unknown (0 for the model), never invented.

What is written by default (issue 14): the classical forecast is the recent-frames composite (every frame
matched radiometrically to the most recent one, then a recency-weighted mean: :mod:`.radiometric_match`),
which beats the most recent frame as it is on the unseen series. Before anything is written, a backtest per
tile predicts the most recent frame from the older ones and scores it against the composite of the older
frames (:mod:`.predict_check`); unless the model wins clearly, the composite is written, so the output is
never silently worse than the obvious forecast. ``job.fallback=False`` (CLI ``--no-fallback``) writes the
model's prediction everywhere.
"""

from __future__ import annotations

import contextlib
import time

import numpy as np

from ..cancel import raise_if_cancelled
from ..geo.raster_metadata import metadata_from_raster
from ..geo.read import open_raster, require_georeferenced
from ..geo.scaling import resolve_mode, stretch, to_unit
from ..tiling import RasterSource, plan_tiles
from .common import (TaskContext, TaskOutput, TileProgress, check_enabled, pad_to, sample, scaled_progress,
                     tile_and_overlap, to_chw, window_key)
from .inpaint import rgb_bands
from .inpaint_check import Score, TileCheck
from .model_units import ModelUnits
from .predict_check import PredictCheck, most_recent_order
from .radiometric_match import apply, composite, fit
from .raster_task import RasterPlan, TileInput, read_header, run_raster
from .stretch import output_to_input_units, shared_limits, stretch_percentiles

CHECK_SHARE = 0.5  # of the progress bar: the backtest runs the model once per tile, as the prediction does


class PredictError(ValueError):
    pass


def require_overlap(path, grid, first_path) -> None:
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
    header = read_header(first_path)
    bands = rgb_bands(header.descriptions, job.bands)
    if len(bands) != channels:
        raise PredictError(f"the temporal model takes {channels} bands per frame, {len(bands)} were selected")
    for path, _ in job.frames[1:]:
        require_overlap(path, header.grid, first_path)
    with contextlib.ExitStack() as stack:
        frame_md, sources = open_dated(stack, job.frames, bands, header.grid)
        return _predict(ctx, header, sources, frame_md)


def open_dated(stack: contextlib.ExitStack, dated, bands, grid) -> tuple:
    """(metadata, sources) of ``(path, date or None)`` pairs: each file's metadata with the job's date where it
    gives one, and a source read on ``grid`` (closed with ``stack``)."""
    metadata, sources = [], []
    for path, date in dated:
        md = metadata_from_raster(path)
        metadata.append(md.replace(date=date) if date is not None else md)
        sources.append(stack.enter_context(contextlib.closing(RasterSource(path, bands, grid=grid))))
    return metadata, sources


def at_tile(here, frame_md, target_date) -> tuple:
    """(frames' metadata, target metadata) for one tile: the tile's location and GSD (``here``), each frame's
    own date, the target date for the target."""
    per_frame = [m.replace(lon=here.lon, lat=here.lat, gsd=here.gsd) for m in frame_md]
    return per_frame, here.replace(date=target_date, cloud_cover=0.0)


def _predict(ctx: TaskContext, header, sources, frame_md) -> TaskOutput:
    job, pipe = ctx.job, ctx.model.pipeline
    mode = resolve_mode(header.dtype)
    tile, overlap = tile_and_overlap(job, ctx.model.tile_size)
    target_base = frame_md[0].replace(date=job.target_date, cloud_cover=0.0)
    percentiles = stretch_percentiles(ctx.model)  # one stretch pooled over all frames, inverted on the output
    limits = shared_limits(sources, mode, percentiles) if percentiles else None

    order = most_recent_order([m.date for m in frame_md])
    units = ModelUnits(limits)
    shape = (header.grid.height, header.grid.width)
    tiles = plan_tiles(header.grid, tile, overlap, 1, ctx.seed, frame_md[0])
    report = backtest(ctx, sources, frame_md, order, tiles, mode, limits, tile, units, shape)
    keys = [window_key(t.window) for t in tiles]
    runs = [report.use_model(k) for k in keys]
    share = report.classical_share(keys)
    # the composite's match is read only when some tile writes the composite (not with --no-fallback)
    to_latest = None if all(runs) else matched_to(order[0], sources, mode, units, shape, ctx.cancel)
    recency = [order.index(k) for k in range(len(sources))]
    lo = CHECK_SHARE if report.enabled and report.possible else 0.0
    tracker = TileProgress(scaled_progress(ctx.progress, lo, 1.0), "predict")

    def step(tile: TileInput) -> np.ndarray:
        t = tile.tile
        if not report.use_model(window_key(t.window)):  # the classical forecast: the recent-frames composite
            raw = [units.of_raw(a, mode, v) for a, v in zip(tile.arrays, tile.valid)]
            out = composite([apply(f, c) for f, c in zip(raw, to_latest)], tile.valid, recency)
            gap = ~np.isfinite(out).all(0)  # no frame valid: the most recent frame's (nodata) values as they are
            out[:, gap] = raw[order[0]][:, gap]
            out = out.astype(np.float32)  # unclipped: a pixel of one frame comes back as that frame's value
        else:
            frames = [to_unit(a, mode, valid=v) for a, v in zip(tile.arrays, tile.valid)]
            if limits is not None:
                frames = [stretch(f, limits, v) for f, v in zip(frames, tile.valid)]
            per_frame, target = at_tile(t.metadata, frame_md, job.target_date)
            image, spread = sample(pipe.predict, job, t.seed, tracker, ctx.cancel, frames, per_frame, target,
                                   prompt=job.prompt)
            out = to_chw(image, spread)
        if limits is not None:
            output_to_input_units(out, limits)
        return out

    plan = RasterPlan(sources, mode, header.dtype, tile, overlap, target_base, inputs=[p for p, _ in job.frames],
                      check_tags=report.tags(share), check=report.to_dict(share))
    return run_raster(ctx, plan, step, tracker, runs)


def matched_to(reference: int, sources, mode, units, shape, cancel, frames=None) -> list:
    """Per frame of ``frames`` (default: every source), its (3, 2) radiometric match to the source
    ``reference``, which keeps itself exactly (gain 1, offset 0; it is not read as a frame)."""
    frames = list(range(len(sources)) if frames is None else frames)
    others = [k for k in frames if k != reference]
    fitted = iter(fit(shape, units.reader(sources[reference], mode), [units.reader(sources[k], mode) for k in others],
                      3, cancel, label="predict") if others else [])
    return [np.array([[1.0, 0.0]] * 3) if k == reference else next(fitted) for k in frames]


def backtest(ctx: TaskContext, sources, frame_md, order, tiles, mode, limits, tile_size: int, units,
             shape) -> PredictCheck:
    """Per tile: the model's prediction of the most recent frame from the older ones vs. the composite of the
    older ones matched to the next most recent (the classical forecast one date back), both scored against the
    most recent frame (see :mod:`.predict_check`)."""
    job, pipe = ctx.job, ctx.model.pipeline
    report = PredictCheck(enabled=check_enabled(job), possible=len(sources) >= 2,
                          total_tiles=len(tiles), latest_name=str(job.frames[order[0]][0]))
    if not report.enabled or not report.possible:
        return report
    started = time.perf_counter()
    latest, previous = order[0], order[1]
    older = sorted(order[1:])  # the controls keep the job's frame order, as in the real prediction
    to_previous = matched_to(previous, sources, mode, units, shape, ctx.cancel, frames=older)
    recency = [order.index(k) - 1 for k in older]
    tracker = TileProgress(scaled_progress(ctx.progress, 0.0, CHECK_SHARE), "predict: self-check")
    for i, t in enumerate(tiles):
        tracker.tiles(i, len(tiles))
        raise_if_cancelled(ctx.cancel, "predict")
        reads = [s.read(t.window) for s in sources]
        frames, valid, unclipped = [], [], []
        for raw, ok in reads:
            f = to_unit(raw, mode, valid=ok)
            frames.append(stretch(f, limits, ok) if limits is not None else f)
            valid.append(ok)
            unclipped.append(units.of_raw(raw, mode, ok))
        h, w = frames[0].shape[1:]
        where = valid[latest] & valid[previous]
        if not where.any():
            continue
        ph, pw = max(h, tile_size), max(w, tile_size)
        per_frame, target = at_tile(t.metadata, [frame_md[j] for j in older], frame_md[latest].date)
        image, _ = sample(pipe.predict, job, t.seed ^ 0x5EED, tracker, ctx.cancel,
                          [pad_to(np.asarray(frames[j], np.float32), ph, pw) for j in older], per_frame, target,
                          prompt=job.prompt)
        predicted = to_chw(image, None)[:, :h, :w]
        forecast = composite([apply(unclipped[j], c) for j, c in zip(older, to_previous)],
                             [valid[j] for j in older], recency)
        forecast = np.clip(np.where(np.isfinite(forecast), forecast, frames[previous]), 0.0, 1.0)
        model, classical = Score(), Score()
        model.add(predicted, frames[latest], where)
        classical.add(forecast, frames[latest], where)
        report.add(window_key(t.window), TileCheck(model, classical))
    report.seconds = time.perf_counter() - started
    return report
