"""Inpaint the masked pixels of a raster (clouds, or any mask); every other pixel is kept.

What is written by default (issue 14): inside the mask, the classical (harmonic) fill carries the
surroundings' colour and shading and the model adds its finest texture (1 px), at the known ring's amplitude
(:mod:`.inpaint_anchor`, design chosen by measurement); before anything is written a self-check fills
known pixels shaped like each tile's hole both ways (:mod:`.inpaint_check`), and tiles where the model
scores lower get the classical fill. The scores and the share of masked pixels filled classically go into
the output's tags (``DIFFUSIONSAT_INPAINT_*``) and the result (``JobResult.check``). ``job.fallback=False``
(CLI ``--no-fallback``) skips the check and keeps the anchored model fill everywhere.

Unmasked pixels are the input's values: exactly for integer data, and up to float32 rounding of the
tiling engine's overlap blend (about 1e-7 relative) for float data.

The mask (polygons, raster classes or bits, drawn shapes; optionally dilated) is rasterised on the
input grid. Tiles without a masked pixel are copied through without running the model. A mask whose extent
is a small part of the raster is rasterised, filled and checked on the window around it only, and the rest
of the raster is copied block by block (:mod:`.inpaint_area`). The output
holds the selected RGB bands in the input's data type and units.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time

import numpy as np

from ..cancel import raise_if_cancelled
from ..geo.masks import build_mask, require_mask_memory
from ..geo.raster_metadata import metadata_from_raster
from ..geo.scaling import resolve_mode, to_unit
from ..tiling import ArraySource, RasterSource, plan_tiles
from .common import (TaskContext, TaskOutput, TileProgress, check_enabled, pad_to, sample, sampling_kwargs,
                     scaled_progress, tile_and_overlap, window_key)
from .inpaint_anchor import DEFAULT_DESIGN
from .inpaint_area import area_window, run_in_area, work_area
from .inpaint_check import CheckReport, Probe, find_probes, holed_tiles
from .inpaint_fill import fill, probe_fills, score_probes
from .model_units import ModelUnits
from .raster_task import InputHeader, RasterPlan, TileInput, band_names, read_header, run_raster
from .stretch import shared_limits, stretch_percentiles

CHECK_SHARE = 0.6  # of the progress bar: the self-check runs up to 2 model tiles for each one filled


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


def _model_fn(pipe, job, seed: int, metadata, tracker: TileProgress, cancel):
    """model_fn for :mod:`.inpaint_fill`: a batch of probe tiles through the pipeline, one sample each."""
    def fn(images: np.ndarray, holes: np.ndarray) -> np.ndarray:
        seen = np.transpose(np.clip(images, 0.0, 1.0), (0, 2, 3, 1)).astype(np.float32)
        res = pipe.inpaint(seen, holes.astype(np.float32), job.prompt, metadata, seed=seed,
                           **sampling_kwargs(job, tracker, cancel))
        return np.transpose(res.images, (0, 3, 1, 2))
    return fn


def check_holes(ctx: TaskContext, mask: np.ndarray, tiles, check_tile, report: CheckReport = None) -> CheckReport:
    """The pre-pass of both inpaintings, over every tile with masked pixels: ``check_tile(tile, tracker)`` fills
    probes of known pixels both ways and scores them (a TileCheck, or None when there was nothing to score).
    It runs before the output is written because its scores go into the output's tags. ``report``: one made
    by the caller (with ``check_enabled``) to record more than the TileChecks into; default a new one."""
    report = report if report is not None else CheckReport(enabled=check_enabled(ctx.job))
    report.masked = int(mask.sum())
    started = time.perf_counter()
    holed = holed_tiles(mask, tiles)
    if report.enabled:
        tracker = TileProgress(scaled_progress(ctx.progress, 0.0, CHECK_SHARE), "inpaint: self-check")
        for i, t in enumerate(holed):
            tracker.tiles(i, len(holed))
            raise_if_cancelled(ctx.cancel, "inpaint")
            check = check_tile(t, tracker)
            if check is not None:
                report.add(window_key(t.window), check)
    report.count_classical(mask, [t.window for t in holed], window_key)
    report.seconds = time.perf_counter() - started
    return report


def self_check(ctx: TaskContext, source, mask: np.ndarray, tiles, units: ModelUnits, mode: str,
               tile_size: int) -> CheckReport:
    """This date's check: probes filled by the model path and by the harmonic fill (:mod:`.inpaint_fill`)."""
    from rasterio.windows import Window

    job, pipe = ctx.job, ctx.model.pipeline
    size = int(tiles[0].window.height), int(tiles[0].window.width)
    ph, pw = max(size[0], tile_size), max(size[1], tile_size)

    def check_tile(t, tracker):
        probes = find_probes(mask, (*window_key(t.window), *size))
        if not probes:
            return None
        images, padded = [], []
        for p in probes:
            raw, valid = source.read(Window(p.window[1], p.window[0], p.window[3], p.window[2]))
            images.append(pad_to(units.of_raw(raw, mode, valid), ph, pw))
            scored = np.zeros((ph, pw), bool)
            scored[:size[0], :size[1]] = p.scored & valid  # nodata is no truth; padding is not scored
            padded.append(Probe(p.window, pad_to(p.hidden, ph, pw), scored))
        fn = _model_fn(pipe, job, t.seed ^ 0x5EED, t.metadata, tracker, ctx.cancel)
        raw_fills, classical = probe_fills(fn, images, padded)
        return score_probes(raw_fills, classical, images, padded, DEFAULT_DESIGN)

    return check_holes(ctx, mask, tiles, check_tile)


