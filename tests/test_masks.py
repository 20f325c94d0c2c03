"""Masks: vector polygons (also in another CRS), SCL classes, QA_PIXEL bits, resampling, dilation."""

import json

import numpy as np
import pytest
import rasterio
from affine import Affine

import backend.geo  # noqa: F401  (PROJ data for pyproj)
from pyproj import Transformer
from shapely.geometry import Polygon, box, mapping
from shapely.ops import transform as shp_transform

from backend.geo import Grid, MaskError, MissingCRSError, dilate_mask, mask_from_raster, qa_pixel_mask, scl_mask, vector_mask
from tests.geo_fixtures import write_raster

GRID = Grid("EPSG:32633", Affine(10, 0, 500000, 0, -10, 5000000), 50, 40)


def test_vector_mask_same_crs():
    square = box(500100, 5000000 - 300, 500200, 5000000 - 100)  # cols 10..19, rows 10..29
    mask = vector_mask([square], GRID, crs="EPSG:32633")
    expected = np.zeros(GRID.shape, bool)
    expected[10:30, 10:20] = True
    assert np.array_equal(mask, expected)


def test_vector_mask_in_another_crs_is_reprojected():
    to_wgs = Transformer.from_crs(32633, 4326, always_xy=True)
    square = box(500100, 5000000 - 300, 500200, 5000000 - 100)
    # densify so the lon/lat polygon follows the UTM square closely
    ring = np.array(square.exterior.coords)
    dense = np.concatenate([np.linspace(ring[i], ring[i + 1], 20, endpoint=False) for i in range(4)])
    wgs = shp_transform(to_wgs.transform, Polygon(dense))
    mask = vector_mask([wgs], GRID, crs="EPSG:4326")
    expected = np.zeros(GRID.shape, bool)
    expected[10:30, 10:20] = True
    assert np.array_equal(mask, expected)
    with pytest.raises(MissingCRSError):
        vector_mask([wgs], GRID)


def test_vector_mask_from_file(tmp_path):
    from osgeo import ogr, osr

    to_wgs = Transformer.from_crs(32633, 4326, always_xy=True)
    square = shp_transform(to_wgs.transform, box(500205, 5000000 - 205, 500295, 5000000 - 105))
    path = tmp_path / "mask.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": mapping(square)}]}))
    mask = vector_mask(str(path), GRID, dilate_m=0)
    assert mask.sum() == pytest.approx(90, abs=12) and mask[15, 25]
    # GeoPackage layer with its own CRS, QGIS-style source string
    gpkg = tmp_path / "m.gpkg"
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(gpkg))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    lyr = ds.CreateLayer("clouds", srs, ogr.wkbPolygon)
    feat = ogr.Feature(lyr.GetLayerDefn())
    feat.SetGeometry(ogr.CreateGeometryFromWkt(box(500000, 4999800, 500050, 5000000).wkt))
    lyr.CreateFeature(feat)
    feat = lyr = ds = None
    mask = vector_mask(f"{gpkg}|layername=clouds", GRID)
    assert mask[:20, :5].all() and mask.sum() == 100
    with pytest.raises(MaskError, match="does not exist"):
        vector_mask(str(tmp_path / "missing.gpkg"), GRID)


def test_scl_and_qa_pixel_masks():
    scl = np.array([[0, 3, 4, 8], [9, 10, 5, 11]], np.uint8)
    assert scl_mask(scl).tolist() == [[False, True, False, True], [True, True, False, False]]
    assert scl_mask(scl, classes=[11]).sum() == 1
    qa = np.array([1 << 1, 1 << 2, 1 << 3, 1 << 4, 1 << 6, 21824, 22280], np.uint16)  # 21824 = clear land C2
    assert qa_pixel_mask(qa).tolist() == [True, True, True, True, False, False, True]
    assert qa_pixel_mask(qa, bits=[3]).tolist() == [False, False, True, False, False, False, True]


