"""Prediction checks itself by a backtest and falls back to the recent-frames composite unless the model wins (issue 14)."""

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import rasterio

from backend.tasks.predict_check import most_recent_order

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "resources" / "samples"
FRAMES = [SAMPLES / f"slovenia_s2l1c_frame{i}_rgb.tif" for i in (2, 3, 4)]


def test_most_recent_order():
    d = dt.date
    assert most_recent_order([d(2010, 1, 1), d(2015, 1, 1), d(2012, 1, 1)]) == [1, 2, 0]
    # unknown dates are older than dated frames and keep their given order (the last given is the most recent)
    assert most_recent_order([None, d(2001, 1, 1), None]) == [1, 2, 0]
    assert most_recent_order([None, None, None]) == [2, 1, 0]


@pytest.fixture(scope="module")
def model():
    from backend.api import DiffusionSat

    return DiffusionSat.from_pretrained(str(ROOT / "resources" / "models" / "diffusionsat-mini"))


def _read(path):
    with rasterio.open(path) as ds:
        return ds.read().astype(np.float64), ds.tags()


def _composite_by_hand(paths):
    """The classical forecast computed independently: each frame fitted to the most recent one with
    np.polyfit per band, then the mean with weights halving per step back from the most recent."""
    frames = [_read(p)[0] for p in paths]
    latest = frames[-1]
    total = np.zeros_like(latest)
    for rank, f in enumerate(reversed(frames)):
        matched = np.stack([np.polyval(np.polyfit(f[b].ravel(), latest[b].ravel(), 1), f[b]) for b in range(3)])
        total += 0.5 ** rank * matched
    return total / sum(0.5 ** rank for rank in range(len(frames)))


def test_default_output_is_never_silently_worse_than_the_classical_forecast(model, tmp_path):
    res = model.predict([(str(f), None) for f in FRAMES], target_date="2018-06-01", output=tmp_path / "p.tif",
                        steps=4, seed=3, quicklook=False)
    check = res.check
    assert check["enabled"] and check["tiles_checked"] == check["tiles"] >= 1
    assert check["latest_frame"].endswith("frame4_rgb.tif")
    assert check["classical_name"] == "recent-frames composite"
    out, tags = _read(res.output)
    assert tags["DIFFUSIONSAT_PREDICT_FALLBACK"] == "on"
    assert "backtest" in tags["DIFFUSIONSAT_PREDICT_CHECK"] and "composite" in tags["DIFFUSIONSAT_PREDICT_CHECK"]
    assert check["model_psnr"] < check["classical_psnr"] + 0.5  # the bundled model does not pass the scene gate
    assert not check["scene_passes"] and check["fallback_share"] == 1.0
    # what is written is the composite: not the most recent frame alone, and what a hand computation gives
    expected = _composite_by_hand(FRAMES)
    latest, _ = _read(FRAMES[2])
    scale = np.ptp(latest)
    assert np.abs(out - expected).max() <= 1e-3 * scale
    assert np.abs(out - latest).mean() > 0.005 * scale


def test_no_fallback_writes_the_model_and_says_so(model, tmp_path):
    res = model.predict([(str(f), None) for f in FRAMES], target_date="2018-06-01", output=tmp_path / "p.tif",
                        steps=4, seed=3, quicklook=False, fallback=False)
    out, tags = _read(res.output)
    latest, _ = _read(FRAMES[2])
    assert tags["DIFFUSIONSAT_PREDICT_FALLBACK"] == "off" and res.check["fallback_share"] == 0.0
    assert np.abs(out - latest).mean() > 0.02 * np.ptp(latest)  # a prediction, not a copy of the last frame


def test_one_frame_cannot_be_checked_and_writes_it(model, tmp_path):
    res = model.predict([(str(FRAMES[0]), None)], target_date="2018-06-01", output=tmp_path / "p.tif", steps=4,
                        seed=3, quicklook=False)
    assert "one frame only" in res.check["summary"] and res.check["fallback_share"] == 1.0
    out, _ = _read(res.output)
    first, _ = _read(FRAMES[0])
    assert np.abs(out - first).max() <= 1e-5 * np.ptp(first)


def _score(mse, n=300):
    from backend.tasks.inpaint_check import Score

    return Score(se=mse * n, ae=0.0, n=n, ssim_sum=0.0, px=0)


def test_scene_gate_needs_a_clear_pooled_win_before_any_tile_gets_the_model():
    from backend.tasks.inpaint_check import TileCheck
    from backend.tasks.predict_check import MARGIN_DB, PredictCheck

    # the model wins two tiles narrowly and loses one badly: pooled, it is worse than the classical forecast
    report = PredictCheck()
    report.add((0, 0), TileCheck(_score(0.0090), _score(0.0100)))
    report.add((0, 1), TileCheck(_score(0.0095), _score(0.0100)))
    report.add((1, 0), TileCheck(_score(0.0300), _score(0.0100)))
    assert not report.scene_passes
    assert not any(report.use_model(k) for k in [(0, 0), (0, 1), (1, 0), (5, 5)])
    assert report.classical_share([(0, 0), (0, 1), (1, 0)]) == 1.0
    assert f"not better by {MARGIN_DB:g} dB" in report.sentence(1.0)
    assert report.to_dict(1.0)["scene_passes"] is False

    # a pooled win smaller than the margin does not pass either
    close = PredictCheck()
    close.add((0, 0), TileCheck(_score(0.0100 / 10 ** (0.9 * MARGIN_DB / 10)), _score(0.0100)))
    assert close.model.psnr > close.classical.psnr and not close.scene_passes

    # a clear pooled win: each tile then follows its own verdict, unchecked tiles the pooled one
    clear = PredictCheck()
    clear.add((0, 0), TileCheck(_score(0.0040), _score(0.0100)))
    clear.add((0, 1), TileCheck(_score(0.0110), _score(0.0100)))
    assert clear.scene_passes
    assert clear.use_model((0, 0)) and not clear.use_model((0, 1)) and clear.use_model((9, 9))

    # switched off: the model everywhere, whatever the backtest said
    report.enabled = False
    assert report.use_model((1, 0))
