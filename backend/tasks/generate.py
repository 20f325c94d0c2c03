"""Generate an image covering an extent at a ground sample distance.

The whole extent is one latent image, denoised window by window at every step with each window's own
metadata (its centre lon/lat) and the overlapping predictions averaged (MultiDiffusion, Bar-Tal et al.,
ICML 2023): a large extent comes out as one coherent image without seams, and each model call costs one
model-sized window. The latents are then decoded by the tiling engine, tile by tile with feathered
blending (tiles start on whole latent pixels), and written as float32 in the model's 0..1 units. The output grid covers exactly the extent
(:func:`backend.geo.grids.generation_grid`): its size is the nearest multiple of 8 pixels (the VAE factor)
to the size at the GSD, and the pixel size follows (a 128 px output is within 3 % of the GSD).
"""

from __future__ import annotations

import json

import numpy as np
from rasterio.windows import Window

from ..geo.grids import generation_grid
from ..geo.raster_metadata import metadata_for_window
from ..metadata import SatMetadata
from ..tiling import axis_starts
from .common import TaskContext, TaskOutput, run_and_write, tile_and_overlap

MAX_GENERATE_PIXELS = 64_000_000  # the latents of the whole extent are held in memory (16 bytes per 64 pixels)
MAX_DECODE_TILE = 768  # pixels: a VAE decode at this size stays within a few GB for the SD 2.1 VAE


def latent_windows(height: int, width: int, window: int, overlap: int):
    """(row, col, h, w) latent boxes of ``window`` latent pixels covering (height, width) with overlap."""
    rows = axis_starts(height, window, overlap)
    cols = axis_starts(width, window, overlap)
    return [(r, c, min(window, height), min(window, width)) for r in rows for c in cols]


def run(ctx: TaskContext) -> TaskOutput:
    job, pipe = ctx.job, ctx.model.pipeline
    f = pipe.vae_scale_factor
    grid = generation_grid(job.bbox, job.crs, job.gsd, f, max_pixels=MAX_GENERATE_PIXELS)
    tile, overlap = tile_and_overlap(job, ctx.model.tile_size)
    base = SatMetadata(gsd=job.gsd, cloud_cover=job.cloud_cover, date=job.date)
    lat_h, lat_w = grid.height // f, grid.width // f
    # Windows are twice the model's size (the UNet is convolutional; a window's border looks like an image
    # border to it, so fewer, larger windows leave fewer border effects to average out) and overlap by half.
    window = 2 * tile // f
    windows = latent_windows(lat_h, lat_w, window, window // 2)
    window_md = np.stack([
        metadata_for_window(grid, Window(c * f, r * f, w * f, h * f), base).to_vector() for r, c, h, w in windows
    ])
    whole = metadata_for_window(grid, Window(0, 0, grid.width, grid.height), base)
    # the provenance records the metadata the model was given for the whole extent (centre lon/lat included)
    ctx.tags["DIFFUSIONSAT_METADATA"] = json.dumps(whole.to_dict(), sort_keys=True)
    n = int(job.sampling.num_samples)
    steps = int(job.sampling.steps)

    # denoising is most of the work: report it as the first 90 %, decoding as the rest
    def step_progress(step, total):
        if ctx.progress is not None:
            ctx.progress(0.9 * step / max(1, total), f"generate: step {step}/{total} over {len(windows)} windows")

    sampled = pipe.generate(job.prompt, whole, height=grid.height, width=grid.width, num_images=n, steps=steps,
                            guidance=float(job.sampling.guidance), scheduler=job.sampling.scheduler, seed=ctx.seed,
                            windows=windows, window_metadata=window_md, decode=False, callback=step_progress,
                            cancel=ctx.cancel)
    latents = sampled.latents  # (n, 4, lat_h, lat_w)

    import torch

    def tile_fn(batch):
        outs = []
        for t in batch.tiles:
            r, c = int(t.out_window.row_off) // f, int(t.out_window.col_off) // f
            h, w = int(t.out_window.height) // f, int(t.out_window.width) // f
            images = pipe.decode_latents(torch.from_numpy(np.ascontiguousarray(latents[:, :, r:r + h, c:c + w])),
                                         ctx.cancel)  # (n, H, W, 3)
            out = np.transpose(images.mean(axis=0), (2, 0, 1))
            if n > 1:
                spread = images.std(axis=0, ddof=1).mean(axis=-1)
                out = np.concatenate([out, spread[None]])
            outs.append(out.astype(np.float32))
        return np.stack(outs)

    def decode_progress(done, total):
        if ctx.progress is not None:
            ctx.progress(0.9 + 0.1 * done / max(1, total), f"generate: decoding tile {done}/{total}")

    # The decoder's border effects reach several latent pixels in: decode in tiles larger than the model's
    # (capped for memory) with a quarter-tile overlap, or the tile grid shows as a lattice.
    decode_tile = min(max(tile, min(4 * tile, MAX_DECODE_TILE)), grid.height, grid.width)
    # float32 in the model's 0..1 units: a model trained on reflectance makes dark images, and 8 bits
    # would leave only a handful of grey levels to stretch
    ctx.tags["DIFFUSIONSAT_UNITS"] = "model units 0..1 (reflectance-like for models trained on reflectance)"
    return run_and_write(ctx, tile_fn, decode_progress, grid=grid, tile_size=decode_tile,
                         overlap=decode_tile // 4 // f * f, metadata=base, align=f, dtype="float32",
                         to_output=lambda x: x)
