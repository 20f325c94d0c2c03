"""Memory that stays flat at any raster size (issue 20 item 4): a lazy tile plan and a bounded stretch sample.

The measured numbers (a sparse 60 000 x 60 000 px 13-band raster) come from tests/benchmarks/bench_memory.py.
"""

import time
import tracemalloc

import numpy as np
import pytest
from affine import Affine
from rasterio.crs import CRS

from backend.geo.grids import Grid
from backend.geo.scaling import percentile_limits, to_unit
from backend.tiling import RasterSource, Tile, axis_starts, plan_tiles, tile_seed

RASTERS = ["resources/samples/slovenia_s2l1c_13band.tif", "tests/data/landsat8_224078_20200518_rgb_edge.tif",
           "tests/data/betsiboka_s2_truecolor_4326_crop.tif", "tests/data/haiti_rgbn_5m_crop.tif"]


def grid(width, height):
    return Grid(CRS.from_epsg(32633), Affine(10, 0, 500000, 0, -10, 5000000), width, height)


def test_planning_millions_of_tiles_allocates_nothing_per_tile():
    tracemalloc.start()
    started = time.perf_counter()
    plan = plan_tiles(grid(60000, 60000), 32, 8, factor=4, base_seed=7)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(plan) == 2500 * 2500
    assert peak < 1 << 20 and seconds < 1.0  # the list of tiles took 7.6 GiB and 89 minutes
    last = plan[-1]
    assert (last.row, last.col, int(last.window.row_off), int(last.window.col_off)) == (2499, 2499, 59968, 59968)


def test_the_lazy_plan_gives_the_tiles_the_list_gave():
    g = grid(150, 97)
    plan = plan_tiles(g, 40, 10, factor=2, base_seed=3)
    rows, cols = axis_starts(97, 40, 10), axis_starts(150, 40, 10)
    expected = []
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            win = plan[0].window.__class__(c, r, 40, 40)
            tr = g.window_transform(win)
            expected.append(Tile(len(expected), i, j, win, tr, win.__class__(2 * c, 2 * r, 80, 80),
                                 tr * Affine.scale(0.5), tile_seed(3, r, c)))
    assert list(plan) == expected and plan[1:3] == expected[1:3] and plan[-1] == expected[-1]
    with pytest.raises(IndexError):
        plan[len(expected)]


def test_tiles_meeting_a_window_are_found_without_visiting_the_others():
    plan = plan_tiles(grid(300, 200), 32, 8)
    for window in [(0, 1, 0, 1), (50, 90, 120, 121), (199, 200, 290, 300), (0, 200, 0, 300)]:
        r0, r1, c0, c1 = window
        brute = [t.index for t in plan if int(t.window.row_off) < r1 and int(t.window.row_off) + 32 > r0
                 and int(t.window.col_off) < c1 and int(t.window.col_off) + 32 > c0]
        assert plan.indexes_in(*window) == brute
        starting = [t.index for t in plan if r0 <= int(t.window.row_off) < r1 and c0 <= int(t.window.col_off) < c1]
        assert plan.indexes_starting_in(*window) == starting


def _strided_every_pixel_reference(src, max_pixels):
    """The sample as it was read before (256-row strips), for comparison."""
    from rasterio.windows import Window

    h, w = src.grid.height, src.grid.width
    s = max(1, int(np.ceil(np.sqrt(h * w / float(max_pixels)))))
    step = max(s, (256 // s) * s)
    parts = []
    for r0 in range(0, h, step):
        arr, valid = src.read(Window(0, r0, w, min(step, h - r0)))
        parts.append(arr[:, ::s, ::s][:, valid[::s, ::s]])
    return np.concatenate(parts, axis=1)


@pytest.mark.parametrize("path", RASTERS)
def test_the_strided_sample_is_unchanged_in_small_strips(path):
    src = RasterSource(path)
    try:
        for max_pixels in (10 ** 9, 700):
            reference = _strided_every_pixel_reference(src, max_pixels)
            for strip_bytes in (1, 5000, 32 << 20):  # one row per read .. the whole raster at once
                assert np.array_equal(src.sample_values(max_pixels, strip_bytes=strip_bytes), reference)
    finally:
        src.close()


@pytest.mark.parametrize("path", RASTERS)
def test_the_bounded_patch_sample_gives_the_full_stretch(path):
    src = RasterSource(path)
    try:
        full = src.sample_values(max_pixels=10 ** 9)
        patches = src.patch_sample(max_pixels=4096, patch=4)  # 256 patches, as on a huge raster
    finally:
        src.close()
    assert 2000 <= patches.shape[1] <= 4096
    full_lim = percentile_limits(to_unit(full[:, None, :], dtype=src.dtype), None, (2, 98))
    some_lim = percentile_limits(to_unit(patches[:, None, :], dtype=src.dtype), None, (2, 98))
    span = full_lim[:, 1] - full_lim[:, 0]
    # within 5 % of each band's stretch range (2 thousandths of the [0, 1] range for near-constant bands)
    error = np.abs(some_lim - full_lim).max(axis=1)
    print(path, "worst error / range:", float((error / span).max()))
    assert (error <= np.maximum(0.05 * span, 2e-3)).all()


def test_an_inpainting_mask_too_large_for_memory_is_refused_before_any_work():
    from backend.geo.errors import MaskError
    from backend.geo.masks import MASK_BYTES_PER_PIXEL, memory_available, require_mask_memory

    huge = grid(200000, 200000)
    with pytest.raises(MaskError, match=r"big\.tif is 200000 x 200000 px \(40000 Mpx\).*memory.*limit of 179 Mpx"):
        require_mask_memory(huge, "big.tif", available=179 * 10 ** 6 * MASK_BYTES_PER_PIXEL)
    require_mask_memory(grid(1000, 1000), "small.tif", available=10 ** 7)  # fits: nothing said
    assert memory_available() is None or memory_available() > 0


def test_an_output_too_wide_for_the_blending_strips_is_refused(monkeypatch):
    from backend.geo import masks
    from backend.tiling import TilingError, require_strip_memory, strip_bytes

    plan = plan_tiles(grid(200000, 100), 32, 8, factor=4)
    need = strip_bytes(plan, 3, "uint16")  # grows with the width only: 2.1 GiB at 800 000 output px
    taller = strip_bytes(plan_tiles(grid(200000, 60000), 32, 8, factor=4), 3, "uint16")
    assert abs(taller - need) < 0.05 * need  # (the tile rows spread a little differently)
    monkeypatch.setattr(masks, "memory_available", lambda: need // 2)
    limit = r"wide.tif: the output is 800000 px wide.*\(a limit of about 400000 output px wide"
    with pytest.raises(TilingError, match=limit):
        require_strip_memory(plan, 3, "uint16", "wide.tif")
    monkeypatch.setattr(masks, "memory_available", lambda: need)
    require_strip_memory(plan, 3, "uint16", "wide.tif")
