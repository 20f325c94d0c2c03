"""CPU execution options for one UNet denoising step: float32 vs bfloat16, channels_last, torch.compile, threads.

    .venv/bin/python tests/benchmarks/bench_cpu_options.py [--model DIR] [--sizes 64,256] [--full-size]
                                                            [--no-compile] [--repeats N] [--out PATH]

Part 1 (one UNet step, the classifier-free-guidance batch of 2, timestep 500): every variant is called in
turn in the same run (order rotating per round, median of ``--repeats``), against the baseline float32 with
``--threads`` (2) threads. Variants: float32 with the other thread count; bfloat16 by
``torch.autocast("cpu")`` (float32 weights); bfloat16 weights (``model.to(torch.bfloat16)``, what the
plugin's precision *bfloat16* does); channels_last memory format (float32, and with bfloat16 weights);
``torch.compile`` (inductor; its compile time is reported, a failure is reported with its reason). For each:
speed-up vs the baseline and the largest absolute difference of the output from the float32 output (also
relative to the output's standard deviation).

Part 2 (is it safe?): whole ``generate`` calls (DPM-Solver++ 25 steps, guidance 7.5, same seeds) with the
float32 pipeline vs a bfloat16 pipeline, a channels_last one and one thread: seconds per image and PSNR of
the images against float32 (>= 40 dB: differences invisible).

Models: ``--model`` (default: the bundled diffusionsat-mini when assembled, else the random-weight parity
model) at its native tile size and 256 px; ``--full-size`` adds the released SD 2.1 SatUNet config
(880 M parameters, random weights, ~3.5 GB in float32, ~10 GB with the converted copies) at 256 px: slow on
a CPU (seconds per step).
Writes ``results/cpu_options.json`` and ``.md``.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C  # noqa: E402

SAFE_REL = 1e-3  # step output within float32 rounding noise (relative to the output's std)
SAFE_PSNR = 40.0  # whole-image agreement above which differences are invisible
PROMPT = "a sentinel-2 satellite image"


def _threads(n: int) -> str:
    return f"{n} thread{'s' if n > 1 else ''}"


def make_call(model, inputs, threads: int, dtype=None, fmt=None, autocast: bool = False):
    """A callable running one UNet step with these settings; returns the float32 output."""
    import torch

    x, t, ehs, md = inputs
    dtype = dtype or torch.float32
    xi = x.to(dtype)
    if fmt is not None:
        xi = xi.contiguous(memory_format=fmt)
    e = ehs.to(dtype)

    def fn():
        torch.set_num_threads(threads)
        with torch.inference_mode():
            if autocast:
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    out = model(xi, t, e, metadata=md, return_dict=False)[0]
            else:
                out = model(xi, t, e, metadata=md, return_dict=False)[0]
        return out.float()

    return fn


def step_variants(unet, inputs, threads: int):
    """name -> (callable, note); models are copies where the variant changes them."""
    import torch

    other = 1 if threads > 1 else 2
    bf16 = copy.deepcopy(unet).to(torch.bfloat16)
    cl = copy.deepcopy(unet).to(memory_format=torch.channels_last)
    cl_bf16 = copy.deepcopy(bf16).to(memory_format=torch.channels_last)
    bf, last = torch.bfloat16, torch.channels_last
    return {
        f"float32, {_threads(threads)} (baseline)": (make_call(unet, inputs, threads), ""),
        f"float32, {_threads(other)}": (make_call(unet, inputs, other), ""),
        "bfloat16 autocast": (make_call(unet, inputs, threads, autocast=True),
                              "float32 weights, torch.autocast('cpu', bfloat16)"),
        "bfloat16 weights": (make_call(bf16, inputs, threads, dtype=bf),
                             "model.to(bfloat16): the plugin's precision bfloat16"),
        "channels_last": (make_call(cl, inputs, threads, fmt=last), "float32"),
        "channels_last + bfloat16 weights": (make_call(cl_bf16, inputs, threads, dtype=bf, fmt=last), ""),
    }


def bench_steps(label: str, unet, pixels: int, threads: int, repeats: int, compile_: bool, vae_factor: int = 8) -> dict:
    import torch

    inputs = C.unet_inputs(unet, pixels, batch=2, vae_factor=vae_factor)
    variants = step_variants(unet, inputs, threads)
    fns = {name: fn for name, (fn, _) in variants.items()}
    notes = {name: note for name, (_, note) in variants.items()}
    baseline = next(iter(fns))
    ref = fns[baseline]()
    failures = {}
    compile_s = None
    if compile_:
        name = "torch.compile (inductor)"
        try:
            compiled = torch.compile(unet)
            fn = make_call(compiled, inputs, threads)
            t0 = time.perf_counter()
            fn()  # compiles
            compile_s = time.perf_counter() - t0
            fns[name], notes[name] = fn, f"float32; first call (compilation) {compile_s:.1f} s"
        except Exception as exc:  # report, never crash the benchmark
            reason = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
            failures[name] = reason[:300]
    timings = C.time_side_by_side(fns, repeats=repeats, warmup=1)
    torch.set_num_threads(threads)
    std = float(ref.std())
    rows = []
    base_s = timings[baseline].median
    for name, fn in fns.items():
        diff = float((fn() - ref).abs().max())
        rows.append({"model": label, "pixels": pixels, "variant": name, "ms": timings[name].median * 1e3,
                     "min_ms": timings[name]["min"] * 1e3, "speedup": base_s / timings[name].median,
                     "max_abs_diff": diff, "rel_diff": diff / std if std else float("nan"),
                     "same_as_fp32": diff / std <= SAFE_REL if std else diff == 0, "note": notes[name]})
    for name, reason in failures.items():
        rows.append({"model": label, "pixels": pixels, "variant": name, "ms": None, "min_ms": None, "speedup": None,
                     "max_abs_diff": None, "rel_diff": None, "same_as_fp32": None, "note": f"fails: {reason}"})
    return {"rows": rows, "compile_s": compile_s, "output_std": std}


def bench_end_to_end(model: str, threads: int, repeats: int, seeds=(0, 1, 2), steps: int = 25) -> dict:
    """Whole generate calls: float32 vs bfloat16 / channels_last / other thread count; PSNR vs float32."""
    import numpy as np
    import torch

    from backend.metadata import SatMetadata
    from backend.pipelines import SatDiffusionPipeline
    from training.metrics import psnr

    md = SatMetadata(lon=14.6, lat=45.9, gsd=10.0, cloud_cover=0.0, date="2017-07-01")
    fp32 = SatDiffusionPipeline.from_pretrained(model)
    bf16 = SatDiffusionPipeline.from_pretrained(model, dtype="bfloat16")
    cl = SatDiffusionPipeline.from_pretrained(model)
    for m in (cl.unet, cl.vae):  # what generate runs (the 3-D ControlNet has 5-D weights)
        m.to(memory_format=torch.channels_last)
    size = fp32.default_size
    other = 1 if threads > 1 else 2
    pipes = {f"float32, {_threads(threads)} (baseline)": (fp32, threads), "bfloat16 weights": (bf16, threads),
             "channels_last": (cl, threads), f"float32, {_threads(other)}": (fp32, other)}

    def run(pipe, n, seed):
        torch.set_num_threads(n)
        return pipe.generate(PROMPT, md, height=size, width=size, steps=steps, scheduler="dpm++", guidance=7.5,
                             seed=seed).images

    refs = {s: run(fp32, threads, s) for s in seeds}
    fns = {name: (lambda p=p, n=n: run(p, n, seeds[0])) for name, (p, n) in pipes.items()}
    timings = C.time_side_by_side(fns, repeats=repeats, warmup=0)
    base = timings[next(iter(pipes))].median
    rows = []
    for name, (pipe, n) in pipes.items():
        scores = [psnr(run(pipe, n, s)[0].transpose(2, 0, 1), refs[s][0].transpose(2, 0, 1)) for s in seeds]
        finite = [v for v in scores if np.isfinite(v)]
        rows.append({"variant": name, "size": size, "steps": steps, "seconds": timings[name].median,
                     "speedup": base / timings[name].median,
                     "psnr_vs_fp32_min": min(scores), "psnr_vs_fp32_mean": float(np.mean(finite)) if finite else float("inf"),
                     "safe": min(scores) >= SAFE_PSNR})
    torch.set_num_threads(threads)
    return {"size": size, "steps": steps, "seeds": list(seeds), "rows": rows}


def recommend(step_rows, e2e) -> str:
    """The fastest variant that is numerically the float32 result, and the fastest one that is safe end to end.

    torch.compile is reported but not recommended as a default: it needs a C++ compiler on the user's
    machine and pays its compilation again for every new input shape (tile size, batch)."""
    native = [r for r in step_rows if r["ms"] is not None and r["model"] == step_rows[0]["model"]]
    exact = [r for r in native if r["same_as_fp32"] and not r["variant"].startswith("torch.compile")]
    best_exact = max(exact, key=lambda r: r["speedup"]) if exact else None
    lines = []
    if best_exact:
        lines.append(f"- Fastest variant with float32-identical results (rel. diff <= {SAFE_REL:g}), torch.compile "
                     f"aside, at {best_exact['pixels']} px: **{best_exact['variant']}** "
                     f"({best_exact['speedup']:.2f}x the baseline).")
    for r in step_rows:
        if r["variant"].startswith("torch.compile") and r["ms"] is not None:
            lines.append(f"- torch.compile at {r['pixels']} px: {r['speedup']:.2f}x per step, but {r['note']} "
                         "(per input shape, needs a C++ compiler): not a default.")
    if e2e:
        ok = [r for r in e2e["rows"] if r["safe"]]
        best = max(ok, key=lambda r: r["speedup"]) if ok else None
        if best:
            lines.append(f"- Fastest end-to-end variant whose images stay within {SAFE_PSNR:g} dB PSNR of float32: "
                         f"**{best['variant']}** ({best['speedup']:.2f}x, min PSNR {C.fmt(best['psnr_vs_fp32_min'])} dB).")
        unsafe = [r["variant"] for r in e2e["rows"] if not r["safe"]]
        if unsafe:
            lines.append(f"- Not safe by that measure (images visibly differ from float32): {', '.join(unsafe)}.")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = C.parser("cpu_options", __doc__, threads=2, repeats=15)
    ap.add_argument("--sizes", default=None, help="output sizes in px (default: the model's native size and 256)")
    ap.add_argument("--full-size", action="store_true", help="also the released SD 2.1 SatUNet (880 M) at 256 px")
    ap.add_argument("--full-size-pixels", type=int, default=256)
    ap.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    ap.add_argument("--compile-all-sizes", action="store_true",
                    help="torch.compile at every size (default: the first size only; each shape compiles anew)")
    ap.add_argument("--no-e2e", action="store_true", help="skip the whole-pipeline check")
    ap.add_argument("--e2e-steps", type=int, default=25)
    args = ap.parse_args(argv)

    import torch
    from diffusers.utils import logging as dlog

    dlog.set_verbosity_error()  # "modules that should be kept in float32: []" on every bf16 copy
    C.set_threads(args.threads)
    t_start = time.perf_counter()
    unet = C.load_unet(args.model)
    vae_cfg = Path(args.model) / "vae" / "config.json"
    factor = 2 ** (len(json.loads(vae_cfg.read_text())["block_out_channels"]) - 1) if vae_cfg.exists() else 8
    native = int(unet.config.sample_size) * factor
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else sorted({native, max(native, 256)})
    label = C.model_label(args.model)
    rows, compile_times = [], {}
    for i, px in enumerate(sizes):
        compile_ = not args.no_compile and (i == 0 or args.compile_all_sizes)
        res = bench_steps(label, unet, px, args.threads, args.repeats, compile_, factor)
        rows += res["rows"]
        compile_times[f"{label} {px}px"] = res["compile_s"]
    if args.full_size:
        big = C.official_unet()
        res = bench_steps(f"SD 2.1 SatUNet ({C.count_params(big) / 1e6:.0f} M, random weights)", big, args.full_size_pixels, args.threads,
                          max(2, min(args.repeats, 3)), not args.no_compile)
        rows += res["rows"]
        compile_times[f"SD 2.1 {args.full_size_pixels}px"] = res["compile_s"]
        del big
    e2e = None if args.no_e2e else bench_end_to_end(args.model, args.threads, max(3, args.repeats // 3),
                                                     steps=args.e2e_steps)
    info = C.machine_info(args.threads)

    md = [f"## CPU options for the UNet step ({label})", "", C.machine_line(info), "",
          f"One UNet call on the CFG batch (2 x 4 x H/8 x W/8), median of {args.repeats} side-by-side rounds; "
          f"speed-up vs float32 with {args.threads} threads; diff = max |output - float32 output| "
          f"(rel. = / std of the output; 'same' when <= {SAFE_REL:g}).", "",
          C.table(["model", "px", "variant", "ms / step", "speed-up", "max abs diff", "rel. diff", "same as fp32",
                   "note"],
                  [[r["model"], r["pixels"], r["variant"], r["ms"], r["speedup"], r["max_abs_diff"], r["rel_diff"],
                    r["same_as_fp32"], r["note"]] for r in rows])]
    if e2e:
        md += ["", f"### End to end: generate {e2e['size']} px, DPM-Solver++ {e2e['steps']} steps, guidance 7.5, "
                   f"seeds {e2e['seeds']}", "",
               C.table(["variant", "s / image", "speed-up", "PSNR vs fp32 (min, dB)", "PSNR mean (dB)",
                        f"safe (>= {SAFE_PSNR:g} dB)"],
                       [[r["variant"], r["seconds"], r["speedup"], r["psnr_vs_fp32_min"], r["psnr_vs_fp32_mean"],
                         r["safe"]] for r in e2e["rows"]])]
    md += ["", "### Recommendation", "", recommend(rows, e2e)]
    md += ["", f"(total benchmark time {time.perf_counter() - t_start:.0f} s)"]
    C.write_results(args.out, {"benchmark": "cpu_options", "model": args.model, "machine": info,
                               "repeats": args.repeats, "steps": rows, "compile_s": compile_times,
                               "end_to_end": e2e, "safe_rel": SAFE_REL, "safe_psnr": SAFE_PSNR},
                    "\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
