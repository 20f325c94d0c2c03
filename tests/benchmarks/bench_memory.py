"""Memory and start-up time on huge sparse rasters (issue 20 item 4).

    .venv/bin/python tests/benchmarks/bench_memory.py [--side 60000] [--seconds 90] [--root DIR] [--centre]
    .venv/bin/python tests/benchmarks/bench_memory.py --task inpaint --side 200000

Makes a sparse, tiled 13-band Sentinel-2-like GeoTIFF in /tmp (nodata 0; a 4096 px square of the sample
scene off centre, the rest never written, so the file is a few MB), then super-resolves it through the API
in a child process with 2 steps, cancels ``--seconds`` after the output pass's first tile and prints: seconds
from the model's load to the first progress call (``first_progress_s``: the self-check's first model tile
when the check runs, else the output pass's first tile) and to the output pass's first tile
(``first_output_tile_s``: the check included), the peak RSS (VmHWM) then and at the end, the last progress
message (tiles done) and the RSS after loading the model. ``--root`` runs another checkout's backend (e.g. an
export of the previous commit) for a before/after comparison. ``--task inpaint``: a sparse 3-band raster with
a 40 x 40 px mask raster over its written corner, inpainted the same way.

``--centre`` writes the square over the raster's centre instead, i.e. over the super-resolution self-check's
window (backend/tasks/superres_check.py), which the default placement leaves empty on purpose: with it the
check really runs. ``--task check`` runs that self-check alone (factor 4; ``--check-tiles``: input tile and
overlap, default 128 and 16, i.e. 512 px output tiles; the bundled model's are 32 and 8), with bicubic +
back-projection standing in for the model, so its own memory is measured in seconds rather than the
minutes the model takes on a CPU; it prints the RSS before the check, the peak RSS, the check's window,
model tiles, seconds and scores.

    .venv/bin/python tests/benchmarks/bench_memory.py --centre --seconds 120 --timeout 600
    .venv/bin/python tests/benchmarks/bench_memory.py --seconds 120 --timeout 600
    .venv/bin/python tests/benchmarks/bench_memory.py --task check --centre [--check-tiles 32 8]

Measured on 2 shared CPU cores, 60 000 px side (6 250 000 output tiles), the bundled model:

* ``--centre`` (data over the check window), before (the check on the central 4096 px, commit 6704fff):
  first progress (check tile 1 of 1849) at 86 s (a minute of it the metadata of the ~30 000 output tiles
  near the window, 15 s degrading the 4096 px x 13 bands), first output tile at 548 s; peak RSS 825 MB
  then. After (the check on 64 model tiles, an 800 px window): first progress (check tile 1 of 64) at
  1.2-1.6 s, 2.9 s with another process keeping one core busy; first output tile at 18-20 s (44 s with
  the busy core); peak RSS 565-569 MB then.
* default placement (no data in the check window: no model run before the output pass): first output tile
  at 6.1 s before (the empty 4096 px window read and degraded), 0.75 s after; peak RSS then 740 MB before,
  536 MB after.
* the output pass, after that, grows to its full-width buffers (``tiling.strip_bytes``: 680 MB for a
  240 000 px wide uint16 output). It peaked at 1550-1590 MB after about 10 000 tiles (1680 MB after 20 000,
  with the check off): each flush handed the writer a full-width slice of the stage, which is not
  contiguous, so the write copied it (368 MB). Written 32 blocks at a time since: 1381 MB after 11 000
  tiles with ``--centre`` (``--seconds 120``), 1429 MB after 25 800 tiles in the default placement
  (``--seconds 300``); below issue 20's 1.5 GB.
* ``--task check --centre``: before the strips the check peaked at 2660 MB (4096 px window); in strips
  630-830 MB. Now with 128 / 16 px tiles (a 3648 px window, 64 tiles) 660 MB, 39 s, 271 MB before the
  check; with the bundled model's 32 / 8 (800 px, 64 tiles) 337 MB, 2.4 s.
* ``--task inpaint --side 200000``: refused before any work (the whole-raster mask alone: 37 GiB); now filled
  on the window around the mask (backend/tasks/inpaint_area.py) and the rest copied block by block: done
  3.0 s after the model's load, peak RSS 722 MB (430 MB with the model loaded). Its quick-look (off here)
  takes 52 s more (sampled pixels; averaging every pixel took 238 s).
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
stop, first, output, seen = threading.Event(), [], [], [0]
seconds = float(sys.argv[3])
def progress(fraction, message=''):
    now = time.perf_counter() - t_load
    if not first:  # the first model tile (of the self-check where there is one)
        first.append((now, message))
    if not output and ': tile' in message and 'check' not in message:  # the output pass's first tile
        output.append((now, message, rss('VmHWM')))
    seen[0] = message
    if output and now - output[0][0] > seconds:
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
print(json.dumps({'first_progress_s': first[0][0] if first else None, 'first_progress': first[0][1] if first else None,
                  'first_output_tile_s': output[0][0] if output else None,
                  'peak_rss_at_first_output_tile_mb': output[0][2] if output else None,
                  'last_progress': seen[0], 'result': result,
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
    report = self_check(ctx, source, 'reflectance10000', factor, int(sys.argv[2]), int(sys.argv[3]), None, model,
                        classical, to_model_units)
source.close()
print(json.dumps({'rss_before_check_mb': before, 'peak_rss_mb': rss('VmHWM'), 'check_s': time.perf_counter() - t0,
                  'window': report.window, 'check_tiles': report.model_tiles, 'model_db': report.model_db,
                  'bicubic_db': report.bicubic_db, 'judged_tiles': len(report.tiles),
                  'fallback_tiles': report.fallback_tiles,
                  'total_tiles': report.total_tiles}))
"""


def _peak_rss_mb(pid: int):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None


def run_case(root: Path, raster: Path, seconds: float, timeout: float, mask=None, check_only=False,
             check_tiles=(128, 16)) -> dict:
    """The child's JSON line; when it is killed at ``timeout``, the peak RSS it had reached (polled)."""
    out = Path("/tmp/bench_memory_out.tif")
    env = dict(os.environ, PYTHONPATH=str(root))
    started = time.perf_counter()
    extra = [] if mask is None else [str(mask)]
    args = ([CHILD_CHECK, str(raster), *map(str, check_tiles)] if check_only else
            [CHILD, str(raster), str(out), str(seconds), *extra])
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
    parser.add_argument("--seconds", type=float, default=90.0,
                        help="cancel the run this long after the output pass's first tile")
    parser.add_argument("--check-tiles", type=int, nargs=2, default=(128, 16), metavar=("TILE_IN", "OVERLAP_IN"),
                        help="--task check: input tile and overlap (default 128 16: 512 px output tiles at x4)")
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
    res = run_case(args.root.resolve(), raster, args.seconds, args.timeout, mask, check_only=args.task == "check",
                   check_tiles=args.check_tiles)
    print(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
