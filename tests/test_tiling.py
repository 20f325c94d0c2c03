"""The tiling engine: exact identity, no seams, full coverage, SR grid, seeds, cancel, multi-input, generation."""

import threading

import numpy as np
import pytest
import rasterio
from affine import Affine

from backend.geo import Grid, GridMismatchError, OutputPathError, metadata_from_raster, sr_output_grid
from backend.metadata import SatMetadata
from backend.tiling import (ArraySource, Cancelled, RasterSource, TilingError, axis_starts, blend_weights,
                            plan_tiles, run_tiled, tile_seed)
from tests.geo_fixtures import HAITI, LANDSAT8_EDGE, smooth_field, write_raster


def identity(batch):
    return batch.inputs[0]


@pytest.fixture
def float_raster(tmp_path):
    return write_raster(tmp_path / "f.tif", smooth_field(3, 70, 90))


def test_axis_starts_cover_and_overlap():
    for length in (1, 31, 32, 33, 100, 257):
        starts = axis_starts(length, 32, 8)
        assert starts[0] == 0 and starts[-1] + min(32, length) == length
        assert all(b - a <= 24 for a, b in zip(starts, starts[1:]))  # overlap >= 8


def test_identity_reproduces_input_exactly(float_raster, tmp_path):
    src = rasterio.open(float_raster).read()
    res = run_tiled(identity, tmp_path / "out.tif", sources=[float_raster], tile_size=32, overlap=8, batch_size=3)
    with rasterio.open(res.path) as ds:
        out = ds.read()
        assert ds.transform == rasterio.open(float_raster).transform
    assert res.tiles == 4 * 3 and np.abs(out - src).max() < 1e-6


def test_constant_offset_has_no_seam(float_raster):
    src = rasterio.open(float_raster).read()
    res = run_tiled(lambda b: b.inputs[0] + 0.25, None, sources=[float_raster], tile_size=32, overlap=8)
    diff = res.array - src
    tiles = plan_tiles(Grid.from_dataset(rasterio.open(float_raster)), 32, 8)
    borders = np.zeros(src.shape[1:], bool)
    for t in tiles:
        r, c, h, w = (int(v) for v in (t.window.row_off, t.window.col_off, t.window.height, t.window.width))
        borders[[r, r + h - 1], c:c + w] = True
        borders[r:r + h, [c, c + w - 1]] = True
    border_dev = np.abs(diff[:, borders] - 0.25).max()
    interior_dev = np.abs(diff[:, ~borders] - 0.25).max()
    assert border_dev < 1e-6 and interior_dev < 1e-6
    # and along the rows/cols where tiles meet, the output is as smooth as the input
    assert np.abs(np.diff(res.array, axis=2)).max() <= np.abs(np.diff(src, axis=2)).max() + 1e-6


def test_weights_positive_and_flat_on_raster_edges():
    grid = Grid("EPSG:32633", Affine(10, 0, 0, 0, -10, 0), 100, 100)
    tiles = plan_tiles(grid, 40, 10)
    wsum = np.zeros((100, 100))
    for t in tiles:
        w = blend_weights(t, grid, 10)
        assert w.min() > 0
        r, c = int(t.window.row_off), int(t.window.col_off)
        wsum[r:r + 40, c:c + 40] += w
        if r == 0:
            assert (w[0] == w[0].max()).sum() >= 1 and w[0].max() == 1.0 or c != 0
    assert wsum.min() > 0.5 and wsum[0, 0] == 1.0


def test_non_multiple_size_fully_covered(tmp_path):
    arr = (np.arange(1, 1 + 3 * 37 * 53) % 997).reshape(3, 37, 53).astype(np.uint16) + 1
    path = write_raster(tmp_path / "odd.tif", arr)
    seen = []

    def fn(batch):
        seen.extend(batch.tiles)
        return batch.inputs[0]

    res = run_tiled(fn, tmp_path / "o.tif", sources=[path], tile_size=16, overlap=4, out_dtype="uint16")
    with rasterio.open(res.path) as ds:
        assert np.array_equal(ds.read(), arr)  # every pixel written, none 0
    assert len(seen) == res.tiles and {t.shape for t in seen} == {(16, 16)}


def test_raster_smaller_than_tile_is_padded_and_cropped(tmp_path):
    arr = smooth_field(2, 20, 13)
    path = write_raster(tmp_path / "small.tif", arr)
    shapes = []

    def fn(batch):
        shapes.append(batch.inputs[0].shape)
        return batch.inputs[0] * 2

    res = run_tiled(fn, None, sources=[path], tile_size=32, overlap=8)
    assert shapes == [(1, 2, 32, 32)] and np.allclose(res.array, arr * 2, atol=1e-6)


