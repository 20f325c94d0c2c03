"""Memory and start-up time on huge sparse rasters (issue 20 item 4).

    .venv/bin/python tests/benchmarks/bench_memory.py [--side 60000] [--seconds 90] [--root DIR]
    .venv/bin/python tests/benchmarks/bench_memory.py --task inpaint --side 200000

Makes a sparse, tiled 13-band Sentinel-2-like GeoTIFF in /tmp (nodata 0; a 4096 px square of the sample
scene off centre, the rest never written, so the file is a few MB), then super-resolves it through the API
in a child process with 2 steps, cancels after ``--seconds`` and prints: seconds to the first tile of the
output pass, tiles done, peak RSS (VmHWM) and RSS after loading the model. ``--root`` runs another checkout's
backend (e.g. an export of the previous commit) for a before/after comparison. ``--task inpaint``: a sparse
3-band raster with a 40 x 40 px mask raster over its written corner, inpainted the same way.

``--centre`` writes the square over the raster's centre instead, i.e. over the super-resolution self-check's
window (backend/tasks/superres_check.py), which the default placement leaves empty on purpose: with it the
check really runs. ``--task check`` runs that self-check alone (factor 4, the task's 128 px input tiles with
16 px overlap), with bicubic + back-projection standing in for the model, so its own memory is measured in
seconds rather than the minutes the model takes on a CPU; it prints the RSS before the check, the peak RSS,
the check's seconds and scores.

    .venv/bin/python tests/benchmarks/bench_memory.py --task check --centre
    .venv/bin/python tests/benchmarks/bench_memory.py --centre --seconds 30 --timeout 2700

Measured on 2 shared CPU cores, 60 000 px side, data over the check window: the check alone peaked at
2660 MB RSS before the strips (271 MB before it) and 630-830 MB after, with the same scores (37.13286 /
37.13283 dB, 157 fallback tiles); the whole super-resolution at 850 MB (430 MB with the model loaded). Its
first output tile came after 1577 s: the check runs the model over the whole degraded window (1024 x 1024
px at factor 4) before the output pass, which on a CPU is most of that time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "samples" / "slovenia_s2l1c_13band.tif"
NAMES = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12"]
DATA_AT, DATA_SIDE = 14000, 4096  # the written square (input pixels): away from the central self-check window


def make_raster(path: Path, side: int, centre: bool = False) -> Path:
    import numpy as np
    import rasterio
    from affine import Affine
    from rasterio.windows import Window

    if path.exists():
        return path
    with rasterio.open(SAMPLE) as src:
        scene = src.read()
    profile = dict(driver="GTiff", width=side, height=side, count=13, dtype="uint16", crs="EPSG:32633", nodata=0,
                   transform=Affine(10, 0, 400000, 0, -10, 5200000), tiled=True, blockxsize=256, blockysize=256,
                   compress="deflate", SPARSE_OK=True, BIGTIFF="YES")
    n = min(DATA_SIDE, side // 2)
    at = (side - n) // 2 if centre else min(DATA_AT, side // 4)
    if scene.dtype.kind == "f":  # the sample is reflectance in [0, 1]: as Sentinel-2 L1C digital numbers
        scene = np.clip(scene * 10000.0, 1, 65535).astype(np.uint16)
    tmp = path.with_suffix(".part.tif")
    with rasterio.open(tmp, "w", **profile) as ds:
        ds.descriptions = tuple(NAMES)
        for r in range(0, n, 1024):
            rows = min(1024, n - r)
            reps = (1, -(-rows // scene.shape[1]), -(-n // scene.shape[2]))
            block = np.maximum(np.tile(scene, reps)[:, :rows, :n], 1)
            ds.write(block, window=Window(at, at + r, n, rows))
    os.replace(tmp, path)
    return path


def make_inpaint_case(folder: Path, side: int):
    """A sparse ``side`` px RGB raster (one written 256 px block) and a 40 x 40 px mask GeoTIFF inside it."""
    import numpy as np
    import rasterio
    from affine import Affine
    from rasterio.windows import Window

    image, mask = folder / f"bench_inpaint_{side}.tif", folder / f"bench_inpaint_{side}_mask.tif"
    profile = dict(driver="GTiff", width=side, height=side, count=3, dtype="uint16", crs="EPSG:32633",
                   transform=Affine(10, 0, 400000, 0, -10, 5200000), tiled=True, blockxsize=256, blockysize=256,
                   compress="deflate", SPARSE_OK=True, BIGTIFF="YES")
    if not image.exists():
        with rasterio.open(image, "w", **profile) as ds:
            rng = np.random.default_rng(0)
            ds.write(rng.integers(500, 3000, (3, 256, 256), dtype=np.uint16), window=Window(0, 0, 256, 256))
    with rasterio.open(mask, "w", **dict(profile, count=1, dtype="uint8", width=40, height=40, BIGTIFF="NO",
                                          transform=Affine(10, 0, 400000 + 1000, 0, -10, 5200000 - 1000))) as ds:
        ds.write(np.ones((1, 40, 40), np.uint8))
    return image, mask


CHILD = r"""
import json, sys, threading, time
t0 = time.perf_counter()
def rss(key):
    for line in open('/proc/self/status'):
        if line.startswith(key):
            return int(line.split()[1]) / 1024.0
