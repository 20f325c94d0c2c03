"""The one tiling engine: cut a grid into model-sized tiles, run a function on batches, blend, write.

Every task goes through :func:`run_tiled`:

* **super-resolution** -- one :class:`RasterSource`, ``factor=4``; the tile function returns tiles 4x
  larger (and may return a different band count); the output grid is
  :func:`backend.geo.grids.sr_output_grid` (same origin, pixel size / 4, exact transform).
* **inpainting** -- the image and its mask as two aligned sources (the mask can be an
  :class:`ArraySource` or a mask GeoTIFF); ``batch.inputs[1]`` holds the mask tiles.
* **multi-date prediction** -- several aligned sources (same CRS, transform and size; otherwise
  :class:`~backend.geo.errors.GridMismatchError`).
* **generation** -- no source at all: ``grid=extent_grid(bounds, crs, gsd)``; the function gets only
  tiles (windows, transforms, seeds, per-tile metadata).

Tiling. Along each axis tiles of ``tile_size`` pixels are spread evenly so that neighbours overlap by at
least ``overlap`` pixels and the last tile ends exactly on the raster edge (no tile hangs over the edge,
so the model sees real pixels). A raster smaller than one tile gives one tile, padded to ``tile_size``
by reflection (``pad_mode``) when ``pad_to_tile`` is true; the padding is cropped from the result.

Blending. Each output tile is weighted by a separable raised-cosine window that ramps over
``overlap * factor`` output pixels on sides shared with a neighbour and is flat (1) on sides on the
raster edge; ramp weights are ``0.5 - 0.5 cos(pi (i + 0.5) / ramp)``, never 0, so every pixel is
covered. The output is ``sum(w * tile) / sum(w)``: an identity function reproduces the input and a
constant offset stays constant -- no seams.

Memory. The plan is lazy (:class:`TilePlan`): only the tile starts along each axis are kept and a tile,
with its seed and metadata, is made when it is reached, so a 60 000 px raster's 6 million tiles cost
nothing up front. Tiles are processed in row-major order, ``batch_size`` at a time. Source windows are read per
tile (nothing is read whole). As soon as a tile is added, the part of the output no later tile
touches is divided by its weight and written with a windowed write; partial sums still needed are kept
only for the overlap with the next tile and a full-width strip ``overlap * factor`` rows high (see
``_Blender``); finished pixels are staged in the output dtype until a whole row of output blocks is
complete (GTiff recompresses a block every time a partial write touches it). Peak memory is therefore the batch (inputs + results) + a few tiles + that strip +
GDAL's block cache (limited to ``gdal_cache_mb``), independent of the raster's height and area. The output is written atomically (temporary file + rename);
an error or a cancel leaves no output file.

Seeds. ``tile.seed`` is derived from ``base_seed`` and the tile's pixel offset (SHA-256), so it is the
same across runs, batch sizes and processes. Metadata. ``tile.metadata`` is ``metadata_fn(tile)`` or,
when ``metadata`` (a SatMetadata) is given, that record with lon/lat/GSD of the tile's own location.

Progress and cancel. ``progress(done_tiles, total_tiles)`` is called after every batch (and with 0 at
the start); ``cancel`` -- a callable returning True, a ``threading.Event`` or anything with
``isCanceled()`` (QgsFeedback), see :mod:`backend.cancel` -- is checked before every batch and raises
:class:`backend.cancel.Cancelled` (re-exported here).

Tile function: ``tile_fn(batch: TileBatch) -> array`` of shape
``(len(batch), out_bands, tile_h * factor, tile_w * factor)`` (float; cast to ``out_dtype`` on write,
integers rounded and clipped). ``batch.inputs[k]`` is ``(B, bands_k, tile_h, tile_w)`` float32 raw
values of source ``k`` (scale them with :mod:`backend.geo.scaling`), ``batch.valid[k]`` ``(B, tile_h,
tile_w)`` bool.
"""

from __future__ import annotations

import bisect
import collections.abc
import contextvars
import dataclasses
import hashlib
import math
import os
import time
from typing import Callable, Iterator, List, Optional, Sequence, Tuple

import numpy as np
from affine import Affine
from rasterio.windows import Window

from .cancel import Cancelled, is_cancelled
from .geo.errors import GeoError, GridMismatchError
from .geo.grids import Grid, sr_output_grid
from .metadata import SatMetadata


class TilingError(GeoError):
    """Bad tiling parameters or a tile function that returned the wrong shape."""


# A distributed run of one raster (backend/batch/blocks.py) sets this to take over the file-writing
# run_tiled call of a task: it computes only its block's tiles of the same plan and keeps them for the merge.
BLOCK_TAKEOVER: contextvars.ContextVar = contextvars.ContextVar("diffusionsat_block_takeover", default=None)


