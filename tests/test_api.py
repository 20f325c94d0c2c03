"""The Python API end to end on real GeoTIFF crops with a real (small, random-weight) model set.

The model is the parity fixture (official architecture, random weights): these tests check the
product's plumbing — grids, dtypes, tags, masks, cancel, atomic outputs — not image quality.
"""

import json
import threading

import numpy as np
import pytest
import rasterio
from affine import Affine

from backend.api import DiffusionSat, get_model, run_job
from backend.cancel import Cancelled
from backend.jobs import GenerateJob, JobError, SamplingOptions, TilingOptions
from tests.conftest import DATA

MODEL = DATA / "parity"
LANDSAT = DATA / "landsat8_224078_20200518_rgb_edge.tif"
S2 = DATA / "slovenia_s2l1c_ref0.tif"
FAST = dict(steps=2, tile_size=64, overlap=16, seed=5)


@pytest.fixture(scope="module")
def model():
    import torch

    torch.set_num_threads(2)
    return DiffusionSat.from_pretrained(MODEL)


def test_generate_covers_the_extent_at_the_gsd(model, tmp_path):
    bbox = (500000.0, 4100000.0, 501250.0, 4100800.0)
    seen = []
    res = model.generate(bbox, "EPSG:32633", 10, date="2020-06-01", prompt="a satellite image",
                         output=tmp_path / "gen.tif", progress=lambda f, m="": seen.append(f), **FAST)
    with rasterio.open(res.output) as ds:
        assert ds.crs.to_epsg() == 32633
        # exactly the extent (nothing beyond it): 1250 m x 800 m at 10 m is 125 x 80 px, the width to the
        # nearest multiple of 8 pixels (the VAE factor), so 128 px of 9.77 m
        assert ds.bounds == rasterio.coords.BoundingBox(*bbox)
        assert ds.transform == Affine(1250 / 128, 0, 500000, 0, -10, 4100800)
        assert (ds.width, ds.height) == (128, 80) and ds.count == 3 and ds.dtypes[0] == "float32"
        tags = ds.tags()
        assert tags["DIFFUSIONSAT_SEED"] == "5" and tags["DIFFUSIONSAT_TASK"] == "generate"
        assert json.loads(tags["DIFFUSIONSAT_METADATA"])["date"] == "2020-06-01"
        # what the model was given, the extent's centre in WGS84 included (was null)
        md = json.loads(tags["DIFFUSIONSAT_METADATA"])
        assert 15.0 < md["lon"] < 15.02 and 37.0 < md["lat"] < 37.1, md  # UTM 33N, 640 m east of 15° E
        assert len(tags["DIFFUSIONSAT_CHECKPOINT_SHA256"]) == 64
        assert "DIFFUSIONSAT_MODEL_CAVEAT" not in tags  # this model folder says nothing about its outputs
        assert ds.read().std() > 0
    assert res.caveat is None and "caveat" not in res.to_dict()
    assert res.quicklook.exists() and res.quicklook.suffix == ".png"
    assert seen and seen[-1] == 1.0 and all(b >= a for a, b in zip(seen, seen[1:]))


def test_same_seed_same_image_and_arrays_without_a_file(model):
    bbox = (500000.0, 4100000.0, 500640.0, 4100640.0)
    a = model.generate(bbox, "EPSG:32633", 10, **FAST)
    b = model.generate(bbox, "EPSG:32633", 10, **FAST)
    assert a.output is None and a.array.shape == (3, 64, 64)
    np.testing.assert_array_equal(a.array, b.array)
    c = model.generate(bbox, "EPSG:32633", 10, date="1990-01-01", **FAST)
    assert np.abs(c.array - a.array).max() > 1e-3


def test_super_resolution_grid_is_aligned(model, tmp_path):
    res = model.super_resolve(S2, output=tmp_path / "sr.tif", **FAST)
    with rasterio.open(S2) as src, rasterio.open(res.output) as out:
        factor = model.pipeline.controlnet.config.conditioning_scale
        assert out.crs == src.crs
        assert out.transform == src.transform * Affine.scale(1 / factor)
        assert (out.width, out.height) == (src.width * factor, src.height * factor)
        assert out.count == 3 and out.dtypes[0] == src.dtypes[0]


def test_inpaint_keeps_every_unmasked_pixel(model, tmp_path):
    with rasterio.open(LANDSAT) as src:
        b = src.bounds
        crs = src.crs.to_string()
        before = src.read()
    cx, cy = (b.left + b.right) / 2, (b.bottom + b.top) / 2
    wkt = f"POLYGON(({cx - 600} {cy - 600}, {cx + 600} {cy - 600}, {cx + 600} {cy + 600}, {cx - 600} {cy + 600}, {cx - 600} {cy - 600}))"
    res = model.inpaint(LANDSAT, {"geometries_wkt": [wkt], "geometries_crs": crs}, output=tmp_path / "ip.tif", **FAST)
    with rasterio.open(res.output) as out:
        after = out.read()
        assert out.transform == rasterio.open(LANDSAT).transform and after.dtype == before.dtype
    changed = (after != before).any(axis=0)
    assert changed.any()
    rows, cols = np.nonzero(changed)
    # every changed pixel lies inside the 1.2 km square (40 x 40 pixels of 30 m) around the centre
    assert rows.max() - rows.min() <= 41 and cols.max() - cols.min() <= 41


def test_predict_with_uncertainty_writes_two_layers(model, tmp_path):
    frames = [(LANDSAT, "2020-05-18"), (LANDSAT, None)]
    res = model.predict(frames, target_date="2020-07-01", output=tmp_path / "p.tif", num_samples=2, **FAST)
    assert res.uncertainty == tmp_path / "p_uncertainty.tif"
    with rasterio.open(res.output) as out, rasterio.open(res.uncertainty) as unc:
        assert out.count == 3 and unc.count == 1 and unc.dtypes[0] == "float32"
        assert out.tags()["DIFFUSIONSAT_TARGET_DATE"] == "2020-07-01"
        assert (unc.read(1) >= 0).all()


def test_cancel_leaves_no_file(model, tmp_path):
    stop = threading.Event()

    def progress(fraction, message=""):
        if fraction > 0.2:
            stop.set()

    with pytest.raises(Cancelled):
        model.generate((500000, 4100000, 502000, 4101500), "EPSG:32633", 10, output=tmp_path / "c.tif",
                       progress=progress, cancel=stop, **FAST)
    assert list(tmp_path.iterdir()) == []


def test_bad_input_fails_before_loading_anything(tmp_path):
    job = GenerateJob(bbox=(1, 1, 1, 2), crs="EPSG:4326", gsd=10, output=str(tmp_path / "x.tif"))
    with pytest.raises(JobError, match="extent is empty"):
        run_job(job, model="no-such-model")
    with pytest.raises(JobError, match="steps"):
        run_job(GenerateJob(bbox=(0, 0, 1, 1), crs="EPSG:4326", gsd=10, sampling=SamplingOptions(steps=0)))
    with pytest.raises(JobError, match="tile_size"):
        TilingOptions(tile_size=50).validate()
    assert list(tmp_path.iterdir()) == []


def test_an_input_is_never_overwritten(model, tmp_path):
    import shutil

    src = tmp_path / "in.tif"
    shutil.copy(S2, src)
    before = src.read_bytes()
    with pytest.raises(JobError, match="never overwritten"):
        model.super_resolve(src, output=src, **FAST)
    assert src.read_bytes() == before


def test_models_are_cached_per_folder_device_and_precision():
    a = get_model(MODEL, "cpu", "float32")
    assert get_model(str(MODEL), "cpu", "float32") is a
