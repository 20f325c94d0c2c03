"""Sentinel-2 products as downloaded (issue 18): .SAFE folder, .zip, MTD_MSI*.xml; offsets; SCL masks; bad products.

Fixtures: tests/data/s2_safe/ (two crops of a real Level-2A product, baseline 04.00 and the same pixels as
baseline 03.01 wrote them, see its README.md). Level-1C products and broken products are made from them here.
"""

import importlib.util
import re
import shutil
import sys
import zipfile
from types import SimpleNamespace

import numpy as np
import pytest
import rasterio

from backend.geo import sentinel2_product as s2
from backend.geo.masks import build_mask
from backend.geo.raster_metadata import read_raster_metadata
from backend.geo.read import open_raster
from tests.conftest import DATA
from tests.test_hardening import FAST, cli, one_line_error

NEW = DATA / "s2_safe" / "S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE"
OLD = DATA / "s2_safe" / "S2A_MSIL2A_20221005T115411_N0301_R023_T29UNU_20221005T164454.SAFE"
GRANULE = "GRANULE/L2A_T29UNU_A038058_20221005T115407"
B04_10M = f"{GRANULE}/IMG_DATA/R10m/T29UNU_20221005T115411_B04_10m.jp2"


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the VRTs go to the test's own folder


def read(source):
    """(pixels, what the dataset said about itself) of a raster or product."""
    with open_raster(source) as ds:
        return ds.read(), SimpleNamespace(descriptions=ds.descriptions, dtypes=ds.dtypes, width=ds.width,
                                          height=ds.height, transform=ds.transform, res=ds.res, tags=ds.tags())


def zipped(folder, dst):
    """The product zipped as the Copernicus hub delivers it: one top folder ``<name>.SAFE/``."""
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                z.write(f, f"{folder.name}/{f.relative_to(folder)}")
    return dst


def copy(folder, tmp_path, name=None):
    dst = tmp_path / (name or folder.name)
    shutil.copytree(folder, dst)
    return dst


def level1c(tmp_path):
    """A Level-1C layout made from the fixture (test-only: MTD_MSIL1C.xml names, RADIO_ADD_OFFSET, no SCL)."""
    dst = tmp_path / NEW.name.replace("MSIL2A", "MSIL1C")
    shutil.copytree(NEW, dst, ignore=shutil.ignore_patterns("*SCL*"))
    text = (NEW / "MTD_MSIL2A.xml").read_text()
    text = text.replace("BOA_ADD_OFFSET", "RADIO_ADD_OFFSET").replace("BOA_QUANTIFICATION_VALUE", "QUANTIFICATION_VALUE")
    text = re.sub(r"\s*<IMAGE_FILE>[^<]*(SCL|TCI|AOT|WVP)[^<]*</IMAGE_FILE>", "", text)
    text = text.replace("Level-2A", "Level-1C").replace("MSIL2A", "MSIL1C")
    (dst / "MTD_MSIL1C.xml").write_text(text)
    (dst / "MTD_MSIL2A.xml").unlink()
    return dst


# ------------------------------------------------------------------------------ reading
def test_metadata_comes_from_the_product_xml():
    p = s2.read_product(NEW)
    assert (p.level, p.baseline, p.quantification, p.crs) == ("L2A", "04.00", 10000.0, "EPSG:32629")
    assert p.offsets["B04"] == -1000 and len(p.offsets) == 13
    assert s2.read_product(OLD).offsets == {}  # baselines before 04.00 have no offset
    md, sources = read_raster_metadata(s2.as_raster(NEW))
    assert str(md.date) == "2022-10-05" and md.cloud_cover == pytest.approx(0.5977, abs=1e-4)
    assert md.gsd == 10 and 52 < md.lat < 54 and -9 < md.lon < -8  # Ireland, tile T29UNU
    assert sources.date == "tag DATATAKE_SENSING_START"


