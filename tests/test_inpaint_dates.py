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


def test_classical_takes_the_closest_valid_date_then_the_harmonic_fill():
    target = np.zeros((3, 8, 8))
    hole = np.zeros((8, 8), bool)
    hole[2:6, 2:6] = True
    near, far = np.full((3, 8, 8), 1.0), np.full((3, 8, 8), 2.0)
    near_valid = np.ones((8, 8), bool)
    near_valid[2, 2] = False  # a gap in the closest date: the next date fills it
    far_valid = np.ones((8, 8), bool)
    far_valid[2, 2] = False  # no date has it: harmonic fill from the target's pixels (zeros)
    near_valid[3, 3] = False
    out = classical(target, hole, [far, near], [far_valid, near_valid], order=[1, 0])
    assert out[0, 4, 4] == 1.0 and out[0, 3, 3] == 2.0 and out[0, 0, 0] == 0.0
    assert abs(out[0, 2, 2] - 1.0) < 1.0  # interpolated, not left at zero or a date's value


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
