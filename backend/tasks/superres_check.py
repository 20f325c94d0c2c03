"""Super-resolution quality: a periodic-texture measure, the classical (bicubic) output, and the self-check.

Self-check (issue 14): nobody has the finer truth of the user's raster, but the raster itself is the truth
one scale down. The input is degraded by the factor (block mean), super-resolved by the model path (exactly
as the task does, back-projection included) and by bicubic up-sampling (+ the same back-projection), and
both are compared with the input (Wald protocol at one scale down). Scores are PSNR over the valid pixels of
the RGB in the units the model sees (the per-raster stretch when the model declares one, else the input's
[0, 1]).

Weight (session 8): the task writes ``bicubic + w (model - bicubic)``, both back-projected (so every blend
agrees with the input), with ``w`` the weight of the model's detail. The check fits it by least squares on
the window (``blend_weight``), at most ``MAX_MODEL_WEIGHT``, and 0 (bicubic alone, no model run) where
that blend gains less than ``MIN_GAIN_DB`` over bicubic; each output tile is also judged on the input
window under it (widened by half a tile) and gets bicubic alone where the model's detail does not help at
all there (its own least-squares weight is 0), the window's weight otherwise.

Why a weight: two estimates whose errors are only partly shared average to less error than either. On the
three Sentinel-2 scenes measured (MODEL_CARD.md, "Super-resolution on unseen scenes": the DSen2 scene's
held-out columns as a development raster, and the unseen T18SVG and T29UNU), the best fixed weight was
0.5-0.75 on the first two and about 0.1 on T29UNU, while picking the better of the two per tile, as the
check did until session 7, scored 0.10-0.15 dB below a fixed 0.5 on the first two. The cap: one scale
down, the least-squares weight came out at 1.0 on T18SVG, whose best weight at the output's scale is 0.5
(the check's tiles see 16 times the ground, where the model's detail is worth more); capped at 0.5 it cost
0.003 dB on the development raster. It was set with T18SVG in view. Each tile at its own fitted weight
scored up to 0.015 dB below the window's weight on T18SVG and the development raster (0.007 dB above on
T29UNU): one tile's fit is noisy, so a tile only decides whether the detail helps there at all.

Window (issue 20 item 4): a large raster is checked on a central window sized by the check's cost, not by
its area: the largest window whose degraded copy the task's tiling (input tile, overlap, factor) covers with
at most ``CHECK_MAX_TILES`` model tiles (8 x 8 on a square raster; a raster one or two tiles wide gets a
taller window), and at most ``CHECK_MAX_PIXELS`` input pixels (which bounds its memory for huge tiles).
Tiles outside it get the window's weight. With the bundled model's tiles (128 px output, 32 px overlap,
x4: 32 px input tiles overlapping by 8) that is an 800 x 800 px input window. The 4096 px
window it replaced took 1849 of these tiles on any raster above 4096 px: 9 to 26 minutes on a CPU
before the first output tile (tests/benchmarks/bench_memory.py). A raster smaller than the window costs
what it did (the model over 1/16 of its area); a larger one at most 64 model tiles, a small share of its
run.

The trade-off: the overall verdict, which the rest of a large raster follows, now comes from its central
800 px (64 km^2 at 10 m) instead of 4096 px, so a raster whose centre differs from the rest (a city in
the middle of fields) gets the verdict of its centre (since session 8: its weight); the ~1 000 output
tiles inside the window keep verdicts of their own (since session 8: whether the detail helps there),
and a raster between 800 and 4096 px, checked whole before, now has tiles that follow the overall verdict
instead of their own (both unseen scenes). Measured (session 7: guidance 7.5
and the per-tile choice of then, the better of model and bicubic) with the bundled model at 25 steps on
those two scenes (MODEL_CARD.md), checked whole and on central windows of 9 to 361 tiles (the
whole check's per-tile errors, pooled; tests/benchmarks/bench_check_window.py): T29UNU (1830 px, 361
tiles whole) model - bicubic -0.83 dB whole, -0.68 dB on 8 x 8 tiles, between -0.68 and -1.11 dB from 9
tiles up; T18SVG (972 x 964 px, 100 tiles) -0.06 dB whole, -0.10 dB on 8 x 8, -0.06 to -0.17 dB: the same
verdict (bicubic) at every size. The check itself with 64 tiles: -0.92 and -0.09 dB, in 90-124 s on 2
shared CPU cores (the whole T29UNU check: 433 s). More tiles would take a CPU past two minutes for no
change of verdict on these scenes; fewer would judge fewer tiles and let the verdict rest on a smaller
sample. Per-tile verdicts near a tie depend on the
tiles' seeds and positions, which move with the window: 92 % (T29UNU) and 82 % (T18SVG) of the tiles
judged in both runs got the same verdict; those that changed had a median margin of 2-5 % of their error.

Memory (issue 20): only the degraded window (all bands, 1 / factor^2 of the window) is held whole. The
model's blended output reaches the scoring in full-width strips of ``STRIP_ROWS`` rows as the tiles finish;
each strip is scored at once against the input (read again, in the strips the degrading read) and the
bicubic path (run on the strip's coarse rows plus ``CLASSICAL_HALO`` rows each side), and only error sums
per tile are kept. The scores are those of the whole-window computation up to float64 summation order
(bit for bit up-sampling with power-of-two factors; other factors round torch's bicubic coordinates
slightly otherwise, about 1e-5). On a 13-band raster with data in the 4096 px window the check took 2.4 GB
above the process's baseline; in strips about 0.4 GB, mostly one strip's 13-band read; on the window of 64
tiles 390 MB with 512 px output tiles (3648 px), 65 MB with the bundled model's (800 px)
(tests/benchmarks/bench_memory.py --task check --centre).

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
# model tiles of the check at most (its cost): 8 x 8 tiles, 1.5-2 minutes at 25 steps on 2 shared CPU cores with
# the bundled model, with the verdict of the whole scene on both unseen scenes (module docstring)
CHECK_MAX_TILES = 64
CHECK_MAX_PIXELS = 4096 * 4096  # and input pixels of the check window at most (its memory, for huge tiles)
# the weight of the model's detail at most: the least-squares weight one scale down overrates it at the
# output's scale (module docstring, "Weight")
MAX_MODEL_WEIGHT = 0.5
MIN_GAIN_DB = 0.05  # and bicubic alone where the weighted detail gains less than this over it on the window
CONTEXT = 0.5  # each tile is judged on its input window widened by this share of its size on every side
STRIP_ROWS = 256  # window rows read, degraded and scored at a time
SCORE_ROWS = 64  # of which the float64 errors are taken this many rows at a time
# coarse rows each side of a strip that its bicubic (+ back-projection) output is computed with: the output
# there depends on coarse rows about 2 away per bicubic pass (4 passes with back-projection), so 32 leaves
# the strip's rows as the whole window gives them
CLASSICAL_HALO = 32


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
    return psnr_of_mse(float(err.mean()) if err.size else float("nan"))


def psnr_of_mse(mse: float) -> float:
    return float("inf") if mse == 0 else -10.0 * math.log10(mse) if mse == mse else float("nan")


# ------------------------------------------------------------------------------------------- check
@dataclasses.dataclass
class SRCheck:
    """The self-check's scores (PSNR dB, one scale down) and the weights of the model's detail."""

    enabled: bool = True
    model_db: Optional[float] = None
    bicubic_db: Optional[float] = None
    tiles: Dict[tuple, Tuple[float, float]] = dataclasses.field(default_factory=dict)  # key -> (model, bicubic) MSE
    weights: Dict[tuple, float] = dataclasses.field(default_factory=dict)  # key -> weight of the model's detail
    weight: float = 1.0  # the weight of the tiles without their own (fitted on the whole window)
    blend_db: Optional[float] = None  # what is written (the weighted blends), scored the same way
    fallback_tiles: int = 0
    total_tiles: int = 0
    window: Optional[tuple] = None  # (row, col, height, width) of the input that was checked
    model_tiles: int = 0  # the check's own model tiles (on the degraded window; at most CHECK_MAX_TILES)
    seconds: float = 0.0
    progress_share: float = 0.0  # of the job's progress bar: the check's model tiles over all of them

    def model_weight(self, key) -> float:
        """How much of the model's detail (model - bicubic, both back-projected) the tile ``key`` gets: 1 the
        model's output, 0 bicubic's; the window's weight, or 0 where the tile's own judging said the detail
        does not help there at all."""
        if not self.enabled or self.model_db is None or self.bicubic_db is None:
            return 1.0
        return self.weights.get(key, self.weight)

    def use_model(self, key) -> bool:
        return self.model_weight(key) > 0.0

    @property
    def fallback_share(self) -> Optional[float]:
        return self.fallback_tiles / self.total_tiles if self.enabled and self.total_tiles else (0.0 if not self.enabled else None)

    def summary(self) -> str:
        if not self.enabled:
            return "self-check off: the model's output everywhere"
        if self.model_db is None:
            return "self-check not possible (raster too small to degrade once more): the model's output everywhere"
        share = self.fallback_share or 0.0
        return (f"model {self.model_db:.1f} dB, bicubic {self.bicubic_db:.1f} dB, written {self.blend_db:.1f} dB "
                f"on the input one scale down; bicubic alone for {100 * share:.0f} % of tiles, the model's "
                f"detail at {100 * self.mean_weight:.0f} % on average")

    @property
    def mean_weight(self) -> float:
        """The mean weight of the model's detail over the output's tiles."""
        if not self.enabled or self.model_db is None:
            return 1.0
        rest = max(0, self.total_tiles - len(self.weights))
        return (sum(self.weights.values()) + rest * self.weight) / max(1, len(self.weights) + rest)

    def tags(self) -> Dict[str, str]:
        def fmt(x):
            return "n/a" if x is None else f"{x:.3f}"

        out = {"SR_CHECK": "on" if self.enabled else "off", "SR_CHECK_SUMMARY": self.summary()}
        if self.enabled:
            out.update({"SR_CHECK_MODEL_PSNR": fmt(self.model_db), "SR_CHECK_BICUBIC_PSNR": fmt(self.bicubic_db),
                        "SR_CHECK_WRITTEN_PSNR": fmt(self.blend_db),
                        "SR_CHECK_FALLBACK_SHARE": fmt(self.fallback_share),
                        "SR_CHECK_MODEL_WEIGHT": fmt(self.mean_weight),
                        "SR_CHECK_WINDOW": "" if self.window is None else " ".join(map(str, self.window))})
        return out

    def to_dict(self) -> dict:
        return {"enabled": self.enabled, "model_psnr": self.model_db, "bicubic_psnr": self.bicubic_db,
                "written_psnr": self.blend_db, "model_weight": self.mean_weight,
                "fallback_share": self.fallback_share, "fallback_tiles": self.fallback_tiles,
                "tiles": self.total_tiles, "check_tiles": self.model_tiles, "seconds": round(self.seconds, 3),
                "summary": self.summary()}


def check_span(tiles: int, tile_in: int, overlap_in: int) -> int:
    """The longest axis (coarse pixels) that the tiling plans with ``tiles`` tiles of ``tile_in`` px overlapping
    by at least ``overlap_in`` (``tiling.axis_starts``: a tile every ``tile_in - overlap_in`` px, the last on
    the edge; one pixel more would take one tile more)."""
    return int(tile_in) + (max(1, int(tiles)) - 1) * max(1, int(tile_in) - int(overlap_in))


def check_tile_counts(height: int, width: int, factor: int, tile_in: int, overlap_in: int,
                      max_tiles: int = CHECK_MAX_TILES) -> Tuple[int, int]:
    """(rows, columns) of check tiles: as square as the raster allows, their product at most ``max_tiles`` (a
    raster one or two tiles wide gets the rest of the budget in rows)."""
    from ..tiling import axis_starts

    all_rows = len(axis_starts(height // factor, tile_in, overlap_in))  # what the whole degraded raster takes
    all_cols = len(axis_starts(width // factor, tile_in, overlap_in))
    budget = max(1, int(max_tiles))
    cols = min(all_cols, max(1, math.isqrt(budget)))
    rows = min(all_rows, max(1, budget // cols))
    cols = min(all_cols, max(1, budget // rows))
    return rows, cols


def check_window(height: int, width: int, factor: int, tile_in: int, overlap_in: int,
                 max_tiles: int = CHECK_MAX_TILES, max_pixels: int = CHECK_MAX_PIXELS) -> tuple:
    """The central window of the input that the check uses: (row, col, height, width), multiples of factor,
    whose degraded copy (``height / factor`` x ``width / factor``) the task's tiling (``tile_in``,
    ``overlap_in`` coarse px) covers with at most ``max_tiles`` tiles, and at most ``max_pixels`` input pixels."""
    rows, cols = check_tile_counts(height, width, factor, tile_in, overlap_in, max_tiles)
    side = math.isqrt(int(max_pixels))
    h = min(height, side, check_span(rows, tile_in, overlap_in) * factor)
    w = min(width, side, check_span(cols, tile_in, overlap_in) * factor)
    h, w = h - h % factor, w - w % factor
    return (height - h) // 2, (width - w) // 2, h, w


def strip_rows(factor: int, strip: int = STRIP_ROWS) -> int:
    """Rows per strip of the check window: a multiple of the factor."""
    return max(factor, strip - strip % factor)


def degrade_source(read: Callable, window: tuple, factor: int, strip: int = STRIP_ROWS, keep_fine: bool = True):
    """Block means of the window (read by ``read(row, col, h, w) -> (unit (C, h, w), valid (h, w))``) in row
    strips, so memory stays at one strip plus the coarse result. A coarse pixel is valid when all its fine
    pixels are. Returns coarse (C, h/f, w/f), its validity, the window's RGB (3, h, w) and its validity (the
    last two None without ``keep_fine``: :func:`self_check` reads them again strip by strip)."""
    r0, c0, h, w = window
    rows = strip_rows(factor, strip)
    coarse = cvalid = None  # filled strip by strip (no list of strips + concatenation: half the peak memory)
    fine_rgb = np.zeros((3, h, w), np.float32) if keep_fine else None
    fvalid = np.zeros((h, w), bool) if keep_fine else None
    for r in range(0, h, rows):
        n = min(rows, h - r)
        unit, valid = read(r0 + r, c0, n, w)
        unit = np.asarray(unit)
        if unit.dtype == np.float32 and unit.flags.writeable:  # (read gives a fresh array): no copy of the strip
            unit[:, ~valid] = 0.0
        else:
            unit = np.where(valid[None], unit, 0.0)
        if coarse is None:
            coarse = np.zeros((unit.shape[0], h // factor, w // factor), np.float32)
            cvalid = np.zeros((h // factor, w // factor), bool)
        cr = r // factor
        for b in range(unit.shape[0]):  # one band at a time: the float64 means of all 13 took 110 MB a strip
            part = block_mean(unit[b:b + 1], factor)[0]
            coarse[b, cr:cr + part.shape[0]] = part  # (float64 -> float32 as astype)
        cvalid[cr:cr + n // factor] = block_mean(valid[None].astype(np.float64), factor)[0] > 0.999
        if keep_fine:
            fine_rgb[:, r:r + n] = unit[:3]
            fvalid[r:r + n] = valid
    return coarse, cvalid, fine_rgb, fvalid


def classical_rows(classical_unit: Callable, coarse: np.ndarray, factor: int, r: int, n: int,
                   halo: int = CLASSICAL_HALO) -> np.ndarray:
    """Fine rows ``[r, r + n)`` (multiples of the factor) of ``classical_unit(coarse)[:3]`` without running it
    on the whole window: on the strip's coarse rows with ``halo`` rows of context each side. Bicubic and the
    back-projection clip to max(1, their input's maximum); where the strip's maximum is below the window's,
    one row at the window's maximum is added beyond the halo (too far to change the strip's rows) so that the
    clip is the window's."""
    hc = coarse.shape[1]
    a, b = r // factor, (r + n) // factor
    lo, hi = max(0, a - halo), min(hc, b + halo)
    piece, top = coarse[:, lo:hi], a - lo
    if lo > 0 or hi < hc:
        peak = float(coarse[:3].max())
        if peak > 1.0 and float(piece[:3].max()) < peak:
            extra = np.full((coarse.shape[0], 1, coarse.shape[2]), peak, coarse.dtype)
            if hi < hc:  # below the bottom halo
                piece = np.concatenate([piece, extra], axis=1)
            else:  # the strip ends at the window's bottom: above the top halo (lo > 0 then)
                piece, top = np.concatenate([extra, piece], axis=1), top + 1
    out = np.asarray(classical_unit(piece))
    return out[:3, top * factor:(top + b - a) * factor, :coarse.shape[2] * factor]


