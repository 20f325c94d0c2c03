"""`python3 build.py demo`: every task once, on the bundled model and the sample rasters.

    python -m backend.demo [--model diffusionsat-mini] [--out out/demo] [--steps 25]

Writes one GeoTIFF (+ PNG quick-look) per task and `contact_sheet.png` (inputs and outputs side by
side) into the output folder, and prints where they are and how long each task took.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "resources" / "samples"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="demo", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="diffusionsat-mini")
    parser.add_argument("--out", default=str(ROOT / "out" / "demo"))
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)

    import rasterio
    import torch

    from .api import DiffusionSat
    from .quicklook import contact_sheet

    torch.set_num_threads(max(1, torch.get_num_threads()))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    options = dict(steps=args.steps, seed=args.seed)
    t0 = time.perf_counter()
    try:
        model = DiffusionSat.from_pretrained(args.model)
    except Exception as exc:
        print(f"demo: cannot load the model {args.model!r}: {exc}", file=sys.stderr)
        return 4
    print(f"model {model.name} from {model.source} loaded in {time.perf_counter() - t0:.1f} s "
          f"(tasks: {', '.join(model.tasks)})")

    s2 = SAMPLES / "slovenia_s2l1c_13band.tif"
    frames = [SAMPLES / f"slovenia_s2l1c_frame{k}_rgb.tif" for k in (2, 3, 4)]
    clouds = SAMPLES / "slovenia_cloudmask.tif"
    with rasterio.open(s2) as ds:
        bounds, crs = ds.bounds, ds.crs.to_string()

    timings, rows = [], []

    def timed(label, fn):
        start = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - start
        timings.append((label, seconds, result.output))
        print(f"{label:15s} {seconds:6.1f} s  -> {result.output}")
        if getattr(result, "check", None):  # every task that checks itself says how it did
            print(f"{'':15s} quality: {result.check.get('summary')}")
        if getattr(result, "caveat", None):  # and what the model folder says it cannot do
            print(f"{'':15s} about this model: {result.caveat}")
        return result

    gen = timed("generate", lambda: model.generate(
        (bounds.left, bounds.bottom, bounds.right, bounds.top), crs, 10, date="2017-07-01", cloud_cover=0.0,
        prompt="a sentinel-2 satellite image", output=out / "generate.tif", **options))
    rows.append(("Generate: extent of the sample scene, 10 m, 2017-07-01", [("generated", gen.output)]))

    if "super_resolve" in model.tasks:
        sr = timed("super-resolve", lambda: model.super_resolve(s2, output=out / "superres.tif", **options))
        rows.append(("Super-resolve: Sentinel-2 10 m -> RGB", [("input (B04 B03 B02)", _rgb_preview(s2)),
                                                               (f"output x{_factor(s2, sr.output)}", sr.output)]))
    if "inpaint" in model.tasks:
        ip = timed("inpaint", lambda: model.inpaint(frames[0], {"raster": str(clouds)}, output=out / "inpaint.tif",
                                                     **options))
        rows.append(("Inpaint: a real cloud shape (2017-07-30) removed from a clear frame",
                     [("input", frames[0]), ("mask", clouds), ("output", ip.output)]))
        if "predict" in model.tasks:  # the temporal ControlNet: cloud removal from other dates of the place
            ipd = timed("inpaint, dates", lambda: model.inpaint(
                frames[0], {"raster": str(clouds)}, other_dates=[str(f) for f in frames[1:3]],
                output=out / "inpaint_dates.tif", **options))
            rows.append(("Inpaint with other dates: the same cloud filled from frames 2 and 3 of the place",
                         [("frame 2", frames[1]), ("frame 3", frames[2]), ("output", ipd.output)]))
    if "predict" in model.tasks:
        pr = timed("predict", lambda: model.predict([(f, None) for f in frames[:2]], target_date="2017-08-15",
                                                     output=out / "predict.tif", **options))
        rows.append(("Multi-date: two frames -> the image at another date (frame dates unknown at source)",
                     [("frame 1", frames[0]), ("frame 2", frames[1]), ("predicted", pr.output),
                      ("actual frame 3", frames[2])]))

    sheet = contact_sheet(rows, out / "contact_sheet.png")
    total = time.perf_counter() - t0
    print(f"contact sheet: {sheet}")
    print(f"all outputs in {out} ({total:.1f} s in all)")
    return 0


def _rgb_preview(path):
    import rasterio

    from .geo.bands import resolve_bands
    from .quicklook import stretch

    with rasterio.open(path) as ds:
        idx = resolve_bands(ds.descriptions, ["B04", "B03", "B02"])
        return stretch(ds.read(idx))


def _factor(src, dst) -> int:
    import rasterio

    with rasterio.open(src) as a, rasterio.open(dst) as b:
        return round(b.width / a.width)


if __name__ == "__main__":
    sys.exit(main())
