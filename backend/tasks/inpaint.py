"""Inpaint the masked pixels of a raster (clouds, or any mask); every other pixel is kept.

What is written by default (issue 14): inside the mask, the classical (biharmonic) fill carries the
surroundings' colour and shading and the model adds the texture finer than 2 px
(:mod:`.inpaint_anchor`, design chosen by measurement); before anything is written a self-check fills
known pixels shaped like each tile's hole both ways (:mod:`.inpaint_check`), and tiles where the model
scores lower get the classical fill. The scores and the share of masked pixels filled classically go into
the output's tags (``DIFFUSIONSAT_INPAINT_*``) and the result (``JobResult.check``). ``job.fallback=False``
(CLI ``--no-fallback``) skips the check and keeps the anchored model fill everywhere.

Unmasked pixels are the input's values: exactly for integer data, and up to float32 rounding of the
tiling engine's overlap blend (about 1e-7 relative) for float data.

The mask (polygons, raster classes or bits, drawn shapes; optionally dilated) is rasterised on the
input grid. Tiles without a masked pixel are copied through without running the model. The output
holds the selected RGB bands in the input's data type and units.
"""

from __future__ import annotations

import time

import numpy as np

from ..geo.grids import Grid
from ..geo.masks import build_mask, require_mask_memory
from ..geo.raster_metadata import metadata_from_raster
from ..geo.read import open_raster, require_georeferenced
from ..geo.scaling import from_unit, resolve_mode, to_unit
from ..cancel import raise_if_cancelled
from ..geo.write import TAG_PREFIX
from ..tiling import ArraySource, RasterSource, plan_tiles
from .common import TaskContext, TaskOutput, TileProgress, run_and_write, sample, sampling_kwargs, tile_and_overlap
from .inpaint_anchor import DEFAULT_DESIGN
from .inpaint_check import CheckReport, Probe, find_probes, holed_tiles
from .inpaint_fill import fill, probe_fills, score_probes
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


def _window_key(window) -> tuple:
    return int(window.row_off), int(window.col_off)


class _Units:
    """Input [0, 1] units <-> the model's stretched units (not clipped: the fills are linear, and scores
    compare like with like). Without a stretch both are the input's units."""

    def __init__(self, limits):
        self.lim = None if limits is None else np.asarray(limits, dtype=np.float64)[:3]

    def to_model(self, raw: np.ndarray) -> np.ndarray:
        x = np.asarray(raw, dtype=np.float64)
        if self.lim is None:
            return x
        return (x - self.lim[:, 0, None, None]) / (self.lim[:, 1, None, None] - self.lim[:, 0, None, None])

    def to_input(self, x: np.ndarray) -> np.ndarray:
        if self.lim is None:
            return np.asarray(x, dtype=np.float64)
        return x * (self.lim[:, 1, None, None] - self.lim[:, 0, None, None]) + self.lim[:, 0, None, None]


def _model_fn(pipe, job, seed: int, metadata, tracker: TileProgress, cancel):
    """model_fn for :mod:`.inpaint_fill`: a batch of probe tiles through the pipeline, one sample each."""
    def fn(images: np.ndarray, holes: np.ndarray) -> np.ndarray:
        seen = np.transpose(np.clip(images, 0.0, 1.0), (0, 2, 3, 1)).astype(np.float32)
        res = pipe.inpaint(seen, holes.astype(np.float32), job.prompt, metadata, seed=seed,
                           **sampling_kwargs(job, tracker, cancel))
        return np.transpose(res.images, (0, 3, 1, 2))
    return fn


def _pad(a: np.ndarray, ph: int, pw: int, mode: str = "reflect") -> np.ndarray:
    """Pad the last two axes to (ph, pw) as the tiling engine pads a raster smaller than a tile."""
    h, w = a.shape[-2:]
    if (h, w) == (ph, pw):
        return a
    return np.pad(a, [(0, 0)] * (a.ndim - 2) + [(0, ph - h), (0, pw - w)], mode=mode)


