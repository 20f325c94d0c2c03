"""Batches (issue 16): in-process vs a Dask LocalCluster of 1 and 2 workers on the same inputs, and a
projection of Sentinel-2 tiles per hour at x4 on N GPUs.

Inputs: ``--inputs`` copies of the two 13-band Sentinel-2 sample crops (100 x 101 px, super-resolved x4 to
404 x 400, 16 tiles each at the bundled model's 128 px), ``--steps`` DDIM steps, self-check off (the model
runs on every tile). Every configuration first runs one input to load the model in every process, so the
timed batch measures work and scheduling, not loading. Reported: seconds per input, the Dask overhead per
input against in-process (goal <= 5 % for inputs of a few seconds), and the 1-vs-2-worker speed-up.

Projection: a Sentinel-2 tile of 10 980 x 10 980 px at 10 m super-resolved x4 in 512 px output tiles with
the default 32 px overlap (128 px input tiles, 8 px input overlap) is ``S2_TILES`` tiles; inputs per hour
on N GPUs = N x 3600 / (tiles x seconds per tile). The per-tile GPU time is ``--gpu-tile-seconds`` (an
assumption until a GPU is lent: then measure it with ``tests/device/check_gpu.sh`` and pass it here).

    python tests/benchmarks/bench_batch.py [--inputs 6] [--steps 2]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "resources" / "samples" / "slovenia_s2l1c_13band.tif",
           ROOT / "tests" / "data" / "slovenia_s2l1c_ref0.tif"]


def s2_tiles(side: int = 10980, tile_in: int = 128, overlap_in: int = 8) -> int:
    from backend.tiling import axis_starts

    return len(axis_starts(side, tile_in, overlap_in)) ** 2


def timed_batch(folder: Path, out: Path, options: dict, **where) -> tuple:
    from backend.batch import run_batch

    warm = folder.parent / f"warm_{out.name}"  # one input per worker first: models loaded, workers started
    run_batch("super-resolve", sorted(folder.glob("*.tif"))[:max(1, where.get("workers") or 1)], warm,
              resume=False, **where, **options)
    started = time.perf_counter()
    report = run_batch("super-resolve", [folder], out, resume=False, **where, **options)
    seconds = time.perf_counter() - started
    assert report.count("done") == len(report.entries), report.entries
    return seconds, sum(e["tiles"] for e in report.entries)


def timed_on_cluster(folder: Path, out: Path, options: dict, workers: int) -> tuple:
    """A LocalCluster started once, so that its start-up (seconds) is not charged to the inputs."""
    from backend.batch.cluster import dask_client

    with dask_client(workers) as client:
        return timed_batch(folder, out, options, address=client.scheduler.address, workers=workers)


def main() -> None:
    ap = common.parser("bench_batch", __doc__)
    ap.add_argument("--inputs", type=int, default=6)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--gpus", type=int, nargs="+", default=[1, 4, 8])
    ap.add_argument("--gpu-tile-seconds", type=float, default=2.0,
                    help="assumed seconds per 512 px output tile (25 DDIM steps, guidance, fp16) on one GPU")
    args = ap.parse_args()
    options = dict(model=args.model, steps=args.steps, seed=1, fallback=False, quicklook=False)
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        for k in range(args.inputs):
            shutil.copy(SOURCES[k % 2], folder / f"scene{k}.tif")
        here, tiles = timed_batch(folder, Path(tmp) / "here", options)
        one, _ = timed_on_cluster(folder, Path(tmp) / "one", options, 1)
        two, _ = timed_on_cluster(folder, Path(tmp) / "two", options, 2)
    n = args.inputs
    per_tile = here / tiles
    overhead = (one - here) / n
    rows = [["in-process", common.fmt(here), common.fmt(here / n), "-"],
            ["Dask, 1 worker", common.fmt(one), common.fmt(one / n), f"{100 * overhead / (here / n):+.1f} %"],
            ["Dask, 2 workers", common.fmt(two), common.fmt(two / n), f"x{one / two:.2f} vs 1 worker"]]
    s2 = s2_tiles()
    hours = s2 * args.gpu_tile_seconds / 3600  # one S2 tile on one GPU
    projection = [[g, f"{g / hours:.2f}", f"{hours / g:.1f} h"] for g in args.gpus]
    md = [f"# bench_batch ({common.machine_line(common.machine_info())})", "",
          f"{n} inputs, {tiles // n} tiles each, {args.steps} steps, model {common.model_label(args.model)}; "
          f"{per_tile:.3f} s per tile in-process", "",
          common.table(["where", "seconds", "s / input", "overhead / speed-up"], rows), "",
          f"Dask overhead per input vs in-process: {overhead:+.3f} s ({100 * overhead / (here / n):+.1f} %); "
          f"2 workers vs 1: x{one / two:.2f}", "",
          f"Projection: a Sentinel-2 tile (10 980 px) at x4 is {s2} output tiles of 512 px; at an assumed "
          f"{args.gpu_tile_seconds} s per tile per GPU (to be replaced by a measured GPU number):", "",
          common.table(["GPUs", "S2 tiles / hour", "hours per S2 tile"], projection)]
    common.write_results(args.out, {"inputs": n, "tiles": tiles, "steps": args.steps, "in_process_s": here,
                                    "dask1_s": one, "dask2_s": two, "overhead_per_input_s": overhead,
                                    "speedup_2_vs_1": one / two, "per_tile_s": per_tile, "s2_tiles": s2,
                                    "gpu_tile_seconds_assumed": args.gpu_tile_seconds,
                                    "machine": common.machine_info()}, "\n".join(md))


if __name__ == "__main__":
    main()
