"""Inpainting anchored on what is known: the classical fill, the fill designs, the self-check and its fallback.

Unit parts run on synthetic fields where the right answer is known; the end-to-end part inpaints a committed
Landsat 8 crop through ``backend.api`` (random-weight parity model: plumbing, not quality).
"""

import math

import numpy as np
import pytest
import rasterio

from backend.tasks.classical_fill import biharmonic_fill, classical_fill, harmonic_fill
from backend.tasks.inpaint_anchor import anchor, parse_design, ring
from backend.tasks.inpaint_check import CheckReport, find_probes
from backend.tasks.inpaint_fill import fill, probe_fills, score_probes
from tests.conftest import DATA

LANDSAT = DATA / "landsat8_224078_20200518_rgb_edge.tif"


def _field(h=64, w=64):
    """A smooth 3-band field with some fine texture, values in about [0, 1]."""
    y, x = np.mgrid[0:h, 0:w] / 64.0
    rng = np.random.default_rng(0)
    texture = 0.03 * rng.standard_normal((3, h, w))
    return np.stack([0.3 + 0.4 * x, 0.5 + 0.2 * np.sin(3 * y), 0.2 + 0.3 * x * y]) + texture


# ------------------------------------------------------------------------------------------ classical fill
def test_biharmonic_fill_is_exact_on_a_linear_ramp_and_keeps_known_pixels():
    y, x = np.mgrid[0:40, 0:50].astype(float)
    ramp = np.stack([0.01 * x + 0.02 * y, 1 - 0.015 * x, 0.5 + 0 * x])
    hole = np.zeros((40, 50), bool)
    hole[10:25, 12:30] = True
    hole[28:33, 35:41] = True  # two holes, away from the image edge
    out = biharmonic_fill(np.where(hole, 9.0, ramp), hole)  # the values under the hole are never read
    np.testing.assert_allclose(out[:, hole], ramp[:, hole], atol=1e-9)
    assert np.array_equal(out[:, ~hole], ramp[:, ~hole])


def test_biharmonic_fill_is_close_on_a_smooth_field_and_takes_2d_images():
    y, x = np.mgrid[0:48, 0:48] / 48.0
    smooth = np.sin(2 * x) + y ** 2
    hole = np.zeros((48, 48), bool)
    hole[14:30, 10:34] = True
    out = biharmonic_fill(smooth, hole)
    assert out.shape == smooth.shape and np.abs(out - smooth)[hole].max() < 0.01
    with pytest.raises(ValueError, match="does not match"):
        biharmonic_fill(smooth, hole[:10])


def test_harmonic_fill_stays_within_the_known_range_where_biharmonic_overshoots():
    """A hole running off a tile's edge (as clouds do at every tile border): biharmonic extrapolates the
    gradients next to it beyond any value of the image (the demo's dark blotch); the product's harmonic fill
    is the mean of its neighbours, so it stays within the known pixels' range, and keeps them bit-identical."""
    y, x = np.mgrid[0:64, 0:64] / 64.0
    img = np.stack([0.2 + 0.6 * np.clip(1.0 - 4 * np.abs(x - 0.55), 0, 1) * (y < 0.6), 0.3 + 0.4 * y])
    hole = np.zeros((64, 64), bool)
    hole[30:, 40:] = True  # open to the bottom and right edges
    known = img[:, ~hole]
    bih = biharmonic_fill(np.where(hole, 5.0, img), hole)
    har = harmonic_fill(np.where(hole, 5.0, img), hole)
    assert np.array_equal(har[:, ~hole], img[:, ~hole])
    lo, hi = known.min(axis=1), known.max(axis=1)
    assert (har[:, hole] >= lo[:, None] - 1e-9).all() and (har[:, hole] <= hi[:, None] + 1e-9).all()
    overshoot = np.maximum(lo[:, None] - bih[:, hole], bih[:, hole] - hi[:, None]).max()
    assert overshoot > 0.05  # what the harmonic fill fixes: this test fails if biharmonic were used
    assert np.array_equal(classical_fill(img, hole), har)  # the product's classical fill is the harmonic one


