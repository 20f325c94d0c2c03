"""Huge rasters: one job's tiles split into blocks run anywhere, then blended by the tiling engine itself.

A block is a rectangle of the input grid; it holds the tiles of the job's one tile plan whose windows start
inside it. Its tiles overlap those of the neighbouring blocks by the job's tile overlap, as anywhere else.
A block runs the whole task on its worker (the same raster-wide stretch and self-check, the same seed), but
:data:`backend.tiling.BLOCK_TAKEOVER` lets the task's file-writing ``run_tiled`` compute only the block's
tiles and store them, as the tile function returned them, in ``<output folder>/.blocks/<fingerprint>/``.
The merge then calls ``run_tiled`` with a tile function that reads those stored tiles, on the same plan:
the same tiles, weights and order as a single-process run, so the output is bit for bit the same (with the
same seed), and there is no seam at block borders. The raster-wide steps (stretch sample, self-check) are
repeated per block: for super-resolution at x4 the self-check is about 1/16 of a block's work at most.

Block files are written atomically (temporary name + rename) under the job fingerprint: a rerun reuses the
finished blocks of an interrupted job and never those of a changed one.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from pathlib import Path
from typing import List, Sequence

import numpy as np

BLOCKS_FOLDER = ".blocks"


@dataclasses.dataclass(frozen=True)
class Block:
    """Input-grid rows [row0, row1) x columns [col0, col1): the tiles starting there."""

    index: int
    row0: int
    row1: int
    col0: int
    col1: int

    def holds(self, tile) -> bool:
        r, c = int(tile.window.row_off), int(tile.window.col_off)
        return self.row0 <= r < self.row1 and self.col0 <= c < self.col1


def plan_blocks(height: int, width: int, block_size: int) -> List[Block]:
    """Blocks of about ``block_size`` input pixels a side covering the grid (one block if it fits)."""
    n_rows, n_cols = max(1, math.ceil(height / block_size)), max(1, math.ceil(width / block_size))
    rows = [round(i * height / n_rows) for i in range(n_rows + 1)]
    cols = [round(j * width / n_cols) for j in range(n_cols + 1)]
    return [Block(i * n_cols + j, rows[i], rows[i + 1], cols[j], cols[j + 1])
            for i in range(n_rows) for j in range(n_cols)]


def block_folder(output: Path, fingerprint: str) -> Path:
    return Path(output).parent / BLOCKS_FOLDER / fingerprint[:32]


def block_path(output: Path, fingerprint: str, block: Block) -> Path:
    return block_folder(output, fingerprint) / f"{Path(output).stem}.block{block.index:05d}.npz"


def _key(tile) -> str:
    return f"{int(tile.window.row_off)}_{int(tile.window.col_off)}"


def _grid_record(grid) -> dict:
    return {"crs": None if grid.crs is None else grid.crs.to_wkt(), "transform": list(grid.transform)[:6],
            "width": grid.width, "height": grid.height}


def _grid_from(record: dict):
    from affine import Affine

    from ..geo.grids import Grid

    return Grid(record["crs"], Affine(*record["transform"]), record["width"], record["height"])


def save_atomically(path: Path, arrays: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.p{os.getpid()}.part.npz")
    try:
        np.savez(temp, **arrays)
        os.replace(temp, path)
    finally:
        if temp.exists():
            temp.unlink()


class BlockCapture:
    """The takeover of one block: compute its tiles with the task's tile function and store them."""

    def __init__(self, block: Block, path: Path):
        self.block = block
        self.path = Path(path)
        self.tiles = 0

    def __call__(self, tile_fn, srcs, tiles, plan: dict, progress, cancel):
        from ..cancel import Cancelled, is_cancelled
        from ..tiling import TileBatch, TilingError, TilingResult, _read_batch

        started = time.perf_counter()
        mine = [t for t in tiles if self.block.holds(t)]
        ph, pw = plan["padded"]
        factor, size = int(plan["factor"]), max(1, int(plan["batch_size"]))
        arrays = {}
        if progress is not None:
            progress(0, len(mine))
        for b0 in range(0, len(mine), size):
            if is_cancelled(cancel):
                raise Cancelled(f"cancelled after {b0} of {len(mine)} tiles of block {self.block.index}")
            part = mine[b0:b0 + size]
            inputs, valids = _read_batch(srcs, part, ph, pw, plan["pad_mode"])
            result = np.asarray(tile_fn(TileBatch(part, inputs, valids, factor)))
            if result.ndim != 4 or result.shape[0] != len(part) or result.shape[2:] != (ph * factor, pw * factor):
                raise TilingError(f"the tile function returned shape {result.shape} in block {self.block.index}")
            for k, tile in enumerate(part):
                arrays["t" + _key(tile)] = result[k]
                if srcs:
                    arrays["v" + _key(tile)] = valids[0][k]
            if progress is not None:
                progress(b0 + len(part), len(mine))
        record = dict(plan, grid=_grid_record(plan["grid"]), total_tiles=len(tiles),
                      block=dataclasses.asdict(self.block))
        arrays["plan"] = np.frombuffer(json.dumps(record).encode("utf-8"), dtype=np.uint8)
        save_atomically(self.path, arrays)
        self.tiles = len(mine)
        from ..geo.grids import sr_output_grid

        return TilingResult(str(self.path), sr_output_grid(plan["grid"], factor), len(mine),
                            math.ceil(len(mine) / size), time.perf_counter() - started)


class _StoredValidity:
    """A source that gives back the first input's validity stored with each tile (for nodata on merge)."""

    def __init__(self, grid, index: dict):
        self.grid, self.index, self.count = grid, index, 1
        self.path = None

    def read(self, window):
        key = f"v{int(window.row_off)}_{int(window.col_off)}"
        h, w = int(window.height), int(window.width)
        return np.zeros((1, h, w), np.float32), np.asarray(self.index[key][key], bool)[:h, :w]

    def close(self):
        pass


def merge_blocks(paths: Sequence[Path], output: Path, protect: Sequence = (), cancel=None):
    """Blend the stored tiles of ``paths`` into ``output`` with ``run_tiled`` on the job's own plan."""
    from ..tiling import TilingError, run_tiled

    stores = [np.load(p, allow_pickle=False) for p in paths]
    try:
        plan = json.loads(bytes(stores[0]["plan"]).decode("utf-8"))
        index = {name: store for store in stores for name in store.files if name != "plan"}
        stored_tiles = sum(1 for name in index if name.startswith("t"))
        if stored_tiles != plan["total_tiles"]:
            raise TilingError(f"the blocks of {output} hold {stored_tiles} of {plan['total_tiles']} tiles")
        grid = _grid_from(plan["grid"])

        def stored(batch):
            return np.stack([index["t" + _key(t)]["t" + _key(t)] for t in batch.tiles])

        track = plan["with_sources"] and plan["mask_invalid"]
        place = dict(sources=[_StoredValidity(grid, index)]) if track else dict(grid=grid)
        return run_tiled(stored, output, **place, tile_size=plan["tile_size"], overlap=plan["overlap"],
                         factor=plan["factor"], out_bands=plan["out_bands"], out_dtype=plan["out_dtype"],
                         nodata=plan["nodata"], mask_invalid=plan["mask_invalid"], descriptions=plan["descriptions"],
                         tags=plan["tags"], cog=plan["cog"], pad_to_tile=plan["pad_to_tile"],
                         pad_mode=plan["pad_mode"], align=plan["align"], cancel=cancel, protect=protect,
                         batch_size=plan["batch_size"])
    finally:
        for store in stores:
            store.close()