@dataclasses.dataclass
class InpaintInput:
    """What both inpaintings (this date's pixels, or other dates of the place) read and plan before filling."""

    header: InputHeader
    mask: np.ndarray  # (H, W) bool on the input grid: the pixels to fill
    source: RasterSource  # the RGB bands
    bands: list
    mode: str  # the input's scaling
    limits: object  # the model's stretch limits (None: no stretch)
    units: ModelUnits
    tile: int
    overlap: int
    tiles: object  # the tiles the output pass will process (same grid, size, overlap, seed and metadata)
    metadata: object
    mask_files: list  # the mask's raster / vector files, never replaced by the output


def read_mask(job, grid) -> np.ndarray:
    """The job's mask rasterised on the input grid; a raster too large for its mask, or a mask covering no
    pixel, is refused before any work."""
    spec = job.mask
    require_mask_memory(grid, job.input)
    mask = build_mask(grid, vector=spec.vector, vector_layer=spec.vector_layer, raster=spec.raster,
                      classes=spec.classes, bits=spec.bits, geometries_wkt=spec.geometries_wkt,
                      geometries_crs=spec.geometries_crs, dilate_m=spec.dilate_m)
    if not mask.any():
        raise InpaintError("the mask covers no pixel of the raster: nothing to inpaint")
    return np.asarray(mask, dtype=bool)


def run(ctx: TaskContext) -> TaskOutput:
    job = ctx.job
    header = read_header(job.input)
    tile, overlap = tile_and_overlap(job, ctx.model.tile_size)
    area = work_area(job, header.grid, tile, ctx.output)
    if area is None:
        return _run(ctx, header, None, tile, overlap)
    return run_in_area(ctx, header, area, lambda c, h: _run(c, h, area_window(area), tile, overlap))


def _run(ctx: TaskContext, header: InputHeader, window, tile: int, overlap: int) -> TaskOutput:
    """Inpainting on ``header.grid``: the raster's, or the ``window`` of it that a small mask needs."""
    job = ctx.job
    mask = read_mask(job, header.grid)
    bands = rgb_bands(header.descriptions, job.bands)
    with contextlib.closing(RasterSource(job.input, bands, window=window)) as source:
        mode = resolve_mode(header.dtype)
        limits = _limits(ctx, source, bands, mode, mask, window)
        metadata = metadata_from_raster(job.input)
        tiles = plan_tiles(header.grid, tile, overlap, 1, ctx.seed, metadata)
        inp = InpaintInput(header, mask, source, bands, mode, limits, ModelUnits(limits), tile, overlap, tiles,
                           metadata, [p for p in (job.mask.raster, job.mask.vector) if p])
        if getattr(job, "other_dates", None):  # cloud removal from other dates of the place (inpaint_dates)
            from . import inpaint_dates

            return inpaint_dates.run(ctx, inp)
        return _inpaint(ctx, inp)


