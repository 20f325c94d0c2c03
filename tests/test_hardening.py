"""Bad inputs, faults and signals from issue 20, through the command line as a user runs it.

Each case is listed with its outcome in tests/README.md ("Bad inputs tried and their outcomes").
"""

import json
import os
import resource
import shutil
import signal
import struct
import subprocess
import sys
import time

import numpy as np
import pytest
import rasterio
from affine import Affine

from tests.conftest import DATA, ROOT

MODEL = str(DATA / "parity")
S2 = str(DATA / "slovenia_s2l1c_ref0.tif")  # 13 bands, float32, 100 x 101 px
RGB = ROOT / "resources" / "samples" / "slovenia_s2l1c_frame2_rgb.tif"  # 3 bands, float32, same grid
CLOUDS = ROOT / "resources" / "samples" / "slovenia_cloudmask.tif"  # uint8 0/1, same grid
FAST = ["--model", MODEL, "--steps", "2", "--tile-size", "64", "--overlap", "16", "--seed", "3", "--quiet"]


def cli(*args, env=None, preexec_fn=None, timeout=600):
    env = dict(os.environ, OMP_NUM_THREADS="1", **(env or {}))
    return subprocess.run([sys.executable, "-m", "backend", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, preexec_fn=preexec_fn)


def start(*args):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "backend", *map(str, args)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def one_line_error(proc, code, *words):
    """The run failed with ``code`` and said so in exactly one line (no traceback, no raw GDAL lines)."""
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == code, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("diffusionsat: error: "), proc.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def copy_raster(src, dst, driver="GTiff", transform_array=None, **profile_updates):
    """A copy of ``src`` (all bands), its pixels passed through ``transform_array``."""
    with rasterio.open(src) as ds:
        profile = ds.profile
        data = ds.read()
        descriptions = ds.descriptions
    if transform_array is not None:
        data = transform_array(data)
    profile.update(driver=driver, dtype=data.dtype.name, **profile_updates)
    for key in ("blockysize", "tiled", "compress", "interleave") if driver != "GTiff" else ():
        profile.pop(key, None)
    with rasterio.open(dst, "w", **profile) as out:
        out.write(data)
        for i, d in enumerate(descriptions, 1):
            if d:
                out.set_band_description(i, d)
    return dst


def partials(folder):
    return sorted(p.name for p in folder.iterdir() if ".partial." in p.name or p.name.endswith(".part"))


# ------------------------------------------------------------------------------------------ item 1
def test_quicklook_that_would_replace_a_png_input_is_refused_before_any_work(tmp_path):
    # a georeferenced PNG (its CRS and transform in scene.png.aux.xml); the quick-look of scene.tif is scene.png
    scene = tmp_path / "scene.png"
    with rasterio.Env(GDAL_PAM_ENABLED="YES"):
        copy_raster(RGB, scene, driver="PNG", transform_array=lambda a: (np.clip(a * 3, 0, 1) * 255).astype(np.uint8))
    before = scene.read_bytes()
    proc = cli("inpaint", scene, "--mask-raster", CLOUDS, "-o", tmp_path / "scene.tif", *FAST,
               env={"GDAL_PAM_ENABLED": "YES"})
    one_line_error(proc, 2, "scene.png", "quick-look")
    assert scene.read_bytes() == before
    assert not (tmp_path / "scene.tif").exists()

    # without a quick-look nothing clashes: the run goes ahead and the input is untouched
    proc = cli("inpaint", scene, "--mask-raster", CLOUDS, "-o", tmp_path / "scene.tif", "--no-quicklook", *FAST,
               env={"GDAL_PAM_ENABLED": "YES"})
    assert proc.returncode == 0, proc.stderr
    assert scene.read_bytes() == before and (tmp_path / "scene.tif").exists()


def test_uncertainty_layer_that_would_replace_an_input_is_refused(tmp_path):
    scene = shutil.copy(RGB, tmp_path / "a_uncertainty.tif")  # the spread of a.tif is written to a_uncertainty.tif
    before = (tmp_path / "a_uncertainty.tif").read_bytes()
    proc = cli("inpaint", scene, "--mask-raster", CLOUDS, "-o", tmp_path / "a.tif", "--samples", "2", *FAST)
    one_line_error(proc, 2, "a_uncertainty.tif")
    assert (tmp_path / "a_uncertainty.tif").read_bytes() == before
    assert not (tmp_path / "a.tif").exists() and not (tmp_path / "a.png").exists()


def test_output_that_is_a_file_inside_an_input_vrt_is_refused(tmp_path):
    from osgeo import gdal

    source = shutil.copy(RGB, tmp_path / "source.tif")
    gdal.BuildVRT(str(tmp_path / "view.vrt"), [str(source)]).FlushCache()
    before = (tmp_path / "source.tif").read_bytes()
    proc = cli("inpaint", tmp_path / "view.vrt", "--mask-raster", CLOUDS, "-o", tmp_path / "source.tif", *FAST)
    one_line_error(proc, 2, "source.tif")
    assert (tmp_path / "source.tif").read_bytes() == before


# ------------------------------------------------------------------------------------------ item 2
def _start_until_partial(out):
    """A super-resolution of a 3 x 3 mosaic of the test scene (~100 tiles), once its partial output exists."""
    big = copy_raster(S2, out.parent.parent / "mosaic.tif", transform_array=lambda a: np.tile(a, (1, 3, 3)),
                      width=300, height=303)
    proc = start("super-resolve", big, "-o", out, *FAST, "--steps", 30)
    deadline = time.time() + 300
    while not partials(out.parent):
        assert proc.poll() is None, proc.communicate()[1]
        assert time.time() < deadline, "no partial file appeared"
        time.sleep(0.2)
    return proc


def test_sigterm_cleans_up_says_so_and_exits_143(tmp_path):
    out = tmp_path / "run" / "sr.tif"
    out.parent.mkdir()
    proc = _start_until_partial(out)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "terminated" in lines[0], err
    assert list(out.parent.iterdir()) == []


def test_partial_files_of_a_killed_run_are_removed_by_the_next_run(tmp_path):
    from backend.geo.write import temp_prefix

    out = tmp_path / "run" / "sr.tif"
    out.parent.mkdir()
    proc = _start_until_partial(out)
    proc.kill()  # SIGKILL: no chance to clean up
    proc.communicate(timeout=60)
    stale = partials(out.parent)
    assert stale and f".p{proc.pid}h" in stale[0]
    # kept: a partial of a live process (this one) and files that only look alike
    alive = out.parent / f"{temp_prefix(out)}abcdefgh.partial.tif"
    alive.write_bytes(b"in progress")
    others = [out.parent / ".sr.tif.partial.tif", out.parent / ".other.tif.p1h000000.abcdefgh.partial.tif"]
    for p in others:
        p.write_bytes(b"not ours")

    small = cli("super-resolve", S2, "-o", out, *FAST)
    assert small.returncode == 0, small.stderr
    assert sorted(p.name for p in out.parent.iterdir()) == sorted(
        ["sr.tif", "sr.png", alive.name] + [p.name for p in others])


# ------------------------------------------------------------------------------------------ item 3
def test_quicklook_that_cannot_be_written_is_a_warning_and_the_geotiff_is_kept(tmp_path):
    (tmp_path / "sr.png").mkdir()  # the quick-look's path is taken by a folder
    proc = cli("--json", "super-resolve", S2, "-o", tmp_path / "sr.tif", *FAST)
    assert proc.returncode == 0, proc.stderr
    warning = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(warning) == 1 and warning[0].startswith("diffusionsat: warning: ") and "sr.png" in warning[0]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["ok"] and summary["quicklook"] is None and "sr.png" in summary["warnings"][0]
    with rasterio.open(tmp_path / "sr.tif") as ds:
        assert ds.read().shape == (3, 202, 200)
    assert partials(tmp_path) == []


# ------------------------------------------------------------------------------------------ item 6
def _nan(a):
    return np.full_like(a, np.nan)


def _inf(a):
    out = np.full_like(a, np.inf)
    out[:, ::2] = -np.inf
    out[0, 0, 0] = np.nan
    return out


@pytest.mark.parametrize("fill, updates", [(_nan, {}), (_inf, {}), (lambda a: np.zeros_like(a), {"nodata": 0})],
                         ids=["all-nan", "all-inf", "all-declared-nodata"])
def test_super_resolution_of_a_raster_without_valid_pixels_is_refused(tmp_path, fill, updates):
    empty = copy_raster(S2, tmp_path / "empty.tif", transform_array=fill, **updates)
    proc = cli("super-resolve", empty, "-o", tmp_path / "sr.tif", *FAST)
    one_line_error(proc, 2, "empty.tif", "no valid pixel")
    assert not (tmp_path / "sr.tif").exists()


@pytest.mark.parametrize("value, dtype, updates", [(np.nan, np.float32, {}),
                                                    (0, np.uint16, {"nodata": 0})], ids=["nan", "declared-nodata"])
def test_super_resolution_writes_nodata_where_the_input_had_none(tmp_path, value, dtype, updates):
    def fill(a):
        a = (a * 10000).astype(dtype) if dtype != np.float32 else a.copy()
        a[:, :, :40] = value
        return a
    half = copy_raster(S2, tmp_path / "half.tif", transform_array=fill, **updates)
    proc = cli("super-resolve", half, "-o", tmp_path / "sr.tif", "--no-quicklook", *FAST)
    assert proc.returncode == 0, proc.stderr
    with rasterio.open(tmp_path / "sr.tif") as ds:
        assert ds.nodata is not None
        data = ds.read()
        masked = ds.dataset_mask() == 0
    factor = data.shape[2] // 100
    assert masked[:, :40 * factor].all() and not masked[:, 40 * factor:].any()
    kept = data[:, :, 40 * factor:]
    assert np.isfinite(kept).all() and kept.std() > 0


# ------------------------------------------------------------------------------------------ item 7
def test_inpainting_keeps_unmasked_nan_and_inf_as_they_were(tmp_path):
    with rasterio.open(CLOUDS) as ds:
        hole = ds.read(1) > 0
    rows, cols = np.nonzero(~hole)
    picks = [(rows[i], cols[i]) for i in (0, len(rows) // 2, len(rows) - 1)]

    def poke(a):
        a = a.copy()
        for (r, c), v in zip(picks, (np.nan, np.inf, -np.inf)):
            a[:, r, c] = v
        return a
    scene = copy_raster(RGB, tmp_path / "scene.tif", transform_array=poke)
    proc = cli("inpaint", scene, "--mask-raster", CLOUDS, "-o", tmp_path / "filled.tif", "--no-quicklook", *FAST)
    assert proc.returncode == 0, proc.stderr
    with rasterio.open(scene) as a, rasterio.open(tmp_path / "filled.tif") as b:
        before, after = a.read(), b.read()
    for r, c in picks:
        np.testing.assert_array_equal(after[:, r, c], before[:, r, c])  # NaN == NaN here, and never 0
    np.testing.assert_allclose(after[:, ~hole], before[:, ~hole], rtol=1e-6)  # float: blend rounding only


# ------------------------------------------------------------------------------------------ item 9
def test_truncated_raster_is_bad_input_named_in_one_line(tmp_path):
    data = RGB.read_bytes()
    (tmp_path / "cut.tif").write_bytes(data[:len(data) // 2])
    proc = cli("inpaint", tmp_path / "cut.tif", "--mask-raster", CLOUDS, "-o", tmp_path / "out.tif", *FAST)
    line = one_line_error(proc, 2, "cut.tif")
    assert "TIFFFillStrip" in line  # GDAL's own words, folded into the one line
    assert partials(tmp_path) == [] and not (tmp_path / "out.tif").exists()


def test_text_file_as_mask_raster_is_bad_input(tmp_path):
    (tmp_path / "mask.txt").write_text("clouds: lots\n")
    proc = cli("inpaint", RGB, "--mask-raster", tmp_path / "mask.txt", "-o", tmp_path / "out.tif", *FAST)
    one_line_error(proc, 2, "mask.txt")


def test_safetensors_with_deeply_nested_header_is_a_bad_model(tmp_path):
    model = shutil.copytree(MODEL, tmp_path / "model", ignore=shutil.ignore_patterns("io", "official"))
    weights = model / "controlnet" / "diffusion_pytorch_model.safetensors"
    header = b"[" * 100000 + b"]" * 100000
    weights.write_bytes(struct.pack("<Q", len(header)) + header)
    proc = cli("super-resolve", S2, "-o", tmp_path / "out.tif", *FAST[:-1], "--model", model)
    one_line_error(proc, 4, str(weights), "nested")


def test_dilation_larger_than_the_raster_is_bad_input(tmp_path):
    proc = cli("inpaint", RGB, "--mask-raster", CLOUDS, "--dilate", 1e9, "-o", tmp_path / "out.tif", *FAST,
               timeout=120)
    one_line_error(proc, 2, "dilat", "larger than the raster")


def test_allocation_failure_is_bad_input_naming_the_raster(tmp_path):
    # a sparse 40 000 x 40 000 px raster (a few MB on disk) whose mask alone needs 1.6 GB: the mask raster
    # covers all of it (a smaller one is filled on its windows only: test_inpaint_area.py)
    big = tmp_path / "big.tif"
    profile = dict(driver="GTiff", width=40000, height=40000, count=3, dtype="uint8", crs="EPSG:32633",
                   transform=Affine(10, 0, 500000, 0, -10, 5000000), tiled=True, compress="deflate",
                   SPARSE_OK=True)
    with rasterio.open(big, "w", **profile) as ds:
        ds.write(np.full((3, 64, 64), 100, np.uint8), window=rasterio.windows.Window(0, 0, 64, 64))
    mask = tmp_path / "mask.tif"
    with rasterio.open(mask, "w", **dict(profile, count=1)) as ds:
        ds.write(np.pad(np.ones((8, 8), np.uint8), 28)[None], window=rasterio.windows.Window(0, 0, 64, 64))

    def limit_memory():  # about 0.6 GB more than loading torch and the model takes
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    proc = cli("inpaint", big, "--mask-raster", mask, "-o", tmp_path / "out.tif", *FAST, preexec_fn=limit_memory,
               timeout=300)
    one_line_error(proc, 2, "big.tif", "memory")


def test_proj_error_text_goes_into_the_one_line(tmp_path):
    proc = cli("generate", "--bbox", 0, 0, 1000, 1000, "--crs", "EPSG:999999", "--gsd", 10,
               "-o", tmp_path / "g.tif", *FAST)
    one_line_error(proc, 2, "EPSG:999999", "crs not found")