from backend.api import get_model
model = get_model()
loaded = rss('VmRSS'); t_load = time.perf_counter()
stop, first, seen = threading.Event(), [], [0]
seconds = float(sys.argv[3])
def progress(fraction, message=''):
    if not first:
        first.append(time.perf_counter() - t_load)
    seen[0] = message
    if time.perf_counter() - t_load > seconds:
        stop.set()
result = 'done'
try:
    if len(sys.argv) > 4:
        model.inpaint(sys.argv[1], {'raster': sys.argv[4]}, output=sys.argv[2], steps=2, progress=progress,
                      cancel=stop, quicklook=False)
    else:
        model.super_resolve(sys.argv[1], output=sys.argv[2], steps=2, progress=progress, cancel=stop,
                            quicklook=False)
except Exception as exc:
    result = type(exc).__name__ + ': ' + str(exc)[:200]
print(json.dumps({'first_tile_s': first[0] if first else None, 'last_progress': seen[0], 'result': result,
                  'peak_rss_mb': rss('VmHWM'), 'rss_after_model_mb': loaded,
                  'seconds': time.perf_counter() - t_load}))
"""


CHILD_CHECK = r"""
import json, sys, time
import numpy as np
def rss(key):
    for line in open('/proc/self/status'):
        if line.startswith(key):
            return int(line.split()[1]) / 1024.0
from backend.tasks.common import TaskContext
from backend.tasks.superres import match_observation
from backend.tasks.superres_check import bicubic_up, self_check
from backend.tiling import RasterSource
factor = 4
def classical(unit):
    return match_observation(bicubic_up(unit[:3], factor), unit[:3], factor)
def model(unit, valid, seed, metadata, gsd, progress):  # the classical path standing in for the model
    return classical(unit)
lim = np.array([[0.0, 0.25]] * 3)  # a fixed stretch: the check scores in the model's units
def to_model_units(x):
    return (x - lim[:, :1, None]) / (lim[:, 1:, None] - lim[:, :1, None])
source = RasterSource(sys.argv[1], require_crs=True)
ctx = TaskContext(model=None, job=None, seed=0, progress=None, cancel=None, output=None, tags={})
import rasterio
before = rss('VmRSS')
t0 = time.perf_counter()
with rasterio.Env(GDAL_CACHEMAX=64):  # the task's read cache (superres.READ_CACHE_MB)
    report = self_check(ctx, source, 'reflectance10000', factor, 128, 16, None, model, classical, to_model_units)
source.close()
print(json.dumps({'rss_before_check_mb': before, 'peak_rss_mb': rss('VmHWM'), 'check_s': time.perf_counter() - t0,
                  'window': report.window, 'model_db': report.model_db, 'bicubic_db': report.bicubic_db,
                  'judged_tiles': len(report.tiles), 'fallback_tiles': report.fallback_tiles,
                  'total_tiles': report.total_tiles}))
"""


def _peak_rss_mb(pid: int):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None


def run_case(root: Path, raster: Path, seconds: float, timeout: float, mask=None, check_only=False) -> dict:
    """The child's JSON line; when it is killed at ``timeout``, the peak RSS it had reached (polled)."""
    out = Path("/tmp/bench_memory_out.tif")
    env = dict(os.environ, PYTHONPATH=str(root))
    started = time.perf_counter()
    extra = [] if mask is None else [str(mask)]
    args = [CHILD_CHECK, str(raster)] if check_only else [CHILD, str(raster), str(out), str(seconds), *extra]
    proc = subprocess.Popen([sys.executable, "-c", *args], cwd=str(root),
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = None
    while proc.poll() is None and time.perf_counter() - started < timeout:
        peak = _peak_rss_mb(proc.pid) or peak
        time.sleep(1.0)
    if proc.poll() is None:
        proc.kill()
        proc.wait()
        return {"result": f"killed after {timeout:.0f} s: no tile started", "peak_rss_mb": peak}
    stdout, stderr = proc.communicate()
    lines = [l for l in stdout.splitlines() if l.startswith("{")]
    if not lines:
        return {"result": f"exit {proc.returncode}: {stderr.strip()[-300:]}", "peak_rss_mb": peak}
    return dict(json.loads(lines[-1]), wall_s=round(time.perf_counter() - started, 1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=("superres", "inpaint", "check"), default="superres")
    parser.add_argument("--centre", action="store_true", help="data over the self-check's central window")
    parser.add_argument("--side", type=int, default=60000)
    parser.add_argument("--seconds", type=float, default=90.0, help="cancel the run after this long")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    if args.task == "inpaint":
        raster, mask = make_inpaint_case(Path("/tmp"), args.side)
        print(f"inpaint {raster} ({args.side} x {args.side} px, 3 bands) with the 40 x 40 px mask {mask}")
    else:
        name = f"/tmp/bench_memory_{args.side}{'_centre' if args.centre else ''}_dn.tif"
        raster, mask = make_raster(Path(name), args.side, args.centre), None
        print(f"raster {raster} ({args.side} x {args.side} px, 13 bands, {raster.stat().st_size / 1e6:.1f} MB on disk)")
    res = run_case(args.root.resolve(), raster, args.seconds, args.timeout, mask, check_only=args.task == "check")
    print(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
