"""The GPU check: parity, precision, speed and memory on a CUDA device; the same code in tiny sizes on a CPU.

On CUDA (``python tests/device/check_gpu.py --out DIR``):
1. the parity fixtures (``tests/data/parity``: UNet, 2-D and 3-D ControlNet fed the official inputs) on the
   device in float32 (bar: <= 1e-3 from the official outputs) and in float16 / bfloat16 (reported);
2. one 512 px super-resolution tile and one 512 px generation with the released-size architecture (random
   weights built from the official configs, as the benchmarks do), in float16 and bfloat16, with and
   without ``torch.compile`` of the UNet, with the peak GPU memory of each;
3. one whole task through the API on ``device="cuda"`` (the bundled model super-resolving the sample).
``--tiny`` (the default on a machine without CUDA) runs the same three parts on the CPU with the bundled
mini model at 64 px, float32 and bfloat16, no compile: CI runs it so that the script cannot rot.

Writes ``DIR/check_gpu.json`` and ``DIR/check_gpu.md``; exits 1 when a float32 parity bar fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))

from backend import cpu_threads  # noqa: E402

cpu_threads.prepare()

import torch  # noqa: E402
from diffusers.utils import logging as _diffusers_logging  # noqa: E402

_diffusers_logging.set_verbosity_error()  # casting warnings of modules that keep nothing in float32

PARITY = ROOT / "tests" / "data" / "parity"
FP32_BAR = 1e-3
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


# ------------------------------------------------------------------------------------------ parity
def parity(device: str, dtype_name: str) -> dict:
    """Largest |ours - official| of each model's outputs on ``device`` in ``dtype_name``."""
    from safetensors.torch import load_file

    from backend.checkpoints import load_model

    dtype = DTYPES[dtype_name]
    out = {}
    for name, io_name in (("unet", "unet_io"), ("controlnet", "controlnet_io"), ("controlnet3d", "controlnet3d_io")):
        model = load_model(PARITY / name).to(device=device, dtype=dtype).eval()
        io = load_file(str(PARITY / "io" / f"{io_name}.safetensors"))
        inp = {k[len("inputs."):]: v.to(device) for k, v in io.items() if k.startswith("inputs.")}
        x = inp["sample"].to(dtype)
        ehs = inp["encoder_hidden_states"].to(dtype)
        with torch.no_grad():
            if name == "unet":
                got = {"outputs.sample": model(x, inp["timestep"], encoder_hidden_states=ehs,
                                               metadata=inp["metadata"]).sample}
            else:
                down, mid = model(x, inp["timestep"], ehs, inp["controlnet_cond"].to(dtype),
                                  conditioning_scale=float(inp["conditioning_scale"]), metadata=inp["metadata"],
                                  cond_metadata=inp["cond_metadata"], return_dict=False)
                got = {f"outputs.down_block_res_samples.{i}": d for i, d in enumerate(down)}
                got["outputs.mid_block_res_sample"] = mid
        diffs = [float((got[k].float().cpu() - io[k].float()).abs().max()) for k in got]
        scale = max(float(io[k].float().abs().max()) for k in got)
        out[name] = {"max_abs_diff": max(diffs), "max_abs_reference": scale}
    return out


# ------------------------------------------------------------------------------------------ timing
def pipeline(tiny: bool, device: str, dtype_name: str):
    from backend.pipelines import SatDiffusionPipeline

    if tiny:
        pipe = SatDiffusionPipeline.from_pretrained(ROOT / "resources" / "models" / "diffusionsat-mini")
    else:
        import common

        pipe = SatDiffusionPipeline.from_components(common.official_components(controlnet=True))
    return pipe.to(device=device, dtype=dtype_name)