def test_super_resolution_grid_and_band_change(tmp_path):
    src_grid = Grid.from_dataset(rasterio.open(HAITI))

    def up4(batch):  # 4 bands in, 3 bands out, 4x pixels
        x = batch.inputs[0][:, :3]
        return np.repeat(np.repeat(x, 4, axis=2), 4, axis=3)

    res = run_tiled(up4, tmp_path / "sr.tif", sources=[RasterSource(HAITI)], tile_size=48, overlap=8, factor=4,
                    batch_size=4, out_dtype="uint8", descriptions=["R", "G", "B"])
    t = src_grid.transform
    with rasterio.open(res.path) as ds:
        assert ds.transform == Affine(t.a / 4, t.b, t.c, t.d, t.e / 4, t.f) == sr_output_grid(src_grid, 4).transform
        assert (ds.width, ds.height, ds.count) == (512, 512, 3) and ds.crs == src_grid.crs
        out = ds.read()
    src = rasterio.open(HAITI).read()[:3]
    assert np.array_equal(out[:, ::4, ::4], src) and np.array_equal(out[:, 3::4, 3::4], src)


def test_tile_metadata_and_seeds_are_deterministic(tmp_path):
    grid = Grid.from_dataset(rasterio.open(LANDSAT8_EDGE))
    base = metadata_from_raster(LANDSAT8_EDGE)
    runs = []
    for batch_size in (1, 3):
        got = []

        def fn(batch):
            got.extend((t.seed, t.metadata, t.window) for t in batch.tiles)
            return batch.inputs[0][:, :1]

        run_tiled(fn, None, sources=[LANDSAT8_EDGE], tile_size=64, overlap=16, base_seed=42, metadata=base,
                  batch_size=batch_size)
        runs.append(got)
    assert runs[0] == runs[1]
    seeds = [s for s, _, _ in runs[0]]
    assert len(set(seeds)) == len(seeds) and seeds[0] == tile_seed(42, 0, 0)
    assert tile_seed(43, 0, 0) != tile_seed(42, 0, 0)
    for seed, md, win in runs[0]:
        own = metadata_from_raster(LANDSAT8_EDGE, window=win)
        assert md.lon == pytest.approx(own.lon) and md.lat == pytest.approx(own.lat) and md.date == base.date
    assert len({md.lon for _, md, _ in runs[0]}) > 1


def test_progress_and_cancel_leave_no_file(float_raster, tmp_path):
    calls = []
    event = threading.Event()

    def fn(batch):
        if len(calls) >= 2:
            event.set()
        return batch.inputs[0]

    out = tmp_path / "cancelled.tif"
    with pytest.raises(Cancelled, match="2 of 12"):
        run_tiled(fn, out, sources=[float_raster], tile_size=32, overlap=8, progress=lambda d, t: calls.append((d, t)),
                  cancel=event)
    assert calls == [(0, 12), (1, 12), (2, 12)]  # stopped before the third batch
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.tif"]
    # a callable works as a cancel flag too; cancelling before the first batch runs no model work
    with pytest.raises(Cancelled):
        run_tiled(lambda b: pytest.fail("ran"), out, sources=[float_raster], tile_size=32, overlap=8, cancel=lambda: True)


def test_multi_date_inputs_and_mask_source(tmp_path):
    a = write_raster(tmp_path / "a.tif", smooth_field(2, 40, 40, seed=1))
    b = write_raster(tmp_path / "b.tif", smooth_field(2, 40, 40, seed=2))
    grid = Grid.from_dataset(rasterio.open(a))
    mask = np.zeros((40, 40), np.uint8)
    mask[10:20, 10:30] = 1

    def fill(batch):
        img, other, m = batch.inputs
        return np.where(m > 0, other, img)

    res = run_tiled(fill, None, sources=[a, b, ArraySource(mask, grid)], tile_size=24, overlap=8)
    A, B = rasterio.open(a).read(), rasterio.open(b).read()
    assert np.allclose(res.array, np.where(mask[None] > 0, B, A), atol=1e-6)
    shifted = write_raster(tmp_path / "c.tif", smooth_field(2, 40, 40), transform=Affine(10, 0, 500005, 0, -10, 5000000))
    with pytest.raises(GridMismatchError, match="one pixel grid"):
        run_tiled(fill, None, sources=[a, shifted], tile_size=24, overlap=8)


def test_generation_without_input(tmp_path):
    from backend.geo import extent_grid

    grid = extent_grid((500000, 4999000, 500700, 4999500), "EPSG:32633", 10)
    md = SatMetadata(date="2020-01-01")

    def gen(batch):
        assert batch.inputs == []
        out = np.zeros((len(batch), 1, 32, 32), np.float32)
        for k, t in enumerate(batch.tiles):
            out[k] = t.metadata.lon
        return out

    res = run_tiled(gen, tmp_path / "g.tif", grid=grid, tile_size=32, overlap=8, metadata=md, batch_size=2)
    with rasterio.open(res.path) as ds:
        assert ds.transform == grid.transform and (ds.width, ds.height) == (70, 50)
        v = ds.read(1)
    assert np.all(np.diff(v[25]) >= -1e-9) and v[25, -1] > v[25, 0]  # tiles know their own longitude