@pytest.mark.parametrize("how", ["folder", "xml", "zip", "gdal subdataset"])
def test_folder_xml_zip_and_gdal_subdataset_open_the_same_reflectance(tmp_path, how):
    source = {"folder": lambda: NEW, "xml": lambda: NEW / "MTD_MSIL2A.xml",
              "zip": lambda: zipped(NEW, tmp_path / (NEW.stem + ".zip")),
              "gdal subdataset": lambda: f"SENTINEL2_L2A:{NEW / 'MTD_MSIL2A.xml'}:10m:EPSG_32629"}[how]()
    array, ds = read(source)
    assert ds.descriptions == s2.DEFAULT_BANDS and ds.dtypes[0] == "float32"
    assert (ds.width, ds.height, ds.transform.c, ds.transform.f, ds.res) == (72, 72, 520140, 5859000, (10, 10))
    with rasterio.open(NEW / B04_10M) as band:
        dn = band.read(1).astype(np.float64)
    np.testing.assert_allclose(array[0], (dn - 1000) / 10000, atol=1e-6)  # offset applied, B04 first


def test_old_and_new_baseline_of_the_same_ground_give_the_same_reflectance():
    new, _ = read(NEW)
    old, _ = read(OLD)
    with rasterio.open(OLD / B04_10M) as band_old, rasterio.open(NEW / B04_10M) as band_new:
        assert (band_new.read(1).astype(int) - band_old.read(1) == 1000).all()  # the old DN are 1000 lower ...
    np.testing.assert_allclose(old, new, atol=1e-6)  # ... and the reflectance is the same, 20 m bands included
    assert 0.03 < np.nanmin(new) and np.nanmax(new) < 0.8  # not brightened by 0.1


def test_20m_bands_are_cubic_resampled_onto_the_10m_grid_and_nodata_stays_out(tmp_path):
    product = copy(NEW, tmp_path)
    b05 = next(product.rglob("*_B05_20m.jp2"))
    with rasterio.open(b05) as ds:
        profile, dn = ds.profile, ds.read(1)
    dn[:, :10] = 0  # the swath edge: no data
    with rasterio.open(b05, "w", **dict(profile, QUALITY=100, REVERSIBLE="YES")) as ds:
        ds.write(dn, 1)
    array, ds = read(product)
    b05_10m = array[s2.DEFAULT_BANDS.index("B05")]
    # GDAL's nodata-aware kernel gives the last 10 m column over the edge (19) a value from its valid neighbours
    assert np.isnan(b05_10m[:, :19]).all() and np.isfinite(b05_10m[:, 19:]).all()
    assert b05_10m[:, 19:].min() > 0.1  # the no-data zeros are not blended into the edge (would be < 0)
    assert "cubic" in ds.tags["SENTINEL2_RESAMPLING"]


def test_60m_stack_on_request():
    array, ds = read(f"{NEW}:60m")
    assert ds.res == (60, 60) and ds.width == 12 and "B08" not in ds.descriptions  # L2A has no B08 at 60 m
    assert np.isfinite(array).all()


# ------------------------------------------------------------------------------ cloud masks
def test_scl_mask_defaults_to_clouds_shadow_and_cirrus():
    grid = s2.read_product(NEW).grids[10]
    job_mask = s2.resolve_job(_inpaint_job(NEW, NEW)).mask
    assert job_mask.classes == [3, 8, 9, 10] and job_mask.raster.endswith("_SCL_20m.jp2")
    with rasterio.open(job_mask.raster) as ds:
        scl = ds.read(1)
    mask = build_mask(_grid(grid), raster=job_mask.raster, classes=job_mask.classes)
    assert mask.shape == (72, 72)
    assert mask.mean() == pytest.approx(np.isin(scl, [3, 8, 9, 10]).mean())  # nearest: each 20 m pixel -> 2 x 2
    edited = s2.resolve_job(_inpaint_job(NEW, NEW, classes=[9])).mask
    assert edited.classes == [9]


