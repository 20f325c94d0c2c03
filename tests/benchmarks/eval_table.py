"""Quality table: our model vs the classical baselines on real data crops, for SR, inpainting and prediction.

    python3 build.py eval [ARGS]  (= .venv/bin/python tests/benchmarks/eval_table.py [ARGS])
    ARGS: [--data DIR] [--model DIR] [--tasks sr,inpaint,predict,series]
        [--engine backend|training] [--steps 25] [--scheduler ddim] [--guidance 1[,7.5]] [--tile 64]
        [--max-tiles 4] [--split eval|all] [--masks FILE ...] [--seed 0] [--threads 2] [--out PATH]
        [--json PATH] [--no-product]

A thin wrapper over ``training/evaluate.py`` (the one implementation of the protocols, the metrics of
``training/metrics.py`` and the baselines): it runs the three tasks on one folder of GeoTIFFs and writes a
single markdown report plus JSON (per-tile scores). Metrics, per tile then averaged: PSNR, SSIM, spectral
angle (degrees); super-resolution adds SR consistency (the output block-averaged back to the degraded input
grid vs that input, PSNR); inpainting adds PSNR, SSIM, colour and texture error inside the mask, and rows
for the model's anchored fill ("model"), its raw network fill and the product as written (self-check and
classical fallback included, with the fallback share). Baselines: bicubic up-sampling (SR), biharmonic
fill (inpainting, the product's own classical fill), the most recent clear input frame (prediction).

Defaults: ``--data`` the project's shared imagery folder (``shared`` / ``data`` beside the checkout) when
present, else ``tests/data``; the
spatial hold-out columns (``--split eval``: never seen in training); ``--engine backend`` = the plugin's own
``backend.pipelines`` as users run it, with the job's default sampler (DDIM 25 steps); one model row per
guidance value, by default 1 and 7.5 (the model folder's per-task recommendation is picked from these).
``--engine training`` samples with the trainers' DDIM sampler instead. A task the model cannot run is reported with the reason.
Dated series (task ``series``, :mod:`training.evaluate_series`): every sub-folder of ``--data`` holding three
or more dated rasters of one place has its last date predicted from the frames before it by the product
with its defaults, against the most recent frame (as it is, and radiometrically matched to the target); and
with cloud masks, the clouds of that last date removed with the other dates (``cloud_removal`` in the JSON),
against biharmonic and against the most recent frame matched on the target's clear pixels (``matched_recent``).

``--json PATH`` writes, per task, what the product writes by default (the ``product`` row: super-resolution
on whole rasters through the task, inpainting with its self-check and fallback, the series through
``predict``; at the guidance the model folder recommends) and the classical baseline (bicubic on the same
whole rasters, biharmonic, the matched most recent frame), their means (PSNR, SSIM; inpainting also inside
the mask), the tile count and the scene names. ``--no-product`` skips the whole-raster super-resolution.
Writes ``results/eval_table.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C  # noqa: E402

TASKS = ("sr", "inpaint", "predict", "series")
# the product's row and its classical baseline per task (rows named by run_task / the model labels below)
BASELINE = {"sr": "bicubic (whole scene)", "inpaint": "biharmonic", "predict": "most recent clear frame",
            "series": "most recent frame, matched"}
PIPE_METHOD = {"sr": "super_resolve", "inpaint": "inpaint", "predict": "predict"}


def default_data() -> Path:
    from training.evaluate import SHARED_DATA  # beside the checkout, as on developer machines and CI

    return SHARED_DATA if SHARED_DATA.is_dir() else C.ROOT / "tests" / "data"


def default_masks(data: Path) -> list:
    """training/evaluate.py's default cloud-mask files; where absent, the cloud masks of the data folder or
    of tests/data."""
    from training import evaluate as E

    found = [m for m in E.DEFAULT_MASKS if Path(m).exists()]
    if not found:
        found = [str(p) for p in sorted(Path(data).glob("*cloudmask*.tif"))]
    if not found:
        found = [str(p) for p in sorted((C.ROOT / "tests" / "data").glob("*cloudmask*.tif"))]
    return found


def build_model(args, task: str, guidance: float):
    from training import evaluate as E

    if args.engine == "training":
        return E.load_controlnet_task(args.model, args.controlnet, task, args.steps, guidance)
    engine = E.BackendEngine(args.model, args.controlnet, task, args.steps, guidance, args.seed)
    name = PIPE_METHOD[task]  # the engine calls the pipeline without a scheduler: give it the job's
    setattr(engine.pipe, name, functools.partial(getattr(engine.pipe, name), scheduler=args.scheduler))
    return engine


def run_task(task: str, model, ns, specs, masks) -> dict:
    from training import evaluate as E

    if task == "sr":
        return E.eval_sr(ns.data, model, ns, specs)
    if task == "inpaint":
        return E.eval_inpaint(ns.data, model, ns, specs, masks)
    return E.eval_predict(ns.data, model, ns, specs, masks)


def summarise(rows: dict) -> dict:
    """method -> {tiles, metric: mean over finite values}."""
    out = {}
    for method, items in rows.items():
        keys = list(dict.fromkeys(k for r in items for k in r))
        summary = {"tiles": len(items)}
        for k in keys:
            vals = [r[k] for r in items if r.get(k) is not None and not math.isnan(r[k])]
            finite = [v for v in vals if math.isfinite(v)]
            summary[k] = sum(finite) / len(finite) if finite else (float("inf") if vals else None)
        out[method] = summary
    return out


def run_series(args, ns, masks=None):
    """The dated-series protocols (training.evaluate_series) with the product on the model folder: the last
    date predicted, and (with cloud masks) its clouds removed with and without the other dates."""
    from training import evaluate as E
    from training.evaluate_series import eval_series, eval_series_fill

    api = None
    if args.model.lower() != "none":
        from backend.api import DiffusionSat

        api = DiffusionSat.from_pretrained(args.model)
    t0 = time.perf_counter()
    rows, names, notes = eval_series(args.data, api, ns)
    if not names:
        return {"error": "no folder of three or more dated rasters of one place"}, "### series\n\nno dated series found\n"
    text = E.to_markdown({k: v for k, v in rows.items() if v}, "series (last date predicted from the frames before it)")
    text = text.replace("# ", "### ", 1) + "\n" + "\n".join(f"- {n}" for n in names + notes) + "\n"
    fill = eval_series_fill(args.data, api, ns, masks) if masks is not None else {}
    if fill:
        text += "\n" + E.to_markdown(fill, "series: clouds of the last date removed, scored inside the mask").replace(
            "# ", "### ", 1)
    return {"summary": summarise(rows), "tiles": rows, "scenes": names, "notes": notes,
            "cloud_removal": summarise(fill) if fill else None,
            "model_seconds": {"product": time.perf_counter() - t0}}, text


@functools.lru_cache(maxsize=None)
def recommended_guidance(model: str, task: str) -> float:
    from backend.api import DiffusionSat

    return DiffusionSat.from_pretrained(model).recommended_guidance({"sr": "superres", "series": "predict"}.get(task, task))


def _product_row(task: str, rows: dict, guidance: float) -> str:
    """The row of what the task writes by default: its 'product' row at the model's recommended guidance
    (prediction per tile has no product row: the series protocol runs the task itself)."""
    if task == "series":
        return "product"
    want = f"guidance {guidance:g})"
    for key in rows:
        if key.startswith("product") and key.endswith(want) and not key.startswith("product @"):
            return key
    return "product" if "product" in rows else ""


def product_summary(args, report: dict, specs) -> dict:
    """Per task: baseline and product means (PSNR, SSIM, inside the mask where scored), tiles, scenes."""
    from training.evaluate_series import MATCHED_CLEAR_ROW

    out = {"model": args.model, "data": str(args.data)}
    guidance = {t: recommended_guidance(args.model, t) for t in TASKS} if args.model.lower() != "none" else {}
    for task, rep in report.items():
        if "summary" not in rep:
            out[task] = {"error": rep.get("error", "not run")}
            continue
        summary = rep["summary"]
        prod = _product_row(task, summary, guidance.get(task, 1.0))
        base = BASELINE[task]
        if task == "sr":  # bicubic on the product's own whole rasters (named after the run that made them)
            base = next((k for k in summary if k.startswith("bicubic (whole scene)") and prod
                         and k.endswith(prod[len("product"):])), "bicubic")
        keep = ("PSNR", "SSIM", "PSNR in mask", "SSIM in mask", "colour error in mask", "texture error in mask",
                "fallback share")

        def pick(row):
            return {k: v for k, v in summary.get(row, {}).items() if k in keep} if row in summary else None

        if task == "series":
            scenes = rep.get("scenes", [])
        else:
            from training.datasets.raster import discover

            scenes = [s.name for s in discover(args.data, specs, exclude=("*mask*",))]
        out[task] = {"baseline_row": base, "product_row": prod or None, "baseline": pick(base),
                     "product": pick(prod) if prod else None, "tiles": summary.get(base, {}).get("tiles", 0),
                     "scenes": scenes}
        if task == "series":
            out[task]["persistence"] = pick("most recent frame")
            fill = rep.get("cloud_removal") or {}
            out["cloud_removal"] = {"baseline_row": "biharmonic", "product_row": "product, other dates",
                                    "baseline": fill.get("biharmonic"), "product": fill.get("product, other dates"),
                                    "product_one_date": fill.get("product, one date"),
                                    # the prediction bar where the target's clear pixels exist (issue 14)
                                    "matched_recent": fill.get(MATCHED_CLEAR_ROW),
                                    "tiles": (fill.get("biharmonic") or {}).get("tiles", 0), "scenes": scenes}
    return out


def main(argv=None) -> int:
    ap = C.parser("eval_table", __doc__, threads=2, repeats=1)
    ap.add_argument("--data", type=Path, default=default_data(), help="folder of GeoTIFFs (default %(default)s)")
    ap.add_argument("--tasks", default=",".join(TASKS))
    ap.add_argument("--engine", default="backend", choices=["backend", "training"])
    ap.add_argument("--controlnet", default=None, help="ControlNet folder outside --model (see training/evaluate.py)")
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--scheduler", default="ddim", choices=["dpm++", "ddim"], help="backend engine only")
    ap.add_argument("--guidance", default="1,7.5", help="comma-separated; one model row per value")
    ap.add_argument("--tile", type=int, default=64)
    ap.add_argument("--max-tiles", type=int, default=4)
    ap.add_argument("--split", default="eval", choices=["eval", "all"])
    ap.add_argument("--frames", type=int, default=3)
    ap.add_argument("--masks", nargs="*", default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sources", default=str(C.ROOT / "training" / "configs" / "data_sources.json"))
    ap.add_argument("--json", type=Path, default=None,
                    help="also write the product and baseline means per task, tiles and scenes, here")
    ap.add_argument("--no-product", dest="product", action="store_false",
                    help="skip super-resolution of whole rasters through the task (the slow 'product' row)")
    args = ap.parse_args(argv)

    import torch

    from training.datasets.masks import CloudMaskBank
    from training.datasets.raster import load_source_specs
    from training import evaluate as E

    C.set_threads(args.threads)
    t_start = time.perf_counter()
    specs = load_source_specs(args.sources) if args.sources and Path(args.sources).exists() else {}
    mask_files = args.masks if args.masks else default_masks(args.data)
    masks = CloudMaskBank.from_files(mask_files) if mask_files else None
    ns = argparse.Namespace(data=str(args.data), tile=args.tile, max_tiles=args.max_tiles, split=args.split,
                            seed=args.seed, frames=args.frames, product=args.product, model=args.model)
    guidances = [float(g) for g in args.guidance.split(",")]
    sampler = (f"{args.scheduler} {args.steps} steps" if args.engine == "backend" else f"DDIM {args.steps} steps")
    report, sections = {}, []
    for task in args.tasks.split(","):
        if task not in TASKS:
            raise SystemExit(f"unknown task {task!r}; choose from {TASKS}")
        if task == "series":
            report[task], text = run_series(args, ns, masks)
            sections.append(text)
            print(f"{task}: done ({time.perf_counter() - t_start:.0f} s)", flush=True)
            continue
        if task != "sr" and masks is None:
            report[task] = {"error": "no cloud-mask file (pass --masks)"}
            continue
        rows, errors, seconds = {}, {}, {}
        base_rows = run_task(task, None, ns, specs, masks)  # baselines only (no model)
        rows.update(base_rows)
        if args.model.lower() != "none":
            recommended = recommended_guidance(args.model, task)
            for g in guidances:
                label = f"model ({sampler}, guidance {g:g})"
                ns.product = args.product and g == recommended  # whole rasters through the task: its own guidance
                try:
                    torch.manual_seed(args.seed)
                    model = build_model(args, task, g)
                    t0 = time.perf_counter()
                    got = run_task(task, model, ns, specs, masks)
                    seconds[label] = time.perf_counter() - t0
                    for key, items in got.items():  # 'model' and variants such as 'model + consistency'
                        if key.startswith("model"):
                            rows[label + key[len("model"):]] = items
                        elif key not in base_rows:  # inpainting: 'product' (what the task writes), 'network fill'
                            rows[f"{key} ({sampler}, guidance {g:g})"] = items
                    if not rows.get(label):
                        errors[label] = "no tile the model could take (e.g. no raster with the Sentinel-2 bands)"
                except Exception as exc:  # a model without this task's ControlNet, ...
                    errors[label] = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"[:300]
        summary = summarise(rows)
        report[task] = {"summary": summary, "tiles": rows, "errors": errors, "model_seconds": seconds}
        text = E.to_markdown({k: v for k, v in rows.items() if v}, f"{task}").replace("# ", "### ", 1)
        if errors:
            text += "\n" + "\n".join(f"- {k}: fails: {v}" for k, v in errors.items()) + "\n"
        sections.append(text)
        print(f"{task}: done ({time.perf_counter() - t_start:.0f} s)", flush=True)
    info = C.machine_info(args.threads)
    md = [f"## Quality vs baselines ({C.model_label(args.model)})", "", C.machine_line(info), "",
          f"Data `{args.data}`, split {args.split}, tiles of {args.tile} px (smaller where the hold-out block is "
          f"narrower), at most {args.max_tiles} per raster; engine {args.engine} ({sampler}), seed {args.seed}; "
          "values on the [0, 1] scale; mean over tiles. SAM = spectral angle in degrees (lower is better); "
          "consistency PSNR = SR output averaged back to the input grid vs the input.", ""] + sections
    md += [f"(total time {time.perf_counter() - t_start:.0f} s; masks: {', '.join(Path(m).name for m in mask_files)})"]
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(product_summary(args, report, specs), indent=1))
    C.write_results(args.out, {"benchmark": "eval_table", "model": args.model, "data": str(args.data),
                               "engine": args.engine, "steps": args.steps, "scheduler": args.scheduler,
                               "guidance": guidances, "machine": info, "tasks": report}, "\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
