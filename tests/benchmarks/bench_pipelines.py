"""Pipeline overhead and sampler agreement (not collected by pytest).

    .venv/bin/python tests/benchmarks/bench_pipelines.py [--model tests/data/parity] [--out bench.json]

1. Overhead: wall time of ``generate`` / (steps x one bare UNet call on the same CFG batch), target
   <= 1.05 (best of ``--reps`` runs each; on a shared machine bare and pipeline timings drift apart).
   Also, measured inside the same runs (so machine noise cancels): whole-call time / time spent inside
   the model calls, denoising-loop time / model time (the loop's own overhead: scheduler, CFG,
   concatenations) and the fixed cost outside the loop (prompt encoding, latents, VAE decode), which
   dominates for tiny models and few steps. The same for ``super_resolve`` against a bare
   ControlNet + UNet call.
2. Samplers: DPM-Solver++ at 20 and 25 steps and DDIM at 20/25/50 steps against DDIM at 100 steps
   (the official setting), same seed and model, PSNR of the images (higher = closer; identical = inf).

Prints a markdown report; ``--out`` writes the numbers as JSON. Defaults to the parity models (random
weights: the PSNR numbers say how close the samplers' trajectories are, not how good images look).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from backend.metadata import SatMetadata  # noqa: E402
from backend.pipelines import SatDiffusionPipeline  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C  # noqa: E402

PROMPT = "a fmow satellite image of a amusement park in argentina"
MD = SatMetadata(lon=-58.4, lat=-34.6, gsd=0.5, cloud_cover=0.1, date="2017-03-02")


def _min_time(fn, reps: int) -> float:
    """Best of ``reps`` (after a warm-up): the least disturbed run on a shared machine."""
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(1.0 / mse)


@torch.inference_mode()
def overhead(pipe, size: int, steps: int, reps: int, guidance: float = 7.5, control: bool = False) -> dict:
    f = pipe.vae_scale_factor
    batch = 2 if guidance > 1 else 1
    x = torch.randn(batch, pipe.latent_channels, size // f, size // f)
    ehs = torch.cat([pipe.encode_prompt("")] * batch)
    md = torch.from_numpy(np.stack([MD.to_vector()] * batch))
    t = torch.tensor(500)
    kwargs = {}
    if control:
        k = int(pipe.controlnet.config.conditioning_scale)
        c = int(pipe.controlnet.config.conditioning_in_channels)
        cond_np = np.random.default_rng(0).random((c, size // k, size // k), dtype=np.float32)
        cond = torch.from_numpy(cond_np)[None].expand(batch, -1, -1, -1)

        def bare():
            down, mid = pipe.controlnet(x, t, encoder_hidden_states=ehs, controlnet_cond=cond, metadata=md,
                                        cond_metadata=md, return_dict=False)
            pipe.unet(x, t, encoder_hidden_states=ehs, metadata=md, down_block_additional_residuals=down,
                      mid_block_additional_residual=mid)

        def run(cb=None):
            return pipe.super_resolve(cond_np, MD, control_gsd=10.0, prompt=PROMPT, steps=steps, guidance=guidance,
                                      seed=0, latents_callback=cb)
    else:

        def bare():
            pipe.unet(x, t, encoder_hidden_states=ehs, metadata=md)

        def run(cb=None):
            return pipe.generate(PROMPT, MD, height=size, width=size, steps=steps, guidance=guidance, seed=0,
                                 latents_callback=cb)

    model_s = _min_time(bare, reps * 3)
    total_s = _min_time(run, reps)

    # In-run split (same run, so machine noise cancels): time inside the model calls vs the loop
    clock = {"model": 0.0, "depth": 0, "t": 0.0, "first": None}

    def pre(module, args):
        if clock["depth"] == 0:
            clock["t"] = time.perf_counter()
            if clock["first"] is None:
                clock["first"] = clock["t"]
        clock["depth"] += 1

    def post(module, args, out):
        clock["depth"] -= 1
        if clock["depth"] == 0:
            clock["model"] += time.perf_counter() - clock["t"]

    models = [pipe.unet] + ([pipe.controlnet] if control else [])
    handles = [h for m in models for h in (m.register_forward_pre_hook(pre), m.register_forward_hook(post))]
    ratios, totals, fixed = [], [], []
    try:
        for _ in range(reps):
            clock.update(model=0.0, depth=0, first=None)
            stamps = []
            start = time.perf_counter()
            run(lambda i, t_, lat: stamps.append(time.perf_counter()))
            end = time.perf_counter()
            loop_s = stamps[-1] - clock["first"]
            ratios.append(loop_s / clock["model"])
            totals.append((end - start) / clock["model"])
            fixed.append((end - start) - loop_s)
    finally:
        for h in handles:
            h.remove()
    return {
        "task": "super_resolve" if control else "generate",
        "size": size,
        "steps": steps,
        "guidance": guidance,
        "bare_model_ms": model_s * 1e3,
        "pipeline_s": total_s,
        "ratio_total": total_s / (steps * model_s),
        "ratio_loop": min(ratios),
        "ratio_total_inrun": min(totals),
        "fixed_s": min(fixed),
    }


def samplers(pipe, size: int, seeds, guidance: float) -> dict:
    def image(name, steps, seed):
        return pipe.generate(PROMPT, MD, height=size, width=size, steps=steps, guidance=guidance, seed=seed,
                             scheduler=name).images

    out = {}
    runs = [("dpm++", 20), ("dpm++", 25), ("ddim", 20), ("ddim", 25), ("ddim", 50)]
    for seed in seeds:
        ref = image("ddim", 100, seed)
        for name, steps in runs:
            out.setdefault(f"{name}@{steps}", []).append(psnr(image(name, steps, seed), ref))
    return {k: float(np.mean(v)) for k, v in out.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=C.default_model(),
                    help="default: the bundled diffusionsat-mini when assembled, else tests/data/parity")
    ap.add_argument("--sizes", default="64,128,256", help="output sizes for the overhead runs")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--psnr-size", type=int, default=64)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--full-size", action="store_true",
                    help="the released size with random weights (SatUNet 865 M, SD 2.1 VAE, ViT-H text encoder, "
                         "SR ControlNet): overhead only, no sampler comparison; use e.g. --sizes 256 --steps 4 --reps 1")
    ap.add_argument("--out", default=str(C.RESULTS / "pipelines.json"),
                    help="write the results as JSON (the printed report goes beside it as .md)")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    if args.full_size:
        pipe = SatDiffusionPipeline.from_components(C.official_components())
        args.model = "released size, random weights"
    else:
        pipe = SatDiffusionPipeline.from_pretrained(args.model)
    load_s = time.perf_counter() - t0

    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        rows.append(overhead(pipe, size, args.steps, args.reps))
        rows.append(overhead(pipe, size, args.steps, args.reps, guidance=1.0))
        if pipe.controlnet is not None:
            rows.append(overhead(pipe, size, args.steps, args.reps, control=True))
    psnrs = {} if args.full_size else samplers(pipe, args.psnr_size, [int(s) for s in args.seeds.split(",")], guidance=7.5)

    result = {
        "model": args.model,
        "load_s": load_s,
        "threads": args.threads,
        "torch": torch.__version__,
        "machine": platform.processor() or platform.machine(),
        "overhead": rows,
        "psnr_vs_ddim100": psnrs,
        "psnr_size": args.psnr_size,
        "seeds": args.seeds,
    }
    with C.tee_markdown(Path(args.out).with_suffix(".md")):
        print(f"## Pipeline benchmark ({Path(args.model).name}, {args.threads} thread(s), torch {torch.__version__})\n")
        print("| task | size | steps | CFG | bare model ms | pipeline s | total / (steps x bare) | in-run: total / model time "
              "| in-run: loop / model time | fixed s (text, latents, decode) |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['task']} | {r['size']} | {r['steps']} | {r['guidance']} | {r['bare_model_ms']:.2f} | "
                  f"{r['pipeline_s']:.3f} | {r['ratio_total']:.3f} | {r['ratio_total_inrun']:.3f} | {r['ratio_loop']:.3f} | "
                  f"{r['fixed_s']:.3f} |")
        if psnrs:
            print(f"\nPSNR vs DDIM 100 steps ({args.psnr_size} px, CFG 7.5, mean over seeds {args.seeds}):\n")
            print("| sampler | PSNR dB |")
            print("|---|---|")
            for k, v in psnrs.items():
                print(f"| {k} | {v:.2f} |")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
