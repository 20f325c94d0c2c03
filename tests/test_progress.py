"""Progress counts the work that will be done: inpainting reports the tiles that run the model."""

import re

from tests.conftest import ROOT

SAMPLE = ROOT / "resources" / "samples" / "slovenia_s2l1c_frame2_rgb.tif"


def test_inpaint_progress_counts_only_the_tiles_that_run(tmp_path):
    from backend.api import DiffusionSat

    ds = DiffusionSat.from_pretrained("diffusionsat-mini")
    # a 10 x 10 px square in the top-left corner of a 100 x 101 px raster: 1 of its 4 tiles of 64 px is masked
    x0, y1 = 465181.0 + 50, 5080254.6 - 50
    square = f"POLYGON(({x0} {y1}, {x0 + 100} {y1}, {x0 + 100} {y1 - 100}, {x0} {y1 - 100}, {x0} {y1}))"
    seen = []
    ds.inpaint(SAMPLE, {"geometries_wkt": [square], "geometries_crs": "EPSG:32633"}, output=tmp_path / "o.tif",
               steps=3, seed=1, quicklook=False, fallback=False, tile_size=64, overlap=16,
               progress=lambda f, m="": seen.append((f, m)))
    totals = {int(m.group(2)) for _, text in seen for m in [re.search(r"^inpaint: tile (\d+)/(\d+)", text)] if m}
    assert totals == {1}, seen  # was 4: progress jumped from about 25 % to done
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert max(f for f, text in seen if text.startswith("inpaint: tile")) > 0.9  # the model's steps fill the bar



def test_superres_progress_follows_the_self_check_then_the_output(tmp_path):
    """The self-check runs the model before the first output tile (minutes on a large raster): it takes the
    first part of the bar and says so, instead of a bar frozen at 0 %."""
    from backend.api import DiffusionSat

    ds = DiffusionSat.from_pretrained("diffusionsat-mini")
    seen = []
    res = ds.super_resolve(ROOT / "resources" / "samples" / "slovenia_s2l1c_13band.tif", output=tmp_path / "sr.tif",
                           steps=2, seed=1, quicklook=False, progress=lambda f, m="": seen.append((f, m)))
    assert res.check and res.check["enabled"]
    check = [f for f, text in seen if text.startswith("super-resolve: self-check: tile")]
    output = [f for f, text in seen if text.startswith("super-resolve: tile")]
    assert check and output, seen
    assert 0.0 < max(check) <= min(output)  # the check first, on its own share of the bar
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
