"""Cloud removal with other dates of the same place (issue 14): matched other-date fill, model check, fallback."""

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import rasterio

from backend.jobs import InpaintJob, JobError, MaskSpec
from backend.tasks.inpaint_dates import classical, date_order
from backend.tasks.radiometric_match import Match

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "resources" / "samples"
TARGET = SAMPLES / "slovenia_s2l1c_frame3_rgb.tif"  # clear: the truth under the mask is known
OTHERS = [SAMPLES / "slovenia_s2l1c_frame2_rgb.tif", SAMPLES / "slovenia_s2l1c_frame4_rgb.tif"]
MASK = {"raster": str(SAMPLES / "slovenia_cloudmask.tif"), "classes": [1]}  # a real cloud shape, 29 % of it


def test_date_order_closest_first_unknown_last():
    d = dt.date
    assert date_order(d(2020, 6, 1), [d(2019, 6, 1), d(2020, 5, 20), None, d(2020, 7, 1)]) == [1, 3, 0, 2]
    assert date_order(None, [d(2019, 1, 1), None]) == [0, 1]  # nothing to measure against: the given order


def test_match_recovers_a_linear_radiometric_difference():
    rng = np.random.default_rng(0)
    target = rng.random((3, 40, 40))
    frame = 2.0 * target + 0.1  # another date: brighter and shifted
    m = Match(1, 3)
    m.add(0, frame, target, np.ones((40, 40), bool))
    gain, offset = m.coefficients()[0].T
    np.testing.assert_allclose(gain, 0.5, atol=1e-9)
    np.testing.assert_allclose(offset, -0.05, atol=1e-9)


def test_classical_blends_the_dates_into_the_targets_surroundings():
    y, x = np.mgrid[0:24, 0:24] / 24.0
    structure = np.sin(9 * x) * np.cos(7 * y)  # what the other dates show: the ground
    target = np.stack([0.3 + 0.1 * structure + 0.2 * x] * 3)  # the target: the same ground, lit differently
    hole = np.zeros((24, 24), bool)
    hole[6:18, 5:17] = True
    near = np.stack([0.3 + 0.1 * structure] * 3)  # the closest date lacks the target's ramp ...
    far = near + 0.05 * np.random.default_rng(0).standard_normal(near.shape)  # ... the farther one is noisier
    ok = np.ones((24, 24), bool)
    out = classical(np.where(hole, 9.0, target), hole, [far, near], [ok, ok], order=[1, 0])
    assert np.array_equal(out[:, ~hole], target[:, ~hole])
    # the ramp is carried in from the surroundings (linear: harmonic exactly), the structure comes from the dates
    err = np.abs(out - target)[:, hole]
    assert err.mean() < 0.02 and err.mean() < 0.2 * np.abs(near - target)[:, hole].mean()
    # a constant offset between the dates and the target is the surroundings' level: it is removed exactly
    flat = np.zeros((3, 24, 24))
    blend = classical(flat, hole, [np.full_like(flat, 3.0), np.zeros_like(flat)], [ok, ok], order=[1, 0])
    np.testing.assert_allclose(blend[:, hole], 0.0, atol=1e-9)
    gap = ok.copy()
    gap[10, 10] = False
    nothing = classical(flat, hole, [np.ones_like(flat)], [gap], order=[0])
    assert np.isfinite(nothing).all() and abs(nothing[0, 10, 10]) < 1.0  # no date: harmonic, not a date's value


def test_validation_of_other_dates(tmp_path):
    spec = MaskSpec(**MASK)
    with pytest.raises(JobError, match="input itself"):
        InpaintJob(input=str(TARGET), mask=spec, other_dates=[(str(TARGET), None)]).validate()
    with pytest.raises(JobError, match="1 to 4 other dates"):
        InpaintJob(input=str(TARGET), mask=spec, other_dates=[(str(OTHERS[0]), None)] * 5).validate()


@pytest.fixture(scope="module")
def model():
    from backend.api import DiffusionSat

    return DiffusionSat.from_pretrained(str(ROOT / "resources" / "models" / "diffusionsat-mini"))


def _read(path):
    with rasterio.open(path) as ds:
        return ds.read().astype(np.float64), ds.tags()


def _psnr(a, b, where, scale):
    mse = float(np.mean(((a - b) / scale)[:, where] ** 2))
    return 10 * np.log10(1.0 / mse)