def test_harmonic_fill_solves_the_laplace_equation_in_the_hole():
    rng = np.random.default_rng(3)
    img = rng.random((2, 30, 40))
    hole = np.zeros((30, 40), bool)
    hole[5:20, 8:30] = True
    hole[0:4, 0:6] = True  # touches the corner: Neumann border, neighbours outside the image do not count
    out = harmonic_fill(img, hole)
    pad = np.pad(out, ((0, 0), (1, 1), (1, 1)), mode="edge")  # edge copies: zero flux across the border
    mean4 = (pad[:, :-2, 1:-1] + pad[:, 2:, 1:-1] + pad[:, 1:-1, :-2] + pad[:, 1:-1, 2:]) / 4.0
    np.testing.assert_allclose(out[:, hole], mean4[:, hole], atol=1e-9)
    y, x = np.mgrid[0:30, 0:40].astype(float)
    ramp = 0.01 * x - 0.02 * y  # linear fields are harmonic: reproduced exactly in an interior hole
    inner = np.zeros((30, 40), bool)
    inner[8:22, 10:31] = True
    np.testing.assert_allclose(harmonic_fill(ramp, inner)[inner], ramp[inner], atol=1e-9)


# ------------------------------------------------------------------------------------------ fill designs
def test_ring_design_gives_the_fill_the_rings_mean_and_spread():
    truth = _field()
    hole = np.zeros((64, 64), bool)
    hole[20:40, 16:44] = True
    classical = biharmonic_fill(truth, hole)
    dark = truth * 0.4 - 0.1  # a model fill that is too dark and too flat, as the bundled model's was
    out = anchor(dark, classical, hole, "ring")
    r = ring(hole)
    assert r.sum() > 0 and not (r & hole).any()
    np.testing.assert_allclose(out[:, hole].mean(axis=1), truth[:, r].mean(axis=1), atol=1e-9)
    np.testing.assert_allclose(out[:, hole].std(axis=1), truth[:, r].std(axis=1), atol=1e-9)
    assert np.array_equal(out[:, ~hole], truth[:, ~hole])


def test_highpass_design_takes_colour_from_the_classical_fill_and_texture_from_the_model():
    truth = _field()
    hole = np.zeros((64, 64), bool)
    hole[20:40, 16:44] = True
    classical = biharmonic_fill(truth, hole)
    flat = np.full_like(truth, 0.05)  # no texture at all: nothing to add
    np.testing.assert_allclose(anchor(flat, classical, hole, "highpass:2"), classical, atol=1e-12)
    out = anchor(truth - 0.3, classical, hole, "highpass:2")  # a dark model fill with the right texture
    assert abs(out[:, hole].mean() - classical[:, hole].mean()) < 0.01  # the darkness is gone
    assert out[:, hole].std() > classical[:, hole].std()  # the texture is not
    assert np.array_equal(out[:, ~hole], truth[:, ~hole])


def test_default_design_takes_colour_from_the_classical_fill_and_texture_at_the_rings_amplitude():
    from scipy.ndimage import gaussian_filter

    from backend.tasks.inpaint_anchor import DEFAULT_DESIGN

    truth = _field()
    hole = np.zeros((64, 64), bool)
    hole[12:52, 10:54] = True
    classical = classical_fill(truth, hole)
    rng = np.random.default_rng(5)
    dark = truth * 0.4 - 0.2 + 0.2 * rng.standard_normal(truth.shape)  # too dark, far too much texture
    out = anchor(dark, classical, hole, DEFAULT_DESIGN)
    # the model's darkness does not reach the result: its colour is the classical fill's
    assert np.abs(out[:, hole].mean(axis=1) - classical[:, hole].mean(axis=1)).max() < 0.01
    assert np.abs(dark[:, hole].mean(axis=1) - truth[:, hole].mean(axis=1)).min() > 0.2

    def highpass(x):
        return x - np.stack([gaussian_filter(c, 1.0, mode="reflect") for c in x])

    # the texture added is the model's, scaled to the known ring's texture (not the model's 0.2 noise)
    added = (out - classical)[:, hole]
    r = ring(hole)
    np.testing.assert_allclose(added.std(axis=1), highpass(classical)[:, r].std(axis=1), rtol=1e-6)
    assert np.corrcoef(added[0], highpass(dark)[0][hole])[0, 1] > 0.99
    assert np.array_equal(out[:, ~hole], truth[:, ~hole])


