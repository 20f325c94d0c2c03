"""Helpers for the geo / tiling tests: paths of the committed crops and small synthetic rasters."""

from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

DATA = Path(__file__).resolve().parent / "data"

LANDSAT8_EDGE = DATA / "landsat8_224078_20200518_rgb_edge.tif"
BETSIBOKA = DATA / "betsiboka_s2_truecolor_4326_crop.tif"
SLOVENIA_S2 = DATA / "slovenia_s2l1c_ref0.tif"
SLOVENIA_CLOUDS = DATA / "slovenia_s2_cloudmask_4dates.tif"
HAITI = DATA / "haiti_rgbn_5m_crop.tif"
LANDSAT5_DIR = DATA / "landsat5_224063_19880814"
NO_CRS = DATA / "landsat5_nocrs_6band.tif"


def write_raster(path, array, crs="EPSG:32633", transform=None, nodata=None, descriptions=None, tags=None,
                 band_tags=None):
    """Write a small GeoTIFF (bands, H, W); default grid: 10 m UTM 33N pixels at (500000, 5000000)."""
    arr = np.asarray(array)
    if arr.ndim == 2:
        arr = arr[None]
    transform = transform if transform is not None else Affine(10.0, 0.0, 500000.0, 0.0, -10.0, 5000000.0)
    profile = dict(driver="GTiff", width=arr.shape[2], height=arr.shape[1], count=arr.shape[0],
                   dtype=arr.dtype.name, crs=crs, transform=transform, nodata=nodata)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(arr)
        if descriptions:
            for i, d in enumerate(descriptions, start=1):
                dst.set_band_description(i, d)
        if tags:
            dst.update_tags(**tags)
        for i, t in enumerate(band_tags or [], start=1):
            dst.update_tags(i, **t)
    return Path(path)


def smooth_field(bands, height, width, seed=0, dtype=np.float32):
    """A smooth random field in [0, 1] (so seams would show as jumps)."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, height)[:, None]
    x = np.linspace(0, 1, width)[None, :]
    out = []
    for _ in range(bands):
        a, b, c = rng.uniform(1, 4, 3)
        out.append(0.5 + 0.25 * np.sin(a * 3 * x + b * 2 * y) + 0.2 * np.cos(c * 5 * x * y))
    return np.clip(np.stack(out), 0, 1).astype(dtype)