# ------------------------------------------------------------------------------------------ sources
SAMPLE_PIXELS = 1 << 20  # values kept for raster-wide statistics (the stretch percentiles)
# Up to this size the stretch sample is every s-th row and column, as it always was (the demo and evaluation
# rasters are far below); beyond, reading every s-th row would decode the whole file: patches instead.
STRIDED_SAMPLE_MAX_PIXELS = 64 << 20


def _excluded(exclude, window: Window) -> np.ndarray:
    """(h, w) bool of ``exclude`` (an array on the source grid, or a function of a window) over ``window``."""
    if callable(exclude):
        return np.asarray(exclude(window), dtype=bool)
    r0, c0 = int(window.row_off), int(window.col_off)
    return np.asarray(exclude[r0:r0 + int(window.height), c0:c0 + int(window.width)], dtype=bool)


def _patch_starts(length: int, size: int, count: int, block: int, offset: int) -> List[int]:
    """``count`` starts of ``size``-long patches centred evenly along an axis, each moved into one file block
    (``block`` long; ``offset``: the grid's start in the file) where the raster allows."""
    starts = []
    for k in range(count):
        p = int((k + 0.5) * length / count) - size // 2 + offset
        b0 = p // block * block
        p = min(max(p, b0), b0 + block - size) - offset
        starts.append(min(max(p, 0), length - size))
    return sorted(set(starts))


