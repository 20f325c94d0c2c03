"""Cost of DiffusionSat's metadata path: SatUNet forward time / plain UNet2DConditionModel forward time.

Both models have the same config (the plain one without the metadata MLPs) and share their weights;
calls are interleaved and the median of each is compared, so machine noise hits both alike.

    python tests/benchmarks/bench_unet_overhead.py [--full] [--device cpu|cuda] [--out PATH]

Default: a mid-size UNet (block_out_channels 64/128/256/256, 256 px -> 32x32 latent, batch 1) that
runs in well under a minute on 2 CPU cores. ``--full``: the released SD 2.1 size at 256 and 512 px,
batch 1 and 2 (needs ~7 GB of memory; slow on CPU). Prints a table and writes JSON (default
tests/benchmarks/results/unet_overhead.json).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C  # noqa: E402

MID_CONFIG = dict(
    sample_size=32,
    block_out_channels=[64, 128, 256, 256],
    down_block_types=["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    up_block_types=["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
    layers_per_block=2,
    attention_head_dim=[2, 4, 8, 8],
    cross_attention_dim=256,
    norm_num_groups=32,
    use_linear_projection=True,
    upcast_attention=True,
    flip_sin_to_cos=True,
    freq_shift=0,
)


def build_pair(config: dict, device, dtype):
    """(SatUNet, plain UNet2DConditionModel) with shared weights."""
    from diffusers import UNet2DConditionModel

    from backend.models import SatUNet

    torch.manual_seed(0)
    sat = SatUNet(**config, use_metadata=True, num_metadata=7).to(device=device, dtype=dtype).eval()
    with torch.device("meta"):
        plain = UNet2DConditionModel(**config)
    state = {k: v for k, v in sat.state_dict().items() if not k.startswith("metadata_embedding.")}
    plain.load_state_dict(state, strict=True, assign=True)
    return sat, plain.eval()


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_pair(sat, plain, batch, latent, cross_dim, device, dtype, repeats, warmup=2):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(batch, 4, latent, latent, generator=g).to(device, dtype)
    ehs = torch.randn(batch, 77, cross_dim, generator=g).to(device, dtype)
    t = torch.tensor([500] * batch, device=device)
    md = (torch.rand(batch, 7, generator=g) * 1000).to(device)
    calls = {
        "plain": lambda: plain(x, t, ehs).sample,
        "sat": lambda: sat(x, t, ehs, metadata=md).sample,
    }
    times = {"plain": [], "sat": []}
    with torch.inference_mode():
        for _ in range(warmup):
            for fn in calls.values():
                fn()
        _sync(device)
        for i in range(repeats):
            order = ("plain", "sat") if i % 2 == 0 else ("sat", "plain")
            for name in order:
                _sync(device)
                t0 = time.perf_counter()
                calls[name]()
                _sync(device)
                times[name].append(time.perf_counter() - t0)
        # the metadata path on its own (7 small MLPs): a noise-free estimate of the overhead
        md_times = []
        for _ in range(30):
            _sync(device)
            t0 = time.perf_counter()
            sat.metadata_embedding(md)
            _sync(device)
            md_times.append(time.perf_counter() - t0)
        md_s = statistics.median(md_times)
    plain_s, sat_s = statistics.median(times["plain"]), statistics.median(times["sat"])
    plain_min, sat_min = min(times["plain"]), min(times["sat"])
    return {
        "batch": batch,
        "latent": latent,
        "pixels": latent * 8,
        "plain_ms": round(plain_s * 1e3, 3),
        "sat_ms": round(sat_s * 1e3, 3),
        "ratio": round(sat_s / plain_s, 4),
        "plain_min_ms": round(plain_min * 1e3, 3),
        "sat_min_ms": round(sat_min * 1e3, 3),
        "ratio_min": round(sat_min / plain_min, 4),
        "metadata_embedding_ms": round(md_s * 1e3, 4),
        "ratio_estimated": round((plain_s + md_s) / plain_s, 4),
        "repeats": repeats,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="released SD 2.1 size, 256/512 px, batch 1/2")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16"])
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (default 2)")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--out", default=str(C.RESULTS / "unet_overhead.json"),
                        help="JSON to write; the printed table also goes beside it as .md")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    dtype = getattr(torch, args.dtype)
    if args.full:
        config = json.loads((ROOT / "tests" / "data" / "parity" / "official" / "satunet_sd21.config.json").read_text())
        config = {k: v for k, v in config.items() if not k.startswith("_") and k not in ("use_metadata", "num_metadata")}
        cases = [(1, 32), (2, 32), (1, 64), (2, 64)]
        repeats = args.repeats or (20 if device.type == "cuda" else 5)
        label = "SD 2.1 (released SatUNet size)"
    else:
        config = dict(MID_CONFIG)
        cases = [(1, 32)]
        repeats = args.repeats or 21
        label = "mid-size (64/128/256/256)"

    sat, plain = build_pair(config, device, dtype)
    rows = [time_pair(sat, plain, b, lat, config["cross_attention_dim"], device, dtype, repeats) for b, lat in cases]

    with C.tee_markdown(Path(args.out).with_suffix(".md"), code=True):  # the table as printed, also as .md
        print(f"SatUNet / UNet2DConditionModel forward time, {label}, {device} {args.dtype}, "
              f"{torch.get_num_threads()} threads")
        print("(medians and minima of interleaved calls; 'md ms' = the metadata embedding alone)")
        print(f"{'px':>5} {'batch':>5} {'plain ms':>10} {'SatUNet ms':>11} {'ratio':>7} {'ratio(min)':>10} {'md ms':>8} {'md/plain':>9}")
        for r in rows:
            print(f"{r['pixels']:>5} {r['batch']:>5} {r['plain_ms']:>10.1f} {r['sat_ms']:>11.1f} {r['ratio']:>7.3f} "
                  f"{r['ratio_min']:>10.3f} {r['metadata_embedding_ms']:>8.3f} {r['ratio_estimated'] - 1:>9.2%}")
    result = {
        "benchmark": "unet_overhead",
        "config": label,
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or platform.machine(),
        "dtype": args.dtype,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "target_ratio": 1.02,
        "rows": rows,
        "max_ratio": max(r["ratio"] for r in rows),
        "max_ratio_min": max(r["ratio_min"] for r in rows),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