class _StripScorer:
    """The sink the model's blended check output streams into (``block_height`` rows at a time, top to
    bottom, full width): each strip is scored at once against the input and the bicubic path, and only the
    squared-error sums (overall and per tile) are kept -- the scores of whole-window error maps, without the
    maps (on a 4096 px window each float64 RGB map is 400 MB)."""

    def __init__(self, rows: int, window: tuple, factor: int, read: Callable, coarse: np.ndarray,
                 cvalid: np.ndarray, classical_unit: Callable, to_model_units: Callable, boxes: list):
        self.block_height = rows  # the tiling's blender stages finished rows in whole blocks of this height
        self.dtype = np.dtype(np.float32)  # as run_tiled's in-memory result
        self.path = None
        self.rows, self.window, self.factor, self.read = rows, window, factor, read
        self.coarse, self.cvalid = coarse, cvalid
        self.classical_unit, self.to_model_units = classical_unit, to_model_units
        self.keys = [box[0] for box in boxes]
        self.boxes = np.array([box[1:] for box in boxes], np.int64).reshape(-1, 4)  # rr0, rr1, cc0, cc1 (window)
        # per tile, summed channel means of: (model - truth)^2, (bicubic - truth)^2, (model - bicubic)^2 and
        # (model - bicubic) (truth - bicubic): the last two give the weight of the model's detail (blend_weight)
        self.sums = np.zeros((len(boxes), 4))
        self.counts = np.zeros(len(boxes), np.int64)  # and valid pixels
        self.total = np.zeros(4)
        self.count = 0
        self.done = 0  # window rows scored

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def write(self, array, window):
        r, n = int(window.row_off), int(window.height)
        if r != self.done or int(window.col_off) != 0 or int(window.width) != self.window[3]:
            raise RuntimeError(f"the check's output came out of order: rows {r}..{r + n} after {self.done}")
        for k in range(0, n, self.rows):  # the strips degrade_source read: the input reads back identically
            self._score(r + k, array[:, k:k + self.rows])
        self.done = r + n

    def _score(self, r: int, model: np.ndarray):
        r0, c0, h, w = self.window
        f, n = self.factor, model.shape[1]
        unit, fvalid = self.read(r0 + r, c0, n, w)
        truth = np.where(fvalid[None], unit[:3], 0.0)
        cv = self.cvalid[r // f:(r + n) // f]
        valid = fvalid & np.repeat(np.repeat(cv, f, 0), f, 1)
        del unit
        outputs = (model, classical_rows(self.classical_unit, self.coarse, f, r, n))
        maps = np.empty((4, n, w))  # channel means of the strip's per-pixel terms (see ``sums``)
        for s in range(0, n, SCORE_ROWS):  # float64 in fewer rows still: to_model_units makes temporaries
            e = min(n, s + SCORE_ROWS)
            t = self.to_model_units(np.asarray(truth[:, s:e], np.float64))
            em, eb = (np.subtract(self.to_model_units(np.array(a[:3, s:e, :w], dtype=np.float64)), t)
                      for a in outputs)  # model - truth, bicubic - truth
            del t
            for i, term in enumerate(_score_terms(em, eb)):
                self.total[i] += float(term.sum(where=valid[None, s:e]))
                maps[i, s:e] = term.mean(axis=0)
                del term
            del em, eb
        self.count += 3 * int(valid.sum())
        rr0, rr1, cc0, cc1 = self.boxes.T
        for j in np.nonzero((rr0 < r + n) & (rr1 > r))[0]:  # the tiles' judging windows this strip crosses
            a0, a1 = max(int(rr0[j]), r) - r, min(int(rr1[j]), r + n) - r
            v = valid[a0:a1, cc0[j]:cc1[j]]
            c = int(v.sum())
            if c:
                for i in range(4):
                    self.sums[j, i] += float(maps[i, a0:a1, cc0[j]:cc1[j]][v].sum())
                self.counts[j] += c

    def finish(self, report: SRCheck) -> SRCheck:
        if self.done != self.window[2]:
            raise RuntimeError(f"the check scored {self.done} of {self.window[2]} rows")
        if self.count:
            report.model_db, report.bicubic_db = (psnr_of_mse(x / self.count) for x in self.total[:2])
            b, d2, dx = self.total[1:]
            a = min(MAX_MODEL_WEIGHT, blend_weight(d2, dx))
            blend = blend_error(b, d2, dx, a)
            # a detail that gains next to nothing is not worth a model run per tile (nor its noise)
            gain = 10.0 * math.log10(b / blend) if blend > 0 and b > 0 else 0.0
            report.weight = a if gain >= MIN_GAIN_DB else 0.0
        blended = bicubic = 0.0
        for key, (m, b, d2, dx), c in zip(self.keys, self.sums, self.counts):
            if c >= 16:
                report.tiles[key] = (float(m / c), float(b / c))
                # the window's weight, or bicubic alone where the model's detail does not help at all there:
                # one tile's own fit is too noisy to set the weight (module docstring)
                a = report.weights[key] = report.weight if blend_weight(d2, dx) > 0.0 else 0.0
                blended += blend_error(b, d2, dx, a)
                bicubic += b
        if not report.tiles and self.count:  # no tile judged on its own: all follow the overall weight
            blended, bicubic = blend_error(*self.total[1:], report.weight), self.total[1]
        if report.bicubic_db is not None:  # the gain on the judged windows, added to bicubic's score
            report.blend_db = (report.bicubic_db + 10.0 * math.log10(bicubic / blended)
                               if blended > 0 and bicubic > 0 else report.bicubic_db)
        return report


def blend_error(b: float, d2: float, dx: float, a: float) -> float:
    """The summed squared error of ``bicubic + a (model - bicubic)`` from bicubic's (b) and the sums of
    :func:`blend_weight`: (c + a d - t)^2 = (c - t)^2 - 2 a d (t - c) + a^2 d^2."""
    return float(b - 2.0 * a * dx + a * a * d2)


def blend_weight(d2: float, dx: float) -> float:
    """The weight ``a`` in [0, 1] of the model's detail that minimises the squared error of
    ``bicubic + a (model - bicubic)`` given the sums of ``(model - bicubic)^2`` (d2) and of
    ``(model - bicubic) (truth - bicubic)`` (dx): the least-squares ``dx / d2``, clipped. 0: bicubic only."""
    if not d2 > 0:
        return 1.0  # the model path equals bicubic: either
    return float(min(1.0, max(0.0, dx / d2)))


def _score_terms(em: np.ndarray, eb: np.ndarray):
    """The per-pixel terms the scorer sums, one array at a time (memory): (model - truth)^2, (bicubic -
    truth)^2, (model - bicubic)^2 and (model - bicubic) (truth - bicubic), from the two errors."""
    yield np.square(em)  # the same values as (model - truth) ** 2
    yield np.square(eb)
    detail = em - eb  # model - bicubic
    yield np.square(detail)
    np.multiply(detail, eb, out=detail)
    np.negative(detail, out=detail)
    yield detail


def judging_boxes(tiles, window: tuple) -> list:
    """(key, rr0, rr1, cc0, cc1): the window rows and columns each tile is judged on (its input window widened
    by :data:`CONTEXT`, clipped to the checked window), for the tiles mostly inside the window."""
    r0, c0, h, w = window
    boxes = []
    for tile in tiles:
        win = tile.window
        th, tw = int(win.height), int(win.width)
        pad_r, pad_c = int(CONTEXT * th), int(CONTEXT * tw)
        rr0, cc0 = int(win.row_off) - r0 - pad_r, int(win.col_off) - c0 - pad_c
        rr1, cc1 = rr0 + th + 2 * pad_r, cc0 + tw + 2 * pad_c
        rr0, cc0, rr1, cc1 = max(rr0, 0), max(cc0, 0), min(rr1, h), min(cc1, w)
        if rr1 - rr0 < th // 2 or cc1 - cc0 < tw // 2:
            continue  # mostly outside the checked window: the overall verdict applies
        boxes.append(((int(win.row_off), int(win.col_off)), rr0, rr1, cc0, cc1))
    return boxes


def self_check(ctx, source, mode: str, factor: int, tile_in: int, overlap_in: int, metadata,
               super_unit: Callable, classical_unit: Callable, to_model_units: Callable,
               enabled: bool = True, max_tiles: Optional[int] = None) -> SRCheck:
    """Run the check for a super-resolution job before its output is written (the scores go into its tags).

    ``super_unit(unit, valid, seed, metadata, gsd, progress)`` is the task's model path for one tile and
    ``classical_unit(unit)`` its bicubic path, both from [0, 1] input units to (3+, h * f, w * f) input units;
    ``to_model_units`` maps input units to the units the scores are taken in. The check takes the first
    ``report.progress_share`` of ``ctx.progress`` (its model tiles over all model tiles of the job).
    ``max_tiles``: the check's model tiles at most (default :data:`CHECK_MAX_TILES`)."""
    from affine import Affine
    from rasterio.windows import Window

    from ..geo.grids import Grid
    from ..geo.scaling import to_unit
    from ..tiling import ArraySource, plan_tiles, run_tiled
    from .common import TileProgress, scaled_progress

    grid = source.grid
    # the output pass's tiles, for their windows only: without metadata (a tile's metadata takes about 2 ms,
    # which on the ~30 000 tiles near a 4096 px window was a minute before the check's first model tile)
    tiles = plan_tiles(grid, tile_in, overlap_in, factor)
    report = SRCheck(enabled=bool(enabled), total_tiles=len(tiles))
    if not report.enabled:
        return report
    started = time.perf_counter()
    budget = CHECK_MAX_TILES if max_tiles is None else int(max_tiles)
    window = check_window(grid.height, grid.width, factor, tile_in, overlap_in, budget)
    r0, c0, h, w = window
    if h // factor < 8 or w // factor < 8:  # nothing sensible to degrade: the model everywhere, and said so
        return report
    report.window = window

    def read(r, c, n, width):
        raw, valid = source.read(Window(c, r, width, n))
        return to_unit(raw, mode, valid=valid, clip=False), valid

    coarse, cvalid, _, _ = degrade_source(read, window, factor, keep_fine=False)
    if not cvalid.any():  # nothing to score (e.g. a scene's nodata centre): the model everywhere, as judged
        return report
    cgrid = Grid(grid.crs, grid.transform * Affine.translation(c0, r0) * Affine.scale(factor), w // factor, h // factor)
    gsd = grid.gsd() * factor
    check_tiles = plan_tiles(cgrid, tile_in, overlap_in, factor, ctx.seed ^ 0x5EED, metadata)
    report.model_tiles = len(check_tiles)
    report.progress_share = len(check_tiles) / float(len(check_tiles) + len(tiles))
    tracker = TileProgress(scaled_progress(ctx.progress, 0.0, report.progress_share), "super-resolve: self-check")

    def fn(batch):
        return np.stack([np.asarray((super_unit(batch.inputs[0][k], batch.valid[0][k], t.seed, t.metadata, gsd, tracker)
                                     if batch.valid[0][k].any() else classical_unit(batch.inputs[0][k]))[:3],
                                    np.float32) for k, t in enumerate(batch.tiles)])

    # only the tiles near the checked window get their own verdict: the others (millions on a large raster)
    # are counted, not visited
    pad_r, pad_c = int(CONTEXT * tiles.th), int(CONTEXT * tiles.tw)
    near = [tiles[k] for k in tiles.indexes_in(r0 - pad_r, r0 + h + pad_r, c0 - pad_c, c0 + w + pad_c)]
    scorer = _StripScorer(strip_rows(factor), window, factor, read, coarse, cvalid, classical_unit, to_model_units,
                          judging_boxes(near, window))
    # the tiling engine's in-memory run (same tiles, seeds, padding, blending), its rows streamed to the scorer
    run_tiled(fn, sources=[ArraySource(coarse, cgrid, cvalid)], tile_size=tile_in, overlap=overlap_in, factor=factor,
              out_bands=3, base_seed=ctx.seed ^ 0x5EED, metadata=metadata, progress=tracker.tiles, cancel=ctx.cancel,
              sink=scorer)
    scorer.finish(report)
    own = sum(not report.use_model(key) for key in report.tiles)
    rest = 0 if report.use_model(None) else len(tiles) - len(report.tiles)
    report.fallback_tiles = own + rest
    report.seconds = time.perf_counter() - started
    return report


__all__ = ["PERIODIC_BAND", "CHECK_MAX_TILES", "CHECK_MAX_PIXELS", "MAX_MODEL_WEIGHT", "MIN_GAIN_DB", "periodic_power",
           "periodic_fraction", "grid_notch", "bicubic_up", "block_mean", "psnr", "psnr_of_squares", "psnr_of_mse",
           "SRCheck", "blend_error", "blend_weight", "check_span", "check_tile_counts", "check_window", "strip_rows",
           "degrade_source", "classical_rows", "judging_boxes", "self_check"]
