"""Reading: band selection by index / name, Sentinel-2 SR order, Landsat folders, nodata, scaling, errors."""

import numpy as np
import pytest
import rasterio

from backend.geo import (BandSelectionError, ExtentError, MissingCRSError, RasterReadError, SENTINEL2_SR_BANDS,
                         band_code, landsat_band_files, read_landsat_folder, read_raster, read_sentinel2_sr,
                         resolve_bands)
from backend.geo.masks import edge_zero_mask
from backend.geo.scaling import from_unit, percentile_limits, to_unit
from tests.geo_fixtures import (BETSIBOKA, HAITI, LANDSAT5_DIR, LANDSAT8_EDGE, NO_CRS, SLOVENIA_S2, write_raster)


def test_read_whole_raster_keeps_profile():
    data = read_raster(HAITI)
    with rasterio.open(HAITI) as ds:
        assert np.array_equal(data.array, ds.read())
        assert data.transform == ds.transform and data.crs == ds.crs
    assert data.array.shape == (4, 128, 128) and data.dtype == np.uint8
    assert data.valid.all()


def test_read_window_and_extent_agree():
    with rasterio.open(HAITI) as ds:
        win = rasterio.windows.Window(10, 20, 30, 40)
        ref = ds.read(window=win)
        bounds = rasterio.windows.bounds(win, ds.transform)
    by_window = read_raster(HAITI, window=win)
    by_bounds = read_raster(HAITI, bounds=bounds)
    assert np.array_equal(by_window.array, ref) and np.array_equal(by_bounds.array, ref)
    assert by_bounds.transform == by_window.transform


def test_sentinel2_sr_bands_by_name_in_official_order():
    assert SENTINEL2_SR_BANDS == ("B04", "B03", "B02", "B05", "B06", "B07", "B08", "B8A", "B11", "B12")
    data = read_sentinel2_sr(SLOVENIA_S2)
    assert data.descriptions == SENTINEL2_SR_BANDS
    with rasterio.open(SLOVENIA_S2) as ds:
        names = list(ds.descriptions)
        for k, name in enumerate(SENTINEL2_SR_BANDS):
            assert np.array_equal(data.array[k], ds.read(names.index(name) + 1))


def test_band_names_case_insensitive_and_b8a_distinct_from_b08():
    assert band_code("b4") == band_code("B04") == "B04"
    assert band_code("b8a") == "B8A" and band_code("B8") == "B08"
    with rasterio.open(SLOVENIA_S2) as ds:
        desc = ds.descriptions
    assert resolve_bands(desc, ["b8a", "B8", "b12", 1]) == [9, 8, 13, 1]


def test_band_names_from_shuffled_descriptions(tmp_path):
    names = ["B8A", "B02", "B08", "B04"]
    arr = np.arange(4, dtype=np.uint16)[:, None, None] * np.ones((4, 3, 3), np.uint16)
    path = write_raster(tmp_path / "s.tif", arr, descriptions=names)
    data = read_raster(path, bands=["B8", "b8A", "b4"])
    assert [int(a[0, 0]) for a in data.array] == [2, 0, 3]


def test_wrong_band_names_and_indexes_are_clear():
    with pytest.raises(BandSelectionError, match="B13"):
        read_raster(SLOVENIA_S2, bands=["B13"])
    with pytest.raises(BandSelectionError, match="out of range"):
        read_raster(HAITI, bands=[5])
    with pytest.raises(BandSelectionError, match="no descriptions"):
        read_raster(HAITI, bands=["red"])
    with pytest.raises(BandSelectionError, match="super-resolution"):
        read_sentinel2_sr(HAITI)


def test_landsat_folder_bands_and_mtl():
    files = landsat_band_files(LANDSAT5_DIR)
    assert set(files) == {"B1", "B2", "B3", "B4"}
    data = read_landsat_folder(LANDSAT5_DIR, bands=["B3", "b2", "B1"])
    assert data.descriptions == ("B3", "B2", "B1") and data.array.shape == (3, 64, 64)
    with rasterio.open(files["B2"]) as ds:
        assert np.array_equal(data.array[1], ds.read(1))
    assert data.tags["MTL_FILE"].endswith("_MTL.txt")
    assert read_landsat_folder(LANDSAT5_DIR).descriptions == ("B3", "B2", "B1")  # TM true colour
    with pytest.raises(BandSelectionError, match="B7"):
        read_landsat_folder(LANDSAT5_DIR, bands=["B7"])


