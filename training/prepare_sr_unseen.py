"""Whole Sentinel-2 scenes the bundled model never saw, as 10-band GeoTIFFs for the ``sr`` evaluation.

    python -m training.prepare_sr_unseen --data ../shared/data --out out/sr_unseen

The model takes B4 B3 B2 B5 B6 B7 B8 B8A B11 B12. The two unseen scenes in the shared data lack some:

* ``S2A_MSIL2A_20221005..._T29UNU...SAFE`` (Ireland, L2A, baseline 04.00): only the 60 m files exist
  (B01 B02 B03 B04 B05 B06 B07 B8A B09 B11 B12; no B08 at 60 m). B08 is filled with B8A (842 vs 865 nm,
  the nearest band). 1830 x 1830 px at 60 m, DN kept (offset -1000 included; the per-raster stretch makes
  it irrelevant), nodata 0 (the swath edge).
* ``s2_l1c_virginia_T18SVG_20160112_6band_20m.tif`` (Chesapeake Bay eastern shore, L1C): only the six 20 m
  bands B05 B06 B07 B8A B11 B12. The visible bands do not exist: B4, B3 and B2 are filled with B05 (705 nm,
  the nearest), so its "RGB" is the red-edge band three times (a grey image), and B08 with B8A.

Every filled band is named in the file's ``SR_FILLED_BANDS`` tag. The Wald protocol then treats each file
as the "10 m" truth: degraded by 4, super-resolved by 4, compared with the file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

SR_BANDS = ("B04", "B03", "B02", "B05", "B06", "B07", "B08", "B8A", "B11", "B12")
SAFE_FILL = {"B08": "B8A"}
VIRGINIA_FILL = {"B04": "B05", "B03": "B05", "B02": "B05", "B08": "B8A"}


def _write(path: Path, bands: dict, profile: dict, fill: dict, tags: dict):
    import rasterio

    stack = np.stack([bands[fill.get(b, b)] for b in SR_BANDS]).astype(np.uint16)
    prof = dict(profile, driver="GTiff", count=len(SR_BANDS), dtype="uint16", compress="deflate", tiled=True,
                blockxsize=256, blockysize=256)
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", **prof) as dst:
        dst.write(stack)
        for i, b in enumerate(SR_BANDS, 1):
            dst.set_band_description(i, b)
        dst.update_tags(SR_FILLED_BANDS=",".join(f"{k}<-{v}" for k, v in fill.items()), **tags)
    return path


def safe_60m(safe: Path, out: Path) -> Path:
    import rasterio

    files = {p.name.split("_")[-2]: p for p in safe.glob("GRANULE/*/IMG_DATA/R60m/*_60m.jp2")}
    bands, profile = {}, None
    for b in set(SR_BANDS) - set(SAFE_FILL) | set(SAFE_FILL.values()):
        with rasterio.open(files[b]) as ds:
            bands[b] = ds.read(1)
            profile = profile or dict(crs=ds.crs, transform=ds.transform, width=ds.width, height=ds.height)
    profile["nodata"] = 0
    return _write(out, bands, profile, SAFE_FILL, {"DATE": "2022-10-05", "SOURCE": safe.name,
                                                    "SENSOR": "Sentinel-2A MSI L2A (BOA DN, offset -1000)"})


def virginia(path: Path, out: Path) -> Path:
    import rasterio

    with rasterio.open(path) as ds:
        arr = ds.read()
        bands = dict(zip(ds.descriptions, arr))
        profile = dict(crs=ds.crs, transform=ds.transform, width=ds.width, height=ds.height)
        date = ds.tags().get("DATE")
    return _write(out, bands, profile, VIRGINIA_FILL, {"DATE": date, "SOURCE": path.name,
                                                       "SENSOR": "Sentinel-2A MSI L1C (TOA x10000)"})


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    p.add_argument("--out", default="out/sr_unseen")
    a = p.parse_args(argv)
    data, out = Path(a.data), Path(a.out)
    safe = next(data.glob("S2A_MSIL2A_20221005*T29UNU*.SAFE"))
    print(safe_60m(safe, out / "s2_l2a_T29UNU_20221005_60m_sr10.tif"))
    print(virginia(data / "s2_l1c_virginia_T18SVG_20160112_6band_20m.tif",
                   out / "s2_l1c_T18SVG_20160112_20m_sr10.tif"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