class RasterSource:
    """A raster file read window by window.

    bands: 1-based indexes and/or names (None = all). bounds (+ bounds_crs): process only the pixels
    covering that extent (ExtentError if empty or outside the raster). grid: read the raster resampled
    onto another grid (a ``WarpedVRT`` with ``resampling``, e.g. to align a second date or a mask with
    the first input, or to reach a target GSD). window: process only this pixel window (of the raster,
    or of ``grid``). edge_zeros: treat undeclared scene-edge zeros as nodata (per tile; see
    :func:`backend.geo.masks.edge_zero_mask`).
    """

    def __init__(self, path, bands=None, *, require_crs: bool = True, edge_zeros: bool = False, bounds=None,
                 bounds_crs=None, grid: Optional[Grid] = None, resampling: str = "bilinear",
                 window: Optional[Window] = None):
        from .geo.bands import resolve_bands
        from .geo.grids import bounds_window
        from .geo.read import open_raster, require_georeferenced

        self.path = os.fspath(path)
        self._ds = open_raster(self.path)
        self._vrt = None
        self._alpha = None  # band of the warped VRT that says which pixels the source covers
        self._offset = (0, 0)
        try:
            if require_crs or grid is not None or bounds is not None:
                native = require_georeferenced(self._ds)
            else:
                native = Grid(self._ds.crs, self._ds.transform, self._ds.width, self._ds.height)
            self.indexes = resolve_bands(self._ds.descriptions, bands)
            self.descriptions = tuple(self._ds.descriptions[i - 1] for i in self.indexes)
            self.dtype = np.dtype(self._ds.dtypes[self.indexes[0] - 1])
            self.nodata = self._ds.nodata
            if grid is not None and not grid.same_as(native):
                from rasterio.enums import Resampling
                from rasterio.vrt import WarpedVRT

                # pixels the source does not cover must read as missing, not as zeros: without a nodata
                # value of the source, an alpha band carries the coverage into the masks
                self._vrt = WarpedVRT(self._ds, crs=grid.crs, transform=grid.transform, width=grid.width,
                                      height=grid.height, resampling=getattr(Resampling, resampling),
                                      add_alpha=self._ds.nodata is None)
                self._alpha = self._vrt.count if self._ds.nodata is None else None
                native = grid
            self.grid = native
            if bounds is not None or window is not None:
                win = window if bounds is None else bounds_window(native, bounds, bounds_crs)
                self._offset = (int(win.row_off), int(win.col_off))
                self.grid = native.window_grid(win)
        except Exception:
            self.close()
            raise
        self.edge_zeros = edge_zeros
        self.count = len(self.indexes)

    def read(self, window: Window) -> Tuple[np.ndarray, np.ndarray]:
        from rasterio.errors import RasterioIOError

        from .geo.errors import RasterReadError
        from .geo.masks import edge_zero_mask, nodata_mask

        ds = self._vrt if self._vrt is not None else self._ds
        win = Window(window.col_off + self._offset[1], window.row_off + self._offset[0], window.width, window.height)
        try:
            arr = ds.read(self.indexes, window=win).astype(np.float32, copy=False)
            invalid = nodata_mask(ds, self.indexes, window=win)
            if self._alpha is not None:  # outside the warped source: missing (GDAL's masks say all valid)
                invalid |= ds.read(self._alpha, window=win) == 0
        except RasterioIOError as exc:
            raise RasterReadError(f"reading {self.path} failed (truncated or corrupt file?): {exc}") from None
        invalid |= ~np.isfinite(arr).all(axis=0)  # NaN / ±Inf hold no value: nodata, whatever is declared
        if self.edge_zeros:
            invalid |= edge_zero_mask(arr, 0)
        return arr, ~invalid

    def sample_values(self, max_pixels: int = SAMPLE_PIXELS, exclude=None, strip_bytes: int = 32 << 20) -> np.ndarray:
        """(C, N) values of valid pixels, for statistics of the whole raster (e.g. a stretch shared by every
        tile), read with bounded memory: up to :data:`STRIDED_SAMPLE_MAX_PIXELS` every s-th row and column (s
        chosen so that at most about ``max_pixels`` are kept; every pixel when the raster is that small), in
        row strips of at most ``strip_bytes``; beyond, :meth:`patch_sample` (time and memory independent of
        the raster's size). ``exclude``: pixels to leave out (e.g. an inpainting mask), an (H, W) bool array
        on this source's grid or a function ``window -> (h, w) bool``."""
        h, w = self.grid.height, self.grid.width
        if h * w > STRIDED_SAMPLE_MAX_PIXELS:
            return self.patch_sample(max_pixels, exclude)
        s = max(1, int(math.ceil(math.sqrt(h * w / float(max_pixels)))))
        rows = max(1, strip_bytes // max(1, w * (self.count + 1) * 4))
        # the same rows (multiples of s) and columns (::s) whatever the strip height: the sample does not
        # depend on how it is read
        reads = [(r, 1) for r in range(0, h, s)] if rows < s else [
            (r, min(step, h - r)) for step in [(rows // s) * s] for r in range(0, h, step)]
        parts = []
        for r0, n in reads:
            arr, valid = self.read(Window(0, r0, w, n))
            arr, valid = arr[:, ::s, ::s], valid[::s, ::s]
            if exclude is not None:
                valid = valid & ~_excluded(exclude, Window(0, r0, w, n))[::s, ::s]
            parts.append(arr[:, valid])
        return np.concatenate(parts, axis=1) if parts else np.zeros((self.count, 0), np.float32)

    def patch_sample(self, max_pixels: int = SAMPLE_PIXELS, exclude=None, patch: int = 64,
                     read_budget: int = 512 << 20) -> np.ndarray:
        """(C, N) values of valid pixels in small patches spread evenly over the raster, each inside one
        block of the file (so a patch decodes one block): about ``max_pixels`` values from at most
        ``read_budget`` bytes of decoded blocks, whatever the raster's size."""
        ds = self._vrt if self._vrt is not None else self._ds
        h, w = self.grid.height, self.grid.width
        bh, bw = (int(v) for v in ds.block_shapes[0])
        ph, pw = max(1, min(patch, bh, h)), max(1, min(patch, bw, w))
        block_bytes = bh * bw * ds.count * np.dtype(ds.dtypes[0]).itemsize
        n = max(1, min(max_pixels // (ph * pw), read_budget // max(1, block_bytes)))
        ny = max(1, min(h // ph, int(round(math.sqrt(n * h / float(w))))))
        nx = max(1, min(w // pw, n // ny))
        parts = []
        for r in _patch_starts(h, ph, ny, bh, self._offset[0]):
            for c in _patch_starts(w, pw, nx, bw, self._offset[1]):
                win = Window(c, r, pw, ph)
                arr, valid = self.read(win)
                if exclude is not None:
                    valid = valid & ~_excluded(exclude, win)
                parts.append(arr[:, valid])
        return np.concatenate(parts, axis=1)

    def close(self):
        if self._vrt is not None:
            self._vrt.close()
        self._ds.close()


class ArraySource:
    """An in-memory (bands, H, W) or (H, W) array on ``grid`` (e.g. a rasterised mask)."""

    def __init__(self, array: np.ndarray, grid: Grid, valid: Optional[np.ndarray] = None):
        arr = np.asarray(array)
        self.array = arr[None] if arr.ndim == 2 else arr
        if self.array.shape[1:] != grid.shape:
            raise GridMismatchError(f"array of shape {self.array.shape[1:]} does not match the grid {grid.shape}")
        self.grid = grid
        self.valid = valid
        self.count = self.array.shape[0]
        self.dtype = self.array.dtype
        self.descriptions = (None,) * self.count

    def read(self, window: Window):
        r0, c0 = int(window.row_off), int(window.col_off)
        r1, c1 = r0 + int(window.height), c0 + int(window.width)
        arr = self.array[:, r0:r1, c0:c1].astype(np.float32)
        valid = np.ones(arr.shape[1:], bool) if self.valid is None else np.asarray(self.valid[r0:r1, c0:c1], bool)
        return arr, valid

    def close(self):
        pass


# ------------------------------------------------------------------------------------------- tiles
@dataclasses.dataclass(frozen=True)
class Tile:
    index: int  # row-major position in the plan
    row: int  # tile row / column in the tile grid
    col: int
    window: Window  # on the input grid (real pixels; the arrays may be padded beyond it)
    transform: Affine  # of ``window`` on the input grid
    out_window: Window  # on the output grid (window * factor)
    out_transform: Affine
    seed: int
    metadata: Optional[SatMetadata] = None

    @property
    def shape(self) -> Tuple[int, int]:
        return int(self.window.height), int(self.window.width)


@dataclasses.dataclass
class TileBatch:
    tiles: List[Tile]
    inputs: List[np.ndarray]  # one (B, C_k, th, tw) float32 per source
    valid: List[np.ndarray]  # one (B, th, tw) bool per source
    factor: int = 1

    def __len__(self):
        return len(self.tiles)

    @property
    def seeds(self) -> List[int]:
        return [t.seed for t in self.tiles]

    @property
    def metadata(self) -> List[Optional[SatMetadata]]:
        return [t.metadata for t in self.tiles]


@dataclasses.dataclass
class TilingResult:
    path: Optional[str]
    grid: Grid  # output grid
    tiles: int
    batches: int
    seconds: float
    array: Optional[np.ndarray] = None  # only when no output path was given


def tile_seed(base_seed: int, row_off: int, col_off: int) -> int:
    """Deterministic 32-bit seed of the tile whose window starts at (row_off, col_off)."""
    digest = hashlib.sha256(f"diffusionsat-tile:{int(base_seed)}:{int(row_off)}:{int(col_off)}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def axis_starts(length: int, tile: int, overlap: int, align: int = 1) -> List[int]:
    """Start offsets of tiles along one axis (even spread, overlap >= ``overlap``, last tile on the edge).

    ``align``: starts are multiples of it (e.g. 8, so tiles of a generated image map to whole latent pixels;
    ``length`` and ``tile`` must then be multiples of it too)."""
    if length <= tile:
        return [0]
    stride = tile - overlap
    # rounding starts down to ``align`` may shrink a gap by align - 1: plan with that much more overlap
    n = math.ceil((length - tile) / max(1, stride - (align - 1))) + 1
    starts = [int(round(i * (length - tile) / (n - 1))) // align * align for i in range(n)]
    starts[-1] = length - tile
    return sorted(set(starts))


class TilePlan(collections.abc.Sequence):
    """The tiles :func:`run_tiled` processes, in row-major order, each made when it is asked for.

    Only the tile starts along each axis are kept (a few thousand numbers), so planning a 60 000 px raster
    (6 million tiles) takes no time and no memory; a tile's seed and metadata (about 1 ms) are computed
    on access. Indexing, slicing, ``len`` and iteration work as on the list of tiles it stands for."""

    def __init__(self, grid: Grid, tile_size: int = 512, overlap: int = 64, factor: int = 1, base_seed: int = 0,
                 metadata: Optional[SatMetadata] = None,
                 metadata_fn: Optional[Callable[[Tile], SatMetadata]] = None, align: int = 1):
        tile_size, overlap, factor = int(tile_size), int(overlap), int(factor)
        if tile_size < 1:
            raise TilingError(f"tile size must be at least 1 pixel, got {tile_size}")
        if not 0 <= overlap < tile_size:
            raise TilingError(f"overlap must be between 0 and the tile size - 1 ({tile_size - 1}), got {overlap}")
        if factor < 1:
            raise TilingError(f"the output scale factor must be a positive integer, got {factor}")
        self.grid, self.factor, self.base_seed = grid, factor, base_seed
        self.metadata, self.metadata_fn = metadata, metadata_fn
        self.rows = axis_starts(grid.height, tile_size, overlap, align)
        self.cols = axis_starts(grid.width, tile_size, overlap, align)
        self.th, self.tw = min(tile_size, grid.height), min(tile_size, grid.width)

    def __len__(self) -> int:
        return len(self.rows) * len(self.cols)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.tile(k) for k in range(*index.indices(len(self)))]
        k = int(index) + (len(self) if int(index) < 0 else 0)
        if not 0 <= k < len(self):
            raise IndexError(f"tile {index} of a plan of {len(self)}")
        return self.tile(k)

    def __iter__(self) -> Iterator[Tile]:
        return (self.tile(k) for k in range(len(self)))

    def tile(self, k: int) -> Tile:
        i, j = divmod(int(k), len(self.cols))
        r, c, f = self.rows[i], self.cols[j], self.factor
        win = Window(c, r, self.tw, self.th)
        tr = self.grid.window_transform(win)
        tile = Tile(k, i, j, win, tr, Window(c * f, r * f, self.tw * f, self.th * f), tr * Affine.scale(1.0 / f),
                    tile_seed(self.base_seed, r, c))
        if self.metadata_fn is not None:
            return dataclasses.replace(tile, metadata=self.metadata_fn(tile))
        if self.metadata is not None and self.grid.crs is not None:
            from .geo.raster_metadata import metadata_for_window

            return dataclasses.replace(tile, metadata=metadata_for_window(self.grid, win, self.metadata))
        return tile

    def indexes_in(self, row0: int, row1: int, col0: int, col1: int) -> List[int]:
        """Plan indexes (ascending) of the tiles whose windows meet input rows [row0, row1) x columns
        [col0, col1): found from the sorted starts, without visiting the other tiles."""
        def span(starts, size, lo, hi):
            return range(bisect.bisect_right(starts, lo - size), bisect.bisect_left(starts, hi))
        ncols = len(self.cols)
        cols = span(self.cols, self.tw, col0, col1)
        return [i * ncols + j for i in span(self.rows, self.th, row0, row1) for j in cols]


    def indexes_starting_in(self, row0: int, row1: int, col0: int, col1: int) -> List[int]:
        """Plan indexes (ascending) of the tiles whose windows start in rows [row0, row1) x columns
        [col0, col1) (a block of backend/batch/blocks.py), without visiting the other tiles."""
        def span(starts, lo, hi):
            return range(bisect.bisect_left(starts, lo), bisect.bisect_left(starts, hi))
        ncols, cols = len(self.cols), span(self.cols, col0, col1)
        return [i * ncols + j for i in span(self.rows, row0, row1) for j in cols]


def plan_tiles(grid: Grid, tile_size: int = 512, overlap: int = 64, factor: int = 1, base_seed: int = 0,
               metadata: Optional[SatMetadata] = None,
               metadata_fn: Optional[Callable[[Tile], SatMetadata]] = None, align: int = 1) -> TilePlan:
    """The tiles :func:`run_tiled` will process, in order (``align``: see :func:`axis_starts`), as a lazy
    :class:`TilePlan`."""
    return TilePlan(grid, tile_size, overlap, factor, base_seed, metadata, metadata_fn, align)


STAGE_BLOCK_ROWS = 256  # output rows of a GeoTIFF block row (backend.geo.write's block size) staged at most


def strip_bytes(plan: TilePlan, out_bands: int, out_dtype="float32") -> int:
    """Bytes of the engine's full-width buffers for ``plan`` (see :class:`_Blender`): the carry strip (partial
    sums of the next tile row, float32, bands + weight + validity) and the stage of finished rows (output
    dtype). They grow with the output's width only."""
    f, out_w = plan.factor, plan.grid.width * plan.factor
    gaps = [b - a for a, b in zip(plan.rows, plan.rows[1:])] or [plan.th]
    carry_rows = max(0, plan.th - min(gaps)) * f
    stage_rows = max(gaps) * f + STAGE_BLOCK_ROWS
    return out_w * (carry_rows * (out_bands + 2) * 4 + stage_rows * out_bands * np.dtype(out_dtype).itemsize)


def require_strip_memory(plan: TilePlan, out_bands: int, out_dtype, what) -> None:
    """Refuse, before any tile runs, an output too wide for the engine's full-width buffers to fit in the
    memory available (:class:`TilingError` naming ``what``, the width, the need and the limit)."""
    from .geo.masks import memory_available

    need, available = strip_bytes(plan, out_bands, out_dtype), memory_available()
    if available is None or need <= available:
        return
    out_w = plan.grid.width * plan.factor
    limit = int(out_w * available / need)
    raise TilingError(f"{what}: the output is {out_w} px wide and its blending needs about {need / 2**30:.1f} GiB "
                      f"for full-width strips; {available / 2**30:.1f} GiB is available (a limit of about {limit} "
                      "output px wide here); process the raster in parts (an extent, or --batch blocks)")


def _ramp(n: int, ramp: int, at_start: bool, at_end: bool) -> np.ndarray:
    w = np.ones(n, dtype=np.float32)
    if ramp <= 0:
        return w
    i = np.arange(n, dtype=np.float64)
    if not at_start:
        w = np.minimum(w, np.where(i < ramp, 0.5 - 0.5 * np.cos(np.pi * (i + 0.5) / ramp), 1.0))
    if not at_end:
        j = n - 1 - i
        w = np.minimum(w, np.where(j < ramp, 0.5 - 0.5 * np.cos(np.pi * (j + 0.5) / ramp), 1.0))
    return w.astype(np.float32)


def blend_weights(tile: Tile, out_grid: Grid, ramp: int) -> np.ndarray:
    """(h, w) float32 weights of one output tile; flat on raster edges, cosine ramps elsewhere; > 0."""
    ow = tile.out_window
    r0, c0, h, w = int(ow.row_off), int(ow.col_off), int(ow.height), int(ow.width)
    wy = _ramp(h, ramp, r0 == 0, r0 + h >= out_grid.height)
    wx = _ramp(w, ramp, c0 == 0, c0 + w >= out_grid.width)
    return np.outer(wy, wx)


class _MemorySink:
    def __init__(self, grid: Grid, count: int, dtype):
        self.array = np.zeros((count, grid.height, grid.width), dtype=dtype)
        self.dtype = self.array.dtype
        self.block_height = 1
        self.path = None

    def write(self, array, window):
        r0, c0 = int(window.row_off), int(window.col_off)
        arr = _cast(np.asarray(array), self.dtype)
        self.array[:, r0:r0 + arr.shape[1], c0:c0 + arr.shape[2]] = arr

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def run_tiled(tile_fn: Callable[[TileBatch], np.ndarray], output_path=None, *, sources: Sequence = (),
              grid: Optional[Grid] = None, tile_size: int = 512, overlap: int = 64, factor: int = 1,
              out_bands: Optional[int] = None, out_dtype="float32", batch_size: int = 1, base_seed: int = 0,
              metadata: Optional[SatMetadata] = None, metadata_fn: Optional[Callable[[Tile], SatMetadata]] = None,
              progress: Optional[Callable[[int, int], None]] = None, cancel=None, nodata=None,
              mask_invalid: bool = False, descriptions: Optional[Sequence[str]] = None, tags: Optional[dict] = None,
              cog: bool = False, pad_to_tile: bool = True, pad_mode: str = "reflect", protect: Sequence = (),
              gdal_cache_mb: int = 64, align: int = 1, sink=None) -> TilingResult:
    """Run ``tile_fn`` over the tiles of ``sources`` (or of ``grid``) and write the blended result.

    sources: :class:`RasterSource` / :class:`ArraySource` objects or raster paths (opened as
        RasterSource with all bands); all must share one grid. Empty for generation (give ``grid``).
    output_path: GeoTIFF to write (atomically; input files are refused). None returns the array in
        ``TilingResult.array`` (whole output in memory: previews and tests only).
    factor: output pixels per input pixel along each axis (super-resolution); out_bands: output band
        count (default: inferred from the first batch).
    nodata / mask_invalid: with ``mask_invalid`` the output is ``nodata`` (or 0) where the first
        source's blended validity is below 0.5 (e.g. scene-edge fill stays fill).
    protect: extra paths that must not be overwritten (the sources' paths always are).
    sink: instead of a file or an array, hand the finished output rows to this object (``write(array,
        window)``, ``block_height``, ``dtype``, a context manager), e.g. a scorer that keeps only sums.
    See the module docstring for tiling, blending, memory, seeds, metadata, progress and cancel.
    """
    import rasterio

    from .geo.write import GeoTIFFWriter, check_output_path

    t_start = time.perf_counter()
    opened = []
    srcs = []
    for s in sources:
        if isinstance(s, (str, os.PathLike)):
            s = RasterSource(s)
            opened.append(s)
        srcs.append(s)
    try:
        if srcs:
            base = srcs[0].grid
            for s in srcs[1:]:
                if not s.grid.same_as(base):
                    raise GridMismatchError(
                        f"all inputs must be on one pixel grid (same CRS, pixel size, origin and size): "
                        f"{base} vs {s.grid}; resample them onto a common grid first"
                    )
            if grid is not None and not grid.same_as(base):
                raise GridMismatchError(f"the grid {grid} differs from the inputs' grid {base}")
            grid = base
        elif grid is None:
            raise TilingError("give input rasters or, for generation, an output grid")
        batch_size = int(batch_size)
        if batch_size < 1:
            raise TilingError(f"batch size must be at least 1, got {batch_size}")
        out_grid = sr_output_grid(grid, factor)
        protect_paths = [getattr(s, "path", None) for s in srcs] + list(protect or ())
        if output_path is not None:
            check_output_path(output_path, protect_paths)  # fail before any model work
        tiles = plan_tiles(grid, tile_size, overlap, factor, base_seed, metadata, metadata_fn, align)
        total = len(tiles)
        th, tw = tiles.th, tiles.tw  # (not tiles[0]: a tile costs its metadata)
        ph = max(th, tile_size) if pad_to_tile else th
        pw = max(tw, tile_size) if pad_to_tile else tw
        ramp = int(overlap) * int(factor)
        takeover = BLOCK_TAKEOVER.get()
        if takeover is not None and output_path is not None:
            plan = dict(grid=grid, tile_size=tile_size, overlap=overlap, factor=factor, out_bands=out_bands,
                        out_dtype=str(np.dtype(out_dtype)), nodata=nodata, mask_invalid=mask_invalid,
                        descriptions=None if descriptions is None else list(descriptions), tags=tags, cog=cog,
                        pad_to_tile=pad_to_tile, pad_mode=pad_mode, align=align, padded=(ph, pw),
                        batch_size=batch_size, with_sources=bool(srcs))
            return takeover(tile_fn, srcs, tiles, plan, progress, cancel)
        if progress is not None:
            progress(0, total)

        if output_path is not None:
            require_strip_memory(tiles, out_bands or 4, out_dtype, output_path)
        state = _Blender(out_grid, ramp, tiles, track_valid=mask_invalid and bool(srcs))
        given, sink = sink, None
        done = 0
        batches = 0
        with rasterio.Env(GDAL_CACHEMAX=int(gdal_cache_mb)):
            try:
                for b0 in range(0, total, batch_size):
                    if is_cancelled(cancel):
                        raise Cancelled(f"cancelled after {done} of {total} tiles")
                    batch_tiles = tiles[b0:b0 + batch_size]
                    inputs, valids = _read_batch(srcs, batch_tiles, ph, pw, pad_mode)
                    batch = TileBatch(batch_tiles, inputs, valids, int(factor))
                    result = np.asarray(tile_fn(batch))
                    expected_hw = (ph * factor, pw * factor)
                    if result.ndim != 4 or result.shape[0] != len(batch_tiles) or result.shape[2:] != expected_hw:
                        raise TilingError(
                            f"the tile function returned shape {result.shape}; expected "
                            f"({len(batch_tiles)}, bands, {expected_hw[0]}, {expected_hw[1]})"
                        )
                    if out_bands is None:
                        out_bands = int(result.shape[1])
                    if result.shape[1] != out_bands:
                        raise TilingError(f"the tile function returned {result.shape[1]} bands, expected {out_bands}")
                    if sink is None:
                        if given is not None:
                            sink = given
                        elif output_path is None:
                            sink = _MemorySink(out_grid, out_bands, out_dtype)
                        else:
                            sink = GeoTIFFWriter(output_path, out_grid, out_bands, out_dtype, nodata=nodata,
                                                 descriptions=descriptions, tags=tags, cog=cog, inputs=protect_paths)
                        sink.__enter__()
                        state.start(out_bands, sink)
                    for k, tile in enumerate(batch_tiles):
                        h, w = int(tile.out_window.height), int(tile.out_window.width)
                        v = None
                        if state.track_valid:
                            v = np.repeat(np.repeat(valids[0][k, :th, :tw], factor, 0), factor, 1)
                        state.add(sink, tile, result[k, :, :h, :w], v, nodata)
                    done += len(batch_tiles)
                    batches += 1
                    if progress is not None:
                        progress(done, total)
            except BaseException as exc:
                if sink is not None:
                    sink.__exit__(type(exc), exc, exc.__traceback__)
                raise
            sink.__exit__(None, None, None)
        return TilingResult(
            path=None if output_path is None else str(sink.path), grid=out_grid, tiles=total, batches=batches,
            seconds=time.perf_counter() - t_start,
            array=sink.array if output_path is None and given is None else None,
        )
    finally:
        for s in opened:
            s.close()


def _read_batch(srcs, tiles, ph, pw, pad_mode):
    inputs, valids = [], []
    for s in srcs:
        arrs = np.zeros((len(tiles), s.count, ph, pw), dtype=np.float32)
        vals = np.zeros((len(tiles), ph, pw), dtype=bool)
        for k, tile in enumerate(tiles):
            a, v = s.read(tile.window)
            h, w = a.shape[1:]
            if (h, w) != (ph, pw):
                a = np.pad(a, ((0, 0), (0, ph - h), (0, pw - w)), mode=pad_mode)
            arrs[k] = a
            vals[k, :h, :w] = v
        inputs.append(arrs)
        valids.append(vals)
    return inputs, valids


class _Blender:
    """Streams blended tiles to the sink, keeping only what later tiles still add to.

    Tiles are added in row-major order. Output rows ``[Y0_i, Y0_{i+1})`` x columns ``[X0_j, X0_{j+1})``
    are final once tile (i, j) is added (no later tile covers them) and are written at once. Partial
    sums still needed are kept in a *left* buffer (the overlap with the next tile of the row) and a
    full-width *carry* strip (the overlap with the next tile row, a few overlap-rows high), so memory
    is a few tiles plus ``overlap x width`` floats -- independent of the raster's height.
    """

    def __init__(self, grid: Grid, ramp: int, plan: TilePlan, track_valid: bool):
        self.grid = grid
        self.ramp = ramp
        self.track_valid = track_valid
        f = plan.factor  # tile edges on the output grid, from the plan's starts (not by visiting every tile)
        self.y0 = [r * f for r in plan.rows]
        self.y1 = [y + plan.th * f for y in self.y0]
        self.x0 = [c * f for c in plan.cols]
        self.x1 = [x + plan.tw * f for x in self.x0]
        self.carry = self.next_carry = self.left = None

    def start(self, bands: int, sink):
        self.bands = bands
        self.nch = bands + 1 + (1 if self.track_valid else 0)
        # Finished pixels are staged in full-width stripes and written in whole block rows: GTiff
        # recompresses (and appends) a compressed block each time a partial write touches it again.
        self.block = max(1, int(getattr(sink, "block_height", 1)))
        self.stage = None
        self.stage_top = 0
        if self.block > 1:
            bounds = self.y0[1:] + [self.grid.height]
            done_rows = max(b - a for a, b in zip(self.y0, bounds))
            self.stage = np.zeros((bands, done_rows + self.block, self.grid.width), dtype=sink.dtype)

    def add(self, sink, tile: Tile, data: np.ndarray, valid: Optional[np.ndarray], nodata=None):
        i, j = tile.row, tile.col
        y0, y1, x0, x1 = self.y0[i], self.y1[i], self.x0[j], self.x1[j]
        last_row, last_col = i + 1 == len(self.y0), j + 1 == len(self.x0)
        W = self.grid.width
        if j == 0:  # a new tile row: what the rows above left behind becomes the carry
            self.carry = self.next_carry
            self.next_carry = None if last_row else np.zeros((self.nch, y1 - self.y0[i + 1], W), np.float32)
            self.left = None
        buf = np.zeros((self.nch, y1 - y0, x1 - x0), np.float32)
        if self.carry is not None and self.carry.shape[1]:
            c_from = x0 if j == 0 else max(x0, self.x1[j - 1])  # columns not pulled by the previous tile
            buf[:, :self.carry.shape[1], c_from - x0:] += self.carry[:, :, c_from:x1]
        if self.left is not None:
            buf[:, :, :self.left.shape[2]] += self.left
        wt = blend_weights(tile, self.grid, self.ramp)
        buf[:self.bands] += data.astype(np.float32, copy=False) * wt
        buf[self.bands] += wt
        if self.track_valid:
            buf[self.bands + 1] += valid.astype(np.float32) * wt
        fy = (self.grid.height if last_row else self.y0[i + 1]) - y0
        fx = (W if last_col else self.x0[j + 1]) - x0
        self._write(sink, buf[:, :fy, :fx], Window(x0, y0, fx, fy), nodata)
        self.left = None if last_col else buf[:, :, fx:].copy()
        if not last_row:
            self.next_carry[:, :, x0:x0 + fx] = buf[:, fy:, :fx]
        if last_col and self.stage is not None:
            self._flush_stage(sink, y0 + fy, last_row)

    def _flush_stage(self, sink, complete_to: int, final: bool):
        stop = complete_to if final else (complete_to // self.block) * self.block
        n = stop - self.stage_top
        if n <= 0:
            return
        # in column chunks where the sink takes them (whole blocks each): a full-width slice of the stage is not
        # contiguous, and writing it whole made a copy of it (368 MB on a 240 000 px wide output)
        step = int(getattr(sink, "write_columns", 0) or self.grid.width)
        for c in range(0, self.grid.width, step):
            w = min(step, self.grid.width - c)
            sink.write(self.stage[:, :n, c:c + w], Window(c, self.stage_top, w, n))
        keep = complete_to - stop
        if keep:
            self.stage[:, :keep] = self.stage[:, n:n + keep]  # (numpy copies first only where the rows overlap)
        self.stage[:, keep:] = 0
        self.stage_top = stop

    def _write(self, sink, final: np.ndarray, window: Window, nodata):
        wsum = final[self.bands]
        with np.errstate(invalid="ignore", divide="ignore"):
            out = final[:self.bands] / wsum
        bad = wsum <= 0
        if self.track_valid:
            bad |= final[self.bands + 1] < 0.5 * wsum
        if bad.any():
            out[:, bad] = 0 if nodata is None else nodata
        if self.stage is None:
            sink.write(out, window)
            return
        r0 = int(window.row_off) - self.stage_top
        c0 = int(window.col_off)
        self.stage[:, r0:r0 + out.shape[1], c0:c0 + out.shape[2]] = _cast(out, self.stage.dtype)


def _cast(array: np.ndarray, dtype) -> np.ndarray:
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return np.clip(np.rint(array), info.min, info.max).astype(dtype)
    return array.astype(dtype, copy=False)


__all__ = [
    "Cancelled", "TilingError", "RasterSource", "ArraySource", "Tile", "TileBatch", "TilingResult", "tile_seed",
    "axis_starts", "TilePlan", "plan_tiles", "strip_bytes", "require_strip_memory", "blend_weights", "run_tiled",
]
