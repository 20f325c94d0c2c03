"""Where the prediction bar's gap lies: the target date's radiometry, which no forecast sees (issue 14).

    .venv/bin/python tests/benchmarks/bench_predict_radiometry.py --data DIR [--size 256]

``DIR`` holds the dated series (``naip_nd_series/``, ``landsat_pucallpa_series/``): the project's shared
imagery, which is not part of a clone; nothing is read unless it is given.

The bar of issue 14 for prediction is the most recent frame matched per band to the target itself (least
squares on the pixels valid in both). For each dated series in ``--data`` (``naip_nd_series``,
``landsat_pucallpa_series``) and three folds (its last three dates, each predicted from the up to four frames
before it, on the centre ``--size`` px of the first input's grid), it prints PSNR / SSIM on 64 px tiles of:

* ``persistence``: the most recent frame as it is;
* ``composite``: the product's classical forecast (``backend.tasks.radiometric_match``: every frame matched to
  the most recent one, then their mean with weights halving per step back);
* ``composite, frames' mean levels``: the composite moved to the recency-weighted mean of the frames' own
  per-band mean (a guess of the target's level from the series);
* ``composite, frames' mean levels and spreads``: the same with the spreads (recency-weighted) and equal weights;
* ``median``: the per-pixel median of the matched frames;
* two oracles that use the target: ``persistence matched to the target`` (the bar) and ``composite matched to
  the target``.

Values: 8-bit / 255, else one 2-98 % stretch pooled over the target and the most recent frame (as
``training.evaluate_series``). Numbers: MODEL_CARD.md, "Dated series: the prediction bar".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SERIES = ("naip_nd_series", "landsat_pucallpa_series")
FOLDS = 3
FRAMES = 4
TILE = 64


def centre_grid(path: Path, size: int):
    import rasterio

    from backend.geo.grids import Grid

    with rasterio.open(path) as ds:
        r0, c0 = max(0, (ds.height - size) // 2), max(0, (ds.width - size) // 2)
        grid = Grid(ds.crs, ds.transform * rasterio.Affine.translation(c0, r0), min(size, ds.width),
                    min(size, ds.height))
        return grid, ds.dtypes[0] == "uint8"


def matched(frame: np.ndarray, reference: np.ndarray, where: np.ndarray) -> np.ndarray:
    from backend.tasks.radiometric_match import Match, apply

    fit = Match(1, frame.shape[0])
    fit.add(0, frame, reference, where)
    return apply(frame, fit.coefficients()[0])


def at_levels(image: np.ndarray, where: np.ndarray, mean: np.ndarray, spread=None) -> np.ndarray:
    """``image`` moved per band to ``mean`` (and scaled to ``spread`` when given) on ``where``."""
    m = image[:, where].mean(axis=1)
    out = image - m[:, None, None]
    if spread is not None:
        out = out / np.maximum(image[:, where].std(axis=1), 1e-12)[:, None, None] * spread[:, None, None]
    return out + mean[:, None, None]


def tile_scores(image: np.ndarray, truth: np.ndarray, valid: np.ndarray) -> tuple:
    from training.evaluate import _scores

    rows = []
    h, w = valid.shape
    for y in range(0, h - TILE + 1, TILE):
        for x in range(0, w - TILE + 1, TILE):
            if valid[y:y + TILE, x:x + TILE].mean() < 0.98:
                continue
            sl = (slice(None), slice(y, y + TILE), slice(x, x + TILE))
            rows.append(_scores(np.clip(image[sl], 0, 1).astype(np.float32), truth[sl].astype(np.float32)))
    return float(np.mean([r["PSNR"] for r in rows])), float(np.mean([r["SSIM"] for r in rows])), len(rows)


def fold(target: Path, inputs: list, size: int) -> dict:
    from backend.geo.scaling import percentile_limits, stretch
    from backend.tasks.radiometric_match import composite
    from training.evaluate_series import _on_grid, match_bands

    grid, eight_bit = centre_grid(inputs[0], size)
    truth, valid = _on_grid(target, grid, [1, 2, 3])
    frames = []
    for p in inputs:
        f, ok = _on_grid(p, grid, [1, 2, 3])
        frames.append(f)
        valid &= ok & np.isfinite(f).all(axis=0)
    valid &= np.isfinite(truth).all(axis=0)
    last = frames[-1]
    aligned = [matched(f, last, valid) for f in frames]
    n = len(frames)
    ranks = [n - 1 - i for i in range(n)]
    comp = composite(aligned, [valid] * n, ranks)
    weights = np.array([0.5 ** r for r in ranks])
    weights /= weights.sum()
    means = np.array([f[:, valid].mean(axis=1) for f in frames])
    spreads = np.array([f[:, valid].std(axis=1) for f in frames])
    candidates = {
        "persistence": last,
        "composite (the product's)": comp,
        "composite, frames' mean levels": at_levels(comp, valid, (weights[:, None] * means).sum(0)),
        "composite, frames' mean levels and spreads": at_levels(comp, valid, means.mean(0), spreads.mean(0)),
        "median of the matched frames": np.median(np.stack(aligned), axis=0),
    }
    if eight_bit:
        units = {k: v.astype(np.float64) / 255.0 for k, v in candidates.items()}
        t = truth.astype(np.float64) / 255.0
    else:
        pooled = np.concatenate([truth[:, valid], last[:, valid]], axis=1)[:, None, :]
        limits = percentile_limits(pooled, None, (2.0, 98.0))
        units = {k: np.asarray(stretch(v, limits, valid), np.float64) for k, v in candidates.items()}
        t = np.asarray(stretch(truth, limits, valid), np.float64)
    units["persistence matched to the target (the bar; uses the truth)"] = match_bands(units["persistence"], t, valid)
    units["composite matched to the target (uses the truth)"] = match_bands(units["composite (the product's)"], t,
                                                                            valid)
    t = np.where(valid[None], t, 0.0)  # the few pixels some frame lacks: no error for any candidate
    return {k: tile_scores(np.where(valid[None], v, 0.0), t, valid) for k, v in units.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder holding the dated series")
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args(argv)
    for name in SERIES:
        files = sorted((args.data / name).glob("*.tif"))
        if len(files) < 3:
            print(f"{name}: not in {args.data}")
            continue
        for k in range(len(files) - 1, max(1, len(files) - 1 - FOLDS), -1):
            target, inputs = files[k], files[max(0, k - FRAMES):k]
            scores = fold(target, inputs, args.size)
            print(f"{name}: {', '.join(p.stem for p in inputs)} -> {target.stem}")
            for key, (psnr, ssim, tiles) in scores.items():
                print(f"  {key:62s} {psnr:6.2f} dB  SSIM {ssim:.3f}  ({tiles} tiles)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