def test_other_dates_fill_beats_the_single_date_fill_and_keeps_known_pixels(model, tmp_path):
    from backend.geo.masks import build_mask
    from backend.geo.read import open_raster, require_georeferenced

    res = model.inpaint(str(TARGET), MASK, other_dates=[str(p) for p in OTHERS], output=tmp_path / "dates.tif",
                        steps=4, seed=2, quicklook=False)
    single = model.inpaint(str(TARGET), MASK, output=tmp_path / "single.tif", steps=4, seed=2, quicklook=False)
    out, tags = _read(res.output)
    one, _ = _read(single.output)
    truth, _ = _read(TARGET)
    with open_raster(TARGET) as ds:
        hole = build_mask(require_georeferenced(ds), raster=MASK["raster"], classes=MASK["classes"])
    assert hole.mean() > 0.2
    np.testing.assert_array_equal(out[:, ~hole], truth[:, ~hole])  # the target's clear pixels, exactly
    assert "other dates" in res.check["summary"] and tags["DIFFUSIONSAT_INPAINT_OTHER_DATES"]
    assert tags["DIFFUSIONSAT_INPAINT_CHECK"] == res.check["summary"]
    scale = np.ptp(truth)
    with_dates, without = _psnr(out, truth, hole, scale), _psnr(one, truth, hole, scale)
    assert with_dates > without + 3.0, (with_dates, without)  # clear dates of the place beat any guess


