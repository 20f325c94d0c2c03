"""Generate an image covering an extent at a ground sample distance.

Tiles are generated in row-major order and each tile is *outpainted* from what its earlier
neighbours already produced: pixels of the tile that an earlier tile covered are kept (Blended
Latent Diffusion inpainting of the rest), so overlapping tiles agree and the engine's feathered
blend has nothing to smooth over. A single tile is plain text-and-metadata generation. Each tile is
conditioned on its own centre lon/lat (the extent's GSD, date and cloud cover).
"""

from __future__ import annotations

import numpy as np

from ..geo.grids import extent_grid
from ..metadata import SatMetadata
from .common import TaskContext, TaskOutput, TileProgress, run_and_write, sample, tile_and_overlap, to_chw

# The canvas of already generated pixels lives in memory (uint8 RGB + a flag): cap it.
MAX_GENERATE_PIXELS = 64_000_000


def run(ctx: TaskContext) -> TaskOutput:
    job, pipe = ctx.job, ctx.model.pipeline
    grid = extent_grid(job.bbox, job.crs, job.gsd, max_pixels=MAX_GENERATE_PIXELS)
    tile, overlap = tile_and_overlap(job, pipe.default_size)
    base = SatMetadata(gsd=job.gsd, cloud_cover=job.cloud_cover, date=job.date)
    canvas = np.zeros((grid.height, grid.width, 3), dtype=np.uint8)
    known = np.zeros((grid.height, grid.width), dtype=bool)
    tracker = TileProgress(ctx.progress, "generate")

    def tile_fn(batch):
        outs = []
        for k, t in enumerate(batch.tiles):
            tracker.begin_tile(k, len(batch))
            r0, c0 = int(t.out_window.row_off), int(t.out_window.col_off)
            h, w = int(t.out_window.height), int(t.out_window.width)
            size = (max(h, tile), max(w, tile))
            have = np.zeros(size, dtype=bool)
            have[:h, :w] = known[r0:r0 + h, c0:c0 + w]
            md = t.metadata or base
            if have.any():
                prior = np.zeros(size + (3,), dtype=np.float32)
                prior[:h, :w] = canvas[r0:r0 + h, c0:c0 + w] / np.float32(255.0)
                image, spread = sample(pipe, "inpaint", job, t.seed, tracker, ctx.cancel, prior,
                                       (~have).astype(np.float32), job.prompt, md, method="blend")
            else:
                image, spread = sample(pipe, "generate", job, t.seed, tracker, ctx.cancel, job.prompt, md,
                                       height=size[0], width=size[1])
            canvas[r0:r0 + h, c0:c0 + w] = np.clip(image[:h, :w] * 255.0 + 0.5, 0, 255).astype(np.uint8)
            known[r0:r0 + h, c0:c0 + w] = True
            outs.append(to_chw(image, spread))
        return np.stack(outs)

    return run_and_write(ctx, tile_fn, tracker, grid=grid, tile_size=tile, overlap=overlap,
                         metadata=base)