def time_tasks(tiny: bool, device: str, dtype_name: str, compile_unet: bool, size: int, steps: int) -> dict:
    """Seconds of one super-resolution tile and one generation at ``size`` px (after one warm-up call)."""
    import numpy as np

    from backend.metadata import SatMetadata

    pipe = pipeline(tiny, device, dtype_name)
    if compile_unet:
        pipe.unet = torch.compile(pipe.unet)
    k = int(getattr(pipe.controlnet.config, "conditioning_scale", 1) or 1)
    bands = int(pipe.controlnet.config.conditioning_in_channels)
    control = np.random.default_rng(0).random((bands, size // k, size // k), dtype=np.float32)
    md = SatMetadata(lon=14.5, lat=45.9, gsd=10.0 / k, cloud_cover=0.0)
    calls = {
        "super_resolve": lambda: pipe.super_resolve(control, md, control_gsd=10.0, steps=steps, seed=1,
                                                    guidance=7.5),
        "generate": lambda: pipe.generate("a satellite image", md, height=size, width=size, steps=steps, seed=1,
                                          guidance=7.5),
    }
    out = {}
    for name, call in calls.items():
        call()  # warm-up (and compilation)
        if device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats()
        sync(device)
        t0 = time.perf_counter()
        result = call()
        sync(device)
        seconds = time.perf_counter() - t0
        finite = bool(np.isfinite(np.asarray(result.images)).all())
        out[name] = {"seconds": seconds, "steps": steps, "finite": finite,
                     "peak_gpu_mib": (torch.cuda.max_memory_allocated() / 2**20) if device.startswith("cuda") else None}
    del pipe
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    return out


def whole_task(device: str, steps: int) -> dict:
    from backend.api import DiffusionSat

    ds = DiffusionSat.from_pretrained("diffusionsat-mini", device=device)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = ds.super_resolve(ROOT / "resources" / "samples" / "slovenia_s2l1c_13band.tif",
                               output=Path(tmp) / "sr.tif", steps=steps, seed=1, quicklook=False, device=device)
        seconds = time.perf_counter() - t0
        ok = res.output.exists()
    return {"device": ds.device, "seconds": seconds, "tiles": res.tiles, "steps": steps, "written": ok}


# ------------------------------------------------------------------------------------------ main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "benchmarks" / "results")
    ap.add_argument("--tiny", action="store_true", help="CPU sizes (the default without CUDA)")
    ap.add_argument("--steps", type=int, default=None, help="sampling steps of the timed calls (25 on CUDA, 2 tiny)")
    args = ap.parse_args(argv)
    cuda = torch.cuda.is_available()
    tiny = args.tiny or not cuda
    device = "cuda" if cuda and not tiny else "cpu"
    low = ["float16", "bfloat16"] if device == "cuda" else ["bfloat16"]
    size = 64 if tiny else 512
    steps = args.steps or (2 if tiny else 25)
    report = {"device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu", "tiny": tiny,
              "torch": torch.__version__, "threads": cpu_threads.describe(), "parity": {}, "timing": [],
              "fp32_bar": FP32_BAR}
    for dtype_name in ["float32"] + low:
        report["parity"][dtype_name] = parity(device, dtype_name)
    for dtype_name in low if device == "cuda" else ["float32"] + low:
        for compile_unet in ((False, True) if device == "cuda" else (False,)):
            try:
                timed = time_tasks(tiny, device, dtype_name, compile_unet, size, steps)
            except Exception as exc:  # a failed variant is a result, not the end of the check
                timed = {"error": f"{type(exc).__name__}: {exc}"[:500]}
            report["timing"].append({"dtype": dtype_name, "compile": compile_unet, "size": size, **timed})
    report["whole_task"] = whole_task(device, steps)

    fp32_ok = all(v["max_abs_diff"] <= FP32_BAR for v in report["parity"]["float32"].values())
    report["fp32_parity_ok"] = fp32_ok
    lines = [f"# GPU check ({report['device']}, {'tiny CPU sizes' if tiny else 'full sizes'}, torch {torch.__version__})",
             "", "Parity with the official outputs (max |ours - official|; float32 bar 1e-3):", "",
             "| dtype | UNet | 2-D ControlNet | 3-D ControlNet |", "|---|---|---|---|"]
    for dtype_name, models in report["parity"].items():
        lines.append(f"| {dtype_name} | " + " | ".join(f"{models[m]['max_abs_diff']:.2e}"
                                                      for m in ("unet", "controlnet", "controlnet3d")) + " |")
    lines += ["", f"One {size} px tile, {steps} steps, guidance 7.5 "
              f"({'bundled mini model' if tiny else 'released-size architecture, random weights'}):", "",
              "| dtype | compile | super-resolve s | generate s | peak GPU MiB (SR / gen) |", "|---|---|---|---|---|"]
    for row in report["timing"]:
        if "error" in row:
            lines.append(f"| {row['dtype']} | {row['compile']} | {row['error']} | | |")
            continue
        sr, gen = row["super_resolve"], row["generate"]
        peak = (f"{sr['peak_gpu_mib']:.0f} / {gen['peak_gpu_mib']:.0f}" if sr["peak_gpu_mib"] is not None else "-")
        lines.append(f"| {row['dtype']} | {row['compile']} | {sr['seconds']:.3f} | {gen['seconds']:.3f} | {peak} |")
    w = report["whole_task"]
    lines += ["", f"Whole task through the API on {w['device']}: super-resolve the 13-band sample, "
              f"{w['tiles']} tiles, {w['steps']} steps: {w['seconds']:.1f} s, written: {w['written']}."]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "check_gpu.json").write_text(json.dumps(report, indent=2, default=str))
    (args.out / "check_gpu.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if fp32_ok else 1


if __name__ == "__main__":
    sys.exit(main())
