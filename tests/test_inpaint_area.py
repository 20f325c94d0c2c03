"""A small mask on a large raster (issue 20 item 4): only the windows around the mask are read and filled.

Real GeoTIFFs (a crop of a real Landsat 8 scene tiled into a larger raster, and a sparse 200 000 px raster),
the real parity model set (official architecture, random weights): plumbing, not image quality.
"""

import threading

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from backend.api import DiffusionSat
from backend.cancel import Cancelled
from backend.geo.grids import Grid
from backend.geo.masks import build_mask, mask_footprint
from backend.tasks import inpaint_area
from tests.conftest import DATA

LANDSAT = DATA / "landsat8_224078_20200518_rgb_edge.tif"
FAST = dict(steps=2, tile_size=64, overlap=16, seed=5, quicklook=False)


@pytest.fixture(scope="module")
def model():
    import torch

    torch.set_num_threads(2)
    return DiffusionSat.from_pretrained(DATA / "parity")


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """A 1024 x 960 px tiled GeoTIFF: the real Landsat crop repeated (its grid, CRS and values)."""
    path = tmp_path_factory.mktemp("area") / "scene.tif"
    with rasterio.open(LANDSAT) as src:
        big = np.tile(src.read(), (1, 8, 6))
        profile = dict(driver="GTiff", width=big.shape[2], height=big.shape[1], count=3, dtype="uint16",
                       crs=src.crs, transform=src.transform, tiled=True, blockxsize=256, blockysize=256,
                       compress="deflate")
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(big)
    return path


def _square(path, row, col, side):
    """WKT of a square of ``side`` px with its top-left corner at pixel (row, col) of ``path``, and its CRS."""
    with rasterio.open(path) as ds:
        x0, y0 = ds.transform * (col, row)
        x1, y1 = ds.transform * (col + side, row + side)
        crs = ds.crs.to_string()
    return {"geometries_wkt": [f"POLYGON(({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))"],
            "geometries_crs": crs}


def _grid(path):
    with rasterio.open(path) as ds:
        return Grid.from_dataset(ds)


def test_the_footprint_of_polygons_and_of_a_mask_raster_is_known_before_rasterising(scene, tmp_path):
    grid = _grid(scene)
    spec = _square(scene, 500, 400, 40)
    foot = mask_footprint(grid, **spec)
    assert foot == (499, 541, 399, 441)  # the square's pixels, grown by one
    mask = build_mask(grid, **spec)
    rows, cols = np.nonzero(mask)
    assert foot[0] <= rows.min() and rows.max() < foot[1] and foot[2] <= cols.min() and cols.max() < foot[3]
    # dilation grows it by its radius in pixels (30 m pixels: 100 m is 4 px)
    assert mask_footprint(grid, dilate_m=100, **spec) == (495, 545, 395, 445)
    # the same square given in WGS84 lands on the same pixels (reprojected), within a pixel
    from rasterio.warp import transform_geom
    from shapely import wkt as shapely_wkt
    from shapely.geometry import shape

    geo = transform_geom(spec["geometries_crs"], "EPSG:4326", shapely_wkt.loads(spec["geometries_wkt"][0]).__geo_interface__)
    f84 = mask_footprint(grid, geometries_wkt=[shape(geo).wkt], geometries_crs="EPSG:4326")
    assert all(abs(a - b) <= 1 for a, b in zip(f84, foot))
    # a mask raster: its extent
    with rasterio.open(scene) as ds:
        profile = dict(driver="GTiff", width=40, height=30, count=1, dtype="uint8", crs=ds.crs,
                       transform=ds.transform * rasterio.Affine.translation(100, 200))
    with rasterio.open(tmp_path / "m.tif", "w", **profile) as m:
        m.write(np.ones((1, 30, 40), np.uint8))
    assert mask_footprint(grid, raster=str(tmp_path / "m.tif")) == (199, 231, 99, 141)
    # nowhere near the raster: nothing
    assert mask_footprint(grid, **_square(scene, -5000, -5000, 40)) is None