def test_undeclared_edge_zeros_detected():
    with rasterio.open(LANDSAT8_EDGE) as ds:
        assert ds.nodata is None
        arr = ds.read()
    plain = read_raster(LANDSAT8_EDGE)
    assert plain.valid.all()  # nothing declared
    data = read_raster(LANDSAT8_EDGE, edge_zeros=True)
    zeros = (arr == 0).all(axis=0)
    assert 0.1 < (~data.valid).mean() < 0.5
    assert np.array_equal(~data.valid, zeros)  # here all zeros are scene fill, connected to the border
    # a dark pixel inside the scene is not fill
    arr2 = arr.copy()
    r, c = np.argwhere(~zeros)[len(np.argwhere(~zeros)) // 2]
    arr2[:, r - 1:r + 2, c - 1:c + 2] = 0
    mask = edge_zero_mask(arr2)
    assert not mask[r, c] and np.array_equal(mask, zeros)


def test_declared_nodata_is_invalid(tmp_path):
    arr = np.full((2, 4, 5), 7, np.uint16)
    arr[:, 0, 0] = 65535
    arr[0, 1, 1] = 65535  # one band only: still data
    data = read_raster(write_raster(tmp_path / "n.tif", arr, nodata=65535))
    assert not data.valid[0, 0] and data.valid[1, 1] and data.valid.sum() == 19


def test_missing_crs_refused_with_clear_message():
    with pytest.raises(MissingCRSError, match="no coordinate reference system"):
        read_raster(NO_CRS)
    data = read_raster(NO_CRS, require_crs=False)
    assert data.array.shape == (6, 64, 64) and data.crs is None
    with pytest.raises(MissingCRSError):
        data.grid


def test_missing_file_and_not_a_raster(tmp_path):
    with pytest.raises(RasterReadError, match="does not exist"):
        read_raster(tmp_path / "nope.tif")
    bad = tmp_path / "bad.tif"
    bad.write_text("not a raster")
    with pytest.raises(RasterReadError, match="not a raster"):
        read_raster(bad)


def test_empty_and_outside_extents():
    with rasterio.open(BETSIBOKA) as ds:
        left, bottom, right, top = ds.bounds
    with pytest.raises(ExtentError, match="empty"):
        read_raster(BETSIBOKA, bounds=(left + 0.01, bottom, left + 0.01, top))
    with pytest.raises(ExtentError, match="does not overlap"):
        read_raster(BETSIBOKA, bounds=(right + 1, bottom, right + 2, top))
    # an extent in another CRS is reprojected (WGS84 raster, UTM 38S extent around its centre)
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:4326", "EPSG:32738", always_xy=True)
    cx, cy = t.transform((left + right) / 2, (bottom + top) / 2)
    data = read_raster(BETSIBOKA, bounds=(cx - 500, cy - 500, cx + 500, cy + 500), bounds_crs="EPSG:32738")
    assert 10 <= data.array.shape[1] <= 20 and 10 <= data.array.shape[2] <= 20


def test_scaling_by_dtype_and_product():
    u8 = np.array([[0, 255, 51]], np.uint8)
    assert np.allclose(to_unit(u8), [[0, 1, 0.2]])
    u16 = np.array([[0, 10000, 2500, 12000]], np.uint16)
    assert np.allclose(to_unit(u16), [[0, 1, 0.25, 1]])
    f = np.array([[-0.1, 0.3, 1.4, np.nan]], np.float32)
    assert np.allclose(to_unit(f), [[0, 0.3, 1, 0]])
    sr = np.array([[7273, 43636]], np.uint16)  # Landsat C2 L2: 0.0 and ~1.0 reflectance
    assert np.allclose(to_unit(sr, "landsat_c2_sr"), [[0.0, 1.0]], atol=1e-4)
    assert np.array_equal(from_unit(to_unit(u16[:, :3]), np.uint16), u16[:, :3])
    assert np.array_equal(from_unit(to_unit(u8), np.uint8), u8)


def test_percentile_stretch_ignores_invalid():
    arr = np.tile(np.arange(100, dtype=np.uint16), (1, 10, 1))
    arr[0, 0, :] = 60000
    valid = np.ones((10, 100), bool)
    valid[0] = False
    lim = percentile_limits(arr, valid, (0, 100))
    assert lim.tolist() == [[0, 99]]
    out = to_unit(arr, "percentile", valid=valid, percentiles=(0, 100))
    assert out[0, 5, 99] == 1.0 and out[0, 5, 0] == 0.0 and (out[0, 0] == 0).all()