def _limits(ctx: TaskContext, source, bands, mode: str, mask: np.ndarray, window):
    """The model's stretch over the raster's kept pixels (clouds would skew it): the whole raster's, also when
    only a window of it is filled, so that the window's fill and check see the units a whole run would."""
    percentiles = stretch_percentiles(ctx.model)
    if not percentiles:
        return None
    if window is None:
        return shared_limits([source], mode, percentiles, exclude=mask)
    r0, c0 = int(window.row_off), int(window.col_off)

    def exclude(w):  # the window's mask placed on the raster: nothing is masked outside it
        out = np.zeros((int(w.height), int(w.width)), bool)
        rr0, cc0 = max(int(w.row_off), r0), max(int(w.col_off), c0)
        rr1 = min(int(w.row_off + w.height), r0 + mask.shape[0])
        cc1 = min(int(w.col_off + w.width), c0 + mask.shape[1])
        if rr1 > rr0 and cc1 > cc0:
            out[rr0 - int(w.row_off):rr1 - int(w.row_off), cc0 - int(w.col_off):cc1 - int(w.col_off)] = \
                mask[rr0 - r0:rr1 - r0, cc0 - c0:cc1 - c0]
        return out

    with contextlib.closing(RasterSource(ctx.job.input, bands)) as whole:
        return shared_limits([whole], mode, percentiles, exclude=exclude)


def _inpaint(ctx: TaskContext, inp: InpaintInput) -> TaskOutput:
    """This date's inpainting: the model's fill anchored on the harmonic one, checked tile by tile."""
    job, pipe, units = ctx.job, ctx.model.pipeline, inp.units
    report = self_check(ctx, inp.source, inp.mask, inp.tiles, units, inp.mode, inp.tile)
    tracker = TileProgress(scaled_progress(ctx.progress, CHECK_SHARE if report.enabled else 0.0, 1.0), "inpaint")

    def fill_hole(tile: TileInput, unit: np.ndarray, hole: np.ndarray):
        t = tile.tile
        image = units.to_model(unit)
        use_model = report.use_model(window_key(t.window))
        model_fill, spread = None, None
        if use_model:
            seen = np.transpose(np.clip(image, 0.0, 1.0), (1, 2, 0)).astype(np.float32)
            fill_hwc, spread = sample(pipe.inpaint, job, t.seed, tracker, ctx.cancel, seen, hole.astype(np.float32),
                                      job.prompt, t.metadata)
            model_fill = np.transpose(np.asarray(fill_hwc, dtype=np.float64), (2, 0, 1))
        filled = units.to_input(fill(model_fill, image, hole, DEFAULT_DESIGN, use_model, invalid=~tile.valid[0]))
        if spread is not None:
            spread = np.asarray(spread, np.float32)
            if inp.limits is not None:  # a spread is a difference: only the stretch's scale applies
                spread = spread * float(np.mean(inp.limits[:3, 1] - inp.limits[:3, 0]))
        return filled, spread

    plan = inpaint_plan(ctx, inp, report.tags(), report.to_dict())
    return run_raster(ctx, plan, hole_step(inp.mode, fill_hole), tracker, model_tiles(inp, report))


def inpaint_plan(ctx: TaskContext, inp: InpaintInput, check_tags: dict, check: dict, others=(),
                 other_files=()) -> RasterPlan:
    """The output pass of both inpaintings: the input's RGB bands in its data type, units and nodata."""
    return RasterPlan([inp.source, ArraySource(inp.mask.view(np.uint8), inp.header.grid), *others], inp.mode,
                      inp.header.dtype, inp.tile, inp.overlap, inp.metadata, nodata=inp.header.nodata,
                      descriptions=band_names(inp.source), check_tags=check_tags, check=check,
                      inputs=[ctx.job.input, *other_files, *inp.mask_files])


def model_tiles(inp: InpaintInput, report) -> list:
    """Per planned tile: whether the model fills it (it has masked pixels and the check kept the model)."""
    def holed(w) -> bool:
        return bool(inp.mask[w.row_off:w.row_off + w.height, w.col_off:w.col_off + w.width].any())

    return [holed(t.window) and report.use_model(window_key(t.window)) for t in inp.tiles]


def hole_step(mode: str, fill_hole):
    """The per-tile step of both inpaintings: pixels outside the mask are the input's exactly (a tile without
    one is copied through), masked ones are ``fill_hole(tile, unit, hole) -> (filled, spread or None)`` in the
    input's [0, 1] units."""
    def step(tile: TileInput) -> np.ndarray:
        raw, ok = tile.arrays[0], tile.valid[0]
        unit = to_unit(raw, mode, valid=ok, clip=False)  # the exact inverse of the output's mapping
        kept = np.where(np.isfinite(raw), unit, raw)  # unmasked NaN/±Inf stay so, never 0
        hole = tile.arrays[1][0] > 0.5
        if not hole.any():
            return kept.astype(np.float32)
        filled, spread = fill_hole(tile, unit, hole)
        out = np.where(hole[None], filled, kept).astype(np.float32)  # unmasked pixels are the input's
        return out if spread is None else np.concatenate([out, spread[None]])
    return step
