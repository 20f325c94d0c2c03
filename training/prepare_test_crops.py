"""Re-create the committed test crops from the shared source imagery (not run by the tests).

Usage:  .venv/bin/python -m training.prepare_test_crops ../shared/data

Every crop keeps the source CRS, the window's exact transform, the dataset and band tags and the
band descriptions; see PROVENANCE.md for the windows and licences.
"""

import shutil
import sys
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window

HERE = Path(__file__).resolve().parents[1] / "tests" / "data"  # where the crops are committed


def crop(src_path, dst_name, window=None, bands=None, extra_tags=None):
    with rasterio.open(src_path) as src:
        window = window or Window(0, 0, src.width, src.height)
        bands = bands or list(range(1, src.count + 1))
        data = src.read(bands, window=window)
        profile = src.profile.copy()
        for key in ("blockxsize", "blockysize", "tiled", "interleave", "compress", "photometric"):
            profile.pop(key, None)
        profile.update(
            width=int(window.width), height=int(window.height), count=len(bands),
            transform=src.window_transform(window), compress="deflate",
        )
        if len(bands) != 3:
            # GDAL makes 4-band Byte GeoTIFFs RGB + *alpha* by default: the 4th band (NIR, a cloud mask)
            # would become a transparency mask. Keep every band a plain data band.
            profile["photometric"] = "MINISBLACK"
        if profile["dtype"] in ("float32", "float64"):
            profile["predictor"] = 3
        elif data.dtype.itemsize > 1:
            profile["predictor"] = 2
        tags = src.tags()
        tags.update(extra_tags or {})
        dst_path = HERE / dst_name
        with rasterio.open(dst_path, "w", **profile) as dst:
            dst.write(data)
            dst.update_tags(**tags)
            for i, b in enumerate(bands, start=1):
                if src.descriptions[b - 1]:
                    dst.set_band_description(i, src.descriptions[b - 1])
                band_tags = src.tags(b)
                if band_tags:
                    dst.update_tags(i, **band_tags)
    print(dst_path.name, dst_path.stat().st_size)


def main(src_dir):
    src = Path(src_dir)
    crop(src / "landsat8_224078_20200518_rgb.tif", "landsat8_224078_20200518_rgb_edge.tif",
         Window(200, 100, 160, 128))
    crop(src / "betsiboka_s2_truecolor_4326.tif", "betsiboka_s2_truecolor_4326_crop.tif",
         Window(192, 320, 128, 128))
    crop(src / "slovenia_s2l1c_ref0.tif", "slovenia_s2l1c_ref0.tif")
    crop(src / "slovenia_s2_cloudmask_68dates.tif", "slovenia_s2_cloudmask_4dates.tif",
         bands=[1, 20, 40, 68])
    crop(src / "haiti_rgbn_5m.tif", "haiti_rgbn_5m_crop.tif", Window(192, 128, 128, 128))
    l5_src = src / "landsat5_224063_19880814"
    l5_dst = HERE / "landsat5_224063_19880814"
    l5_dst.mkdir(exist_ok=True)
    for b in (1, 2, 3, 4):
        crop(l5_src / f"LT52240631988227CUB02_B{b}.TIF",
             f"landsat5_224063_19880814/LT52240631988227CUB02_B{b}.TIF", Window(100, 120, 64, 64))
    shutil.copyfile(l5_src / "LT52240631988227CUB02_MTL.txt", l5_dst / "LT52240631988227CUB02_MTL.txt")
    # An array with no georeference at all (the source is an .npz): written as a GeoTIFF with no CRS.
    with np.load(src / "cloudmask_landsat5_512.npz") as npz:
        img = np.ascontiguousarray(npz["img"][:64, :64, :].transpose(2, 0, 1))
    with rasterio.open(HERE / "landsat5_nocrs_6band.tif", "w", driver="GTiff", width=64, height=64,
                       count=6, dtype="float32", compress="deflate", predictor=3) as dst:
        dst.write(img)
    print("landsat5_nocrs_6band.tif", (HERE / "landsat5_nocrs_6band.tif").stat().st_size)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
