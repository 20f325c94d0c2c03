"""Super-resolution quality: a periodic-texture measure, the classical (bicubic) output, and the self-check.

Self-check (issue 14): nobody has the finer truth of the user's raster, but the raster itself is the truth
one scale down. The input is degraded by the factor (block mean), super-resolved by the model path (exactly
as the task does, back-projection included) and by bicubic up-sampling (+ the same back-projection), and
both are compared with the input (Wald protocol at one scale down). Each output tile is judged on the input
window under it (widened by half a tile for stabler scores); where the model scores lower the task writes
the bicubic (back-projected) image for that tile. Scores are PSNR over the valid pixels of the RGB in the
units the model sees (the per-raster stretch when the model declares one, else the input's [0, 1]).

A large raster is checked on its central ``CHECK_MAX_PIXELS`` (input pixels, about a 4096 x 4096 window);
tiles outside it follow the verdict of the whole check.

Periodic texture: the power of the 4-8 px periodic components, i.e. the FFT (Hann-windowed, mean removed)
in the square band 1/8 <= max(|fx|, |fy|) <= 1/4 cycles per pixel, in variance units.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Callable, Dict, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

PERIODIC_BAND = (1.0 / 8.0, 1.0 / 4.0)  # cycles per pixel: periods of 4 to 8 px
CHECK_MAX_PIXELS = 4096 * 4096  # input pixels of the check window (its model run is 1/factor^2 of that)
CONTEXT = 0.5  # each tile is judged on its input window widened by this share of its size on every side


# ------------------------------------------------------------------------------------------- texture
def _spectrum(image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    x = np.asarray(image, dtype=np.float64)
    x = x[None] if x.ndim == 2 else x
    h, w = x.shape[-2:]
    win = np.outer(np.hanning(h), np.hanning(w)) if min(h, w) > 2 else np.ones((h, w))
    x = (x - x.mean(axis=(-2, -1), keepdims=True)) * win
    power = np.abs(np.fft.fft2(x)) ** 2 / (h * w * max((win ** 2).sum(), 1e-12))  # sums to the variance
    fy, fx = np.meshgrid(np.fft.fftfreq(h), np.fft.fftfreq(w), indexing="ij")
    return power, np.maximum(np.abs(fy), np.abs(fx))


def periodic_power(image: np.ndarray, band: Tuple[float, float] = PERIODIC_BAND) -> float:
    """Power of ``image``'s (C, H, W) or (H, W) components with periods between 1 / band[1] and 1 / band[0]
    pixels (mean over channels; variance units: a unit-amplitude sine in the band gives about 0.5)."""
    power, radius = _spectrum(image)
    sel = (radius >= band[0] - 1e-9) & (radius <= band[1] + 1e-9)
    return float(power[:, sel].sum(axis=-1).mean())


def periodic_fraction(image: np.ndarray, band: Tuple[float, float] = PERIODIC_BAND) -> float:
    """The share of ``image``'s variance (all non-zero frequencies) that lies in the periodic band."""
    power, radius = _spectrum(image)
    total = float(power[:, radius > 0].sum(axis=-1).mean())
    return periodic_power(image, band) / total if total > 0 else 0.0