def test_design_names_are_checked():
    assert parse_design("highpass:1.5") == ("highpass", 1.5) and parse_design("ringmix") == ("ringmix", 0.5)
    assert parse_design("ringramp:0.4:8") == ("ringramp", 0.4)
    for bad in ("sdedit", "highpass:0", "highpass:x", "ringmix:2", "ringramp:0.5:0"):
        with pytest.raises(ValueError):
            parse_design(bad)


# ------------------------------------------------------------------------------------------ self-check
def _raster_with_a_cloud():
    image = np.concatenate([_field(128, 192)[:, :, :96], _field(128, 192)[:, :, 96:]], axis=2)
    holes = np.zeros((128, 192), bool)
    yy, xx = np.mgrid[0:128, 0:192]
    holes[(yy - 70) ** 2 / 144 + (xx - 100) ** 2 / 300 < 1] = True  # an elliptic cloud
    return image, holes


def test_probes_move_the_holes_shape_onto_known_pixels_nearby():
    image, holes = _raster_with_a_cloud()
    window = (40, 64, 64, 64)
    shape = holes[40:104, 64:128]
    probes = find_probes(holes, window, max_probes=3)
    assert len(probes) == 3
    for p in probes:
        r, c, h, w = p.window
        assert (h, w) == (64, 64) and 0 <= r <= 128 - 64 and 0 <= c <= 192 - 64 and p.window[:2] != window[:2]
        assert p.scored.sum() == shape.sum()  # the whole shape, on pixels that are all known
        assert not (p.scored & holes[r:r + h, c:c + w]).any()
        assert np.array_equal(p.hidden, p.scored | holes[r:r + h, c:c + w])
    assert find_probes(holes, (0, 0, 64, 64)) == []  # no masked pixel in that tile: nothing to check


def test_a_cloud_bigger_than_the_clear_ground_is_checked_by_quarters():
    holes = np.zeros((64, 64), bool)
    holes[16:, 16:] = True  # one tile, mostly cloud: the whole shape fits nowhere, its 12 px pieces do
    probes = find_probes(holes, (0, 0, 64, 64))
    assert probes and all(0 < p.scored.sum() < holes.sum() for p in probes)


def _check(make_fn, design="highpass:2"):
    """Self-check two tiles of the cloud; ``make_fn(image, probes)`` gives the model_fn for one tile."""
    image, holes = _raster_with_a_cloud()
    report = CheckReport()
    for key, window in (((40, 64), (40, 64, 64, 64)), ((40, 100), (40, 100, 64, 64))):
        probes = find_probes(holes, window)
        images = [image[:, r:r + h, c:c + w] for r, c, h, w in (p.window for p in probes)]
        raw, classical = probe_fills(make_fn(image, probes), images, probes)
        report.add(key, score_probes(raw, classical, images, probes, design))
    return report


def noisy_fill(image, probes):
    def fn(images, holes):  # a deliberately bad model: strong noise where it fills
        rng = np.random.default_rng(1)
        return np.where(holes[:, None], images + 0.5 * rng.standard_normal(images.shape), images)
    return fn


def ground_fill(image, probes):
    def fn(images, holes):  # a better model: it returns the ground under the hidden pixels
        return np.stack([image[:, r:r + h, c:c + w] for r, c, h, w in (p.window for p in probes)])
    return fn


def test_self_check_falls_back_to_the_classical_fill_when_the_model_is_worse():
    report = _check(noisy_fill)
    assert report.checked and report.model.psnr < report.classical.psnr - 3
    assert not report.use_model((40, 64)) and not report.use_model((40, 100))
    assert not report.use_model((0, 0))  # a tile without probes follows the pooled verdict


def test_self_check_keeps_the_model_when_it_is_better():
    report = _check(ground_fill, design="raw")
    assert report.model.psnr > report.classical.psnr + 10
    assert report.use_model((40, 64)) and report.use_model((0, 0))
    report.masked, report.classical_pixels = 100, 0.0
    assert report.sentence().endswith("classical fill used for 0 % of masked pixels")
    tags = report.tags()
    assert float(tags["INPAINT_CHECK_MODEL_PSNR"]) > float(tags["INPAINT_CHECK_CLASSICAL_PSNR"])
    assert tags["INPAINT_FALLBACK"] == "on" and tags["INPAINT_FALLBACK_SHARE"] == "0.0000"


def test_no_probe_anywhere_means_classical_and_off_means_model():
    report = CheckReport()
    assert not report.checked and not report.use_model((0, 0))
    assert "no nearby known pixels" in report.sentence()
    off = CheckReport(enabled=False)
    assert off.use_model((0, 0)) and "off" in off.sentence()


