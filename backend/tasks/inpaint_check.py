"""Every inpainting checks itself: hide known pixels shaped like the hole, fill them, compare with the truth.

For each tile with masked pixels, the tile's hole shape is moved to nearby positions of the raster where
(almost) every pixel under it is known (:func:`find_probes`): steps of the shape's size plus a gap, nearest
first, at most ``max_probes``; a shape that finds no such place (a cloud larger than the clear ground
around it) is tried by quarters. Each probe is a tile-sized window around the moved shape; the shape and any
real hole of that window are hidden, the window is filled with the model path (the anchored fill, exactly as
the product fills the real hole) and with the classical fill, and both are scored on the hidden known pixels.

"Scores lower" means a higher squared error on the probes (:func:`model_wins`); SSIM is reported too.
Decision per tile, not per raster or per pixel: the tile is the unit the model fills (one context, one
sample), so the probes of a tile test that very operation on the same kind of ground, while a whole-raster
verdict would let a good forest hide a bad lake. A tile whose probes score the model lower (higher squared
error) gets the classical fill; a tile without any probe of its own follows the verdict pooled over every
probe of the raster; when the raster has no probe at all the model cannot be checked and the classical fill
is used (never silently worse than the obvious method).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Dict, List, Optional, Tuple

import numpy as np

MAX_PROBES = 2  # per tile: each one costs one more model run of a tile
MIN_KNOWN = 0.95  # a moved shape may overlap other holes by at most 5 % of its pixels
GAP_PX = 4
RULE = "psnr"  # what "the model scores lower" means (see model_wins)


@dataclasses.dataclass(frozen=True)
class Probe:
    """A tile-sized window (row, col, height, width) of the raster, the pixels hidden in it (the moved shape
    and the window's own holes) and the known pixels scored (the moved shape minus holes)."""

    window: Tuple[int, int, int, int]
    hidden: np.ndarray
    scored: np.ndarray


def _pieces(shape: np.ndarray, levels: int = 2, min_px: int = 8):
    """The hole shape's box, then its quarters, then theirs (boxes with masked pixels, at least ``min_px``
    wide): when a whole cloud finds no clear place nearby, parts of it still do."""
    ys, xs = np.nonzero(shape)
    boxes = [(ys.min(), ys.max() + 1, xs.min(), xs.max() + 1)]
    out, level = list(boxes), boxes
    for _ in range(levels):
        nxt = []
        for y0, y1, x0, x1 in level:
            if min(y1 - y0, x1 - x0) < 2 * min_px:
                continue
            ym, xm = (y0 + y1) // 2, (x0 + x1) // 2
            for b in ((y0, ym, x0, xm), (y0, ym, xm, x1), (ym, y1, x0, xm), (ym, y1, xm, x1)):
                if shape[b[0]:b[1], b[2]:b[3]].any():
                    nxt.append(b)
        out += nxt
        level = nxt
    return out


def find_probes(holes: np.ndarray, window: Tuple[int, int, int, int], max_probes: int = MAX_PROBES,
                min_known: float = MIN_KNOWN, gap: int = GAP_PX) -> List[Probe]:
    """Probes for the tile at ``window`` (row, col, height, width) of a raster whose masked pixels are
    ``holes`` (H, W) bool. The tile's hole shape (or, where it finds no clear place, a quarter of it) keeps
    its position inside the window when the window can move with it, so the model sees it in the same
    place; near the raster's edge the window stops there. Nearest places first, one probe per place."""
    holes = np.asarray(holes, dtype=bool)
    H, W = holes.shape
    r0, c0, th, tw = (int(v) for v in window)
    shape = holes[r0:r0 + th, c0:c0 + tw]
    if not shape.any() or max_probes <= 0:
        return []
    probes: List[Probe] = []
    for by0, by1, bx0, bx1 in _pieces(shape):
        local = shape[by0:by1, bx0:bx1]
        sy, sx = int(by1 - by0) + gap, int(bx1 - bx0) + gap
        shifts = sorted(((i * sy, j * sx) for i in range(-3, 4) for j in range(-3, 4) if (i, j) != (0, 0)),
                        key=lambda d: (d[0] ** 2 + d[1] ** 2, d))
        for dy, dx in shifts:
            y0, x0 = r0 + by0 + dy, c0 + bx0 + dx  # the moved shape's box on the raster
            if y0 < 0 or x0 < 0 or y0 + local.shape[0] > H or x0 + local.shape[1] > W:
                continue
            under = holes[y0:y0 + local.shape[0], x0:x0 + local.shape[1]][local]
            if 1.0 - under.mean() < min_known:
                continue
            wr = min(max(r0 + dy, 0), H - th)
            wc = min(max(c0 + dx, 0), W - tw)
            moved = np.zeros((th, tw), bool)
            moved[y0 - wr:y0 - wr + local.shape[0], x0 - wc:x0 - wc + local.shape[1]] = local
            own = holes[wr:wr + th, wc:wc + tw]
            probes.append(Probe((wr, wc, th, tw), moved | own, moved & ~own))
            if len(probes) >= max_probes:
                return probes
    return probes


@dataclasses.dataclass
class Score:
    """Squared and absolute errors summed over scored pixels (all bands) and the number of values; the SSIM
    map (:mod:`.image_quality`) summed over the scored pixels and their number."""

    se: float = 0.0
    ae: float = 0.0
    n: int = 0
    ssim_sum: float = 0.0
    px: int = 0

    def add(self, fill: np.ndarray, truth: np.ndarray, where: np.ndarray) -> None:
        from .image_quality import ssim_map

        d = (np.asarray(fill, np.float64) - np.asarray(truth, np.float64))[:, where]
        self.se += float((d * d).sum())
        self.ae += float(np.abs(d).sum())
        self.n += int(d.size)
        self.ssim_sum += float(ssim_map(fill, truth)[where].sum())
        self.px += int(np.count_nonzero(where))

    def merge(self, other: "Score") -> None:
        self.se, self.ae, self.n = self.se + other.se, self.ae + other.ae, self.n + other.n
        self.ssim_sum, self.px = self.ssim_sum + other.ssim_sum, self.px + other.px

    @property
    def ssim(self) -> float:
        return self.ssim_sum / self.px if self.px else float("nan")

    @property
    def psnr(self) -> float:
        if self.n == 0:
            return float("nan")
        mse = self.se / self.n
        return float("inf") if mse == 0 else 10.0 * math.log10(1.0 / mse)

    @property
    def mae(self) -> float:
        return self.ae / self.n if self.n else float("nan")


def model_wins(model: Score, classical: Score, rule: str = None) -> bool:
    """The model keeps a region only if it is at least as good as the classical fill on squared error (the
    default rule ``"psnr"``) and, with ``"psnr+ssim"``, on SSIM too. Measured (MODEL_CARD.md): adding SSIM
    to the rule made the product worse on PSNR *and* SSIM -- SSIM over a few hundred probe pixels is too
    noisy to decide on -- so it is reported, not used."""
    rule = rule or RULE
    if model.se > classical.se:
        return False
    return rule == "psnr" or model.ssim >= classical.ssim


@dataclasses.dataclass
class TileCheck:
    model: Score
    classical: Score

    def model_wins_by(self, rule: str = None) -> bool:
        return model_wins(self.model, self.classical, rule)

    @property
    def model_wins(self) -> bool:
        return self.model_wins_by()


def holed_tiles(mask: np.ndarray, tiles) -> list:
    """The tiles with at least one masked pixel (the only ones a fill runs on, and the ones checked)."""
    return [t for t in tiles if mask[t.window.row_off:t.window.row_off + t.window.height,
                                     t.window.col_off:t.window.col_off + t.window.width].any()]


class Verdicts:
    """Per-tile checks of the model against the classical method, pooled; the decision for a tile."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.tiles: Dict[Tuple[int, int], TileCheck] = {}
        self.model, self.classical = Score(), Score()
        self.seconds = 0.0

    def add(self, key: Tuple[int, int], check: TileCheck) -> None:
        self.tiles[key] = check
        self.model.merge(check.model)
        self.classical.merge(check.classical)

    @property
    def checked(self) -> bool:
        return self.model.n > 0

    def use_model(self, key: Tuple[int, int]) -> bool:
        """Whether the tile at ``key`` keeps the model's output: its own verdict, else the pooled one, else
        (nothing checked) the classical method (see the module doc for the rule)."""
        if not self.enabled:
            return True
        if key in self.tiles:
            return self.tiles[key].model_wins
        return self.checked and model_wins(self.model, self.classical)


class DatesCheck:
    """Other-dates inpainting: the dates' fill against this date's own (harmonic) fill, on the probes beside the
    holes (``beside``) and on the ring of known pixels around each tile's hole (``ring``, where a cloud of
    another date over the hole shows); a tile's decision is on both pooled (``verdicts``)."""

    def __init__(self, enabled: bool = True):
        self.verdicts, self.beside, self.ring = Verdicts(enabled), Verdicts(enabled), Verdicts(enabled)

    def add(self, key: Tuple[int, int], beside: TileCheck, ring: TileCheck) -> None:
        both = TileCheck(Score(), Score())
        for part in (beside, ring):
            both.model.merge(part.model)
            both.classical.merge(part.classical)
        for verdicts, check in ((self.verdicts, both), (self.beside, beside), (self.ring, ring)):
            if check.model.n:
                verdicts.add(key, check)


