"""Metadata from rasters, extents and windows, checked against independent pyproj computations."""

import datetime as dt
import math

import numpy as np
import pytest
import rasterio
from affine import Affine

import backend.geo  # noqa: F401  (first: points pyproj at PROJ's data inside the venv)
from pyproj import CRS, Geod, Transformer
from rasterio.windows import Window

from backend.geo import (ExtentError, Grid, MissingCRSError, band_dates, extent_grid, metadata_for_extent,
                         metadata_for_window, metadata_from_raster, read_mtl, read_raster_metadata, sr_output_grid)
from backend.geo.raster_metadata import date_from_product_name, parse_timestamp
from backend.metadata import SatMetadata
from tests.geo_fixtures import (BETSIBOKA, LANDSAT5_DIR, LANDSAT8_EDGE, NO_CRS, SLOVENIA_CLOUDS, SLOVENIA_S2,
                                write_raster)


def _centre(ds):
    return ds.transform * (ds.width / 2, ds.height / 2)


def test_landsat8_utm21s_metadata_matches_pyproj():
    md = metadata_from_raster(LANDSAT8_EDGE)
    with rasterio.open(LANDSAT8_EDGE) as ds:
        cx, cy = _centre(ds)
        assert ds.crs.to_epsg() == 32621
    lon, lat = Transformer.from_crs(CRS.from_epsg(32621), CRS.from_epsg(4326), always_xy=True).transform(cx, cy)
    assert md.lon == pytest.approx(lon, abs=1e-9) and md.lat == pytest.approx(lat, abs=1e-9)
    assert -56 < md.lon < -54 and -26 < md.lat < -24  # southern Brazil / Paraguay, UTM 21S
    assert md.gsd == pytest.approx(30.0)
    assert md.date == dt.date(2020, 5, 18)  # ACQUISITION_DATE tag
    assert md.cloud_cover is None  # not in the file: never invented


def test_betsiboka_geographic_gsd_is_geodesic():
    md, sources = read_raster_metadata(BETSIBOKA)
    with rasterio.open(BETSIBOKA) as ds:
        t, w, h = ds.transform, ds.width, ds.height
    cx, cy = t * (w / 2, h / 2)
    geod = Geod(ellps="WGS84")
    dx = geod.inv(cx - t.a / 2, cy, cx + t.a / 2, cy)[2]
    dy = geod.inv(cx, cy - abs(t.e) / 2, cx, cy + abs(t.e) / 2)[2]
    assert md.gsd == pytest.approx((dx + dy) / 2, rel=1e-9)
    assert 70 < md.gsd < 76  # ~70 m pixels, not 0.0007 "metres"
    assert md.lon == pytest.approx(cx) and md.lat == pytest.approx(cy)
    assert md.date is None and sources.date is None  # the crop carries no date


def test_landsat5_mtl_date_and_cloud():
    band = LANDSAT5_DIR / "LT52240631988227CUB02_B3.TIF"
    md, sources = read_raster_metadata(band)
    assert md.date == dt.date(1988, 8, 14) and "MTL" in sources.date
    assert md.cloud_cover == 0.0 and "CLOUD_COVER" in sources.cloud_cover
    assert metadata_from_raster(LANDSAT5_DIR) == md  # the product folder itself
    mtl = read_mtl(LANDSAT5_DIR / "LT52240631988227CUB02_MTL.txt")  # NUL-padded file
    assert mtl["DATE_ACQUIRED"] == "1988-08-14" and mtl["SPACECRAFT_ID"] == "LANDSAT_5"


def test_mtl_cloud_percent_becomes_fraction(tmp_path):
    write_raster(tmp_path / "LC08_L1TP_224078_20200518_20200527_02_T1_B4.TIF", np.ones((1, 4, 4), np.uint16))
    (tmp_path / "LC08_L1TP_224078_20200518_20200527_02_T1_MTL.txt").write_text(
        'GROUP = LANDSAT_METADATA_FILE\n  GROUP = IMAGE_ATTRIBUTES\n    CLOUD_COVER = 37.25\n'
        '    DATE_ACQUIRED = 2020-05-18\n  END_GROUP = IMAGE_ATTRIBUTES\nEND_GROUP = LANDSAT_METADATA_FILE\nEND\n')
    md = metadata_from_raster(tmp_path / "LC08_L1TP_224078_20200518_20200527_02_T1_B4.TIF")
    assert md.cloud_cover == pytest.approx(0.3725) and md.date == dt.date(2020, 5, 18)


