"""Level-1C cloud detectors (issue 18) against the Level-2A scene classification of the same tile.

Data: the real product ``S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_…SAFE`` in ``--data`` (its 60 m bands
and its SCL at 60 m). There is no Level-1C product of it, so the detectors get the L2A bottom-of-atmosphere
reflectance, ``(DN - 1000) / 10 000`` (baseline 04.00), standing in for top-of-atmosphere reflectance:
brighter, hazier TOA input would make the clouds easier to see, so this is a lower bound. Bands missing at
60 m in L2A: B08 (taken from B8A) and B10 (cirrus, not in L2A; 0 for s2cloudless).

Reference: SCL 8, 9, 10 (cloud medium and high probability, thin cirrus) as cloud, SCL 3 as cloud shadow;
pixels with SCL 0 or any band 0 are left out. Scores: accuracy, precision, recall, F1, IoU.

    python tests/benchmarks/bench_cloud_detectors.py ukis-csmask --data DIR   # needs ukis-csmask[cpu]
    python tests/benchmarks/bench_cloud_detectors.py s2cloudless --data DIR   # needs s2cloudless, sentinelhub, lightgbm

``DIR``: the folder holding the product (the project's copy is in its shared imagery, which is not part of a
clone; nothing is read unless it is given).
"""

from __future__ import annotations

import argparse
import glob
import json
import time
from pathlib import Path

import numpy as np
import rasterio

ROOT = Path(__file__).resolve().parents[2]
BANDS = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B8A", "B09", "B11", "B12"]


def load(data: Path):
    r60 = glob.glob(str(data / "S2A_MSIL2A_*T29UNU*.SAFE" / "GRANULE" / "*" / "IMG_DATA" / "R60m"))[0]

    def band(name):
        with rasterio.open(glob.glob(f"{r60}/*_{name}_60m.jp2")[0]) as ds:
            return ds.read(1)

    dn = {b: band(b) for b in BANDS}
    scl = band("SCL")
    valid = (scl != 0) & np.all([v > 0 for v in dn.values()], axis=0)
    reflectance = {b: (v.astype(np.float32) - 1000) / 10000 for b, v in dn.items()}
    return reflectance, scl, valid


def scores(pred, ref, valid) -> dict:
    p, r = pred[valid], ref[valid]
    tp, fp, fn = np.sum(p & r), np.sum(p & ~r), np.sum(~p & r)
    return {"accuracy": float(np.mean(p == r)), "precision": float(tp / max(1, tp + fp)),
            "recall": float(tp / max(1, tp + fn)), "f1": float(2 * tp / max(1, 2 * tp + fp + fn)),
            "iou": float(tp / max(1, tp + fp + fn)), "detected_fraction": float(p.mean()),
            "reference_fraction": float(r.mean())}


def run_csmask(refl, valid) -> tuple:
    from ukis_csmask.mask import CSmask

    img = np.clip(np.stack([refl[b] for b in ["B02", "B03", "B04", "B8A", "B11", "B12"]], -1), 0, 1)
    img[~valid] = 0
    csm = CSmask(img.astype(np.float32), ["blue", "green", "red", "nir", "swir16", "swir22"], product_level="l1c",
                 nodata_value=0).csm[..., 0]
    return csm == 1, csm == 2


def run_s2cloudless(refl, valid) -> tuple:
    from s2cloudless import S2PixelCloudDetector

    order = ["B01", "B02", "B04", "B05", "B8A", "B8A", "B09", None, "B11", "B12"]  # B08 <- B8A, B10 <- 0
    x = np.clip(np.stack([refl[b] if b else np.zeros_like(refl["B01"]) for b in order], -1)[None], 0, 1)
    detector = S2PixelCloudDetector(threshold=0.4, average_over=4, dilation_size=2, all_bands=False)
    return detector.get_mask_from_prob(detector.get_cloud_probability_maps(x))[0].astype(bool), None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("detector", choices=["ukis-csmask", "s2cloudless"])
    ap.add_argument("--data", type=Path, required=True, help="folder holding the T29UNU .SAFE product")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    refl, scl, valid = load(args.data)
    started = time.perf_counter()
    cloud, shadow = (run_csmask if args.detector == "ukis-csmask" else run_s2cloudless)(refl, valid)
    result = {"detector": args.detector, "seconds": round(time.perf_counter() - started, 1),
              "valid_pixels": int(valid.sum()), "cloud": scores(cloud, np.isin(scl, [8, 9, 10]), valid)}
    if shadow is not None:
        result["shadow"] = scores(shadow, scl == 3, valid)
        result["cloud_or_shadow"] = scores(cloud | shadow, np.isin(scl, [3, 8, 9, 10]), valid)
    out = args.out or ROOT / "tests" / "benchmarks" / "results" / f"cloud_detector_{args.detector}.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
