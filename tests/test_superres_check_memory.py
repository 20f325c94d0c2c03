"""The super-resolution self-check in bounded memory (issue 20 item 4): its window is scored strip by strip.

The scores and verdicts must be the whole-window computation's (the check as it was before, kept below as
the reference), and the check must never hold a whole-window RGB array. The process-level numbers (a
60 000 x 60 000 px 13-band raster with data in the check window) come from
``tests/benchmarks/bench_memory.py --task check --centre``.

Its cost (issue 20 item 4, below "the check's cost"): the window holds at most CHECK_MAX_TILES model tiles
of the task's tiling whatever the raster's size; checked on real tile plans and a real sparse GeoTIFF.
"""

import math
import tracemalloc

import numpy as np
import pytest
import rasterio
import torch
import torch.nn.functional as F
from affine import Affine

from backend.tasks.common import TaskContext
from backend.tasks.superres import match_observation
from backend.tasks.superres_check import (CHECK_MAX_PIXELS, CHECK_MAX_TILES, CONTEXT, MAX_MODEL_WEIGHT, MIN_GAIN_DB,
                                          bicubic_up, block_mean,
                                          check_window, classical_rows, psnr_of_squares, self_check, strip_rows)
from backend.tiling import ArraySource, RasterSource, axis_starts, plan_tiles, run_tiled

MODE = "reflectance10000"
LIM = np.array([[0.02, 0.3], [0.03, 0.35], [0.01, 0.25]])  # a per-raster stretch: the units the check scores in


def to_model_units(x):
    return (x - LIM[:, :1, None]) / (LIM[:, 1:, None] - LIM[:, :1, None])


def classical(factor):
    return lambda unit: match_observation(bicubic_up(unit[:3], factor), unit[:3], factor)


