"""The raster tasks' one skeleton (backend/tasks/raster_task.py, issue 19): what it adds around a task's
per-tile step (spread band, progress over the model's tiles, the input's units, the check's tags), and the
pipeline method passed to ``sample`` itself, never looked up by name."""

import types

import numpy as np
from affine import Affine

from backend.geo import Grid
from backend.tasks.common import TaskOutput, TileProgress, sample
from backend.tasks.raster_task import RasterPlan, run_raster
from backend.tiling import ArraySource

GRID = Grid("EPSG:32633", Affine(10, 0, 500000, 0, -10, 5100000), 40, 24)


def _ctx(num_samples=1, batch_size=1, progress=None):
    job = types.SimpleNamespace(sampling=types.SimpleNamespace(num_samples=num_samples, steps=2, guidance=1.0,
                                                               scheduler="ddim"),
                                tiling=types.SimpleNamespace(batch_size=batch_size))
    return types.SimpleNamespace(job=job, seed=3, progress=progress, cancel=None, output=None, tags={}, cog=False)


def _plan(values):
    source = ArraySource(values, GRID)
    return RasterPlan([source], "reflectance10000", "float32", 16, 4, None, inputs=[],
                      check_tags={"X_CHECK": "on"}, check={"summary": "checked"})


def test_the_step_sees_each_tile_and_the_output_is_in_the_input_units():
    values = np.random.default_rng(0).uniform(0, 5000, (3, GRID.height, GRID.width)).astype(np.float32)
    seen = []

    def step(tile):  # the identity in [0, 1] units: the skeleton maps back to reflectance x 10 000
        seen.append(tile.tile.index)
        assert len(tile.arrays) == len(tile.valid) == 1
        return tile.arrays[0] / 10000.0

    ctx = _ctx()
    out = run_raster(ctx, _plan(values), step, TileProgress(None, "test"))
    assert isinstance(out, TaskOutput) and out.check == {"summary": "checked"}
    assert ctx.tags == {"DIFFUSIONSAT_X_CHECK": "on"}
    assert sorted(seen) == list(range(out.tiles))
    np.testing.assert_allclose(out.array, values, rtol=1e-6)


def test_a_tile_without_spread_gets_a_zero_spread_when_sampling_several_times():
    values = np.full((3, GRID.height, GRID.width), 1000.0, np.float32)

    def step(tile):
        out = tile.arrays[0] / 10000.0
        if tile.tile.index % 2:  # "the model ran here": a spread of 0.25
            return np.concatenate([out, np.full_like(out[:1], 0.25)])
        return out

    out = run_raster(_ctx(num_samples=2), _plan(values), step, TileProgress(None, "test"))
    assert out.spread is not None and 0.0 < out.spread.max() <= 0.25 and out.spread.min() >= 0.0


def test_progress_counts_only_the_tiles_that_run_the_model():
    values = np.zeros((3, GRID.height, GRID.width), np.float32)
    messages = []
    tracker = TileProgress(lambda fraction, message: messages.append((fraction, message)), "test")
    plan = _plan(values)
    tiles = 6  # 40 x 24 px in 16 px tiles overlapping by 4: 3 x 2
    runs = [k in (1, 4) for k in range(tiles)]

    def step(tile):
        if runs[tile.tile.index]:
            tracker.step(1, 1)  # what the pipeline's callback reports during a model call
        return tile.arrays[0]

    out = run_raster(_ctx(batch_size=2), plan, step, tracker, runs)
    assert out.tiles == tiles
    assert {m for _, m in messages} <= {"test: tile 1/2", "test: tile 2/2"}
    assert messages[-1][0] == 1.0 and all(0.0 <= f <= 1.0 for f, _ in messages)


def test_sample_calls_the_method_it_is_given():
    calls = []

    def predict(*args, seed, num_images=1, generator=None, callback=None, cancel=None, **kwargs):
        calls.append((args, seed, kwargs.get("steps")))
        images = np.full((num_images, 8, 8, 3), 0.5 if generator is None else float(len(calls)), np.float32)
        return types.SimpleNamespace(images=images, steps=2, scheduler="ddim")

    image, spread = sample(predict, _ctx().job, 7, TileProgress(None, "t"), None, "frames")
    assert spread is None and image.shape == (8, 8, 3) and calls == [(("frames",), 7, 2)]

    def spread_predict(*args, num_images=1, generator=None, callback=None, cancel=None, **kwargs):
        images = np.stack([np.full((8, 8, 3), float(k), np.float32) for k in range(num_images)])
        return types.SimpleNamespace(images=images, steps=2, scheduler="ddim")

    spread_predict.__name__ = "predict"
    mean, spread = sample(spread_predict, _ctx(num_samples=2).job, 7, TileProgress(None, "t"), None)
    assert np.allclose(mean, 0.5) and spread.shape == (8, 8) and np.allclose(spread, np.sqrt(0.5))
