"""Super-resolution through the whole API vs raster area: seconds per input megapixel and peak memory.

    .venv/bin/python tests/benchmarks/bench_superres_scaling.py [--model DIR] [--factors 1 2 4] [--steps 4]
                                                                 [--threads 2] [--out PATH]

Inputs: the real Sentinel-2 sample ``resources/samples/slovenia_s2l1c_13band.tif`` (100 x 101 px, 13 bands,
10 m, EPSG:32633) and larger rasters made from it by mirror tiling: k x k copies (k = 2, 4: 4x and 16x the
area), every odd column of copies flipped left-right and every odd row flipped top-bottom, so the content
is continuous across the seams (no artificial edges for the tiles to straddle). The georeference is the
sample's own: same CRS, same origin (top-left corner) and 10 m pixels, the raster simply extends k times
further east and south. Band names (B01 ... B12) and tags are copied, so the task picks the same bands.

Each size runs in a fresh Python process (``DiffusionSat.from_pretrained`` + one ``super_resolve`` on the
file, the output written as a GeoTIFF without quick-look, DPM-Solver++ ``--steps`` steps, guidance 7.5,
seed 1; a 1-step warm-up run on the 1x sample first unless ``--no-warmup``). The child reports the run's wall
time, its tile count and its peak RSS (``getrusage(RUSAGE_SELF).ru_maxrss``) and its RSS after loading the
model, so "peak - loaded" is what the run itself added. Expectation: seconds per megapixel flat
(linear time), memory flat (the tiling engine holds only a batch of tiles and its output window).
Writes ``results/superres_scaling.json`` and ``.md``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C  # noqa: E402

SAMPLE = C.SAMPLES / "slovenia_s2l1c_13band.tif"

MAKE = r"""
import json
import numpy as np
import rasterio
src_path, dst_path, k = {src!r}, {dst!r}, {k}
with rasterio.open(src_path) as src:
    data = src.read()
    profile = src.profile.copy()
    descriptions, tags = src.descriptions, src.tags()
    band_tags = [src.tags(i) for i in range(1, src.count + 1)]
c, h, w = data.shape
rows = []
for i in range(k):
    row = []
    for j in range(k):
        block = data
        if j % 2:
            block = block[:, :, ::-1]
        if i % 2:
            block = block[:, ::-1, :]
        row.append(block)
    rows.append(np.concatenate(row, axis=2))
big = np.ascontiguousarray(np.concatenate(rows, axis=1))
profile.update(width=w * k, height=h * k, tiled=True, blockxsize=256, blockysize=256, compress="deflate")
with rasterio.open(dst_path, "w", **profile) as dst:  # same CRS and transform: origin and pixel size kept
    dst.write(big)
    dst.update_tags(**tags)
    for b, (d, t) in enumerate(zip(descriptions, band_tags), 1):
        if d:
            dst.set_band_description(b, d)
        if t:
            dst.update_tags(b, **t)
print(json.dumps(dict(width=w * k, height=h * k, bands=c)))
"""

RUN = r"""
import json, time
import common as C
import torch
torch.set_num_threads({threads})
from backend.api import DiffusionSat
t0 = time.perf_counter()
ds = DiffusionSat.from_pretrained({model!r})
load_s = time.perf_counter() - t0
if {warmup}:
    ds.super_resolve({sample!r}, output=None, steps=1, seed=1, quicklook=False)
loaded = C.peak_rss_mib()
t0 = time.perf_counter()
res = ds.super_resolve({path!r}, output={out!r}, steps={steps}, seed=1, quicklook=False)
seconds = time.perf_counter() - t0
print(json.dumps(dict(seconds=seconds, load_s=load_s, tiles=res.tiles, out_width=res.grid.width,
                      out_height=res.grid.height, loaded_mib=loaded, peak_mib=C.peak_rss_mib(),
                      threads=torch.get_num_threads(), torch=torch.__version__)))
"""


def main(argv=None) -> int:
    ap = C.parser("superres_scaling", __doc__, threads=2, repeats=1)
    ap.add_argument("--factors", type=int, nargs="+", default=[1, 2, 4],
                    help="k: rasters of k x k mirrored copies of the sample (area k^2; default 1 2 4)")
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--no-warmup", action="store_true")
    args = ap.parse_args(argv)

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_sr_") as tmp:
        for k in args.factors:
            src = SAMPLE if k == 1 else Path(tmp) / f"slovenia_x{k}.tif"
            if k != 1:
                C.run_child(MAKE.format(src=str(SAMPLE), dst=str(src), k=k))
            out = Path(tmp) / f"sr_x{k}.tif"
            times = []
            res = None
            for _ in range(max(1, args.repeats)):  # each repeat: a fresh process
                res = C.run_child(RUN.format(threads=args.threads, model=args.model, warmup=not args.no_warmup,
                                             sample=str(SAMPLE), path=str(src), out=str(out), steps=args.steps))
                times.append(res["seconds"])
                out.unlink(missing_ok=True)
            res["seconds"] = sorted(times)[len(times) // 2]
            res["seconds_all"] = times
            w, h = 100 * k, 101 * k
            res.update(k=k, area_factor=k * k, width=w, height=h, in_mpx=w * h / 1e6,
                       out_mpx=res["out_width"] * res["out_height"] / 1e6)
            rows.append(res)
            print(f"x{k * k} area: {res['seconds']:.1f} s, {res['tiles']} tiles, peak {res['peak_mib']:.0f} MiB",
                  flush=True)
    info = C.machine_info(args.threads)
    info["torch"] = rows[0]["torch"]
    first = rows[0]
    md = [f"## Super-resolution vs raster area ({C.model_label(args.model)})", "", C.machine_line(info), "",
          f"`DiffusionSat.super_resolve` on the Sentinel-2 sample mirror-tiled k x k, DPM-Solver++ {args.steps} steps, "
          f"guidance 7.5, default tiling; one fresh process per size (median of {args.repeats}).", "",
          C.table(["input px", "area x", "output px", "tiles", "seconds", "time / time(x1)", "s per input Mpx",
                   "s per output Mpx", "peak RSS MiB", "peak - loaded MiB"],
                  [[f"{r['width']}x{r['height']}", r["area_factor"], f"{r['out_width']}x{r['out_height']}", r["tiles"],
                    r["seconds"], r["seconds"] / first["seconds"], r["seconds"] / r["in_mpx"],
                    r["seconds"] / r["out_mpx"], r["peak_mib"], r["peak_mib"] - r["loaded_mib"]] for r in rows]),
          "", f"Model load: {first['load_s']:.1f} s (not included). Per tile: "
              f"{first['seconds'] / max(1, first['tiles']) * 1e3:.0f} ms at {args.steps} steps."]
    C.write_results(args.out, {"benchmark": "superres_scaling", "model": args.model, "machine": info,
                               "steps": args.steps, "sample": str(SAMPLE), "rows": rows}, "\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
