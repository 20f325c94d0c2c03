"""Two product rules of the tasks layer, end to end on real GeoTIFFs with a real (random-weight) model:

* super-resolution consistency: the output averaged back onto the input grid equals the input's RGB;
* the per-raster stretch a model folder declares (``diffusionsat.json`` ``stretch``) is applied to the
  whole input and inverted on the output, so results stay in the input's units.
"""

import json
import shutil

import numpy as np
import pytest
import rasterio
import torch

from backend.api import DiffusionSat
from backend.tasks.superres import match_observation
from backend.tiling import RasterSource
from tests.conftest import DATA

MODEL = DATA / "parity"
S2 = DATA / "slovenia_s2l1c_ref0.tif"
FAST = dict(steps=2, tile_size=64, overlap=16, seed=3)


def block_mean(a: np.ndarray, f: int) -> np.ndarray:
    c, h, w = a.shape
    return a.reshape(c, h // f, f, w // f, f).mean(axis=(2, 4))


def test_back_projection_matches_the_observation():
    rng = np.random.default_rng(0)
    observed = rng.uniform(0.3, 0.7, (3, 16, 16)).astype(np.float32)
    # a plausible network output: a colour shift, blurred coarse content and detail of its own
    coarse = torch.nn.functional.interpolate(torch.from_numpy(observed)[None], scale_factor=4, mode="bilinear")[0]
    image = (coarse.numpy() * 0.8 + 0.15 + rng.normal(0, 0.05, (3, 64, 64))).astype(np.float32)
    before = np.abs(block_mean(image, 4) - observed).mean()
    out = match_observation(image, observed, 4)
    after = np.abs(block_mean(out, 4) - observed).mean()
    assert before > 0.03 and after < 1e-3 * before
    # the detail below the input's pixel size is the image's own: same as before inside a block
    detail_in = image - np.kron(block_mean(image, 4), np.ones((1, 4, 4)))
    detail_out = out - np.kron(block_mean(out, 4), np.ones((1, 4, 4)))
    assert np.corrcoef(detail_in.ravel(), detail_out.ravel())[0, 1] > 0.85


@pytest.fixture(scope="module")
def model():
    torch.set_num_threads(2)
    return DiffusionSat.from_pretrained(MODEL)


def test_super_resolution_output_averages_back_to_the_input(model, tmp_path):
    raw = model.super_resolve(S2, output=tmp_path / "raw.tif", consistency=False, **FAST)
    kept = model.super_resolve(S2, output=tmp_path / "sr.tif", **FAST)
    factor = int(model.pipeline.controlnet.config.conditioning_scale)
    with rasterio.open(S2) as src:
        rgb = src.read([src.descriptions.index(b) + 1 for b in ("B04", "B03", "B02")]).astype(np.float64)
    with rasterio.open(raw.output) as a, rasterio.open(kept.output) as b:
        raw_back = block_mean(a.read().astype(np.float64), factor)
        kept_back = block_mean(b.read().astype(np.float64), factor)
    err_raw = np.abs(raw_back - rgb).mean()
    err_kept = np.abs(kept_back - rgb).mean()
    # random weights: the raw output is unrelated to the input; with consistency it averages back to it
    # (to within the blend of overlapping tiles)
    assert err_kept < 0.05 * err_raw
    assert err_kept < 0.01 * rgb.mean()


def test_sample_values_subsamples_the_valid_pixels_and_leaves_out_excluded_ones():
    src = RasterSource(S2, [1, 2])
    try:
        with rasterio.open(S2) as ds:
            full = ds.read([1, 2])
        every = src.sample_values(max_pixels=10 ** 9)
        assert every.shape == (2, full.shape[1] * full.shape[2])
        some = src.sample_values(max_pixels=500)
        assert 0 < some.shape[1] <= 2 * 500
        exclude = np.zeros(full.shape[1:], bool)
        exclude[:, : full.shape[2] // 2] = True
        half = src.sample_values(max_pixels=10 ** 9, exclude=exclude)
        assert half.shape[1] == full.shape[1] * (full.shape[2] - full.shape[2] // 2)
        np.testing.assert_array_equal(np.sort(half[0]), np.sort(full[0][:, full.shape[2] // 2:].ravel()))
    finally:
        src.close()


def stretched_copy(tmp_path):
    folder = tmp_path / "stretched"
    shutil.copytree(MODEL, folder, ignore=shutil.ignore_patterns("io", "official", "*.json.md"))
    (folder / "diffusionsat.json").write_text(json.dumps({"stretch": {"percentiles": [2, 98]}}))
    return folder


def test_a_declared_stretch_keeps_results_in_the_inputs_range(tmp_path):
    torch.set_num_threads(2)
    folder = stretched_copy(tmp_path)
    plain = DiffusionSat.from_pretrained(MODEL)
    stretched = DiffusionSat.from_pretrained(folder)
    with rasterio.open(S2) as src:
        b = src.bounds
        crs = src.crs.to_string()
        rgb = src.read([src.descriptions.index(x) + 1 for x in ("B04", "B03", "B02")])
    w = (b.right - b.left) / 4
    cx, cy = (b.left + b.right) / 2, (b.bottom + b.top) / 2
    wkt = f"POLYGON(({cx - w} {cy - w}, {cx + w} {cy - w}, {cx + w} {cy + w}, {cx - w} {cy + w}, {cx - w} {cy - w}))"
    mask = {"geometries_wkt": [wkt], "geometries_crs": crs}
    # fallback off: the model path itself (stretch + anchoring), not the classical fill the self-check would
    # choose over a random-weight model
    a = plain.inpaint(S2, mask, output=tmp_path / "plain.tif", fallback=False, **FAST)
    s = stretched.inpaint(S2, mask, output=tmp_path / "stretched.tif", fallback=False, **FAST)
    with rasterio.open(a.output) as x, rasterio.open(s.output) as y:
        pa, ps = x.read().astype(np.float64), y.read().astype(np.float64)
    hole = (pa != rgb).any(axis=0) | (ps != rgb).any(axis=0)
    assert hole.any() and (pa[:, ~hole] == rgb[:, ~hole]).all() and (ps[:, ~hole] == rgb[:, ~hole]).all()
    kept = rgb[:, ~hole].astype(np.float64)
    lo, hi = np.percentile(kept, 2, axis=1), np.percentile(kept, 98, axis=1)
    # the model's [0, 1] output is mapped between the kept pixels' 2 and 98 % percentiles of each band ...
    inside = ps[:, hole]
    tol = 0.02 * (hi - lo)[:, None] + 1
    assert (inside >= lo[:, None] - tol).all() and (inside <= hi[:, None] + tol).all()
    # ... and unstretched, where the random model's [0, 1] is reflectance 0 .. 1 (far outside the input's
    # range), the anchored fill (the ring's colour, mixed into the biharmonic fill) still keeps out of that
    span = (hi - lo)[:, None]
    assert ((pa[:, hole] > hi[:, None] + span) | (pa[:, hole] < lo[:, None] - span)).mean() < 0.01
    assert np.abs(pa[:, hole] - ps[:, hole]).max() > 0  # the stretch does reach the model


def test_a_job_without_guidance_gets_the_models_recommendation_for_the_task(tmp_path):
    torch.set_num_threads(2)
    folder = tmp_path / "recommended"
    shutil.copytree(MODEL, folder, ignore=shutil.ignore_patterns("io", "official"))
    (folder / "diffusionsat.json").write_text(json.dumps({"inpaint": {"guidance": 1.0}}))
    model = DiffusionSat.from_pretrained(folder)
    with rasterio.open(S2) as src:
        b, crs = src.bounds, src.crs.to_string()
    wkt = (f"POLYGON(({b.left} {b.bottom}, {b.right} {b.bottom}, {b.right} {(b.bottom + b.top) / 2}, "
           f"{b.left} {b.bottom}))")
    mask = {"geometries_wkt": [wkt], "geometries_crs": crs}
    auto = model.inpaint(S2, mask, output=tmp_path / "auto.tif", **FAST)
    chosen = model.inpaint(S2, mask, output=tmp_path / "chosen.tif", guidance=4.0, **FAST)
    bbox = (b.left, b.bottom, b.right, b.top)
    gen = model.generate(bbox, crs, 10, output=tmp_path / "gen.tif", **FAST)
    guidance = {}
    for name, res in (("auto", auto), ("chosen", chosen), ("generate", gen)):
        with rasterio.open(res.output) as ds:
            guidance[name] = float(ds.tags()["DIFFUSIONSAT_GUIDANCE"])
    # inpainting: the folder's recommendation; an explicit value wins; no recommendation: the official 7.5
    assert guidance == {"auto": 1.0, "chosen": 4.0, "generate": 7.5}
