"""Build the two small Sentinel-2 .SAFE fixtures of issue 18 from the real Level-2A product in ../shared/data.

Run once from the repository root (`.venv/bin/python -m training.prepare_s2_safe_fixtures`); the tests only
read what it writes into tests/data/s2_safe/ (described in the README.md there), never ../shared.
"""

import re
import shutil
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window

REPO = Path(__file__).resolve().parents[1]
SRC = REPO.parent / "shared/data/S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE"
OUT = REPO / "tests" / "data" / "s2_safe"
GRANULE = "GRANULE/L2A_T29UNU_A038058_20221005T115407"
STEM = "T29UNU_20221005T115411"
ROW, COL, N60 = 684, 336, 12  # the crop, in 60 m pixels: clear fields, clouds and cloud shadow
BANDS_10 = ("B02", "B03", "B04", "B08")
BANDS_20 = ("B05", "B06", "B07", "B8A", "B11", "B12")
BANDS_60 = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B8A", "B09", "B11", "B12")


def read60(band: str, rows=None):
    with rasterio.open(SRC / GRANULE / f"IMG_DATA/R60m/{STEM}_{band}_60m.jp2") as ds:
        return ds.read(1, window=Window(COL, ROW, N60, N60)), ds.crs


def write_jp2(path: Path, array: np.ndarray, crs, res: int):
    ulx, uly = 499980 + COL * 60, 5900040 - ROW * 60
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = dict(driver="JP2OpenJPEG", width=array.shape[1], height=array.shape[0], count=1, dtype=array.dtype,
                   crs=crs, transform=rasterio.Affine(res, 0, ulx, 0, -res, uly), QUALITY=100, REVERSIBLE="YES")
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array, 1)
    for aux in path.parent.glob(path.name + ".aux.xml"):
        aux.unlink()


def trim_product_xml(text: str) -> str:
    return re.sub(r"\s*<VALUES>[^<]*</VALUES>", "", text)  # spectral responses: 40 KB nobody reads


def trim_tile_xml(text: str) -> str:
    text = re.sub(r"\n    <Tile_Angles.*?</Tile_Angles>", "", text, flags=re.S)
    ulx, uly = 499980 + COL * 60, 5900040 - ROW * 60
    for res, n in ((10, N60 * 6), (20, N60 * 3), (60, N60)):
        text = re.sub(rf'(<Size resolution="{res}">\s*<NROWS>)\d+(</NROWS>\s*<NCOLS>)\d+', rf"\g<1>{n}\g<2>{n}", text)
        text = re.sub(rf'(<Geoposition resolution="{res}">\s*<ULX>)\d+(</ULX>\s*<ULY>)\d+', rf"\g<1>{ulx}\g<2>{uly}", text)
    return text


def old_baseline_xml(text: str) -> str:
    """The product XML as an older baseline (03.01) wrote it: no BOA_ADD_OFFSET list, N0301 in the names."""
    text = re.sub(r"\s*<BOA_ADD_OFFSET_VALUES_LIST>.*?</BOA_ADD_OFFSET_VALUES_LIST>", "", text, flags=re.S)
    return text.replace("<PROCESSING_BASELINE>04.00<", "<PROCESSING_BASELINE>03.01<").replace("N0400", "N0301").replace(
        "N04.00", "N03.01")


def build(name: str, offset: int, product_xml):
    root = OUT / name
    shutil.rmtree(root, ignore_errors=True)
    (root / GRANULE).mkdir(parents=True)
    (root / "MTD_MSIL2A.xml").write_text(product_xml(trim_product_xml((SRC / "MTD_MSIL2A.xml").read_text())))
    tile = trim_tile_xml((SRC / GRANULE / "MTD_TL.xml").read_text())
    (root / GRANULE / "MTD_TL.xml").write_text(tile if offset == 0 else tile.replace("N04.00", "N03.01"))
    for band in BANDS_60:
        dn, crs = read60(band)
        write_jp2(root / GRANULE / f"IMG_DATA/R60m/{STEM}_{band}_60m.jp2", shift(dn, offset), crs, 60)
    for band in BANDS_20:
        dn, crs = read60(band)
        write_jp2(root / GRANULE / f"IMG_DATA/R20m/{STEM}_{band}_20m.jp2", shift(dn, offset).repeat(3, 0).repeat(3, 1), crs, 20)
    for band in BANDS_10:
        dn, crs = read60("B8A" if band == "B08" else band)  # L2A has no B08 at 60 m: B8A stands in
        write_jp2(root / GRANULE / f"IMG_DATA/R10m/{STEM}_{band}_10m.jp2", shift(dn, offset).repeat(6, 0).repeat(6, 1), crs, 10)
    with rasterio.open(SRC / GRANULE / f"IMG_DATA/R20m/{STEM}_SCL_20m.jp2") as ds:
        scl = ds.read(1, window=Window(COL * 3, ROW * 3, N60 * 3, N60 * 3))
        write_jp2(root / GRANULE / f"IMG_DATA/R20m/{STEM}_SCL_20m.jp2", scl, ds.crs, 20)


def shift(dn: np.ndarray, offset: int) -> np.ndarray:
    out = dn.astype(np.int32) + offset
    assert (out[dn > 0] >= 1).all(), "the crop must have no valid DN that the old baseline could not store"
    return np.where(dn > 0, out, 0).astype(np.uint16)


if __name__ == "__main__":
    build("S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE", 0, lambda t: t)
    build("S2A_MSIL2A_20221005T115411_N0301_R023_T29UNU_20221005T164454.SAFE", -1000, old_baseline_xml)
