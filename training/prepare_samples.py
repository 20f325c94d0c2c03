"""Cut the demo's sample rasters (resources/samples/) from the project's shared imagery.

    python -m training.prepare_samples /path/to/shared/data

Pixel values, CRS, geotransform, tags and band descriptions are kept; only bands are selected.
Provenance and licences: resources/samples/PROVENANCE.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import rasterio

OUT = Path(__file__).resolve().parents[1] / "resources" / "samples"


def copy_bands(src_path: Path, dst_path: Path, bands, extra_tags=None) -> None:
    with rasterio.open(src_path) as src:
        profile = src.profile
        profile.update(count=len(bands), compress="deflate", predictor=3 if src.dtypes[0].startswith("float") else 2,
                       photometric="MINISBLACK", tiled=False)
        profile.pop("blockxsize", None)
        profile.pop("blockysize", None)
        with rasterio.open(dst_path, "w", **profile) as dst:
            for i, b in enumerate(bands, 1):
                dst.write(src.read(b), i)
                dst.set_band_description(i, src.descriptions[b - 1])
            dst.update_tags(**src.tags(), **(extra_tags or {}))


def main(shared: str) -> None:
    data = Path(shared)
    OUT.mkdir(parents=True, exist_ok=True)
    # super-resolution input: a clear Sentinel-2 L1C frame, all 13 bands
    copy_bands(data / "slovenia_s2l1c_ref2.tif", OUT / "slovenia_s2l1c_13band.tif", list(range(1, 14)))
    # multi-date frames: three clear frames of the same place, RGB (B04 B03 B02); dates unknown at source
    for k in (2, 3, 4):
        copy_bands(data / f"slovenia_s2l1c_ref{k}.tif", OUT / f"slovenia_s2l1c_frame{k}_rgb.tif", [4, 3, 2])
    # a real s2cloudless cloud shape of the same grid: the date with cloud cover closest to 30 %
    with rasterio.open(data / "slovenia_s2_cloudmask_68dates.tif") as src:
        cover = [float(np.mean(src.read(b) > 0)) for b in range(1, src.count + 1)]
    band = int(np.argmin([abs(c - 0.3) for c in cover])) + 1
    copy_bands(data / "slovenia_s2_cloudmask_68dates.tif", OUT / "slovenia_cloudmask.tif", [band])
    print(f"cloud mask band {band}: {cover[band - 1]:.1%} cloud")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