def test_a_small_mask_fills_only_its_window_and_keeps_every_other_pixel(model, scene, tmp_path):
    spec = _square(scene, 470, 400, 30)
    seen = []
    res = model.inpaint(scene, spec, output=tmp_path / "area.tif", progress=lambda f, m="": seen.append((f, m)),
                        **FAST)
    with rasterio.open(scene) as a, rasterio.open(res.output) as b:
        before, after, tags = a.read(), b.read(), b.tags()
        assert (b.width, b.height, b.crs, b.transform, b.dtypes) == (a.width, a.height, a.crs, a.transform, a.dtypes)
        assert b.colorinterp[0].name == "red"
    hole = build_mask(_grid(scene), **spec)
    np.testing.assert_array_equal(after[:, ~hole], before[:, ~hole])  # exactly: copied, not blended
    assert (after[:, hole] != before[:, hole]).any()
    # the work stayed in the window: 2 tiles of 64 px around the 30 px square, a few dozen tiles (the whole
    # raster is 420)
    assert tags["DIFFUSIONSAT_INPAINT_AREA"] == "col 271 row 341 width 288 height 288"
    assert res.tiles < 50 and tags["DIFFUSIONSAT_INPAINT_CHECK"] == res.check["summary"]
    fractions = [f for f, _ in seen]
    assert fractions[-1] == 1.0 and all(b >= a for a, b in zip(fractions, fractions[1:]))
    assert any("copying" in m for _, m in seen)
    # the same job on the whole raster changes exactly the same pixels
    inpaint_area.AREA_SHARE, share = -1.0, inpaint_area.AREA_SHARE
    try:
        whole = model.inpaint(scene, spec, output=tmp_path / "whole.tif", **FAST)
    finally:
        inpaint_area.AREA_SHARE = share
    with rasterio.open(whole.output) as w:
        assert "DIFFUSIONSAT_INPAINT_AREA" not in w.tags()
        np.testing.assert_array_equal((w.read() != before).any(axis=0), (after != before).any(axis=0))
    assert whole.tiles == 420


def test_a_40_px_mask_on_a_200000_px_raster_touches_only_its_windows(model, tmp_path):
    """The issue's bar: 40 x 40 px on 200 000 x 200 000 px (was refused for memory: 37 GiB of mask). The
    sparse input has one written block; so has the output, plus the fill."""
    side = 200_000
    profile = dict(driver="GTiff", width=side, height=side, count=3, dtype="uint16", crs="EPSG:32633",
                   transform=rasterio.Affine(10, 0, 400000, 0, -10, 5200000), tiled=True, blockxsize=256,
                   blockysize=256, compress="deflate", SPARSE_OK=True, BIGTIFF="YES")
    scene = tmp_path / "huge.tif"
    block = np.random.default_rng(0).integers(500, 3000, (3, 256, 256), dtype=np.uint16)
    with rasterio.open(scene, "w", **profile) as ds:
        ds.write(block, window=Window(0, 0, 256, 256))
    mask = tmp_path / "mask.tif"
    with rasterio.open(mask, "w", **dict(profile, count=1, dtype="uint8", width=40, height=40, BIGTIFF="NO",
                                         transform=rasterio.Affine(10, 0, 401000, 0, -10, 5199000))) as ds:
        ds.write(np.ones((1, 40, 40), np.uint8))
    res = model.inpaint(scene, {"raster": str(mask)}, output=tmp_path / "out.tif", **FAST)
    with rasterio.open(res.output) as out:
        assert (out.width, out.height, out.count) == (side, side, 3)
        got = out.read(window=Window(0, 0, 256, 256))
        assert not out.read(window=Window(side - 300, side - 300, 300, 300)).any()  # never written: 0
    hole = np.zeros((256, 256), bool)
    hole[100:140, 100:140] = True
    np.testing.assert_array_equal(got[:, ~hole], block[:, ~hole])
    assert (got[:, hole] != block[:, hole]).any()
    assert res.tiles < 100
    assert res.output.stat().st_size < 64 << 20  # the block index and two blocks, not 240 GB of pixels


