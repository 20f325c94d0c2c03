"""Physical-limit line: FLOPs per call (counted) / measured time = achieved GFLOP/s vs this CPU's matmul peak.

    .venv/bin/python tests/benchmarks/bench_flops.py [--model DIR] [--sizes 64,256,512] [--full-size]
                                                      [--full-size-sizes 256,512] [--repeats N] [--out PATH]

FLOPs are counted with ``torch.utils.flop_counter.FlopCounterMode`` (matmuls, convolutions, attention;
2 FLOPs per multiply-add; element-wise work such as GroupNorm and SiLU is not counted, so the achieved
rate is a slight under-estimate of the work done). Per output size: the SatUNet step on the classifier-free
guidance batch (2 latents), the super-resolution ControlNet on the same batch when the model has one, and
one VAE decode (1 image). Time = median of ``--repeats`` calls after a warm-up, in float32 with
``--threads`` threads. The peak is measured here too: the best of N ``torch.mm`` of 2048 x 2048 float32
matrices (also with 1 thread, and bfloat16 for reference). "floor ms" = FLOPs / peak: no implementation
on this CPU can be faster. ``--full-size`` adds the released SD 2.1 SatUNet config (880 M parameters,
random weights) at 256 and 512 px (float32; seconds per step).
Writes ``results/flops.json`` and ``.md``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C  # noqa: E402


def matmul_peak(n: int = 2048, threads: int = 2, dtype: str = "float32", tries: int = 10) -> dict:
    """Best-of-``tries`` GFLOP/s of an n x n x n matrix product."""
    import torch

    torch.set_num_threads(threads)
    dt = getattr(torch, dtype)
    g = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=g).to(dt)
    b = torch.randn(n, n, generator=g).to(dt)
    out = torch.empty(n, n, dtype=dt)
    torch.mm(a, b, out=out)
    best = float("inf")
    for _ in range(tries):
        t0 = time.perf_counter()
        torch.mm(a, b, out=out)
        best = min(best, time.perf_counter() - t0)
    return {"n": n, "threads": threads, "dtype": dtype, "best_s": best, "gflops": 2 * n ** 3 / best / 1e9}


def count_flops(fn) -> int:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


def measure(component: str, label: str, px: int, fn, repeats: int, peak: float) -> dict:
    import torch

    flops = count_flops(fn)

    def call():
        with torch.inference_mode():
            fn()

    timing = C.time_call(call, repeats=repeats, warmup=1)
    s = timing.median
    return {"model": label, "component": component, "pixels": px, "gflop": flops / 1e9, "ms": s * 1e3,
            "min_ms": timing["min"] * 1e3, "gflops_per_s": flops / s / 1e9, "pct_of_peak": 100 * flops / s / 1e9 / peak,
            "floor_ms": flops / (peak * 1e9) * 1e3}


def unet_fn(unet, px: int, vae_factor: int = 8):
    x, t, ehs, md = C.unet_inputs(unet, px, batch=2, vae_factor=vae_factor)
    return lambda: unet(x, t, ehs, metadata=md, return_dict=False)


def controlnet_fn(net, px: int, vae_factor: int = 8):
    import torch

    cfg = net.config
    x, t, ehs, md = C.unet_inputs(net, px, batch=2, vae_factor=vae_factor)
    k = int(getattr(cfg, "conditioning_scale", 1) or 1)
    cond = torch.rand(2, int(cfg.conditioning_in_channels), px // k, px // k, generator=torch.Generator().manual_seed(2))
    return lambda: net(x, t, encoder_hidden_states=ehs, controlnet_cond=cond, metadata=md, cond_metadata=md,
                       return_dict=False)


def vae_decode_fn(vae, px: int):
    import torch

    factor = 2 ** (len(vae.config.block_out_channels) - 1)
    z = torch.randn(1, int(vae.config.latent_channels), px // factor, px // factor,
                    generator=torch.Generator().manual_seed(3))
    return lambda: vae.decode(z, return_dict=False)


def main(argv=None) -> int:
    ap = C.parser("flops", __doc__, threads=2, repeats=7)
    ap.add_argument("--sizes", default=None, help="output sizes in px for --model (default: native, 256, 512)")
    ap.add_argument("--full-size", action="store_true", help="also the released SD 2.1 SatUNet (880 M parameters)")
    ap.add_argument("--full-size-sizes", default="256,512")
    ap.add_argument("--peak-n", type=int, default=2048)
    args = ap.parse_args(argv)

    import torch

    from backend.checkpoints.loader import load_model

    t_start = time.perf_counter()
    peaks = [matmul_peak(args.peak_n, args.threads), matmul_peak(args.peak_n, 1),
             matmul_peak(args.peak_n, args.threads, "bfloat16")]
    peak = peaks[0]["gflops"]
    C.set_threads(args.threads)

    model = Path(args.model)
    label = C.model_label(model)
    unet = C.load_unet(str(model))
    vae = load_model(model / "vae").eval() if (model / "vae").is_dir() else None
    cn = load_model(model / "controlnet").eval() if (model / "controlnet" / "config.json").is_file() else None
    factor = 2 ** (len(vae.config.block_out_channels) - 1) if vae is not None else 8
    native = int(unet.config.sample_size) * factor
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else sorted({native, 256, 512})
    rows = []
    for px in sizes:
        rows.append(measure("SatUNet step (CFG batch 2)", label, px, unet_fn(unet, px, factor), args.repeats, peak))
        if cn is not None and px % (8 * int(getattr(cn.config, "conditioning_scale", 1) or 1)) == 0:
            rows.append(measure("SR ControlNet (CFG batch 2)", label, px, controlnet_fn(cn, px, factor), args.repeats,
                                peak))
        if vae is not None:
            rows.append(measure("VAE decode (1 image)", label, px, vae_decode_fn(vae, px), args.repeats, peak))
    params = {label: C.count_params(unet)}
    if args.full_size:
        big = C.official_unet()
        params["SD 2.1 SatUNet"] = C.count_params(big)
        for px in (int(s) for s in args.full_size_sizes.split(",")):
            rows.append(measure("SatUNet step (CFG batch 2)", "SD 2.1 SatUNet (random weights)", px, unet_fn(big, px),
                                max(2, min(args.repeats, 3)), peak))
        del big
    info = C.machine_info(args.threads)
    md = [f"## FLOPs and the physical limit ({label})", "", C.machine_line(info), "",
          "Measured matmul peak (2048^3, best of 10):", "",
          C.table(["dtype", "threads", "GFLOP/s"], [[p["dtype"], p["threads"], p["gflops"]] for p in peaks]), "",
          f"Per call: FLOPs counted by FlopCounterMode, time = median of {args.repeats} (float32, {args.threads} "
          f"threads); % of peak against the float32 {args.threads}-thread matmul peak ({peak:.0f} GFLOP/s); "
          "floor = the time at that peak.", "",
          C.table(["model", "component", "px", "GFLOP / call", "ms / call", "floor ms", "GFLOP/s", "% of peak"],
                  [[r["model"], r["component"], r["pixels"], r["gflop"], r["ms"], r["floor_ms"], r["gflops_per_s"],
                    r["pct_of_peak"]] for r in rows]),
          "", "Parameters: " + ", ".join(f"{k} {v / 1e6:.2f} M" for k, v in params.items()),
          "", f"(total benchmark time {time.perf_counter() - t_start:.0f} s)"]
    C.write_results(args.out, {"benchmark": "flops", "model": args.model, "machine": info, "peaks": peaks,
                               "rows": rows, "params": params, "repeats": args.repeats}, "\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
