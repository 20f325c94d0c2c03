"""Benchmark of the tiling engine: time and peak memory vs raster area (not collected by pytest).

    .venv/bin/python tests/benchmarks/bench_tiling.py --out bench_tiling.json [--sizes 1024 2048 4096]

For each size a 3-band uint16 raster (size x size) is written to a temporary folder, then a fresh
subprocess runs ``run_tiled`` with a cheap tile function (a per-pixel affine map) and writes a tiled
DEFLATE GeoTIFF. The child reports wall time and its peak RSS (``resource.getrusage(RUSAGE_SELF)
.ru_maxrss``) plus its RSS right after imports (the baseline), so the table shows what the run itself
added. Expectation: time grows about linearly with area, peak memory stays roughly flat.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C  # noqa: E402  (no torch / numpy at import: the driver stays lean)

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
import numpy as np
import rasterio
from backend.tiling import run_tiled
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
def fn(batch):
    return batch.inputs[0] * np.float32(0.5) + np.float32(100.0)
t0 = time.perf_counter()
res = run_tiled(fn, {out!r}, sources=[{src!r}], tile_size={tile}, overlap={overlap}, batch_size={batch},
                out_dtype="uint16")
dt = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(dict(seconds=dt, tiles=res.tiles, baseline_kb=base, peak_kb=peak)))
"""


def make_input(path: Path, size: int) -> None:
    import numpy as np
    import rasterio
    from affine import Affine

    profile = dict(driver="GTiff", width=size, height=size, count=3, dtype="uint16", crs="EPSG:32633",
                   transform=Affine(10, 0, 500000, 0, -10, 5000000), tiled=True, blockxsize=256, blockysize=256)
    rng = np.random.default_rng(0)
    x = np.arange(size, dtype=np.float32)[None, :]
    with rasterio.open(path, "w", **profile) as dst:
        for r0 in range(0, size, 256):
            y = np.arange(r0, r0 + 256, dtype=np.float32)[:, None]
            base = 3000 + 1500 * np.sin(x / 97.0) * np.cos(y / 131.0)
            block = np.stack([base + 200 * k for k in range(3)]) + rng.integers(0, 50, (3, 256, size))
            dst.write(block.astype(np.uint16), window=rasterio.windows.Window(0, r0, size, 256))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=C.RESULTS / "tiling.json",
                    help="write the results as JSON here (the printed table goes beside it as .md)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096])
    ap.add_argument("--tile", type=int, default=512)
    ap.add_argument("--overlap", type=int, default=64)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--make-input", nargs=2, metavar=("PATH", "SIZE"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.make_input:
        make_input(Path(args.make_input[0]), int(args.make_input[1]))
        return []
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_tiling_") as tmp:
        for size in args.sizes:
            src = Path(tmp) / f"in_{size}.tif"
            out = Path(tmp) / f"out_{size}.tif"
            # inputs are made in their own process: ru_maxrss survives fork+exec, so the driver stays lean
            subprocess.run([sys.executable, __file__, "--make-input", str(src), str(size)], check=True)
            code = CHILD.format(root=str(ROOT), out=str(out), src=str(src), tile=args.tile, overlap=args.overlap,
                                batch=args.batch)
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                  env=dict(os.environ, OMP_NUM_THREADS="1"))
            res = json.loads(proc.stdout.strip().splitlines()[-1])
            res.update(size=size, megapixels=size * size / 1e6, area_factor=(size / args.sizes[0]) ** 2)
            rows.append(res)
            src.unlink()
            out.unlink()
    with C.tee_markdown(args.out.with_suffix(".md")):
        first = rows[0]
        print(f"tile {args.tile}, overlap {args.overlap}, batch {args.batch}, 3-band uint16 -> uint16 DEFLATE\n")
        print("| raster | area x | tiles | time (s) | time / area x1 | s per Mpx | peak RSS (MiB) | peak - baseline (MiB) |")
        print("|---|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['size']}x{r['size']} | {r['area_factor']:.0f} | {r['tiles']} | {r['seconds']:.2f} | "
                  f"{r['seconds'] / first['seconds']:.1f} | {r['seconds'] / r['megapixels']:.3f} | "
                  f"{r['peak_kb'] / 1024:.0f} | {(r['peak_kb'] - r['baseline_kb']) / 1024:.0f} |")
    if args.out:
        args.out.write_text(json.dumps(dict(tile=args.tile, overlap=args.overlap, batch=args.batch, rows=rows), indent=2))
    return rows


if __name__ == "__main__":
    main()