def test_cancel_while_copying_leaves_nothing(model, scene, tmp_path):
    stop = threading.Event()

    def progress(fraction, message=""):
        if "copying" in message:
            stop.set()

    with pytest.raises(Cancelled):
        model.inpaint(scene, _square(scene, 470, 400, 30), output=tmp_path / "c.tif", progress=progress,
                      cancel=stop, **FAST)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no output, no patch, no partial file


def test_several_samples_give_a_whole_raster_spread_layer(model, scene, tmp_path):
    res = model.inpaint(scene, _square(scene, 470, 400, 30), output=tmp_path / "s.tif", num_samples=2,
                        fallback=False, **FAST)  # the model fills (the spread is 0 where it does not run)
    assert res.uncertainty == tmp_path / "s_uncertainty.tif"
    with rasterio.open(res.uncertainty) as unc, rasterio.open(scene) as src:
        spread = unc.read(1)
        assert (unc.width, unc.height, unc.transform) == (src.width, src.height, src.transform)
    assert spread[470:500, 400:430].max() > 0 and spread[:300].max() == 0  # the model ran in the window only
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.tif", "s_uncertainty.tif"]


def test_the_estimate_counts_the_tiles_of_the_window(model, scene, tmp_path):
    from backend.jobs import InpaintJob, MaskSpec, SamplingOptions, TilingOptions

    spec = _square(scene, 470, 400, 30)
    job = InpaintJob(input=str(scene), mask=MaskSpec(**spec), output=str(tmp_path / "e.tif"),
                     sampling=SamplingOptions(steps=2), tiling=TilingOptions(tile_size=64, overlap=16))
    assert model.estimate(job).tiles == 36  # the 288 px window: 6 x 6 tiles, not the raster's 420


def test_a_striped_input_gives_the_same_output_as_a_tiled_one(model, scene, tmp_path):
    striped = tmp_path / "striped.tif"
    with rasterio.open(scene) as src:
        profile = dict(src.profile, tiled=False, blockysize=8)
        profile.pop("blockxsize")
        with rasterio.open(striped, "w", **profile) as dst:
            dst.write(src.read())
    spec = _square(scene, 470, 400, 30)
    a = model.inpaint(scene, spec, output=tmp_path / "a.tif", **FAST)
    b = model.inpaint(striped, spec, output=tmp_path / "b.tif", **FAST)
    with rasterio.open(a.output) as x, rasterio.open(b.output) as y:
        assert y.tags()["DIFFUSIONSAT_INPAINT_AREA"] == x.tags()["DIFFUSIONSAT_INPAINT_AREA"]
        np.testing.assert_array_equal(x.read(), y.read())


def test_a_mask_beside_a_huge_raster_is_refused_for_what_it_is(model, tmp_path):
    from backend.tasks.inpaint import InpaintError

    scene = tmp_path / "huge.tif"
    with rasterio.open(scene, "w", driver="GTiff", width=100_000, height=100_000, count=3, dtype="uint8",
                       crs="EPSG:32633", transform=rasterio.Affine(10, 0, 400000, 0, -10, 5200000), tiled=True,
                       SPARSE_OK=True, BIGTIFF="YES") as ds:
        ds.write(np.ones((3, 16, 16), np.uint8), window=Window(0, 0, 16, 16))
    beside = {"geometries_wkt": ["POLYGON((0 0, 100 0, 100 100, 0 100, 0 0))"], "geometries_crs": "EPSG:32633"}
    with pytest.raises(InpaintError, match="covers no pixel"):  # not a refusal for the whole mask's memory
        model.inpaint(scene, beside, output=tmp_path / "out.tif", **FAST)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["huge.tif"]