def grid_notch(image: np.ndarray, reference: np.ndarray, period: int = 8) -> np.ndarray:
    """Remove from ``image`` (C, H, W) the part of its difference to ``reference`` (e.g. the bicubic image)
    that repeats every ``period`` px in both axes: the FFT of the difference at the lattice (m / period,
    n / period) cycles per pixel (DC excluded) is zeroed. That lattice is where a latent grid (the VAE's
    x8) leaves its texture; it holds 1 / period^2 of the frequencies, so little else goes with it."""
    x = np.asarray(image, dtype=np.float64)
    d = x - np.asarray(reference, dtype=np.float64)
    h, w = d.shape[-2:]
    if h % period or w % period:
        return x.astype(np.asarray(image).dtype)
    spec = np.fft.fft2(d)
    lattice = np.zeros((h, w), bool)
    lattice[::h // period, ::w // period] = True
    lattice[0, 0] = False
    spec[..., lattice] = 0.0
    return (np.asarray(reference, np.float64) + np.fft.ifft2(spec).real).astype(np.asarray(image).dtype)


# ------------------------------------------------------------------------------------------- classical
def bicubic_up(observed: np.ndarray, factor: int) -> np.ndarray:
    """(C, h, w) -> (C, h * factor, w * factor), bicubic (torch, half-pixel centres), clipped to [0, max(1, x)]."""
    x = torch.from_numpy(np.ascontiguousarray(observed, dtype=np.float32))[None]
    hi = max(1.0, float(x.max()))  # values above 1 (reflectance of bright clouds) are not cut
    return F.interpolate(x, scale_factor=factor, mode="bicubic", align_corners=False)[0].clamp(0.0, hi).numpy()


def block_mean(image: np.ndarray, factor: int) -> np.ndarray:
    x = np.asarray(image, dtype=np.float64)
    c, h, w = x.shape
    h, w = h - h % factor, w - w % factor
    return x[:, :h, :w].reshape(c, h // factor, factor, w // factor, factor).mean(axis=(2, 4))


def psnr(a: np.ndarray, b: np.ndarray, valid: Optional[np.ndarray] = None) -> float:
    err = (np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2
    if valid is not None:
        err = err[:, np.asarray(valid, bool)]
    return psnr_of_squares(err)


def psnr_of_squares(err: np.ndarray) -> float:
    """PSNR (peak 1) of squared errors already taken (:func:`psnr` without the difference)."""
    mse = float(err.mean()) if err.size else float("nan")
    return float("inf") if mse == 0 else -10.0 * math.log10(mse) if mse == mse else float("nan")


# ------------------------------------------------------------------------------------------- check
@dataclasses.dataclass
class SRCheck:
    """The self-check's scores (PSNR dB, one scale down) and per-tile verdicts."""

    enabled: bool = True
    model_db: Optional[float] = None
    bicubic_db: Optional[float] = None
    tiles: Dict[tuple, Tuple[float, float]] = dataclasses.field(default_factory=dict)  # key -> (model, bicubic) MSE
    fallback_tiles: int = 0
    total_tiles: int = 0
    window: Optional[tuple] = None  # (row, col, height, width) of the input that was checked
    seconds: float = 0.0

    def use_model(self, key) -> bool:
        if not self.enabled:
            return True
        if key in self.tiles:
            m, b = self.tiles[key]
            return not (m > b)
        if self.model_db is None or self.bicubic_db is None:
            return True
        return self.model_db >= self.bicubic_db

    @property
    def fallback_share(self) -> Optional[float]:
        return self.fallback_tiles / self.total_tiles if self.enabled and self.total_tiles else (0.0 if not self.enabled else None)

    def summary(self) -> str:
        if not self.enabled:
            return "self-check off: the model's output everywhere"
        if self.model_db is None:
            return "self-check not possible (raster too small to degrade once more): the model's output everywhere"
        share = self.fallback_share or 0.0
        return (f"model {self.model_db:.1f} dB, bicubic {self.bicubic_db:.1f} dB on the input one scale down; "
                f"bicubic used for {100 * share:.0f} % of tiles")

    def tags(self) -> Dict[str, str]:
        def fmt(x):
            return "n/a" if x is None else f"{x:.3f}"

        out = {"SR_CHECK": "on" if self.enabled else "off", "SR_CHECK_SUMMARY": self.summary()}
        if self.enabled:
            out.update({"SR_CHECK_MODEL_PSNR": fmt(self.model_db), "SR_CHECK_BICUBIC_PSNR": fmt(self.bicubic_db),
                        "SR_CHECK_FALLBACK_SHARE": fmt(self.fallback_share),
                        "SR_CHECK_WINDOW": "" if self.window is None else " ".join(map(str, self.window))})
        return out

    def to_dict(self) -> dict:
        return {"enabled": self.enabled, "model_psnr": self.model_db, "bicubic_psnr": self.bicubic_db,
                "fallback_share": self.fallback_share, "fallback_tiles": self.fallback_tiles,
                "tiles": self.total_tiles, "seconds": round(self.seconds, 3), "summary": self.summary()}


def check_window(height: int, width: int, factor: int, max_pixels: int = CHECK_MAX_PIXELS) -> tuple:
    """The central window of the input that the check uses: (row, col, height, width), multiples of factor."""
    side = int(math.sqrt(max_pixels))
    h, w = min(height, side), min(width, side)
    h, w = h - h % factor, w - w % factor
    return (height - h) // 2, (width - w) // 2, h, w


def degrade_source(read: Callable, window: tuple, factor: int, strip: int = 256):
    """Block means of the window (read by ``read(row, col, h, w) -> (unit (C, h, w), valid (h, w))``) in row
    strips, so memory stays at one strip plus the coarse result. A coarse pixel is valid when all its fine
    pixels are. Returns coarse (C, h/f, w/f), its validity, the window's RGB (3, h, w) and its validity."""
    r0, c0, h, w = window
    rows = max(factor, strip - strip % factor)
    coarse = cvalid = None  # filled strip by strip (no list of strips + concatenation: half the peak memory)
    fine_rgb = np.zeros((3, h, w), np.float32)
    fvalid = np.zeros((h, w), bool)
    for r in range(0, h, rows):
        n = min(rows, h - r)
        unit, valid = read(r0 + r, c0, n, w)
        unit = np.where(valid[None], unit, 0.0)
        part = block_mean(unit, factor).astype(np.float32)
        if coarse is None:
            coarse = np.zeros((part.shape[0], h // factor, w // factor), np.float32)
            cvalid = np.zeros((h // factor, w // factor), bool)
        cr = r // factor
        coarse[:, cr:cr + part.shape[1]] = part
        cvalid[cr:cr + part.shape[1]] = block_mean(valid[None].astype(np.float64), factor)[0] > 0.999
        fine_rgb[:, r:r + n] = unit[:3]
        fvalid[r:r + n] = valid
    return coarse, cvalid, fine_rgb, fvalid


def judge(report: SRCheck, truth: np.ndarray, valid: np.ndarray, model: np.ndarray, bicubic: np.ndarray,
          window: tuple, tiles, to_model_units: Callable[[np.ndarray], np.ndarray]) -> SRCheck:
    """Scores of the model's and bicubic's one-scale-down outputs (input units, (3, h, w) over ``window``)
    against the input's RGB, overall and per tile (input windows widened by :data:`CONTEXT`)."""
    r0, c0, h, w = window
    t = to_model_units(np.asarray(truth, np.float64))
    scores = []
    for a in (model, bicubic):  # one float64 error map at a time, squared in place: the window is 4096 px a side
        err = to_model_units(np.array(a, dtype=np.float64))
        np.subtract(err, t, out=err)
        np.square(err, out=err)  # the same values as (a - t) ** 2
        scores.append((psnr_of_squares(err[:, valid]) if valid.any() else None, err.mean(axis=0)))
        del err
    (model_db, em), (bicubic_db, eb) = scores
    if valid.any():
        report.model_db, report.bicubic_db = model_db, bicubic_db
    for tile in tiles:
        win = tile.window
        th, tw = int(win.height), int(win.width)
        pad_r, pad_c = int(CONTEXT * th), int(CONTEXT * tw)
        rr0, cc0 = int(win.row_off) - r0 - pad_r, int(win.col_off) - c0 - pad_c
        rr1, cc1 = rr0 + th + 2 * pad_r, cc0 + tw + 2 * pad_c
        rr0, cc0, rr1, cc1 = max(rr0, 0), max(cc0, 0), min(rr1, h), min(cc1, w)
        if rr1 - rr0 < th // 2 or cc1 - cc0 < tw // 2:
            continue  # mostly outside the checked window: the overall verdict applies
        v = valid[rr0:rr1, cc0:cc1]
        if v.sum() < 16:
            continue
        key = (int(win.row_off), int(win.col_off))
        report.tiles[key] = (float(em[rr0:rr1, cc0:cc1][v].mean()), float(eb[rr0:rr1, cc0:cc1][v].mean()))
    return report


def self_check(ctx, source, mode: str, factor: int, tile_in: int, overlap_in: int, metadata,
               super_unit: Callable, classical_unit: Callable, to_model_units: Callable,
               enabled: bool = True) -> SRCheck:
    """Run the check for a super-resolution job before its output is written (the scores go into its tags).

    ``super_unit(unit, valid, seed, metadata, gsd, progress)`` is the task's model path for one tile and
    ``classical_unit(unit)`` its bicubic path, both from [0, 1] input units to (3+, h * f, w * f) input units;
    ``to_model_units`` maps input units to the units the scores are taken in."""
    from affine import Affine
    from rasterio.windows import Window

    from ..geo.grids import Grid
    from ..geo.scaling import to_unit
    from ..tiling import ArraySource, plan_tiles, run_tiled
    from .common import TileProgress

    grid = source.grid
    tiles = plan_tiles(grid, tile_in, overlap_in, factor, ctx.seed, metadata)
    report = SRCheck(enabled=bool(enabled), total_tiles=len(tiles))
    if not report.enabled:
        return report
    started = time.perf_counter()
    window = check_window(grid.height, grid.width, factor)
    r0, c0, h, w = window
    if h // factor < 8 or w // factor < 8:  # nothing sensible to degrade: the model everywhere, and said so
        return report
    report.window = window

    def read(r, c, n, width):
        raw, valid = source.read(Window(c, r, width, n))
        return to_unit(raw, mode, valid=valid, clip=False), valid

    coarse, cvalid, truth, fvalid = degrade_source(read, window, factor)
    if not cvalid.any():  # nothing to score (e.g. a scene's nodata centre): the model everywhere, as judged
        return report
    cgrid = Grid(grid.crs, grid.transform * Affine.translation(c0, r0) * Affine.scale(factor), w // factor, h // factor)
    gsd = grid.gsd() * factor
    tracker = TileProgress(None, "super-resolve: self-check")

    def fn(batch):
        return np.stack([np.asarray((super_unit(batch.inputs[0][k], batch.valid[0][k], t.seed, t.metadata, gsd, tracker)
                                     if batch.valid[0][k].any() else classical_unit(batch.inputs[0][k]))[:3],
                                    np.float32) for k, t in enumerate(batch.tiles)])

    res = run_tiled(fn, None, sources=[ArraySource(coarse, cgrid, cvalid)], tile_size=tile_in, overlap=overlap_in,
                    factor=factor, out_bands=3, base_seed=ctx.seed ^ 0x5EED, metadata=metadata, cancel=ctx.cancel)
    model = res.array[:3, :h, :w]  # float32: judge takes them to float64 one at a time
    bicubic = np.asarray(classical_unit(coarse))[:3, :h, :w]
    valid = fvalid & np.repeat(np.repeat(cvalid, factor, 0), factor, 1)
    # only the tiles near the checked window get their own verdict: the others (millions on a large raster)
    # are counted, not visited
    pad_r, pad_c = int(CONTEXT * tiles.th), int(CONTEXT * tiles.tw)
    near = [tiles[k] for k in tiles.indexes_in(r0 - pad_r, r0 + h + pad_r, c0 - pad_c, c0 + w + pad_c)]
    judge(report, truth, valid, model, bicubic, window, near, to_model_units)
    own = sum(not report.use_model(key) for key in report.tiles)
    rest = 0 if report.use_model(None) else len(tiles) - len(report.tiles)
    report.fallback_tiles = own + rest
    report.seconds = time.perf_counter() - started
    return report


__all__ = ["PERIODIC_BAND", "periodic_power", "periodic_fraction", "grid_notch", "bicubic_up", "block_mean", "psnr",
           "psnr_of_squares", "SRCheck", "check_window", "degrade_source", "judge", "self_check"]
