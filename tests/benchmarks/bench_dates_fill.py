"""Cloud removal with other dates against the prediction bar's own baseline, where clear pixels exist (issue 14).

    .venv/bin/python tests/benchmarks/bench_dates_fill.py --data DIR [--size 256] [--seeds 4]

``DIR`` holds the dated series (``naip_nd_series/``, ``landsat_pucallpa_series/``) and the cloud masks
(``slovenia_s2_cloudmask_68dates.tif``, ``cloudmask_landsat5_512.npz``): the project's shared imagery, which is
not part of a clone; nothing is read unless it is given.

The bar of issue 14 for prediction is the most recent frame "radiometrically matched on clear pixels". A
forecast of a date nobody observed has no clear pixels of that date (``bench_predict_radiometry.py``); a cloudy
image of that date has. Here each series' last three dates (folds) get real cloud shapes over their centre
``--size`` px (as ``training.evaluate_series.eval_series_fill``: per 64 px block, a cloud with probability 0.6,
``--seeds`` mask draws), and the hidden pixels are filled by:

* ``biharmonic`` and ``harmonic`` (one date; harmonic is the product's one-date classical fill);
* ``most recent frame, matched on the clear pixels``: the closest earlier date fitted per band (least
  squares) to the target outside the mask -- the bar's baseline where clear pixels exist;
* ``composite of 2, matched``: the two closest earlier dates so matched, weights halving per step back;
* ``most recent frame, seamless`` and ``composite of 2, seamless`` (the product's classical other-date fill,
  ``backend.tasks.inpaint_dates.classical``), ``composite of 4, seamless``.

Scores inside the mask (PSNR / SSIM, ``training.evaluate._inpaint_scores``), mean over the mask draws, per fold.
Values 8-bit / 255. Numbers: MODEL_CARD.md, "Cloud removal with other dates against the matched most recent
frame".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SERIES = ("landsat_pucallpa_series", "naip_nd_series")
MASK_FILES = ("slovenia_s2_cloudmask_68dates.tif", "cloudmask_landsat5_512.npz")
FOLDS = 3
FRAMES = 4


def centre(path: Path, size: int):
    """The centre ``size`` px of ``path``: its grid and bands 1-3 / 255."""
    import rasterio
    from rasterio.windows import Window

    from backend.geo.grids import Grid

    with rasterio.open(path) as ds:
        if ds.dtypes[0] != "uint8":
            raise SystemExit(f"{path}: 8-bit series expected, got {ds.dtypes[0]}")
        s = min(size, ds.height, ds.width) // 32 * 32
        win = Window((ds.width - s) // 2, (ds.height - s) // 2, s, s)
        grid = Grid(ds.crs, ds.window_transform(win), s, s)
        return grid, ds.read([1, 2, 3], window=win).astype(np.float64) / 255.0


def fills(truth: np.ndarray, hole: np.ndarray, frames: list, ok: list) -> dict:
    """Every candidate fill of ``hole``; ``frames`` closest date first, ``ok`` their valid pixels."""
    from backend.tasks.classical_fill import biharmonic_fill, classical_fill
    from backend.tasks.inpaint_dates import classical
    from backend.tasks.radiometric_match import composite
    from training.evaluate_series import match_bands

    harmonic = classical_fill(truth, hole)
    matched = [np.where(v[None], match_bands(f, truth, ~hole & v), harmonic) for f, v in zip(frames, ok)]
    blank = np.where(hole[None], 0.0, truth)  # the truth under the mask never reaches a fill
    ranks = list(range(len(frames)))
    return {
        "biharmonic": biharmonic_fill(truth, hole),
        "harmonic (the product's one-date fill)": harmonic,
        "most recent frame, matched on the clear pixels": matched[0],
        "composite of 2, matched": composite(matched[:2], ok[:2], ranks[:2]),
        "most recent frame, seamless": classical(blank, hole, matched[:1], ok[:1], ranks[:1]),
        "composite of 2, seamless (the product's)": classical(blank, hole, matched[:2], ok[:2], ranks[:2]),
        "composite of 4, seamless": classical(blank, hole, matched, ok, ranks),
    }


def main(argv=None) -> int:
    from training.evaluate import CloudMaskBank, _inpaint_scores
    from training.evaluate_series import _on_grid, cloud_shapes

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder holding the dated series and cloud masks")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--seeds", type=int, default=4, help="cloud-mask draws per fold")
    args = parser.parse_args(argv)
    mask_files = [str(args.data / m) for m in MASK_FILES if (args.data / m).exists()]
    if not mask_files:
        raise SystemExit(f"no cloud-mask file ({', '.join(MASK_FILES)}) in {args.data}")
    masks = CloudMaskBank.from_files(mask_files)
    table = {}
    for si, name in enumerate(SERIES):
        files = sorted((args.data / name).glob("*.tif"))
        if len(files) < 3:
            print(f"{name}: not in {args.data}")
            continue
        for k in range(len(files) - 1, max(1, len(files) - 1 - FOLDS), -1):
            target, earlier = files[k], files[max(0, k - FRAMES):k][::-1]  # closest date first
            grid, truth = centre(target, args.size)
            reads = [_on_grid(p, grid, [1, 2, 3]) for p in earlier]
            frames = [f.astype(np.float64) / 255.0 for f, _ in reads]
            ok = [np.asarray(v, bool) for _, v in reads]
            fold = f"{name.split('_')[0]} -> {target.stem[-8:]}"
            for seed in range(args.seeds):
                hole = cloud_shapes(masks, truth.shape[1], seed, si)  # the draws of eval_series_fill
                if hole.mean() < 0.02:
                    continue
                for key, img in fills(truth, hole, frames, ok).items():
                    sc = _inpaint_scores(np.clip(img, 0, 1).astype(np.float32), truth.astype(np.float32), hole)
                    table.setdefault(key, {}).setdefault(fold, []).append((sc["PSNR in mask"], sc["SSIM in mask"]))
    if not table:
        return 1
    folds = list(next(iter(table.values())))
    print(f"{'fill, inside the mask (PSNR dB / SSIM)':48s}" + "".join(f"{f:>20s}" for f in folds) + f"{'mean':>20s}")
    for key, per in table.items():
        means = [np.mean(per[f], axis=0) for f in folds]
        cells = [f"{p:7.2f} / {s:.3f}" for p, s in means]
        total = np.mean(means, axis=0)
        print(f"{key:48s}" + "".join(f"{c:>20s}" for c in cells) + f"{total[0]:11.2f} / {total[1]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