def test_fill_keeps_known_pixels_and_ignores_nodata():
    truth = _field()
    hole = np.zeros((64, 64), bool)
    hole[20:40, 16:44] = True
    nodata = np.zeros((64, 64), bool)
    nodata[:, :4] = True
    image = np.where(nodata, 0.0, truth)
    for use_model in (True, False):
        out = fill(truth + 0.2, image, hole, "highpass:2", use_model, invalid=nodata)
        assert np.array_equal(out[:, ~hole & ~nodata], truth[:, ~hole & ~nodata])
    flat = fill(None, image, hole, "highpass:2", False, invalid=nodata)
    assert np.abs(flat - truth)[:, hole].mean() < 0.05  # the zeros of the nodata strip did not leak in


# ------------------------------------------------------------------------------------------ end to end
@pytest.fixture(scope="module")
def parity_model():
    import torch

    from backend.api import DiffusionSat

    torch.set_num_threads(1)
    return DiffusionSat.from_pretrained(DATA / "parity")


def _square(path, half_m=300):
    with rasterio.open(path) as src:
        b, crs, before = src.bounds, src.crs.to_string(), src.read()
    cx, cy = (b.left + b.right) / 2, (b.bottom + b.top) / 2
    wkt = (f"POLYGON(({cx - half_m} {cy - half_m}, {cx + half_m} {cy - half_m}, {cx + half_m} {cy + half_m}, "
           f"{cx - half_m} {cy + half_m}, {cx - half_m} {cy - half_m}))")
    return {"geometries_wkt": [wkt], "geometries_crs": crs}, before


def test_inpaint_through_the_api_writes_the_self_check_into_tags_and_result(parity_model, tmp_path):
    mask, before = _square(LANDSAT)
    fast = dict(steps=2, tile_size=64, overlap=16, seed=5)
    res = parity_model.inpaint(LANDSAT, mask, output=tmp_path / "ip.tif", quicklook=False, **fast)
    with rasterio.open(res.output) as out:
        tags, after = out.tags(), out.read()
    check = res.check
    assert check["enabled"] and check["tiles_checked"] > 0 and check["probe_values"] > 0
    model_db = float(tags["DIFFUSIONSAT_INPAINT_CHECK_MODEL_PSNR"])
    classical_db = float(tags["DIFFUSIONSAT_INPAINT_CHECK_CLASSICAL_PSNR"])
    assert math.isfinite(model_db) and math.isfinite(classical_db)
    assert (model_db, classical_db) == (check["model_psnr"], check["classical_psnr"])
    share = float(tags["DIFFUSIONSAT_INPAINT_FALLBACK_SHARE"])
    assert 0.0 <= share <= 1.0 and share == pytest.approx(check["fallback_share"], abs=1e-4)
    assert tags["DIFFUSIONSAT_INPAINT_CHECK"] == check["summary"] == res.to_dict()["quality"]
    assert f"model {model_db:.1f} dB, classical {classical_db:.1f} dB" in check["summary"]
    changed = (after != before).any(axis=0)
    assert changed.any() and changed.sum() <= 21 * 21  # only the 600 m square (20 x 20 px of 30 m) changes

    off = parity_model.inpaint(LANDSAT, mask, output=tmp_path / "off.tif", quicklook=False, fallback=False, **fast)
    with rasterio.open(off.output) as out:
        assert out.tags()["DIFFUSIONSAT_INPAINT_FALLBACK"] == "off"
    assert off.check["fallback_share"] == 0.0 and off.check["tiles_checked"] == 0


def test_cli_no_fallback_flag_reaches_the_job(tmp_path):
    from backend.cli import build_job, build_parser

    mask = tmp_path / "m.tif"
    with rasterio.open(LANDSAT) as src:
        profile = dict(src.profile, count=1, dtype="uint8")
        with rasterio.open(mask, "w", **profile) as dst:
            dst.write(np.ones((1, src.height, src.width), np.uint8))
    args = [str(LANDSAT), "--mask-raster", str(mask), "-o", str(tmp_path / "o.tif")]
    assert build_job(build_parser().parse_args(["inpaint", *args])).fallback is True
    assert build_job(build_parser().parse_args(["inpaint", *args, "--no-fallback"])).fallback is False
