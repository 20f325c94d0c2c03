"""Super-resolution's two views (issue 14): the tile and its mirror image run as one batched pipeline call, each
from the noise a call of its own would draw, so the product equals the mean of two separate calls."""

import numpy as np
import pytest

from backend.api import DiffusionSat
from backend.pipelines.uncertainty import sample_spread
from tests.test_superres_quality import SAMPLE, _crop, _read


@pytest.fixture(scope="module")
def model():
    return DiffusionSat.from_pretrained("diffusionsat-mini")


def _control(size=16):
    """A (10, size, size) control in [0, 1] from the sample raster (one tile's control at the bundled model's x4)."""
    bands = _read(SAMPLE)[0][:10, :size, :size]
    lo, hi = bands.min(axis=(1, 2), keepdims=True), bands.max(axis=(1, 2), keepdims=True)
    return ((bands - lo) / (hi - lo)).astype(np.float32)


def test_a_batch_of_views_with_same_noise_equals_separate_calls(model):
    pipe = model.pipeline
    control = _control()
    views = np.stack([control, control[:, :, ::-1]])
    opts = dict(control_gsd=10.0, steps=2, guidance=1.0)
    batched = pipe.super_resolve(views, None, seed=7, same_noise=True, **opts).images
    separate = [pipe.super_resolve(v, None, seed=7, **opts).images[0] for v in views]
    assert batched.shape[0] == 2
    for got, want in zip(batched, separate):
        assert np.abs(got - want).max() < 1e-4
    # without same_noise the second input draws other noise: the check above could fail
    drawn = pipe.super_resolve(views, None, seed=7, **opts).images
    assert np.abs(drawn[1] - separate[1]).max() > 1e-2


def test_the_spread_of_a_batch_of_views_equals_separate_spreads(model):
    """``sample_spread`` over a batch of inputs: per input, the mean and spread of a call with that input alone."""
    pipe = model.pipeline
    control = _control()
    views = np.stack([control, control[:, :, ::-1]])
    opts = dict(control_gsd=10.0, steps=2, guidance=1.0, num_samples=2, seed=7)
    batched = sample_spread(pipe.super_resolve, views, None, same_noise=True, **opts)
    assert batched.mean.shape[0] == 2 and batched.std.shape == batched.mean.shape
    for k, view in enumerate(views):
        alone = sample_spread(pipe.super_resolve, view, None, **opts)
        assert np.abs(batched.mean[k] - alone.mean).max() < 1e-4
        assert np.abs(batched.std[k] - alone.std).max() < 1e-4
        assert alone.mean.ndim == 3  # one input: no batch axis, as before


class _Calls:
    """``pipe.super_resolve`` wrapped (the real method runs): the batch of controls of each call and the steps
    each call reported."""

    def __init__(self, pipe):
        self.pipe, self.original, self.calls = pipe, pipe.super_resolve, []

    def __enter__(self):
        def counted(control, *args, callback=None, **kwargs):
            steps = []
            self.calls.append((np.shape(control)[0], steps))

            def step(s, total):
                steps.append((s, total))
                callback(s, total)
            return self.original(control, *args, callback=step, **kwargs)

        self.pipe.super_resolve = counted
        return self.calls

    def __exit__(self, *exc):
        self.pipe.super_resolve = self.original


@pytest.mark.parametrize("samples", [1, 2])
def test_two_views_are_one_call_per_tile_and_equal_two_separate_runs(model, tmp_path, samples):
    """One tile, the bundled model's two views: one pipeline call with both views, progress 0..total once, and
    the output (and with several samples the spread) equal to the mean of one-view runs on the tile and on its
    mirror image, mirrored back."""
    plain, mirrored = _crop(SAMPLE, tmp_path / "tile.tif", False), _crop(SAMPLE, tmp_path / "mirror.tif", True)
    opts = dict(steps=3, seed=4, quicklook=False, fallback=False, consistency=False, num_samples=samples)
    fractions = []
    with _Calls(model.pipeline) as calls:
        both = model.super_resolve(plain, output=tmp_path / "both.tif", progress=lambda f, m="": fractions.append(f),
                                   **opts)
    assert both.tiles == 1 and len(calls) == 1
    batch, steps = calls[0]
    assert batch == 2 and steps == [(1, 3), (2, 3), (3, 3)]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    saved = model.config["superres"]
    model.config["superres"] = dict(saved, views=1)
    try:
        one = model.super_resolve(plain, output=tmp_path / "one.tif", **opts)
        other = model.super_resolve(mirrored, output=tmp_path / "other.tif", **opts)
    finally:
        model.config["superres"] = saved
    pairs = [("both.tif", "one.tif", "other.tif")]
    if samples > 1:
        pairs.append((both.uncertainty, one.uncertainty, other.uncertainty))
    for got, first, second in pairs:
        got, first, second = (_read(tmp_path / p)[0] for p in (got, first, second))
        expected = 0.5 * (first + second[:, :, ::-1])
        scale = float(np.abs(first).max())
        assert np.abs(got - expected).max() < 1e-4 * scale, np.abs(got - expected).max() / scale