def self_check(ctx: TaskContext, source, mask: np.ndarray, tiles, units: _Units, mode: str,
               tile_size: int) -> CheckReport:
    """The pre-pass: probes for every tile with masked pixels, filled by the model path and classically.
    It runs before the output is written because its scores go into the output's tags."""
    from rasterio.windows import Window

    job, pipe = ctx.job, ctx.model.pipeline
    report = CheckReport(enabled=bool(getattr(job, "fallback", True)))
    report.masked = int(mask.sum())
    started = time.perf_counter()
    holed = holed_tiles(mask, tiles)
    if report.enabled:
        tracker = TileProgress(_scaled(ctx.progress, 0.0, CHECK_SHARE), "inpaint: self-check")
        size = int(tiles[0].window.height), int(tiles[0].window.width)
        for i, t in enumerate(holed):
            tracker.tiles(i, len(holed))
            raise_if_cancelled(ctx.cancel, "inpaint")
            probes = find_probes(mask, (*_window_key(t.window), *size))
            if not probes:
                continue
            ph, pw = max(size[0], tile_size), max(size[1], tile_size)
            images, padded = [], []
            for p in probes:
                raw, valid = source.read(Window(p.window[1], p.window[0], p.window[3], p.window[2]))
                images.append(_pad(units.to_model(to_unit(raw, mode, valid=valid, clip=False)), ph, pw))
                scored = np.zeros((ph, pw), bool)
                scored[:size[0], :size[1]] = p.scored & valid  # nodata is no truth; padding is not scored
                padded.append(Probe(p.window, _pad(p.hidden, ph, pw), scored))
            probes = padded
            fn = _model_fn(pipe, job, t.seed ^ 0x5EED, t.metadata, tracker, ctx.cancel)
            raw_fills, classical = probe_fills(fn, images, probes)
            report.add(_window_key(t.window), score_probes(raw_fills, classical, images, probes, DEFAULT_DESIGN))
    report.count_classical(mask, [t.window for t in holed], _window_key)
    report.seconds = time.perf_counter() - started
    return report


def _scaled(progress, lo: float, hi: float):
    if progress is None:
        return None
    return lambda fraction, message="": progress(lo + (hi - lo) * float(fraction), message)


