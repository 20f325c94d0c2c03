"""What the four task runners share: sampling arguments, progress over tiles x steps, output writing."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ..cancel import raise_if_cancelled
from ..choices import choose_seed  # noqa: F401 - the one seed rule, kept importable from here

ProgressFn = Optional[Callable[..., None]]


class TileProgress:
    """Turns tile counts (from the tiling engine) and denoising steps (from the pipeline) into one fraction.

    ``progress(fraction, message)`` is the caller's callback; the pipeline's ``callback(step, total)``
    is :meth:`step`, the tiling engine's ``progress(done, total)`` is :meth:`tiles`.
    """

    def __init__(self, progress: ProgressFn, label: str):
        self.progress = progress
        self.label = label
        self.done = 0
        self.total = 1
        self.in_batch = 0  # tiles of the current batch already finished
        self.batch_len = 1

    def tiles(self, done: int, total: int) -> None:
        self.done, self.total, self.in_batch = int(done), max(1, int(total)), 0
        self._emit(0.0)

    def begin_tile(self, k: int, batch_len: int) -> None:
        self.in_batch, self.batch_len = k, batch_len

    def step(self, step: int, total: int) -> None:
        self._emit(step / max(1, total))

    def _emit(self, within: float) -> None:
        if self.progress is None:
            return
        fraction = (self.done + self.in_batch + within) / self.total
        tile = min(self.done + self.in_batch + 1, self.total)
        self.progress(min(1.0, fraction), f"{self.label}: tile {tile}/{self.total}")


def check_enabled(job) -> bool:
    """Whether a task checks itself against the classical method (and falls back to it): off only with
    ``job.fallback=False`` (CLI ``--no-fallback``); jobs without a check (generation) have no such field."""
    return bool(getattr(job, "fallback", True))


def tile_and_overlap(job, native: int) -> tuple:
    """Tile size and overlap in output pixels: the job's, or the model's native size with an overlap of at
    most a quarter tile (small native tiles would otherwise spend most of their pixels on overlap)."""
    tile = int(job.tiling.tile_size or native)
    overlap = int(job.tiling.overlap)
    if not job.tiling.tile_size:
        overlap = min(overlap, tile // 4)
    return tile, overlap


def sampling_kwargs(job, progress: TileProgress, cancel) -> dict:
    s = job.sampling
    return dict(steps=int(s.steps), guidance=float(s.guidance), scheduler=s.scheduler,
                callback=progress.step, cancel=cancel)


def sample(method, job, seed: int, progress: TileProgress, cancel, *args, **kwargs):
    """One call of the pipeline method ``method`` (e.g. ``pipe.predict``) for one tile: images (N, H, W, 3) in
    [0, 1], or their mean and spread over ``job.sampling.num_samples`` calls when it is more than one.

    Returns (image (H, W, 3), spread (H, W) or None).
    """
    images, spreads = sample_batch(method, job, seed, progress, cancel, *args, **kwargs)
    return images[0], None if spreads is None else spreads[0]


def sample_batch(method, job, seed: int, progress: TileProgress, cancel, *args, **kwargs):
    """:func:`sample` for a batch of B inputs in one call (e.g. views of one tile): every input's image, or
    its mean and spread over ``job.sampling.num_samples`` samples.

    Returns (images (B, H, W, 3), spreads (B, H, W) or None).
    """
    from ..pipelines.uncertainty import sample_spread  # torch: only where a model runs

    raise_if_cancelled(cancel, method.__name__)
    common = sampling_kwargs(job, progress, cancel)
    n = int(job.sampling.num_samples)
    if n == 1:
        return method(*args, seed=seed, **common, **kwargs).images, None
    result = sample_spread(method, *args, num_samples=n, seed=seed, **common, **kwargs)
    mean = np.asarray(result.mean, dtype=np.float32)
    std = np.asarray(result.std, dtype=np.float32)
    if mean.ndim == 3:  # one input: sample_spread gives no batch axis
        mean, std = mean[None], std[None]
    return mean, std.mean(axis=-1)


def to_chw(image: np.ndarray, spread: Optional[np.ndarray]) -> np.ndarray:
    """(H, W, 3) [+ (H, W)] -> (3 or 4, H, W) float32 for the tiling engine."""
    out = np.transpose(np.asarray(image, dtype=np.float32), (2, 0, 1))
    if spread is not None:
        out = np.concatenate([out, np.asarray(spread, dtype=np.float32)[None]], axis=0)
    return out


def scaled_progress(progress: ProgressFn, lo: float, hi: float) -> ProgressFn:
    """``progress`` over the part [lo, hi] of the bar (a self-check, then the output pass)."""
    if progress is None:
        return None
    return lambda fraction, message="": progress(lo + (hi - lo) * float(fraction), message)


def window_key(window) -> tuple:
    """A tile's key in the self-checks' verdicts: its window's (row, col) offset."""
    return int(window.row_off), int(window.col_off)


def pad_to(a: np.ndarray, ph: int, pw: int, mode: str = "reflect") -> np.ndarray:
    """Pad the last two axes to (ph, pw) as the tiling engine pads a raster smaller than a tile."""
    h, w = a.shape[-2:]
    if (h, w) == (ph, pw):
        return a
    return np.pad(a, [(0, 0)] * (a.ndim - 2) + [(0, ph - h), (0, pw - w)], mode=mode)


def uncertainty_path(output: Path) -> Path:
    return output.with_name(output.stem + "_uncertainty.tif")