def test_mask_raster_resampled_nearest_to_grid(tmp_path):
    # a 20 m SCL raster covering GRID: classes per 20 m pixel -> each covers 2x2 grid pixels
    scl = np.full((20, 25), 4, np.uint8)
    scl[5, 7] = 9
    scl[0, 0] = 3
    path = write_raster(tmp_path / "scl.tif", scl, transform=Affine(20, 0, 500000, 0, -20, 5000000))
    mask = mask_from_raster(path, GRID, "scl")
    assert mask.shape == GRID.shape and mask.sum() == 8
    assert mask[10:12, 14:16].all() and mask[0:2, 0:2].all()
    dil = mask_from_raster(path, GRID, "scl", dilate_m=10)
    assert dil.sum() > mask.sum() and dil[9, 14] and not dil[8, 14]
    with pytest.raises(MaskError, match="kind"):
        mask_from_raster(path, GRID, "nope")


def test_qa_pixel_raster_in_another_crs_is_warped(tmp_path):
    # ~1 m WGS84 pixels over GRID; cloud bit 3 where the pixel centre falls in UTM cols 10..19, rows 10..29
    to_utm = Transformer.from_crs(4326, 32633, always_xy=True)
    to_wgs = Transformer.from_crs(32633, 4326, always_xy=True)
    lon0, lat1 = to_wgs.transform(499990, 5000010)
    res = 1.2e-5
    t = Affine(res, 0, lon0, 0, -res, lat1)
    rows, cols = 420, 560
    jj, ii = np.meshgrid(np.arange(cols) + 0.5, np.arange(rows) + 0.5)
    x, y = to_utm.transform(lon0 + jj * res, lat1 - ii * res)
    c, r = (x - 500000) / 10, (5000000 - y) / 10
    qa = np.where((c >= 10) & (c < 20) & (r >= 10) & (r < 30), 1 << 3, 1 << 6).astype(np.uint16)
    path = write_raster(tmp_path / "qa.tif", qa, crs="EPSG:4326", transform=t)
    mask = mask_from_raster(path, GRID, "qa_pixel")
    expected = np.zeros(GRID.shape, bool)
    expected[10:30, 10:20] = True
    assert np.array_equal(mask, expected)


def test_dilation_in_metres():
    m = np.zeros((21, 21), bool)
    m[10, 10] = True
    d = dilate_mask(m, 30, gsd=10)  # 3 px radius disk
    assert d.sum() == 29 and d[10, 13] and not d[10, 14] and not d[13, 13]
    assert dilate_mask(m, 0, 10).sum() == 1
    with pytest.raises(MaskError):
        dilate_mask(m, 30, gsd=None)


def test_build_mask_from_each_kind_of_source(tmp_path):
    from backend.geo import build_mask

    wkt = box(500100, 5000000 - 300, 500200, 5000000 - 100).wkt
    drawn = build_mask(GRID, geometries_wkt=[wkt], geometries_crs="EPSG:32633")
    assert drawn.sum() == 200 and drawn[10:30, 10:20].all()
    assert build_mask(GRID, geometries_wkt=[wkt], geometries_crs="EPSG:32633", dilate_m=10).sum() > 200
    values = np.zeros(GRID.shape, np.uint16)
    values[0, 0], values[1, 1], values[2, 2] = 9, 1 << 3, 1
    path = write_raster(tmp_path / "v.tif", values, transform=GRID.transform)
    assert np.argwhere(build_mask(GRID, raster=path, classes=[9])).tolist() == [[0, 0]]
    assert np.argwhere(build_mask(GRID, raster=path, bits=[3])).tolist() == [[0, 0], [1, 1]]  # 9 = 0b1001
    assert build_mask(GRID, raster=path).sum() == 3
    with pytest.raises(MaskError, match="exactly one"):
        build_mask(GRID, raster=path, geometries_wkt=[wkt])
    with pytest.raises(MaskError, match="WKT"):
        build_mask(GRID, geometries_wkt=["POLYGON ((0 0, 1"], geometries_crs="EPSG:32633")
