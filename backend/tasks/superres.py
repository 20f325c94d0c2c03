"""Super-resolve a raster onto an exactly aligned finer grid (same origin, pixel size / factor).

The ControlNet sees the selected bands (the official model: Sentinel-2 B4 B3 B2 B5 B6 B7 B8 B8A B11
B12, picked by name) at ``1 / conditioning_scale`` of the output resolution. A factor larger than the
ControlNet's own scale is reached by first upsampling the input tile bicubically (``upsample = factor /
conditioning_scale``): the bundled model was trained that way (Wald protocol, x4 = x2 upsample x2
ControlNet). The output is RGB in the input's units (e.g. reflectance x 10 000 stays x 10 000).

Consistency (``SuperResolveJob.consistency``, on by default): the output's coarse content is made equal
to what was observed, by iterative back-projection of the residual between the input's RGB (the first
three control bands: B4 B3 B2 for the released and bundled models) and the output averaged back onto
the input grid. The model then only adds detail below the input's pixel size and cannot shift colours
or move features that the input shows; turn it off to get the network's raw output (e.g. to compare
with the official pipeline).

Self-check and fallback (``SuperResolveJob.fallback``, on by default; :mod:`.superres_check`): before
the output is written, the input degraded once more by the factor is super-resolved by the model path and
by bicubic up-sampling (+ the same back-projection) and both are scored against the input; each tile is
written as the bicubic image plus the model's detail (model - bicubic) at the weight the check fitted (at
most 0.5; 0, bicubic alone, where the model's detail does not help). The scores, the share of tiles left
to bicubic and the mean weight go into the output's ``DIFFUSIONSAT_SR_CHECK_*`` tags and the result
(``JobResult.check``).

Stretch: a model that declares one (the bundled model) gets the raster's stretch and then each tile's own
2-98 % stretch, inverted on its output in the same order: on unseen scenes the per-raster stretch alone
gave grey/olive tiles with a 4-8 px texture (MODEL_CARD.md, "Super-resolution on unseen scenes"); the
back-projection restores each tile's coarse content, so tiles still agree where they overlap.

Nodata: output pixels over input pixels that are nodata (declared, or NaN / ±Inf) are nodata (the input's
nodata value; NaN for float rasters without one). A raster with no valid pixel at all is refused.
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch
import torch.nn.functional as F

from ..geo.scaling import resolve_mode, stretch, to_unit
from ..geo.raster_metadata import metadata_from_raster
from ..tiling import RasterSource, plan_tiles, require_strip_memory
from .common import (TaskContext, TaskOutput, TileProgress, check_enabled, sample_batch, scaled_progress,
                     tile_and_overlap, to_chw, window_key)
from .raster_task import RasterPlan, TileInput, read_header, run_raster
from .stretch import output_to_input_units, shared_limits, stretch_percentiles
from .superres_check import bicubic_up, grid_notch, self_check

BACK_PROJECTION_ITERATIONS = 3  # smooth (bicubic) rounds before the exact block-constant one
READ_CACHE_MB = 64  # GDAL block cache while the task reads its input
SCAN_WINDOW = 1024  # px a side: windows of the all-nodata scan (a multiple of the usual 256 / 512 px blocks)
GRID_NOTCH = 0  # px: remove the latent grid's periodic texture (8 for the x8 VAE) from the model's detail; off: no measured effect


class SuperResolutionError(ValueError):
    pass


def plan_factor(model, requested) -> tuple:
    """(factor, upsample): output pixels per input pixel, and the pre-upsampling of the input tiles."""
    net = model.pipeline.controlnet
    if net is None:
        raise SuperResolutionError(f"the model {model.name} has no super-resolution ControlNet (controlnet/ folder)")
    scale = int(getattr(net.config, "conditioning_scale", 1) or 1)
    factor = int(requested or model.task_config("superres").get("factor", scale))
    if factor % scale:
        raise SuperResolutionError(f"this model super-resolves by multiples of {scale}, not x{factor}")
    return factor, factor // scale


def match_observation(image: np.ndarray, observed: np.ndarray, factor: int,
                      iterations: int = BACK_PROJECTION_ITERATIONS, final: str = "nearest") -> np.ndarray:
    """Back-projection: ``image`` (C, H, W) corrected so that its ``factor`` x ``factor`` block means equal
    ``observed`` (C, H / factor, W / factor). A few rounds add the bicubic-upsampled residual (smooth, no
    block edges); what is left (the residual's finest checkerboard, which bicubic cannot carry) is added
    block-constant, which makes the block means exact (up to the final clipping to [0, max(1, observed)])."""
    out = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None]
    obs = torch.from_numpy(np.ascontiguousarray(observed, dtype=np.float32))[None]
    for _ in range(int(iterations)):
        residual = obs - F.avg_pool2d(out, factor)
        out = out + F.interpolate(residual, scale_factor=factor, mode="bicubic", align_corners=False)
    if final == "nearest":
        out = out + F.interpolate(obs - F.avg_pool2d(out, factor), scale_factor=factor, mode="nearest")
    return out[0].clamp(0.0, max(1.0, float(obs.max()))).numpy()  # values above 1 (bright clouds) stay


def valid_sample(source, path) -> np.ndarray:
    """The source's sample of valid pixels (for the stretch), refusing a raster with none: all nodata, NaN or
    ±Inf would otherwise come out as a plausible-looking image made from zeros."""
    values = source.sample_values()
    if values.size:
        return values
    from rasterio.windows import Window

    h, w = source.grid.height, source.grid.width
    step = SCAN_WINDOW  # the sample skips pixels: look at every one before refusing, a bounded window at a time
    for r0 in range(0, h, step):
        for c0 in range(0, w, step):
            if source.read(Window(c0, r0, min(step, w - c0), min(step, h - r0)))[1].any():
                return values
    raise SuperResolutionError(f"{path} has no valid pixel in the selected bands (all nodata, NaN or ±Inf): "
                               "nothing to super-resolve")


def output_nodata(nodata, dtype):
    """The output's nodata: the input's, else NaN for float rasters (NaN and ±Inf input pixels are nodata)."""
    if nodata is not None:
        return nodata
    return float("nan") if np.dtype(dtype).kind == "f" else None


def default_bands(model, descriptions) -> list:
    """The model's bands by name (config ``bands``), else the official Sentinel-2 set for 10 channels."""
    from ..geo.bands import resolve_bands
    from ..geo.bands import SENTINEL2_SR_BANDS

    channels = int(model.pipeline.controlnet.config.conditioning_in_channels)
    names = model.task_config("superres").get("bands")
    if names is None and channels == 10:
        names = list(SENTINEL2_SR_BANDS)
    if names is None:
        names = list(range(1, channels + 1))
    return resolve_bands(descriptions, names)


def run(ctx: TaskContext) -> TaskOutput:
    import rasterio

    # GDAL's block cache would otherwise grow to 5 % of the RAM while the stretch sample and the self-check
    # read a huge raster's blocks; the output pass sets its own limit (tiling.run_tiled)
    with rasterio.Env(GDAL_CACHEMAX=READ_CACHE_MB):
        return _run(ctx)


def _run(ctx: TaskContext) -> TaskOutput:
    job, model, pipe = ctx.job, ctx.model, ctx.model.pipeline
    factor, upsample = plan_factor(model, job.factor)
    header = read_header(job.input, georeferenced=False)  # the source below refuses a raster without a CRS
    bands = job.bands if job.bands else default_bands(model, header.descriptions)
    channels = int(pipe.controlnet.config.conditioning_in_channels)
    with contextlib.closing(RasterSource(job.input, bands, require_crs=True)) as source:
        return _super_resolve(ctx, source, header, channels, factor, upsample)


def _super_resolve(ctx: TaskContext, source, header, channels: int, factor: int, upsample: int) -> TaskOutput:
    job, model, pipe = ctx.job, ctx.model, ctx.model.pipeline
    nodata = output_nodata(header.nodata, header.dtype)
    if source.count != channels:
        raise SuperResolutionError(f"the model takes {channels} bands, {source.count} were selected")
    mode = model.task_config("superres").get("scaling") or resolve_mode(header.dtype)
    tile_out, overlap_out = tile_and_overlap(job, ctx.model.tile_size)  # output pixels
    tile_in = max(8, tile_out // factor)
    overlap_in = max(1, overlap_out // factor)
    in_gsd = source.grid.gsd()
    spread = int(job.sampling.num_samples) > 1
    # an output too wide for the blending strips is refused here, before the sample and the self-check
    require_strip_memory(plan_tiles(source.grid, tile_in, overlap_in, factor), 4 if spread else 3,
                         "float32" if spread else header.dtype, job.input)
    percentiles = stretch_percentiles(model)
    values = valid_sample(source, job.input)
    limits = shared_limits([source], mode, percentiles, samples=[values]) if percentiles else None
    consistent = bool(getattr(job, "consistency", True)) and channels >= 3
    views = model_views(model)

    def super_unit(unit, valid, seed, metadata, gsd, progress):  # the model path, [0, 1] input units in and out
        seen = stretch(unit, limits, valid) if limits is not None else unit
        tile_lim = tile_limits(seen, valid, percentiles) if limits is not None else None
        if tile_lim is not None:  # and then per tile: colours measured best so on unseen scenes (MODEL_CARD.md)
            seen = stretch(seen, tile_lim, valid)
        control = torch.from_numpy(np.ascontiguousarray(seen))[None]
        if upsample > 1:  # bicubic, then clipped: how the bundled model's training prepared its controls
            control = F.interpolate(control, scale_factor=upsample, mode="bicubic", align_corners=False)
            control = control.clamp(0.0, 1.0)
        md = metadata.replace(gsd=gsd / factor) if metadata is not None else None
        if views > 1:  # view 1: the tile mirrored left-right, its output mirrored back below
            control = torch.cat([control, control.flip(-1)])
        # the views in one call (a batch of 2 costs far less than two calls of 1), each from the noise that a
        # call of its own with this seed would draw: the same numbers as separate calls, to float rounding
        images, spreads = sample_batch(pipe.super_resolve, job, seed, progress, ctx.cancel, control.numpy(), md,
                                       control_gsd=gsd, prompt=job.prompt, same_noise=True)
        parts = [to_chw(images[v], None if spreads is None else spreads[v]) for v in range(views)]
        out = parts[0] if views == 1 else np.ascontiguousarray((parts[0] + parts[1][:, :, ::-1]) / np.float32(2))
        if tile_lim is not None:
            output_to_input_units(out, tile_lim)
        if limits is not None:
            output_to_input_units(out, limits)
        if GRID_NOTCH:  # the latent grid's 8 px texture out of what the model adds to bicubic
            out[:3] = grid_notch(out[:3], bicubic_up(unit[:3], factor), GRID_NOTCH)
        if consistent:
            out[:3] = match_observation(out[:3], unit[:3], factor)
        return out

    def classical_unit(unit):  # the fallback: bicubic, made consistent the same way
        out = bicubic_up(unit[:3], factor)
        return match_observation(out, unit[:3], factor) if consistent else out

    def step(tile: TileInput) -> np.ndarray:
        t, valid = tile.tile, tile.valid[0]
        unit = to_unit(tile.arrays[0], mode, valid=valid, clip=False)  # reflectance above 1 (clouds) kept
        weight = report.model_weight(window_key(t.window)) if valid.any() else 0.0
        if weight <= 0.0:
            return classical_unit(unit)  # the check gave the model's detail no weight here (or all nodata)
        out = super_unit(unit, valid, t.seed, t.metadata, in_gsd, tracker)
        if weight < 1.0:  # the model's detail at the weight the check fitted; both agree with the input
            classical = classical_unit(unit)
            out[:3] = classical + np.float32(weight) * (out[:3] - classical)
            if out.shape[0] > 3:  # the spread over samples shrinks with the detail it measures
                out[3:] *= np.float32(weight)
        return out

    metadata = metadata_from_raster(job.input)
    # the self-check (tasks/superres_check.py) runs first: its scores go into the output's tags
    report = self_check(ctx, source, mode, factor, tile_in, overlap_in, metadata, super_unit, classical_unit,
                        lambda x: stretch_units(x, limits), enabled=check_enabled(job))
    tracker = TileProgress(scaled_progress(ctx.progress, report.progress_share, 1.0), "super-resolve")
    plan = RasterPlan([source], mode, header.dtype, tile_in, overlap_in, metadata, inputs=[job.input],
                      factor=factor, nodata=nodata, check_tags=report.tags(), check=report.to_dict())
    return run_raster(ctx, plan, step, tracker)


def model_views(model) -> int:
    """How many views of each tile the model path averages (the model's ``superres.views``, default 1): 2 adds
    the tile mirrored left-right (a geometric self-ensemble: the network's errors differ between the two views
    and partly cancel; MODEL_CARD.md, "Super-resolution on unseen scenes"). Both views run in one pipeline call
    as a batch of 2: on 2 CPU cores about 0.75x the time of two calls of 1, the same numbers."""
    views = int(model.task_config("superres").get("views", 1) or 1)
    if views not in (1, 2):
        raise SuperResolutionError(f"the model's superres.views must be 1 or 2, not {views}")
    return views


def tile_limits(seen: np.ndarray, valid: np.ndarray, percentiles) -> np.ndarray:
    """The tile's own per-band stretch limits (the model's percentiles) of the raster-stretched tile ``seen``;
    a band flat in the tile gets a range of at least 1e-3 of the raster's."""
    from ..geo.scaling import percentile_limits

    lim = percentile_limits(seen, valid if valid.any() else None, percentiles).astype(np.float32)
    lim[:, 1] = np.maximum(lim[:, 1], lim[:, 0] + 1e-3)
    return lim


def stretch_units(x: np.ndarray, limits) -> np.ndarray:
    """(3, H, W) input [0, 1] units -> the model's stretched units (unclipped), where the check scores."""
    if limits is None:
        return x
    lim = np.asarray(limits, dtype=np.float64)[:3]
    return (x - lim[:, 0, None, None]) / (lim[:, 1, None, None] - lim[:, 0, None, None])
