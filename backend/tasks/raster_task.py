"""The one skeleton of the raster tasks (super-resolution, inpainting, inpainting with other dates, prediction):
read the input's header, plan the tiles, run each tile's step, map the result back to the input's units and
data type, write.

A task prepares a :class:`RasterPlan` (its sources, tiling, the input's units, what goes into the tags and the
result) and supplies only its per-tile step ``step(tile: TileInput) -> (3 [+ 1 spread], h, w)`` in the input's
[0, 1] units; :func:`run_raster` does the rest through the tiling engine (:func:`.common.run_and_write`).
"""

from __future__ import annotations

import dataclasses
from typing import Callable, List, Optional, Sequence

import numpy as np

from ..geo.read import open_raster, require_georeferenced
from ..geo.scaling import from_unit
from ..geo.write import TAG_PREFIX
from .common import TaskContext, TaskOutput, TileProgress, run_and_write


@dataclasses.dataclass
class InputHeader:
    """What the tasks need from the input's header before reading any pixel."""

    grid: object  # backend.geo.grids.Grid, or None when the task did not ask for a georeferenced input
    descriptions: tuple
    dtype: np.dtype
    nodata: object


def read_header(path, georeferenced: bool = True) -> InputHeader:
    """The input's grid (refused without georeferencing when asked), band names, data type and nodata."""
    with open_raster(path) as ds:
        grid = require_georeferenced(ds) if georeferenced else None
        return InputHeader(grid, ds.descriptions, np.dtype(ds.dtypes[0]), ds.nodata)


def band_names(source) -> List[str]:
    """The output's band descriptions: the source's, numbered where a band has none."""
    return [d or f"band {i}" for i, d in enumerate(source.descriptions, 1)]


@dataclasses.dataclass
class TileInput:
    """One tile as a task's step sees it: the tile (window, seed, metadata) and, per source, its raw values
    ``(C, h, w)`` and validity ``(h, w)``."""

    tile: object  # backend.tiling.Tile
    arrays: List[np.ndarray]
    valid: List[np.ndarray]


@dataclasses.dataclass
class RasterPlan:
    """What a raster task prepared for the output pass (the task opens and closes ``sources``)."""

    sources: list  # tiling-engine sources on one grid; the first one's validity masks the output
    mode: str  # the input's scaling (backend.geo.scaling): the output goes back to the input's units with it
    dtype: object  # the output's data type: the input's
    tile: int  # tile size and overlap in input pixels
    overlap: int
    metadata: object  # SatMetadata the tiles' own (location per tile) is derived from
    inputs: list  # files the outputs must never replace
    factor: int = 1  # output pixels per input pixel
    nodata: object = None  # the output's nodata; when set, pixels over invalid input pixels are nodata
    descriptions: Sequence[str] = ("red", "green", "blue")
    check_tags: dict = dataclasses.field(default_factory=dict)  # the self-check's, without the tag prefix
    check: Optional[dict] = None  # the self-check's scores for the result (JobResult.check)


def input_units(mode: str) -> Callable[[np.ndarray], np.ndarray]:
    """[0, 1] units -> the input's units, as floats (the blend is rounded once, on write)."""
    return lambda x: from_unit(x, np.float32, mode)


def run_raster(ctx: TaskContext, plan: RasterPlan, step: Callable[[TileInput], np.ndarray], tracker: TileProgress,
               model_tiles: Optional[Sequence[bool]] = None) -> TaskOutput:
    """Run ``step`` on every tile of ``plan`` and write the output with the check's tags.

    ``model_tiles`` (one per planned tile, in the engine's order): the tiles that run the model; progress then
    counts only those, else every tile. A step that returns no spread band when the job samples several times
    (a tile where the model did not run) gets a zero spread.
    """
    with_spread = int(ctx.job.sampling.num_samples) > 1
    before = None if model_tiles is None else np.concatenate([[0], np.cumsum(model_tiles)]).astype(int)

    def tile_progress(done: int, total: int) -> None:
        if before is None:
            tracker.tiles(done, total)
        else:  # the engine's count of finished tiles mapped onto the tiles that run the model
            tracker.tiles(int(before[min(int(done), len(model_tiles))]), max(1, int(before[-1])))

    def tile_fn(batch):
        outs, running = [], 0
        for k, t in enumerate(batch.tiles):
            tracker.begin_tile(k if before is None else running, len(batch))
            running += int(before is not None and bool(model_tiles[t.index]))
            out = step(TileInput(t, [a[k] for a in batch.inputs], [v[k] for v in batch.valid]))
            if with_spread and out.shape[0] == 3:
                out = np.concatenate([out, np.zeros_like(out[:1])])
            outs.append(out)
        return np.stack(outs)

    ctx.tags.update({TAG_PREFIX + k: v for k, v in plan.check_tags.items()})
    out = run_and_write(ctx, tile_fn, tile_progress, sources=plan.sources, tile_size=plan.tile,
                        overlap=plan.overlap, factor=plan.factor, metadata=plan.metadata, dtype=plan.dtype,
                        to_output=input_units(plan.mode), nodata=plan.nodata, mask_invalid=plan.nodata is not None,
                        descriptions=list(plan.descriptions), inputs=plan.inputs)
    out.check = plan.check
    return out


__all__ = ["InputHeader", "RasterPlan", "TileInput", "band_names", "input_units", "read_header", "run_raster"]