def test_cli_takes_other_dates(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "o.tif"
    cmd = [sys.executable, "-m", "backend", "inpaint", str(TARGET), "--mask-raster", MASK["raster"], "--mask-classes",
           "1", "--other-date", f"{OTHERS[0]}:2017-06-01", "--other-date", str(OTHERS[1]), "-o", str(out),
           "--steps", "2", "--no-fallback", "--quiet", "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert out.exists() and "other_dates" in proc.stdout


def test_composite_halves_the_weight_per_step_back_and_skips_invalid_pixels():
    from backend.tasks.radiometric_match import composite

    a, b, c = (np.full((3, 2, 2), v) for v in (1.0, 2.0, 4.0))
    va, vb, vc = np.ones((2, 2), bool), np.ones((2, 2), bool), np.ones((2, 2), bool)
    vb[0, 0] = False
    vc[0, 0] = vc[0, 1] = False
    vc[1, 1] = False
    va[0, 1] = False
    out = composite([a, b, c], [va, vb, vc], recency=[0, 1, 2])  # a most recent: weights 1, 1/2, 1/4
    assert out[0, 1, 0] == (1 * 1 + 0.5 * 2 + 0.25 * 4) / 1.75
    assert out[0, 0, 0] == 1.0  # only a is valid
    assert out[0, 0, 1] == 2.0  # only b
    assert out[0, 1, 1] == (1 * 1 + 0.5 * 2) / 1.5
    none = composite([a], [np.zeros((2, 2), bool)], recency=[0])
    assert np.isnan(none).all()  # no frame: unknown, never a made-up value


def test_fit_reads_a_bounded_spread_of_blocks_and_recovers_the_match(tmp_path):
    """The radiometric fit of a large raster reads at most MAX_BLOCKS blocks, spread over the raster (not the
    whole raster before the first tile), and still recovers a known gain and offset from a real GeoTIFF."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    from backend.tasks.radiometric_match import MAX_BLOCKS, fit

    rng = np.random.default_rng(2)
    target = rng.random((3, 300, 400)).astype(np.float32)
    path = tmp_path / "frame.tif"
    with rasterio.open(path, "w", driver="GTiff", width=400, height=300, count=3, dtype="float32",
                       crs="EPSG:32633", transform=from_origin(0, 300, 1, 1)) as dst:
        dst.write(2.0 * target + 0.1)  # another date: brighter and shifted
    seen = []

    def frame(win: Window):
        seen.append((int(win.row_off), int(win.col_off)))
        with rasterio.open(path) as ds:
            return ds.read(window=win).astype(np.float64), np.ones((int(win.height), int(win.width)), bool)

    def reference(win: Window):
        r, c, h, w = int(win.row_off), int(win.col_off), int(win.height), int(win.width)
        return target[:, r:r + h, c:c + w].astype(np.float64), np.ones((h, w), bool)

    coeffs = fit((300, 400), reference, [frame], 3, block=10)  # 30 x 40 = 1200 blocks of 10 px
    assert len(seen) == len(set(seen)) == MAX_BLOCKS
    rows, cols = {r for r, _ in seen}, {c for _, c in seen}
    assert min(rows) == 0 and max(rows) == 290 and len(rows) > 10 and len(cols) > 10  # spread, not one corner
    np.testing.assert_allclose(coeffs[0, :, 0], 0.5, atol=1e-5)
    np.testing.assert_allclose(coeffs[0, :, 1], -0.05, atol=1e-5)


def test_other_dates_that_disagree_with_the_target_lose_to_its_own_fill(model, tmp_path):
    """Another "date" of other ground (the target rolled by half its size: real texture, wrong place) is not
    pasted into the hole: its probes score it below this date's own harmonic fill, which is written instead.
    (The radiometric match already shrinks such a date towards its mean, so it loses by little: MODEL_CARD.md.)"""
    from backend.geo.masks import build_mask
    from backend.geo.read import open_raster, require_georeferenced
    from backend.tasks.classical_fill import classical_fill

    with rasterio.open(TARGET) as ds:
        profile, data, names = ds.profile, ds.read(), ds.descriptions
    wrong = tmp_path / "other_ground.tif"
    with rasterio.open(wrong, "w", **profile) as dst:
        dst.write(np.roll(data, (data.shape[1] // 2, data.shape[2] // 2), axis=(1, 2)))
        dst.descriptions = names
    common = dict(steps=4, seed=2, quicklook=False)
    res = model.inpaint(str(TARGET), MASK, other_dates=[str(wrong)], output=tmp_path / "checked.tif", **common)
    unchecked = model.inpaint(str(TARGET), MASK, other_dates=[str(wrong)], output=tmp_path / "unchecked.tif",
                              fallback=False, **common)
    good = model.inpaint(str(TARGET), MASK, other_dates=[str(p) for p in OTHERS], output=tmp_path / "good.tif",
                         **common)
    truth, _ = _read(TARGET)
    with open_raster(TARGET) as ds:
        hole = build_mask(require_georeferenced(ds), raster=MASK["raster"], classes=MASK["classes"])
    check = res.check
    assert check["one_date_share"] == 1.0 and check["one_date_psnr"] > check["other_dates_psnr"], check
    assert "this date alone" in check["summary"] and check["tiles_one_date"] == check["tiles_checked"] == 1
    out, tags = _read(res.output)
    assert float(tags["DIFFUSIONSAT_INPAINT_ONE_DATE_SHARE"]) == 1.0
    single = model.inpaint(str(TARGET), MASK, output=tmp_path / "single.tif", **common)
    assert single.check["fallback_share"] == 1.0  # this date alone: its harmonic fill (4 steps lose), the same
    own = _read(single.output)[0]
    np.testing.assert_allclose(out[:, hole], own[:, hole], atol=1e-5 * np.ptp(truth))
    assert np.abs(classical_fill(truth, hole) - own)[:, hole].max() < 0.05 * np.ptp(truth)
    assert np.abs(_read(unchecked.output)[0][:, hole] - own[:, hole]).max() > 1e-3 * np.ptp(truth)
    assert good.check["one_date_share"] == 0.0 and good.check["other_dates_psnr"] > good.check["one_date_psnr"]


def test_a_cloud_of_another_date_over_the_hole_is_caught_by_the_ring(model, tmp_path):
    """The probes lie beside the hole and cannot see a cloud of another date right over it; the ring of known
    pixels around the hole can where the cloud spills onto it: the one-date fill is written, and said."""
    from scipy import ndimage

    from backend.geo.masks import build_mask
    from backend.geo.read import open_raster, require_georeferenced

    with open_raster(TARGET) as ds:
        hole = build_mask(require_georeferenced(ds), raster=MASK["raster"], classes=MASK["classes"])
    with rasterio.open(OTHERS[0]) as ds:
        profile, data, names = ds.profile, ds.read().astype(np.float64), ds.descriptions
    cloud = ndimage.gaussian_filter(ndimage.binary_dilation(hole, iterations=8).astype(float), 4)
    cloudy = tmp_path / "cloudy_date.tif"
    with rasterio.open(cloudy, "w", **profile) as dst:
        dst.write((data * (1 - cloud) + cloud * np.percentile(data, 99.5)).astype(profile["dtype"]))
        dst.descriptions = names
    common = dict(steps=4, seed=2, quicklook=False)
    res = model.inpaint(str(TARGET), MASK, other_dates=[str(cloudy)], output=tmp_path / "filled.tif", **common)
    single = model.inpaint(str(TARGET), MASK, output=tmp_path / "single.tif", **common)
    check = res.check
    # beside the hole the cloudy date still looks better; around it, it does not
    assert check["other_dates_psnr"] > check["one_date_psnr"], check
    assert check["ring_other_dates_psnr"] < check["ring_one_date_psnr"], check
    assert check["one_date_share"] == 1.0 and "around the holes" in check["summary"]
    np.testing.assert_allclose(_read(res.output)[0][:, hole], _read(single.output)[0][:, hole],
                               atol=1e-5 * np.ptp(data))