def test_dates_from_product_names_tags_and_descriptions(tmp_path):
    assert date_from_product_name("S2A_MSIL1C_20170527T102031_N0205_R065_T32TQM_20170527T102301.tif") == dt.date(2017, 5, 27)
    assert date_from_product_name("T33UUB_20170527T102031_B04.jp2") == dt.date(2017, 5, 27)
    assert date_from_product_name("LC08_L1TP_224078_20200518_20200527_01_T1_B4.TIF") == dt.date(2020, 5, 18)
    assert date_from_product_name("LT52240631988227CUB02_B1.TIF") == dt.date(1988, 8, 14)
    assert date_from_product_name("my_image_2020.tif") is None
    assert parse_timestamp("2019:07:04 10:11:12") == dt.date(2019, 7, 4)
    assert parse_timestamp("2015-07-11T10:00:08") == dt.date(2015, 7, 11)
    assert parse_timestamp("B04") is None and parse_timestamp("2019-02-30") is None
    # TIFFTAG_DATETIME and a percent cloud tag
    p = write_raster(tmp_path / "plain.tif", np.ones((1, 4, 4), np.uint8),
                     tags={"TIFFTAG_DATETIME": "2019:07:04 10:11:12", "CLOUDY_PIXEL_PERCENTAGE": "12.5"})
    md = metadata_from_raster(p)
    assert md.date == dt.date(2019, 7, 4) and md.cloud_cover == pytest.approx(0.125)
    # product name in the file name
    p = write_raster(tmp_path / "S2B_MSIL2A_20210102T101039_N0214_R022_T32TQM_20210102T121212.tif",
                     np.ones((1, 4, 4), np.uint16))
    assert metadata_from_raster(p).date == dt.date(2021, 1, 2)


def test_band_description_timestamps():
    dates = band_dates(SLOVENIA_CLOUDS)
    assert len(dates) == 4 and dates[0] == dt.date(2015, 7, 11) and all(dates)
    assert metadata_from_raster(SLOVENIA_CLOUDS, bands=[3]).date == dates[2]
    assert metadata_from_raster(SLOVENIA_CLOUDS).date is None  # several dates: not one date to invent
    assert metadata_from_raster(SLOVENIA_S2).date is None  # band names are not dates


def test_missing_crs_metadata_refused():
    with pytest.raises(MissingCRSError):
        metadata_from_raster(NO_CRS)


def test_metadata_for_extent_and_window():
    bounds = (500000.0, 4999000.0, 502560.0, 5001560.0)
    md = metadata_for_extent(bounds, "EPSG:32633", 256, 256, date="2021-06-01", cloud_cover=0.1)
    lon, lat = Transformer.from_crs(32633, 4326, always_xy=True).transform(501280.0, 5000280.0)
    assert md.gsd == pytest.approx(10.0) and md.lon == pytest.approx(lon) and md.lat == pytest.approx(lat)
    assert md.date == dt.date(2021, 6, 1) and md.cloud_cover == 0.1
    assert metadata_for_extent(bounds, "EPSG:32633", 256, 256).date is None
    with pytest.raises(ExtentError, match="empty"):
        metadata_for_extent((1, 1, 1, 2), "EPSG:32633", 10, 10)
    with pytest.raises(ExtentError):
        metadata_for_extent(bounds, "EPSG:32633", 0, 10)
    # per-window: each tile has its own centre, keeps the base date
    grid = Grid("EPSG:32633", Affine(10, 0, 500000, 0, -10, 5001560), 256, 256)
    base = SatMetadata(date=dt.date(2021, 6, 1))
    a = metadata_for_window(grid, Window(0, 0, 64, 64), base)
    b = metadata_for_window(grid, Window(192, 192, 64, 64), base)
    lon_b, lat_b = Transformer.from_crs(32633, 4326, always_xy=True).transform(500000 + 224 * 10, 5001560 - 224 * 10)
    assert b.lon == pytest.approx(lon_b) and b.lat == pytest.approx(lat_b) and a.lon < b.lon and a.lat > b.lat
    assert a.date == base.date and a.gsd == pytest.approx(10.0)


def test_us_foot_crs_gsd_uses_unit_factor():
    grid = Grid("EPSG:2263", Affine(10, 0, 980000, 0, -10, 200000), 10, 10)  # NY Long Island, US ft
    assert grid.gsd() == pytest.approx(10 * 0.3048006096, rel=1e-6)


def test_sr_output_grid_exact_transform():
    with rasterio.open(LANDSAT8_EDGE) as ds:
        grid = Grid.from_dataset(ds)
    out = sr_output_grid(grid, 4)
    t = grid.transform
    assert out.transform == Affine(t.a / 4, t.b, t.c, t.d, t.e / 4, t.f)
    assert (out.width, out.height) == (grid.width * 4, grid.height * 4)
    assert out.bounds == pytest.approx(grid.bounds) and out.crs == grid.crs


def test_extent_grid_rounds_up_and_covers():
    g = extent_grid((500000, 4999000, 500105, 4999050), "EPSG:32633", 10)
    assert (g.width, g.height) == (11, 5)  # 10.5 -> 11 columns, exactly 5 rows
    assert g.transform == Affine(10, 0, 500000, 0, -10, 4999050)
    left, bottom, right, top = g.bounds
    assert right >= 500105 and bottom <= 4999000
    geo = extent_grid((46.3, -15.9, 46.4, -15.8), "EPSG:4326", 100)
    assert geo.gsd() == pytest.approx(100, rel=1e-3)
    with pytest.raises(ExtentError, match="empty"):
        extent_grid((0, 0, 0, 10), "EPSG:32633", 10)
    with pytest.raises(ExtentError, match="limit"):
        extent_grid((0, 0, 100000, 100000), "EPSG:32633", 1, max_pixels=10 ** 6)
