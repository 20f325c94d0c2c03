"""Seconds per task, end to end through the API, on the demo's inputs and settings.

    .venv/bin/python tests/benchmarks/bench_tasks.py [--model DIR] [--steps 25] [--repeats 3] [--threads 2]
                                                      [--out PATH]

What ``python3 build.py demo`` runs (``backend/demo.py``): the sample rasters of ``resources/samples/``
(Sentinel-2 100 x 101 px, 10 m), seed 2024, ``--steps`` (25, the demo's) with the job defaults otherwise
(DPM-Solver++, guidance 7.5, the model's native tiles), each result written as a GeoTIFF with its PNG
quick-look into a temporary folder:

* generate: the sample scene's extent at 10 m, 2017-07-01, "a sentinel-2 satellite image";
* super-resolve: the 13-band sample (the model's bands picked by name, its own factor);
* inpaint: ``slovenia_s2l1c_frame2_rgb.tif`` with the real cloud mask ``slovenia_cloudmask.tif``;
* predict: frames 2 and 3 -> 2017-08-15.

The model is loaded once (load time reported). Each task: the first call (cold: lazy initialisation) and
then the median of ``--repeats`` further calls. Writes ``results/tasks.json`` and ``.md``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C  # noqa: E402


def main(argv=None) -> int:
    ap = C.parser("tasks", __doc__, threads=2, repeats=3)
    ap.add_argument("--steps", type=int, default=25, help="denoising steps (default 25, as the demo)")
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args(argv)

    import rasterio

    C.set_threads(args.threads)
    from backend.api import DiffusionSat

    t0 = time.perf_counter()
    model = DiffusionSat.from_pretrained(args.model)
    load_s = time.perf_counter() - t0

    s2 = C.SAMPLES / "slovenia_s2l1c_13band.tif"
    frames = [C.SAMPLES / f"slovenia_s2l1c_frame{k}_rgb.tif" for k in (2, 3, 4)]
    clouds = C.SAMPLES / "slovenia_cloudmask.tif"
    with rasterio.open(s2) as ds:
        b, crs = ds.bounds, ds.crs.to_string()
    with rasterio.open(clouds) as ds:
        cloud_fraction = float((ds.read(1) > 0).mean())
    options = dict(steps=args.steps, seed=args.seed)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_tasks_") as tmp:
        out = Path(tmp)
        tasks = {
            "generate": ("extent of the sample, 10 m", lambda: model.generate(
                (b.left, b.bottom, b.right, b.top), crs, 10, date="2017-07-01", cloud_cover=0.0,
                prompt="a sentinel-2 satellite image", output=out / "generate.tif", **options)),
            "super_resolve": ("13-band sample", lambda: model.super_resolve(s2, output=out / "superres.tif", **options)),
            "inpaint": (f"frame 2 + real cloud mask ({cloud_fraction:.0%} masked)", lambda: model.inpaint(
                frames[0], {"raster": str(clouds)}, output=out / "inpaint.tif", **options)),
            "predict": ("frames 2, 3 -> 2017-08-15", lambda: model.predict(
                [(f, None) for f in frames[:2]], target_date="2017-08-15", output=out / "predict.tif", **options)),
        }
        for name, (what, fn) in tasks.items():
            if name not in model.tasks:
                rows.append({"task": name, "input": what, "skipped": f"the model has no {name} component"})
                continue
            t1 = time.perf_counter()
            first = fn()
            first_s = time.perf_counter() - t1
            timing = C.time_call(fn, repeats=args.repeats, warmup=0)
            grid = first.grid
            mpx = grid.width * grid.height / 1e6
            rows.append({"task": name, "input": what, "first_s": first_s, "seconds": timing.median,
                         "min_s": timing["min"], "tiles": first.tiles, "output": f"{grid.width}x{grid.height}",
                         "s_per_output_mpx": timing.median / mpx, "s_per_tile": timing.median / max(1, first.tiles)})
            print(f"{name}: {timing.median:.2f} s (first {first_s:.2f} s), {first.tiles} tiles", flush=True)
    info = C.machine_info(args.threads)
    md = [f"## Seconds per task, end to end ({C.model_label(args.model)})", "", C.machine_line(info), "",
          f"Demo inputs and settings: {args.steps} steps, the job's default sampler and guidance, seed {args.seed}; GeoTIFF + "
          f"quick-look written; model loaded once in {load_s:.1f} s. Median of {args.repeats} calls after the first.", "",
          C.table(["task", "input", "output px", "tiles", "seconds", "first call s", "s per tile", "s per output Mpx"],
                  [[r["task"], r["input"], r.get("output"), r.get("tiles"), r.get("seconds"), r.get("first_s"),
                    r.get("s_per_tile"), r.get("s_per_output_mpx")] if "skipped" not in r else
                   [r["task"], r["input"], "-", "-", r["skipped"], "-", "-", "-"] for r in rows])]
    C.write_results(args.out, {"benchmark": "tasks", "model": args.model, "machine": info, "load_s": load_s,
                               "steps": args.steps, "seed": args.seed, "rows": rows}, "\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