def model(factor):
    """The classical path plus a 4 px checker whose strength depends on the tile's seed: some tiles lose to
    bicubic, some do not (a real function of the tile, as the model path is)."""
    up = classical(factor)

    def run(unit, valid, seed, metadata, gsd, progress):
        out = up(unit)
        y, x = np.mgrid[0:out.shape[1], 0:out.shape[2]]
        return out + 0.004 * (seed % 5) * (((x // 2 + y // 2) % 2) - 0.5)[None]

    return run


def plain(factor):
    """A blurry classical path for the weight test: bicubic, then a 9 x 9 box filter."""
    def run(unit):
        up = torch.from_numpy(bicubic_up(unit[:3], factor))[None]
        return F.avg_pool2d(F.pad(up, (4, 4, 4, 4), mode="replicate"), 9, stride=1)[0].numpy()

    return run


def detailed_model(factor):
    """A model path whose detail over ``plain`` is partly right: bicubic's sharpness (real detail of the
    input), plus a 4 px checker of a strength set by the tile's seed, and that sharpness reversed on every
    eleventh seed (detail that only hurts): tiles get the window's weight, or none."""
    blurry = plain(factor)

    def run(unit, valid, seed, metadata, gsd, progress):
        base, sharp = blurry(unit), bicubic_up(unit[:3], factor)
        if seed % 11 == 10:
            return 2 * base - sharp
        y, x = np.mgrid[0:sharp.shape[1], 0:sharp.shape[2]]
        return sharp + 0.002 * (seed % 5) * (((x // 2 + y // 2) % 2) - 0.5)[None]

    return run


def write_raster(path, height, width, bands=4, seed=0):
    """Smooth Sentinel-2-like digital numbers (nodata 0) with a nodata hole and one bright cloud above
    reflectance 1 in the lower part only (so most strips' maxima are below the window's)."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(300, 3000, (bands, height // 16 + 2, width // 16 + 2)).astype(np.float32)
    import torch
    import torch.nn.functional as F

    smooth = F.interpolate(torch.from_numpy(coarse)[None], scale_factor=16, mode="bicubic", align_corners=False)
    data = smooth[0, :, :height, :width].numpy() + rng.normal(0, 150, (bands, height, width))
    yy, xx = np.mgrid[0:height, 0:width]
    cloud = np.exp(-(((yy - 0.8 * height) / 40.0) ** 2 + ((xx - 0.3 * width) / 60.0) ** 2))
    data += 17000 * cloud[None]
    data = np.clip(data, 1, 30000).astype(np.uint16)
    data[:, height // 5:height // 5 + 37, width // 2:width // 2 + 53] = 0  # nodata hole
    profile = dict(driver="GTiff", width=width, height=height, count=bands, dtype="uint16", crs="EPSG:32633",
                   nodata=0, transform=Affine(10, 0, 400000, 0, -10, 5200000), tiled=True, blockxsize=256,
                   blockysize=256)
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data)
    return path


def _ctx(seed=0):
    return TaskContext(model=None, job=None, seed=seed, progress=None, cancel=None, output=None, tags={})


def reference_check(source, mode, factor, tile_in, overlap_in, super_unit, classical_unit, to_units, seed=0,
                    max_tiles=CHECK_MAX_TILES):
    """The self-check as it was before the strips: the whole window's input RGB, model output (run_tiled in
    memory), bicubic output and float64 error maps. Returns (model_db, bicubic_db, {key: (model, bicubic)})."""
    from rasterio.windows import Window

    from backend.geo.grids import Grid
    from backend.geo.scaling import to_unit

    grid = source.grid
    r0, c0, h, w = check_window(grid.height, grid.width, factor, tile_in, overlap_in, max_tiles)
    rows = max(factor, 256 - 256 % factor)
    coarse = np.zeros((source.count, h // factor, w // factor), np.float32)
    cvalid = np.zeros((h // factor, w // factor), bool)
    truth, fvalid = np.zeros((3, h, w), np.float32), np.zeros((h, w), bool)
    for r in range(0, h, rows):
        n = min(rows, h - r)
        raw, valid = source.read(Window(c0, r0 + r, w, n))
        unit = np.where(valid[None], to_unit(raw, mode, valid=valid, clip=False), 0.0)
        coarse[:, r // factor:(r + n) // factor] = block_mean(unit, factor).astype(np.float32)
        cvalid[r // factor:(r + n) // factor] = block_mean(valid[None].astype(np.float64), factor)[0] > 0.999
        truth[:, r:r + n], fvalid[r:r + n] = unit[:3], valid
    cgrid = Grid(grid.crs, grid.transform * Affine.translation(c0, r0) * Affine.scale(factor), w // factor, h // factor)

    def fn(batch):
        return np.stack([np.asarray((super_unit(batch.inputs[0][k], batch.valid[0][k], t.seed, t.metadata, 0, None)
                                     if batch.valid[0][k].any() else classical_unit(batch.inputs[0][k]))[:3],
                                    np.float32) for k, t in enumerate(batch.tiles)])

    res = run_tiled(fn, None, sources=[ArraySource(coarse, cgrid, cvalid)], tile_size=tile_in, overlap=overlap_in,
                    factor=factor, out_bands=3, base_seed=seed ^ 0x5EED, metadata=None)
    bicubic = np.asarray(classical_unit(coarse))[:3, :h, :w]
    valid = fvalid & np.repeat(np.repeat(cvalid, factor, 0), factor, 1)
    t = to_units(truth.astype(np.float64))
    scores = []
    for a in (res.array[:3, :h, :w], bicubic):
        err = (to_units(a.astype(np.float64)) - t) ** 2
        scores.append((psnr_of_squares(err[:, valid]), err.mean(axis=0)))
    (model_db, em), (bicubic_db, eb) = scores
    detail = to_units(res.array[:3, :h, :w].astype(np.float64)) - to_units(bicubic.astype(np.float64))
    d2 = (detail ** 2).mean(axis=0)
    dx = (detail * (t - to_units(bicubic.astype(np.float64)))).mean(axis=0)
    # the window's weight: least squares on all valid pixels, capped, and 0 if it gains under MIN_GAIN_DB
    window = min(MAX_MODEL_WEIGHT, max(0.0, dx[valid].sum() / d2[valid].sum()))
    blended = eb[valid].sum() - 2 * window * dx[valid].sum() + window ** 2 * d2[valid].sum()
    if 10 * math.log10(eb[valid].sum() / blended) < MIN_GAIN_DB:
        window = 0.0
    tiles = plan_tiles(grid, tile_in, overlap_in, factor, seed)
    verdicts, weights = {}, {}
    for tile in tiles:
        win = tile.window
        th, tw = int(win.height), int(win.width)
        pad_r, pad_c = int(CONTEXT * th), int(CONTEXT * tw)
        rr0, cc0 = int(win.row_off) - r0 - pad_r, int(win.col_off) - c0 - pad_c
        rr1, cc1 = rr0 + th + 2 * pad_r, cc0 + tw + 2 * pad_c
        rr0, cc0, rr1, cc1 = max(rr0, 0), max(cc0, 0), min(rr1, h), min(cc1, w)
        if rr1 - rr0 < th // 2 or cc1 - cc0 < tw // 2:
            continue
        v = valid[rr0:rr1, cc0:cc1]
        if v.sum() < 16:
            continue
        key = (int(win.row_off), int(win.col_off))
        verdicts[key] = (float(em[rr0:rr1, cc0:cc1][v].mean()), float(eb[rr0:rr1, cc0:cc1][v].mean()))
        own = float(np.clip(dx[rr0:rr1, cc0:cc1][v].sum() / d2[rr0:rr1, cc0:cc1][v].sum(), 0.0, 1.0))
        weights[key] = window if own > 0 else 0.0  # the window's weight, or none where the detail never helps
    return model_db, bicubic_db, verdicts, weights, window


@pytest.mark.parametrize("factor", [4, 3])
def test_classical_strips_are_the_whole_windows_rows(factor):
    """Bicubic + back-projection on a strip with its halo (and the window's clip) gives the whole run's rows."""
    rng = np.random.default_rng(1)
    coarse = rng.uniform(0, 0.5, (4, 300, 90)).astype(np.float32)
    coarse[:3, 20:23, 40:44] = 1.2  # a bright spot in the first strip (bicubic overshoots it) ...
    coarse[:3, 250:256, 10:14] = 1.7  # ... and a brighter one in the last: the clip is the window's maximum
    whole = classical(factor)(coarse)[:3]
    rows = strip_rows(factor)
    h = coarse.shape[1] * factor
    for r in range(0, h, rows):
        n = min(rows, h - r)
        got = classical_rows(classical(factor), coarse, factor, r, n)
        if factor & (factor - 1) == 0:  # bit for bit
            assert np.array_equal(got, whole[:, r:r + n]), r
        else:  # torch maps output row y to (y + 0.5) / factor - 0.5 in float32: smaller y in a strip, other rounding
            assert np.allclose(got, whole[:, r:r + n], rtol=0, atol=1e-4), r  # (2e-5 seen, values to 1.7)
    # the first strip with its halo alone would be clipped at its own maximum: the added row is what keeps it
    alone = classical(factor)(coarse[:, :rows // factor + 32])[:3, :rows]
    assert not np.array_equal(alone, whole[:, :rows])


@pytest.mark.parametrize("factor,tile_in,overlap_in,tol,max_tiles",
                         [(4, 32, 6, 1e-12, CHECK_MAX_TILES), (3, 24, 4, 1e-5, 1000)])
def test_the_strip_scores_are_the_whole_window_scores(tmp_path, factor, tile_in, overlap_in, tol, max_tiles):
    """To float64 summation order (factor 4: the default budget, an 856 px window inside the raster); with
    factor 3 (a budget above the raster's 285 tiles: all of it, 1098 x 900 px), to the float32 rounding of
    torch's bicubic coordinates (see above)."""
    path = write_raster(tmp_path / "scene.tif", 1100, 900)
    source = RasterSource(path, require_crs=True)
    try:
        report = self_check(_ctx(3), source, MODE, factor, tile_in, overlap_in, None, detailed_model(factor),
                            plain(factor), to_model_units, max_tiles=max_tiles)
        model_db, bicubic_db, verdicts, weights, window = reference_check(
            source, MODE, factor, tile_in, overlap_in, detailed_model(factor), plain(factor), to_model_units, seed=3,
            max_tiles=max_tiles)
    finally:
        source.close()
    assert report.window[2] > 3 * strip_rows(factor)  # several strips, the last one partial
    assert report.model_tiles <= max_tiles
    assert math.isclose(report.model_db, model_db, rel_tol=tol)
    assert math.isclose(report.bicubic_db, bicubic_db, rel_tol=tol)
    assert report.tiles.keys() == verdicts.keys() and len(verdicts) > 100
    for key, (m, b) in verdicts.items():
        got = report.tiles[key]
        assert math.isclose(got[0], m, rel_tol=tol) and math.isclose(got[1], b, rel_tol=tol), key
    flips = [k for k, (m, b) in verdicts.items() if (m > b) != (report.tiles[k][0] > report.tiles[k][1])]
    assert not flips
    losing = sum(m > b for m, b in verdicts.values())
    assert 0 < losing < len(verdicts)  # the case has verdicts both ways
    # the weight of the model's detail per tile: the least-squares blend, as the whole-window maps give it
    assert report.weights.keys() == weights.keys()
    for key, a in weights.items():  # a ratio of sums of differences: 100x the scores' relative rounding
        assert math.isclose(report.weights[key], a, rel_tol=100 * tol, abs_tol=1e-9), key
    assert math.isclose(report.weight, window, rel_tol=tol) and 0.0 < window <= MAX_MODEL_WEIGHT
    dropped = sum(a == 0.0 for a in weights.values())
    assert 0 < dropped < len(weights)  # both kinds: bicubic alone, and the window's weight
    rest = 0 if report.weight > 0 else report.total_tiles - len(weights)
    assert report.fallback_tiles == dropped + rest


def test_the_check_never_holds_a_whole_window_rgb_array(tmp_path):
    """tracemalloc on the check (numpy's allocations; torch's bicubic pieces are not traced): its peak stays
    below one float32 RGB array of the checked window (18 MB here against 25 MB). The whole-window
    computation held the input RGB (float32), the model output and float64 error maps: 276 MB here. The
    window is the full 4096 rows tall (16 strips, as on a large raster) and narrow, for time: a strip's
    memory grows with the width, the whole window's with the area."""
    height, width = 4096, 512
    path = write_raster(tmp_path / "tall.tif", height, width, bands=4)
    source = RasterSource(path, require_crs=True)
    factor = 4
    try:
        with rasterio.Env(GDAL_CACHEMAX=16):
            tracemalloc.start()
            report = self_check(_ctx(), source, MODE, factor, 64, 8, None, model(factor), classical(factor),
                                to_model_units)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    finally:
        source.close()
    window_rgb = 3 * height * width * 4
    print(f"check peak {peak / 1e6:.1f} MB traced; one float32 RGB window {window_rgb / 1e6:.1f} MB")
    assert report.window == (0, 0, height, width) and report.model_db is not None and len(report.tiles) > 100
    assert peak < window_rgb


# ------------------------------------------------------------------------------------------- the check's cost
def _check_plan(height, width, factor, tile_in, overlap_in, max_tiles=CHECK_MAX_TILES):
    """The window check_window picks and the tiles the check's run plans on its degraded copy (as
    self_check plans them)."""
    from backend.geo.grids import Grid

    r0, c0, h, w = check_window(height, width, factor, tile_in, overlap_in, max_tiles)
    grid = Grid(rasterio.crs.CRS.from_epsg(32633), Affine(10 * factor, 0, 400000, 0, -10 * factor, 5200000),
                w // factor, h // factor)
    return (r0, c0, h, w), plan_tiles(grid, tile_in, overlap_in, factor)


@pytest.mark.parametrize("height,width,factor,tile_in,overlap_in", [
    (60000, 60000, 4, 32, 8),  # the bundled model's tiles (128 px output, 32 px overlap, x4) on issue 20's raster
    (60000, 60000, 4, 128, 16),  # 512 px output tiles (the released model's size)
    (60000, 60000, 2, 64, 16),
    (60000, 60000, 3, 24, 4),
    (60000, 300, 4, 32, 8),  # a narrow strip: the budget goes to rows
    (301, 60000, 4, 32, 8),
    (1100, 900, 4, 32, 6),  # smaller than the window: a sub-window still
    (101, 100, 4, 32, 8),  # the sample: all of it, one tile
])
def test_the_check_window_holds_the_tile_budget(height, width, factor, tile_in, overlap_in):
    """The check's model tiles stay within CHECK_MAX_TILES whatever the raster's size (the fixed 4096 px
    window took 1849 on the bundled model's tiles), the window is centred, and it is the largest such
    window: a tile row or column more would exceed the budget (or the raster, or the pixel cap)."""
    (r0, c0, h, w), plan = _check_plan(height, width, factor, tile_in, overlap_in)
    assert 0 < len(plan) <= CHECK_MAX_TILES
    assert h % factor == 0 and w % factor == 0 and h * w <= CHECK_MAX_PIXELS
    assert (r0, c0) == ((height - h) // 2, (width - w) // 2)
    # the largest: one coarse pixel more along an axis leaves the raster or the pixel cap, or takes the
    # check past its budget
    for size, longer, other in ((height, h + factor, len(plan.cols)), (width, w + factor, len(plan.rows))):
        if longer <= size - size % factor and longer <= math.isqrt(CHECK_MAX_PIXELS):
            assert len(axis_starts(longer // factor, tile_in, overlap_in)) * other > CHECK_MAX_TILES
    if height == width == 60000 and (tile_in, overlap_in) == (32, 8):
        assert len(plan) == CHECK_MAX_TILES and (h, w) == (800, 800)  # 8 x 8 tiles of 32 px every 24 px


def test_the_check_on_a_huge_sparse_raster_runs_its_budget_of_model_tiles(tmp_path):
    """A real 20 000 x 20 000 px GeoTIFF (sparse: only its central 1024 px are written) checked with the
    bundled model's tile geometry: the model path runs at most CHECK_MAX_TILES times (the 4096 px window
    ran it on every tile of its degraded 1024 px centre), yet over a thousand output tiles get a verdict of
    their own and the rest follow the overall verdict."""
    side, data = 20000, 1024
    path = tmp_path / "huge.tif"
    profile = dict(driver="GTiff", width=side, height=side, count=4, dtype="uint16", crs="EPSG:32633", nodata=0,
                   transform=Affine(10, 0, 400000, 0, -10, 5200000), tiled=True, blockxsize=256, blockysize=256,
                   compress="deflate", SPARSE_OK=True, BIGTIFF="YES")
    write_raster(tmp_path / "centre.tif", data, data)
    with rasterio.open(tmp_path / "centre.tif") as src, rasterio.open(path, "w", **profile) as dst:
        at = (side - data) // 2
        dst.write(np.maximum(src.read(), 1), window=rasterio.windows.Window(at, at, data, data))  # no nodata hole
    factor, tile_in, overlap_in = 4, 32, 8  # tile_and_overlap of the bundled model: 128 px output, 32 overlap
    calls = []
    run = model(factor)

    def counted(unit, valid, seed, metadata, gsd, progress):
        calls.append(seed)
        assert len(calls) <= CHECK_MAX_TILES, "the check ran the model past its budget"
        return run(unit, valid, seed, metadata, gsd, progress)

    source = RasterSource(path, require_crs=True)
    try:
        with rasterio.Env(GDAL_CACHEMAX=16):
            report = self_check(_ctx(), source, MODE, factor, tile_in, overlap_in, None, counted, classical(factor),
                                to_model_units)
    finally:
        source.close()
    assert report.window == ((side - 800) // 2, (side - 800) // 2, 800, 800)
    assert len(calls) == report.model_tiles == CHECK_MAX_TILES  # every check tile has data: each ran the model
    assert report.model_db is not None and len(report.tiles) > 1000
    plan = plan_tiles(source.grid, tile_in, overlap_in, factor)
    assert report.total_tiles == len(plan) > 600000
    outside = report.total_tiles - len(report.tiles)
    own = sum(a == 0.0 for a in report.weights.values())  # judged tiles left to bicubic alone
    assert report.weights.keys() == report.tiles.keys()
    assert report.fallback_tiles == own + (0 if report.weight > 0 else outside)
