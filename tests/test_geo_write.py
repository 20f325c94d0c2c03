"""Writing: tags, descriptions, nodata, COG, atomic rename, refusing inputs and unwritable folders."""

import json
import os

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.windows import Window

from backend.geo import Grid, GeoTIFFWriter, OutputPathError, check_output_path, provenance_tags, write_geotiff
from backend.metadata import SatMetadata
from backend.version import __version__
from tests.geo_fixtures import write_raster

GRID = Grid("EPSG:32633", Affine(10, 0, 500000, 0, -10, 5000000), 40, 30)


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_write_roundtrip_with_provenance(tmp_path):
    arr = np.arange(3 * 30 * 40, dtype=np.uint16).reshape(3, 30, 40)
    md = SatMetadata(lon=14.5, lat=45.9, gsd=10, date="2021-06-01")
    tags = provenance_tags(model="diffusionsat-sr", checkpoint_sha256="ab" * 32, seed=7, steps=20,
                           scheduler="DDIM", guidance=3.5, prompt="a satellite image", metadata=md)
    out = write_geotiff(tmp_path / "o.tif", arr, GRID, nodata=0, descriptions=["B04", "B03", "B02"], tags=tags)
    with rasterio.open(out) as ds:
        assert np.array_equal(ds.read(), arr)
        assert ds.crs == GRID.crs and ds.transform == GRID.transform and ds.nodata == 0
        assert ds.descriptions == ("B04", "B03", "B02")
        assert ds.profile["compress"] == "deflate" and ds.profile["tiled"]
        t = ds.tags()
    assert t["DIFFUSIONSAT_VERSION"] == __version__ and t["DIFFUSIONSAT_SEED"] == "7"
    assert t["DIFFUSIONSAT_SCHEDULER"] == "DDIM" and t["DIFFUSIONSAT_PROMPT"] == "a satellite image"
    assert t["DIFFUSIONSAT_CHECKPOINT_SHA256"] == "ab" * 32 and t["DIFFUSIONSAT_GUIDANCE"] == "3.5"
    assert json.loads(t["DIFFUSIONSAT_METADATA"])["date"] == "2021-06-01"
    assert _leftovers(tmp_path) == []
    # our own output's metadata round-trips through the tags
    from backend.geo import metadata_from_raster

    assert metadata_from_raster(out).date.isoformat() == "2021-06-01"


def test_cog_output(tmp_path):
    grid = Grid("EPSG:32633", Affine(10, 0, 500000, 0, -10, 5000000), 600, 520)
    arr = (np.random.default_rng(0).random((2, 520, 600)) * 1000).astype(np.float32)
    out = write_geotiff(tmp_path / "c.tif", arr, grid, cog=True, descriptions=["a", "b"], tags={"DIFFUSIONSAT_SEED": "1"})
    with rasterio.open(out) as ds:
        assert ds.overviews(1)  # overviews built
        assert ds.profile["tiled"] and ds.tags()["DIFFUSIONSAT_SEED"] == "1" and ds.descriptions == ("a", "b")
        assert np.array_equal(ds.read(), arr)
    assert _leftovers(tmp_path) == []


def test_refuses_to_overwrite_an_input(tmp_path):
    src = write_raster(tmp_path / "in.tif", np.ones((1, 30, 40), np.uint8))
    before = src.read_bytes()
    with pytest.raises(OutputPathError, match="input"):
        write_geotiff(tmp_path / "sub" / ".." / "in.tif", np.zeros((1, 30, 40), np.uint8), GRID, inputs=[src])
    os.symlink(src, tmp_path / "link.tif")
    with pytest.raises(OutputPathError, match="input"):
        check_output_path(tmp_path / "link.tif", [src])
    assert src.read_bytes() == before


def test_unwritable_destination_leaves_nothing(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(OutputPathError, match="not a folder"):
        write_geotiff(blocker / "out.tif", np.zeros((1, 30, 40), np.uint8), GRID)
    with pytest.raises(OutputPathError, match="does not exist"):
        write_geotiff(tmp_path / "missing" / "out.tif", np.zeros((1, 30, 40), np.uint8), GRID)
    with pytest.raises(OutputPathError, match="folder"):
        write_geotiff(tmp_path, np.zeros((1, 30, 40), np.uint8), GRID)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


def test_read_only_folder_reported(tmp_path, monkeypatch):
    # tests run as root, for whom chmod does not block writes: simulate what os.access reports
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, m: False if str(p) == str(tmp_path) else real_access(p, m))
    with pytest.raises(OutputPathError, match="read-only"):
        write_geotiff(tmp_path / "out.tif", np.zeros((1, 30, 40), np.uint8), GRID)
    assert list(tmp_path.iterdir()) == []


def test_oserror_while_creating_is_clear(tmp_path, monkeypatch):
    import tempfile

    def deny(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", deny)
    with pytest.raises(OutputPathError, match="Permission denied"):
        write_geotiff(tmp_path / "out.tif", np.zeros((1, 30, 40), np.uint8), GRID)
    assert list(tmp_path.iterdir()) == []


def test_failure_mid_write_leaves_no_partial_file(tmp_path):
    with pytest.raises(RuntimeError):
        with GeoTIFFWriter(tmp_path / "o.tif", GRID, 1, "float32") as w:
            w.write(np.ones((1, 10, 40), np.float32), Window(0, 0, 40, 10))
            raise RuntimeError("model crashed")
    assert list(tmp_path.iterdir()) == []


def test_existing_output_replaced_atomically(tmp_path):
    out = tmp_path / "o.tif"
    write_geotiff(out, np.zeros((1, 30, 40), np.uint8), GRID)
    write_geotiff(out, np.full((1, 30, 40), 9, np.uint8), GRID)
    with rasterio.open(out) as ds:
        assert ds.read(1)[0, 0] == 9
    assert [p.name for p in tmp_path.iterdir()] == ["o.tif"]


def test_four_band_byte_output_has_no_alpha(tmp_path):
    from rasterio.enums import ColorInterp

    arr = np.full((4, 30, 40), 100, np.uint8)
    arr[3, :5] = 0  # NIR = 0 must not become "transparent"
    out = write_geotiff(tmp_path / "rgbn.tif", arr, GRID)
    with rasterio.open(out) as ds:
        assert ColorInterp.alpha not in ds.colorinterp
        assert (ds.read_masks() == 255).all()
    from tests.geo_fixtures import HAITI

    with rasterio.open(HAITI) as ds:
        assert ColorInterp.alpha not in ds.colorinterp


@pytest.mark.parametrize("dtype, cog", [("uint16", False), ("float32", False), ("float32", True)])
def test_three_band_outputs_are_rgb_not_gray(tmp_path, dtype, cog):
    """QGIS names bands by their colour interpretation: band 1 of an RGB output must not read "(Gray)"."""
    from rasterio.enums import ColorInterp

    grid = Grid("EPSG:32633", Affine(10, 0, 500000, 0, -10, 5000000), 64, 48)
    arr = np.ones((3, 48, 64), dtype=dtype)
    out = write_geotiff(tmp_path / "rgb.tif", arr, grid, cog=cog, descriptions=["red", "green", "blue"])
    with rasterio.open(out) as ds:
        assert ds.colorinterp == (ColorInterp.red, ColorInterp.green, ColorInterp.blue)
        assert ds.descriptions == ("red", "green", "blue") and np.array_equal(ds.read(), arr)
