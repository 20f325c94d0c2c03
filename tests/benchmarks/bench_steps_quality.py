"""Sampler and step count: DPM-Solver++ 20/25 and DDIM 25/50 vs DDIM 100 (the paper's setting), same seeds.

    .venv/bin/python tests/benchmarks/bench_steps_quality.py [--model DIR] [--seeds 4] [--threads 2] [--out PATH]

For each setting the image is compared with the DDIM 100-step image of the same seed and inputs (the
reference: what the paper sampled with): PSNR and SSIM (``training.metrics``, on the [0, 1] scale; higher
= closer to the reference; identical = inf), and the time per call with its speed-up over DDIM 100.

* generate: ``SatDiffusionPipeline.generate`` at the model's native size, guidance 7.5, a Slovenian
  Sentinel-2 prompt and metadata, seeds 0 .. N-1;
* super-resolve: ``DiffusionSat.super_resolve`` (the whole task path, one tile) on N crops of the real
  sample ``resources/samples/slovenia_s2l1c_13band.tif`` (one model tile each, crop i with seed i),
  guidance 7.5; the output in reflectance, as written to GeoTIFFs.

On the random-weight parity model the PSNR says how close the samplers' trajectories are, not how good the
images look. Writes ``results/steps_quality.json`` and ``.md``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C  # noqa: E402

REFERENCE = ("ddim", 100)
SETTINGS = [("dpm++", 10), ("dpm++", 20), ("dpm++", 25), ("ddim", 25), ("ddim", 50)]
PROMPT = "a sentinel-2 satellite image in slovenia"


def write_crops(sample: Path, folder: Path, size: int, n: int):
    """``n`` size x size crops of the sample (windows along the diagonal), georeferenced GeoTIFFs."""
    import rasterio
    from rasterio.windows import Window

    paths = []
    with rasterio.open(sample) as src:
        span_x, span_y = max(0, src.width - size), max(0, src.height - size)
        for i in range(n):
            f = i / max(1, n - 1)
            win = Window(int(round(f * span_x)), int(round((1 - f) * span_y)), min(size, src.width),
                         min(size, src.height))
            profile = src.profile.copy()
            profile.update(width=int(win.width), height=int(win.height), transform=src.window_transform(win))
            path = folder / f"crop{i}.tif"
            with rasterio.open(path, "w", **profile) as dst:
                dst.write(src.read(window=win))
                dst.update_tags(**src.tags())
                for b, d in enumerate(src.descriptions, 1):
                    if d:
                        dst.set_band_description(b, d)
            paths.append(path)
    return paths


def compare(run, n: int, settings) -> list:
    """run(scheduler, steps, i) -> (C, H, W) in [0, 1]. Rows: one per setting, reference first."""
    import numpy as np

    from training.metrics import psnr, ssim

    refs, ref_times = [], []
    for i in range(n):
        t0 = time.perf_counter()
        refs.append(run(*REFERENCE, i))
        ref_times.append(time.perf_counter() - t0)
    ref_s = statistics.median(ref_times)
    rows = [{"scheduler": REFERENCE[0], "steps": REFERENCE[1], "seconds": ref_s, "speedup": 1.0,
             "psnr_mean": float("inf"), "psnr_min": float("inf"), "ssim_mean": 1.0, "reference": True}]
    for name, steps in settings:
        scores, sims, times = [], [], []
        for i in range(n):
            t0 = time.perf_counter()
            img = run(name, steps, i)
            times.append(time.perf_counter() - t0)
            scores.append(psnr(np.clip(img, 0, 1), np.clip(refs[i], 0, 1)))
            sims.append(ssim(np.clip(img, 0, 1), np.clip(refs[i], 0, 1)))
        s = statistics.median(times)
        rows.append({"scheduler": name, "steps": steps, "seconds": s, "speedup": ref_s / s,
                     "psnr_mean": float(np.mean(scores)), "psnr_min": float(np.min(scores)),
                     "psnr_all": scores, "ssim_mean": float(np.mean(sims)), "reference": False})
    return rows


def main(argv=None) -> int:
    ap = C.parser("steps_quality", __doc__, threads=2, repeats=1)
    ap.add_argument("--seeds", type=int, default=4, help="seeds (generate) and crops (super-resolve), default 4")
    ap.add_argument("--guidance", type=float, default=7.5)
    ap.add_argument("--tasks", default="generate,super_resolve")
    args = ap.parse_args(argv)

    import numpy as np

    C.set_threads(args.threads)
    from backend.api import DiffusionSat
    from backend.metadata import SatMetadata
    from backend.tasks.superres import plan_factor

    t_start = time.perf_counter()
    ds = DiffusionSat.from_pretrained(args.model)
    pipe = ds.pipeline
    size = pipe.default_size
    md = SatMetadata(lon=14.6, lat=45.9, gsd=10.0, cloud_cover=0.0, date="2017-07-01")
    results = {}
    tasks = args.tasks.split(",")
    if "generate" in tasks:
        def gen(name, steps, i):
            res = pipe.generate(PROMPT, md, height=size, width=size, steps=steps, scheduler=name,
                                guidance=args.guidance, seed=i)
            return res.images[0].transpose(2, 0, 1)

        results["generate"] = {"size": size, "rows": compare(gen, args.seeds, SETTINGS)}
    if "super_resolve" in tasks and "super_resolve" in ds.tasks:
        factor, _ = plan_factor(ds, None)
        crop = max(8, size // factor)
        with tempfile.TemporaryDirectory(prefix="bench_steps_") as tmp:
            crops = write_crops(C.SAMPLES / "slovenia_s2l1c_13band.tif", Path(tmp), crop, args.seeds)

            def sr(name, steps, i):
                res = ds.super_resolve(crops[i], output=None, steps=steps, scheduler=name, guidance=args.guidance,
                                       seed=i, quicklook=False)
                return np.asarray(res.array, dtype=np.float64)

            results["super_resolve"] = {"size": size, "crop": crop, "factor": factor,
                                        "rows": compare(sr, args.seeds, SETTINGS)}
    info = C.machine_info(args.threads)
    md_lines = [f"## Sampler and steps vs DDIM 100 ({C.model_label(args.model)})", "", C.machine_line(info), "",
                f"Same seeds and inputs; PSNR / SSIM against the DDIM 100-step result ([0, 1] scale); "
                f"guidance {args.guidance}; {args.seeds} seeds (generate) / crops (super-resolve); seconds = median "
                f"per call."]
    for task, res in results.items():
        what = (f"{res['size']} px" if task == "generate" else
                f"{res['crop']} px crops of the Sentinel-2 sample -> {res['crop'] * res['factor']} px, x{res['factor']}")
        md_lines += ["", f"### {task} ({what})", "",
                     C.table(["sampler", "steps", "PSNR vs DDIM 100 (mean dB)", "PSNR min dB", "SSIM mean",
                              "s / call", "speed-up vs DDIM 100"],
                             [[r["scheduler"], r["steps"], "reference" if r["reference"] else r["psnr_mean"],
                               "-" if r["reference"] else r["psnr_min"], r["ssim_mean"], r["seconds"], r["speedup"]]
                              for r in res["rows"]])]
    md_lines += ["", f"(total benchmark time {time.perf_counter() - t_start:.0f} s)"]
    C.write_results(args.out, {"benchmark": "steps_quality", "model": args.model, "machine": info,
                               "guidance": args.guidance, "seeds": args.seeds, "reference": list(REFERENCE),
                               "results": results}, "\n".join(md_lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