def test_level1c_reads_with_radio_offset_and_has_no_scl(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ukis_csmask", None)  # no optional cloud detector (tests/test_l1c_clouds.py)
    product = level1c(tmp_path)
    p = s2.read_product(product)
    assert p.level == "L1C" and p.offsets["B02"] == -1000
    np.testing.assert_allclose(read(product)[0], read(NEW)[0], atol=1e-6)
    with pytest.raises(s2.MaskError, match="Level-1C product: it has no scene classification"):
        s2.resolve_job(_inpaint_job(product, product))


# ------------------------------------------------------------------------------ bad products, through the CLI
def test_truncated_zip_is_one_clear_error(tmp_path):
    whole = zipped(NEW, tmp_path / (NEW.stem + ".zip")).read_bytes()
    cut = tmp_path / NEW.name.replace(".SAFE", ".SAFE.zip")
    cut.write_bytes(whole[: len(whole) // 2])
    proc = cli("super-resolve", cut, "-o", tmp_path / "sr.tif", *FAST)
    one_line_error(proc, 2, cut.name, "truncated or corrupt")


def test_missing_band_files_are_listed_with_the_60m_hint(tmp_path):
    product = copy(NEW, tmp_path)
    for f in product.rglob("*_10m.jp2"):
        f.unlink()
    proc = cli("super-resolve", product, "-o", tmp_path / "sr.tif", *FAST)
    line = one_line_error(proc, 2, NEW.name, "band files missing", "B04 (10 m)", "B08 (10 m)", ":60m")
    assert "B05" not in line  # the 20 m bands are there


@pytest.mark.skipif(importlib.util.find_spec("ukis_csmask") is not None,
                    reason="the optional Level-1C cloud detector is installed: a Level-1C product has a cloud mask")
def test_level1c_where_scl_is_asked_is_one_clear_error(tmp_path):
    product = level1c(tmp_path)
    proc = cli("inpaint", product, "--bands", "B04", "B03", "B02", "--mask-raster", product, "-o",
               tmp_path / "f.tif", *FAST)
    one_line_error(proc, 2, product.name, "Level-1C", "no scene classification")


def test_metadata_disagreeing_with_the_bands_is_one_clear_error(tmp_path):
    product = copy(NEW, tmp_path)
    tile = next(product.rglob("MTD_TL.xml"))
    tile.write_text(tile.read_text().replace("<NROWS>72</NROWS>", "<NROWS>10980</NROWS>"))
    proc = cli("super-resolve", product, "-o", tmp_path / "sr.tif", *FAST)
    one_line_error(proc, 2, NEW.name, "metadata disagrees with the B04 file", "72 x 72 px", "72 x 10980")


def test_folder_without_product_xml_is_one_clear_error(tmp_path):
    product = copy(NEW, tmp_path)
    (product / "MTD_MSIL2A.xml").unlink()
    proc = cli("super-resolve", product, "-o", tmp_path / "sr.tif", *FAST)
    one_line_error(proc, 2, product.name, "no MTD_MSIL1C.xml or MTD_MSIL2A.xml")


def test_super_resolution_of_a_zipped_product_is_aligned_with_the_10m_grid(tmp_path):
    source = zipped(NEW, tmp_path / (NEW.stem + ".zip"))
    proc = cli("super-resolve", source, "-o", tmp_path / "sr.tif", *FAST)
    assert proc.returncode == 0, proc.stderr
    with rasterio.open(tmp_path / "sr.tif") as ds:
        assert (ds.transform.c, ds.transform.f) == (520140, 5859000) and ds.width % 72 == 0
        assert ds.width // 72 * ds.res[0] == 10


def _inpaint_job(product, mask, classes=None):
    from backend.jobs import InpaintJob, MaskSpec

    return InpaintJob(input=str(product), mask=MaskSpec(raster=str(mask), classes=classes), output=None)


def _grid(tile):
    from affine import Affine

    from backend.geo.grids import Grid

    return Grid("EPSG:32629", Affine(tile.res, 0, tile.ulx, 0, -tile.res, tile.uly), tile.width, tile.height)