def split_uncertainty(combined: Path, output: Path, inputs, dtype, to_output: Callable[[np.ndarray], np.ndarray],
                      descriptions, tags: dict, cog: bool = False, nodata=None) -> Path:
    """A 4-band float file (RGB mean + spread) -> the RGB output and ``<output>_uncertainty.tif``.

    Copies block row by block row, so memory stays bounded by one strip.
    """
    import rasterio
    from rasterio.windows import Window

    from ..geo.grids import Grid
    from ..geo.write import GeoTIFFWriter

    spread_path = uncertainty_path(output)
    with rasterio.open(combined) as src:
        grid = Grid(src.crs, src.transform, src.width, src.height)
        step = 256
        spread_tags = dict(tags, DIFFUSIONSAT_LAYER="per-pixel spread (std over samples, mean of RGB, 0..1 units)")
        with GeoTIFFWriter(output, grid, 3, dtype, nodata=nodata, descriptions=descriptions, tags=tags, cog=cog,
                           inputs=inputs) as out, \
                GeoTIFFWriter(spread_path, grid, 1, "float32", descriptions=["spread"], tags=spread_tags,
                              inputs=inputs) as unc:
            for row in range(0, src.height, step):
                window = Window(0, row, src.width, min(step, src.height - row))
                block = src.read(window=window)
                rgb = to_output(block[:3])
                if nodata is not None:  # nodata of the combined file stays nodata (not nodata in output units)
                    rgb = np.where(src.read_masks(1, window=window)[None] > 0, rgb, nodata)
                out.write(rgb, window=window)
                unc.write(block[3:4].astype(np.float32), window=window)
    return spread_path


def hidden_temp(output: Path, suffix: str) -> Path:
    """A temporary file name beside ``output`` (same file system, so the final rename is atomic)."""
    import tempfile

    from ..geo.write import temp_prefix

    fd, name = tempfile.mkstemp(prefix=temp_prefix(output), suffix=suffix, dir=str(output.parent))
    os.close(fd)
    os.unlink(name)
    return Path(name)


@dataclasses.dataclass
class TaskContext:
    """One run: the loaded model, the validated job, its seed, callbacks, output path and tags."""

    model: object  # backend.api.DiffusionSat
    job: object
    seed: int
    progress: ProgressFn
    cancel: object
    output: Optional[Path]
    tags: dict
    cog: bool = False


@dataclasses.dataclass
class TaskOutput:
    """What a task runner hands back to the API."""

    output: Optional[Path]
    uncertainty: Optional[Path]
    grid: object
    tiles: int
    metadata: object
    array: Optional[np.ndarray] = None  # (bands, H, W) when no output file was asked for
    spread: Optional[np.ndarray] = None
    check: Optional[dict] = None  # inpainting: the self-check's scores and fallback share (inpaint_check)


def unit_to_uint8(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float32) * 255.0


def run_and_write(ctx: TaskContext, tile_fn, tile_progress: Callable[[int, int], None], *, grid=None, sources=(),
                  tile_size: int, overlap: int, factor: int = 1, metadata=None, dtype="uint8",
                  to_output: Callable[[np.ndarray], np.ndarray] = unit_to_uint8, descriptions=("red", "green", "blue"),
                  nodata=None, mask_invalid: bool = False, inputs=(), align: int = 1) -> TaskOutput:
    """Run ``tile_fn`` (returning [0, 1] RGB, plus a spread band when sampling several times) through the
    tiling engine and write the output in ``dtype`` (``to_output`` maps [0, 1] to its units)."""
    from ..tiling import run_tiled

    with_spread = int(ctx.job.sampling.num_samples) > 1
    protect = [str(p) for p in inputs]

    def scaled(batch):
        out = np.asarray(tile_fn(batch), dtype=np.float32)
        if with_spread:
            return out
        return to_output(out)

    common = dict(sources=sources, grid=grid, tile_size=int(tile_size), overlap=int(overlap), factor=int(factor),
                  batch_size=int(ctx.job.tiling.batch_size), base_seed=ctx.seed, metadata=metadata,
                  progress=tile_progress, cancel=ctx.cancel, protect=protect, mask_invalid=mask_invalid,
                  nodata=nodata, align=align)
    if ctx.output is None:
        res = run_tiled(scaled, None, out_bands=4 if with_spread else 3, out_dtype="float32", **common)
        arr = res.array
        main, spread = (to_output(arr[:3]), arr[3]) if with_spread else (arr, None)
        return TaskOutput(None, None, res.grid, res.tiles, metadata, main.astype(dtype), spread)
    if not with_spread:
        res = run_tiled(scaled, ctx.output, out_bands=3, out_dtype=dtype, descriptions=list(descriptions),
                        tags=ctx.tags, cog=ctx.cog, **common)
        return TaskOutput(Path(res.path), None, res.grid, res.tiles, metadata)
    combined = hidden_temp(ctx.output, ".samples.tif")
    try:
        res = run_tiled(scaled, combined, out_bands=4, out_dtype="float32", **common)
        spread = split_uncertainty(combined, ctx.output, protect, dtype, to_output, list(descriptions), ctx.tags,
                                   cog=ctx.cog, nodata=nodata if mask_invalid else None)
    finally:
        if combined.exists():
            combined.unlink()
    return TaskOutput(ctx.output, spread, res.grid, res.tiles, metadata)