def run(ctx: TaskContext) -> TaskOutput:
    job, pipe = ctx.job, ctx.model.pipeline
    with open_raster(job.input) as ds:
        grid: Grid = require_georeferenced(ds)
        descriptions = ds.descriptions
        dtype = np.dtype(ds.dtypes[0])
        nodata = ds.nodata
    spec = job.mask
    require_mask_memory(grid, job.input)  # a raster too large for its mask is refused before any work
    mask = build_mask(grid, vector=spec.vector, vector_layer=spec.vector_layer, raster=spec.raster,
                      classes=spec.classes, bits=spec.bits, geometries_wkt=spec.geometries_wkt,
                      geometries_crs=spec.geometries_crs, dilate_m=spec.dilate_m)
    if not mask.any():
        raise InpaintError("the mask covers no pixel of the raster: nothing to inpaint")
    mask = np.asarray(mask, dtype=bool)
    source = RasterSource(job.input, rgb_bands(descriptions, job.bands))
    mode = resolve_mode(dtype)
    tile, overlap = tile_and_overlap(job, ctx.model.tile_size)
    with_spread = int(job.sampling.num_samples) > 1
    percentiles = stretch_percentiles(ctx.model)  # over the pixels that are kept (clouds would skew it)
    limits = shared_limits([source], mode, percentiles, exclude=mask) if percentiles else None
    units = _Units(limits)
    metadata = metadata_from_raster(job.input)
    # the tiles run_tiled will process (same grid, size, overlap, seed and metadata)
    tiles = plan_tiles(grid, tile, overlap, 1, ctx.seed, metadata)
    if getattr(job, "other_dates", None):  # cloud removal from other dates of the place (inpaint_dates)
        from . import inpaint_dates

        try:
            return inpaint_dates.run(ctx, grid=grid, mask=mask, source=source, bands=rgb_bands(descriptions, job.bands),
                                     mode=mode, units=units, tile=tile, overlap=overlap, tiles=tiles, dtype=dtype,
                                     nodata=nodata)
        finally:
            source.close()
    try:
        report = self_check(ctx, source, mask, tiles, units, mode, tile)
    except BaseException:
        source.close()
        raise
    ctx.tags.update({TAG_PREFIX + k: v for k, v in report.tags().items()})
    lo = CHECK_SHARE if report.enabled else 0.0
    tracker = TileProgress(_scaled(ctx.progress, lo, 1.0), "inpaint")
    # progress counts the tiles that run the model (masked, model fill kept), not every tile of the raster:
    # the engine's count of finished tiles is mapped onto them
    runs = [bool(mask[t.window.row_off:t.window.row_off + t.window.height,
                      t.window.col_off:t.window.col_off + t.window.width].any())
            and report.use_model(_window_key(t.window)) for t in tiles]
    runs_before = np.concatenate([[0], np.cumsum(runs)]).astype(int)

    def tile_progress(done: int, total: int) -> None:
        tracker.tiles(int(runs_before[min(int(done), len(tiles))]), max(1, int(runs_before[-1])))

    def tile_fn(batch):
        outs = []
        images, masks = batch.inputs[0], batch.inputs[1]
        running = 0
        for k, t in enumerate(batch.tiles):
            tracker.begin_tile(running, len(batch))
            raw = to_unit(images[k], mode, valid=batch.valid[0][k], clip=False)  # exact inverse of to_output
            kept = np.where(np.isfinite(images[k]), raw, images[k])  # unmasked NaN/±Inf stay so, never 0
            hole = masks[k, 0] > 0.5
            if not hole.any():  # nothing to do here: keep the input exactly
                out = kept
                if with_spread:
                    out = np.concatenate([out, np.zeros_like(out[:1])])
                outs.append(out.astype(np.float32))
                continue
            image = units.to_model(raw)
            use_model = report.use_model(_window_key(t.window))
            model_fill, spread = None, None
            if use_model:
                running += 1
                seen = np.transpose(np.clip(image, 0.0, 1.0), (1, 2, 0)).astype(np.float32)
                fill_hwc, spread = sample(pipe, "inpaint", job, t.seed, tracker, ctx.cancel, seen,
                                          hole.astype(np.float32), job.prompt, t.metadata)
                model_fill = np.transpose(np.asarray(fill_hwc, dtype=np.float64), (2, 0, 1))
            filled = units.to_input(fill(model_fill, image, hole, DEFAULT_DESIGN, use_model,
                                         invalid=~batch.valid[0][k]))
            out = np.where(hole[None], filled, kept).astype(np.float32)  # unmasked pixels are the input's
            if with_spread:
                s = np.zeros(hole.shape, np.float32) if spread is None else np.asarray(spread, np.float32)
                if limits is not None:  # a spread is a difference: only the stretch's scale applies
                    s = s * float(np.mean(limits[:3, 1] - limits[:3, 0]))
                out = np.concatenate([out, s[None]])
            outs.append(out)
        return np.stack(outs)

    def to_output(x):
        return from_unit(x, np.float32, mode)

    try:
        out = run_and_write(ctx, tile_fn, tile_progress, sources=[source, ArraySource(mask.view(np.uint8), grid)],
                            tile_size=tile, overlap=overlap, metadata=metadata,
                            dtype=dtype, to_output=to_output, nodata=nodata, mask_invalid=nodata is not None,
                            descriptions=[d or f"band {i}" for i, d in enumerate(source.descriptions, 1)],
                            inputs=[job.input] + [p for p in (spec.raster, spec.vector) if p])
    finally:
        source.close()
    out.check = report.to_dict()
    return out
