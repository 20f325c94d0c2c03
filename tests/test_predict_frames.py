"""Multi-date prediction: frames of another place are refused; uncovered pixels of a frame are missing."""

from tests.conftest import ROOT

SAMPLE = ROOT / "resources" / "samples" / "slovenia_s2l1c_frame2_rgb.tif"


def _shifted_copy(src_path, dst_path, dx_m: float):
    import rasterio
    from rasterio.transform import Affine

    with rasterio.open(src_path) as src:
        profile = dict(src.profile)
        profile["transform"] = Affine(src.transform.a, 0, src.transform.c + dx_m, 0, src.transform.e, src.transform.f)
        with rasterio.open(dst_path, "w", **profile) as dst:
            dst.write(src.read())
            dst.descriptions = src.descriptions
    return dst_path


def test_predict_refuses_a_frame_elsewhere_and_reads_uncovered_pixels_as_missing(tmp_path):
    """A frame of another place is refused by name; where a frame covers only part of the first one, the
    rest reads as missing (the warp's fill is not ground)."""
    import numpy as np
    import pytest
    from rasterio.windows import Window

    from backend.api import DiffusionSat
    from backend.geo.read import open_raster, require_georeferenced
    from backend.tasks.predict import PredictError
    from backend.tiling import RasterSource

    second = ROOT / "resources" / "samples" / "slovenia_s2l1c_frame3_rgb.tif"
    far = _shifted_copy(second, tmp_path / "far.tif", 50_000.0)
    ds = DiffusionSat.from_pretrained("diffusionsat-mini")
    with pytest.raises(PredictError, match="far.tif does not overlap"):
        ds.predict([(SAMPLE, "2017-05-01"), (far, "2017-06-01")], "2017-08-15", output=tmp_path / "p.tif", steps=1)
    assert not (tmp_path / "p.tif").exists()

    half = _shifted_copy(second, tmp_path / "half.tif", 500.0)  # 50 of its 100 columns overlap
    with open_raster(SAMPLE) as first:
        grid = require_georeferenced(first)
    src = RasterSource(half, [1, 2, 3], grid=grid)
    try:
        _, valid = src.read(Window(0, 0, grid.width, grid.height))
    finally:
        src.close()
    assert not valid[:, :45].any() and valid[:, 55:].all()  # uncovered columns are missing, not zeros
    res = ds.predict([(SAMPLE, "2017-05-01"), (half, "2017-06-01")], "2017-08-15", output=tmp_path / "q.tif",
                     steps=1, seed=1, quicklook=False)
    assert res.output.exists()