class CheckReport(Verdicts):
    """Per-tile verdicts and the pooled scores of one run; the decision for a tile and the fallback share."""

    def __init__(self, enabled: bool = True):
        super().__init__(enabled)
        self.masked = 0  # masked pixels of the raster
        self.classical_pixels = 0.0  # of them, filled classically (a pixel shared by tiles counts by share)
        self.classical_name = "classical"  # what the fallback is: the biharmonic fill, or "other dates"
        # other dates only: their fill checked against this date's own (harmonic) fill (DatesCheck)
        self.one_date: Optional[DatesCheck] = None
        self.one_date_pixels = 0.0  # masked pixels given the one-date fill (counted as classical_pixels are)

    def use_other_dates(self, key: Tuple[int, int]) -> bool:
        """Other-dates inpainting, where the model is not used: whether the tile at ``key`` takes the other
        dates' fill (else this date's own harmonic fill) -- the verdict of its probes and ring, else the pooled
        one. Unchecked (check off, no probe anywhere) it is the dates', which beat the one-date fill on every
        unseen fold (MODEL_CARD.md); the check is there for dates that differ from the target where it is
        clear (a cloud or snow in another date, the ground changed)."""
        v = self.one_date.verdicts if self.one_date is not None else None
        if not self.enabled or v is None or not v.checked:
            return True
        if key in v.tiles:
            return v.tiles[key].model_wins
        return model_wins(v.model, v.classical)

    def count_classical(self, mask: np.ndarray, windows, key) -> None:
        """The fallback share: a masked pixel counts by the share of the tiles over it that fill it classically
        (``windows``: the tiles with masked pixels; ``key(window)`` as in :meth:`use_model`)."""
        cover = np.zeros(mask.shape, np.uint16)
        classical = np.zeros(mask.shape, np.uint16)
        one_date = np.zeros(mask.shape, np.uint16)
        for w in windows:
            r, c, h, wd = int(w.row_off), int(w.col_off), int(w.height), int(w.width)
            cover[r:r + h, c:c + wd] += 1
            if not self.use_model(key(w)):
                classical[r:r + h, c:c + wd] += 1
                if self.one_date is not None and not self.use_other_dates(key(w)):
                    one_date[r:r + h, c:c + wd] += 1
        self.classical_pixels = float((classical[mask] / np.maximum(cover[mask], 1)).sum())
        self.one_date_pixels = float((one_date[mask] / np.maximum(cover[mask], 1)).sum())

    @property
    def fallback_share(self) -> float:
        return self.classical_pixels / self.masked if self.masked else 0.0

    @property
    def one_date_share(self) -> float:
        return self.one_date_pixels / self.masked if self.masked else 0.0

    def sentence(self) -> str:
        """One line for people: the scores and what was done."""
        name = self.classical_name
        share = f"{name} fill used for {100 * self.fallback_share:.0f} % of masked pixels"
        if not self.enabled:
            return "self-check off (--no-fallback): the model fill is used everywhere, unchecked"
        if not self.checked:
            return f"no nearby known pixels to check the model on: {share}"
        if self.one_date is not None and self.one_date.beside.checked:
            beside, ring = self.one_date.beside, self.one_date.ring
            dates_share = 100 * (self.fallback_share - self.one_date_share)
            around = (f"; around the holes {name} {ring.model.psnr:.1f} dB, this date alone "
                      f"{ring.classical.psnr:.1f} dB" if ring.checked else "")
            return (f"model {self.model.psnr:.1f} dB, {name} {beside.model.psnr:.1f} dB, this date alone "
                    f"{beside.classical.psnr:.1f} dB on nearby known pixels{around}; {name} used for "
                    f"{dates_share:.0f} %, this date's own fill for {100 * self.one_date_share:.0f} % of masked "
                    "pixels")
        return (f"model {self.model.psnr:.1f} dB, {name} {self.classical.psnr:.1f} dB on nearby known pixels; "
                f"{share}")

    def to_dict(self) -> dict:
        def db(x: float) -> Optional[float]:  # JSON has no infinity: a perfect fill reads 99.99 dB
            return None if math.isnan(x) else round(min(x, 99.99), 2)

        return {"enabled": self.enabled, "model_psnr": db(self.model.psnr), "classical_psnr": db(self.classical.psnr),
                "model_ssim": None if not self.model.px else round(self.model.ssim, 4),
                "classical_ssim": None if not self.classical.px else round(self.classical.ssim, 4),
                "model_mae": None if not self.model.n else round(self.model.mae, 5),
                "classical_mae": None if not self.classical.n else round(self.classical.mae, 5),
                "probe_values": self.model.n, "tiles_checked": len(self.tiles),
                "tiles_classical": sum(not c.model_wins for c in self.tiles.values()),
                "fallback_share": round(self.fallback_share, 4), "check_seconds": round(self.seconds, 2),
                "summary": self.sentence(), **self._one_date_dict(db)}

    def _one_date_dict(self, db) -> dict:
        """Other dates: their pooled score and the one-date fill's on the same probes, and its share."""
        v = self.one_date
        if v is None:
            return {}
        return {"other_dates_psnr": db(v.beside.model.psnr), "one_date_psnr": db(v.beside.classical.psnr),
                "ring_other_dates_psnr": db(v.ring.model.psnr), "ring_one_date_psnr": db(v.ring.classical.psnr),
                "one_date_share": round(self.one_date_share, 4),
                "tiles_one_date": sum(not c.model_wins for c in v.verdicts.tiles.values())}

    def tags(self) -> dict:
        """Provenance tags (``DIFFUSIONSAT_`` is added by the writer's caller)."""
        d = self.to_dict()
        tags = {"INPAINT_CHECK": d["summary"], "INPAINT_FALLBACK": "on" if self.enabled else "off",
                "INPAINT_FALLBACK_SHARE": f"{d['fallback_share']:.4f}"}
        for who in ("model", "classical"):
            for metric in ("psnr", "ssim", "mae"):
                tags[f"INPAINT_CHECK_{who.upper()}_{metric.upper()}"] = str(d[f"{who}_{metric}"])
        if "one_date_share" in d:
            tags.update(INPAINT_CHECK_OTHER_DATES_PSNR=str(d["other_dates_psnr"]),
                        INPAINT_CHECK_ONE_DATE_PSNR=str(d["one_date_psnr"]),
                        INPAINT_CHECK_RING_OTHER_DATES_PSNR=str(d["ring_other_dates_psnr"]),
                        INPAINT_CHECK_RING_ONE_DATE_PSNR=str(d["ring_one_date_psnr"]),
                        INPAINT_ONE_DATE_SHARE=f"{d['one_date_share']:.4f}")
        return tags


__all__ = ["CheckReport", "DatesCheck", "Verdicts", "holed_tiles", "MAX_PROBES", "Probe", "RULE", "Score", "TileCheck",
           "find_probes", "model_wins"]