def test_bad_tile_function_and_parameters(float_raster, tmp_path):
    with pytest.raises(TilingError, match="shape"):
        run_tiled(lambda b: b.inputs[0][:, :, :-1], tmp_path / "x.tif", sources=[float_raster], tile_size=32, overlap=8)
    with pytest.raises(TilingError, match="overlap"):
        run_tiled(identity, None, sources=[float_raster], tile_size=32, overlap=32)
    with pytest.raises(TilingError, match="grid"):
        run_tiled(identity, None)
    with pytest.raises(OutputPathError, match="input"):
        run_tiled(identity, float_raster, sources=[float_raster])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.tif"]


def test_edge_fill_stays_nodata(tmp_path):
    res = run_tiled(identity, tmp_path / "l8.tif", sources=[RasterSource(LANDSAT8_EDGE, edge_zeros=True)],
                    tile_size=64, overlap=16, out_dtype="uint16", nodata=0, mask_invalid=True)
    src = rasterio.open(LANDSAT8_EDGE).read()
    with rasterio.open(res.path) as ds:
        assert ds.nodata == 0 and np.array_equal(ds.read(), src)


def test_source_extent_warp_and_metadata_callback(tmp_path):
    from backend.geo import ExtentError

    with rasterio.open(HAITI) as ds:
        grid = Grid.from_dataset(ds)
        full = ds.read()
    left, bottom, right, top = grid.bounds
    sub = RasterSource(HAITI, bands=[1, 2], bounds=(left + 50, bottom + 100, left + 250, bottom + 300))
    assert sub.grid.shape == (40, 40) and sub.grid.transform.c == left + 50
    seen = []

    def md_fn(tile):  # the callback gets the tile's own window and transform
        seen.append((tile.window, tile.transform))
        return SatMetadata(lon=float(tile.transform.c) / 1e5 - 180)

    res = run_tiled(identity, None, sources=[sub], tile_size=24, overlap=8, metadata_fn=md_fn)
    assert np.allclose(res.array, full[:2, 128 - 60:128 - 20, 10:50], atol=1e-3)
    assert res.grid.transform == sub.grid.transform and len(seen) == res.tiles
    assert all(t == sub.grid.window_transform(w) for w, t in seen)
    with pytest.raises(ExtentError):
        RasterSource(HAITI, bounds=(right + 10, bottom, right + 20, top))
    # resampled onto a grid twice as fine (nearest) == pixel repetition
    fine = sr_output_grid(grid, 2)
    warped = RasterSource(HAITI, bands=[4], grid=fine, resampling="nearest")
    res = run_tiled(identity, None, sources=[warped], tile_size=64, overlap=16)
    assert np.allclose(res.array[0], np.repeat(np.repeat(full[3], 2, 0), 2, 1), atol=1e-3)
    warped.close()
    sub.close()


def test_memory_does_not_grow_with_raster_height(tmp_path):
    import tracemalloc

    def peak(path, out):
        tracemalloc.start()
        run_tiled(lambda b: b.inputs[0] + 1, out, sources=[path], tile_size=64, overlap=16, batch_size=2)
        value = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return value

    peaks = []
    for height in (256, 2048):
        path = write_raster(tmp_path / f"h{height}.tif", smooth_field(2, height, 96))
        # tracemalloc also counts other threads of the test process (an earlier test's server or task):
        # the smaller of two runs is this run's own peak
        peaks.append(min(peak(path, tmp_path / f"o{height}_{k}.tif") for k in range(2)))
    whole_raster_bytes = 2 * 2048 * 96 * 4
    assert peaks[1] < peaks[0] * 1.5 and peaks[1] < whole_raster_bytes / 2, peaks


def test_staged_rows_written_in_column_chunks_equal_the_whole_rows(tmp_path, monkeypatch):
    """A writer that takes whole block rows a few blocks at a time (``write_columns``, as for very wide
    outputs) gets the same file as one that takes them whole."""
    from backend.geo.write import GeoTIFFWriter

    path = write_raster(tmp_path / "wide.tif", smooth_field(3, 300, 700))

    def warp(batch):  # not the identity: every blended pixel depends on the weights
        return np.sin(3.0 * batch.inputs[0]) + 0.01 * np.arange(batch.inputs[0].shape[-1])

    whole = run_tiled(warp, tmp_path / "whole.tif", sources=[path], tile_size=64, overlap=16)
    widths = []
    monkeypatch.setattr(GeoTIFFWriter, "write_columns", property(lambda self: 32))
    original = GeoTIFFWriter.write

    def spy(self, array, window=None):
        widths.append(int(window.width))
        return original(self, array, window)
    monkeypatch.setattr(GeoTIFFWriter, "write", spy)
    chunked = run_tiled(warp, tmp_path / "chunked.tif", sources=[path], tile_size=64, overlap=16)
    with rasterio.open(whole.path) as a, rasterio.open(chunked.path) as b:
        np.testing.assert_array_equal(a.read(), b.read())
    assert widths and max(widths) == 32 and len(widths) >= 700 // 32
