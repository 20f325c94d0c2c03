"""Batches (issue 16): in-process vs a Dask LocalCluster of 1 and 2 workers on the same inputs, and a
projection of Sentinel-2 tiles per hour at x4 on N GPUs.

Inputs: ``--inputs`` copies of the two 13-band Sentinel-2 sample crops (100 x 101 px, super-resolved x4 to
404 x 400, 16 tiles each at the bundled model's 128 px), ``--steps`` DDIM steps, self-check off (the model
runs on every tile). Every configuration first runs one input to load the model in every process, so the
timed batch measures work and scheduling, not loading. Reported: seconds per input, the Dask overhead per
input against in-process (goal <= 5 % for inputs of a few seconds), and the 1-vs-2-worker speed-up. One
more row runs 1 worker with the environment the local cluster had before (``OMP_NUM_THREADS`` = the
worker's share of the cores, which fixed its torch threads at 2 here where the automatic choice is 1 for
this small work): that was the +10.7 % overhead first measured.

Projection: a Sentinel-2 tile of 10 980 x 10 980 px at 10 m super-resolved x4 in 512 px output tiles with
the default 32 px overlap (128 px input tiles, 8 px input overlap) is ``S2_TILES`` tiles; inputs per hour
on N GPUs = N x 3600 / (tiles x seconds per tile). The per-tile GPU time is ``--gpu-tile-seconds`` (an
assumption until a GPU is lent: then measure it with ``tests/device/check_gpu.sh`` and pass it here).

    python tests/benchmarks/bench_batch.py [--inputs 6] [--steps 2]
"""

from __future__ import annotations

import shutil
import statistics
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

    started = time.perf_counter()
    report = run_batch("super-resolve", [folder], out, resume=False, **where, **options)
    seconds = time.perf_counter() - started
    assert report.count("done") == len(report.entries), report.entries
    return seconds, sum(e["tiles"] for e in report.entries)


def warm_up(folder: Path, out: Path, options: dict, workers: int = 1, **where) -> None:
    """One input per worker first: models loaded, workers started."""
    from backend.batch import run_batch

    run_batch("super-resolve", sorted(folder.glob("*.tif"))[:workers], out, resume=False, **where, **options)


def main() -> None:
    ap = common.parser("bench_batch", __doc__)
    ap.add_argument("--inputs", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds of in-process / Dask before / Dask now, interleaved (the median is reported)")
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--gpus", type=int, nargs="+", default=[1, 4, 8])
    ap.add_argument("--gpu-tile-seconds", type=float, default=2.0,
                    help="assumed seconds per 512 px output tile (25 DDIM steps, guidance, fp16) on one GPU")
    args = ap.parse_args()
    from backend.cpu_threads import cpu_count, prepare

    prepare()  # as the CLI and API do before torch: passive OpenMP waits in this process too
    from backend.batch.cluster import dask_client

    options = dict(model=args.model, steps=args.steps, seed=1, fallback=False, quicklook=False)
    share = cpu_count()
    legacy_env = {"OMP_NUM_THREADS": share, "MKL_NUM_THREADS": share, "OMP_WAIT_POLICY": "PASSIVE"}
    times = {"here": [], "legacy": [], "one": []}
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        for k in range(args.inputs):
            shutil.copy(SOURCES[k % 2], folder / f"scene{k}.tif")
        # clusters started once (their start-up is not charged to the inputs), rounds interleaved so that
        # other load on the machine falls on every configuration alike
        with dask_client(1, environ=legacy_env) as legacy, dask_client(1) as one:
            where = {"here": {}, "legacy": {"address": legacy.scheduler.address},
                     "one": {"address": one.scheduler.address}}
            for name, place in where.items():
                warm_up(folder, Path(tmp) / f"warm_{name}", options, **place)
            for r in range(args.rounds):
                order = list(where)[r % 3:] + list(where)[:r % 3]
                for name in order:
                    seconds, tiles = timed_batch(folder, Path(tmp) / f"{name}{r}", options, **where[name])
                    times[name].append(seconds)
        with dask_client(2) as client:
            warm_up(folder, Path(tmp) / "warm_two", options, workers=2, address=client.scheduler.address)
            two, _ = timed_batch(folder, Path(tmp) / "two", options, address=client.scheduler.address)
    here, legacy, one = (statistics.median(times[k]) for k in ("here", "legacy", "one"))
    n = args.inputs
    per_tile = here / tiles
    overhead = (one - here) / n
    legacy_overhead = (legacy - here) / n
    rows = [["in-process", common.fmt(here), common.fmt(here / n), "-"],
            [f"Dask, 1 worker, OMP_NUM_THREADS={share} (before)", common.fmt(legacy), common.fmt(legacy / n),
             f"{100 * legacy_overhead / (here / n):+.1f} %"],
            ["Dask, 1 worker", common.fmt(one), common.fmt(one / n), f"{100 * overhead / (here / n):+.1f} %"],
            ["Dask, 2 workers", common.fmt(two), common.fmt(two / n), f"x{one / two:.2f} vs 1 worker"]]
    s2 = s2_tiles()
    hours = s2 * args.gpu_tile_seconds / 3600  # one S2 tile on one GPU
    projection = [[g, f"{g / hours:.2f}", f"{hours / g:.1f} h"] for g in args.gpus]
    md = [f"# bench_batch ({common.machine_line(common.machine_info())})", "",
          f"{n} inputs, {tiles // n} tiles each, {args.steps} steps, median of {args.rounds} interleaved rounds, "
          f"model {common.model_label(args.model)}; "
          f"{per_tile:.3f} s per tile in-process", "",
          common.table(["where", "seconds", "s / input", "overhead / speed-up"], rows), "",
          f"Dask overhead per input vs in-process: {overhead:+.3f} s ({100 * overhead / (here / n):+.1f} %); "
          f"2 workers vs 1: x{one / two:.2f}; before the worker thread fix: {legacy_overhead:+.3f} s "
          f"({100 * legacy_overhead / (here / n):+.1f} %)", "",
          f"Projection: a Sentinel-2 tile (10 980 px) at x4 is {s2} output tiles of 512 px; at an assumed "
          f"{args.gpu_tile_seconds} s per tile per GPU (to be replaced by a measured GPU number):", "",
          common.table(["GPUs", "S2 tiles / hour", "hours per S2 tile"], projection)]
    common.write_results(args.out, {"inputs": n, "tiles": tiles, "steps": args.steps, "in_process_s": here,
                                    "rounds_s": times, "dask1_s": one, "dask1_legacy_env_s": legacy,
                                    "legacy_overhead_per_input_s": legacy_overhead,
                                    "dask2_s": two, "overhead_per_input_s": overhead,
                                    "speedup_2_vs_1": one / two, "per_tile_s": per_tile, "s2_tiles": s2,
                                    "gpu_tile_seconds_assumed": args.gpu_tile_seconds,
                                    "machine": common.machine_info()}, "\n".join(md))


if __name__ == "__main__":
    main()
