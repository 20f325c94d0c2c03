"""Speed on a busy machine: one UNet call and one whole task, quiet and next to busy processes.

For the bundled mini model (64 px) and the released-size SatUNet (256 px, random weights), at each thread
policy (1 or all threads; OpenMP wait policy ACTIVE = libgomp's spinning default, or PASSIVE = what
``backend.cpu_threads.prepare`` sets), with 0, 1 and 2 competing processes that spin on a core each
(started and stopped by this script). Each cell is a fresh interpreter, since the wait policy is read when
torch loads. Also: the QGIS case of a system OpenBLAS in the global symbol scope (``LD_PRELOAD``, as
``qgis.bin`` has it through GDAL) with and without ``cpu_threads.limit_foreign_blas``, and one whole
super-resolution task through the API at the product's default policy and at the old default.

Goal (issue "speed where users run it"): with one busy competitor, time <= 2x the quiet time at the chosen
default, for both model sizes.

    python tests/benchmarks/bench_under_load.py [--repeats 3] [--quick]
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

SPIN = "import time\nend = time.time() + 900\nwhile time.time() < end:\n    pass\n"


@contextlib.contextmanager
def competitors(n: int):
    """``n`` processes that each keep a core busy (bounded to 15 minutes if this script dies)."""
    procs = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(n)]
    try:
        yield procs
    finally:
        for p in procs:
            p.kill()
            p.wait()


UNET_CHILD = """
import json, os, subprocess, sys, time, statistics
from backend import cpu_threads
cpu_threads.prepare()
import torch
import common
kind, threads = {kind!r}, {threads}
if {limit_blas}:
    cpu_threads.limit_foreign_blas(1)
torch.set_num_threads(threads)
unet = common.official_unet() if kind == "released" else common.load_unet(common.default_model())
px = 256 if kind == "released" else 64
x, t, ehs, md = common.unet_inputs(unet, px, batch=2)
def call():
    with torch.no_grad():
        unet(x, t, encoder_hidden_states=ehs, metadata=md)
call()
out = {{}}
for load in {loads}:  # competitors that spin on a core each, started here so the model is built once
    procs = [subprocess.Popen([sys.executable, "-c", {spin!r}]) for _ in range(load)]
    try:
        time.sleep(0.5 if load else 0)
        call()
        times = []
        for _ in range({repeats}):
            t0 = time.perf_counter(); call(); times.append(time.perf_counter() - t0)
    finally:
        for p in procs:
            p.kill(); p.wait()
    out[load] = dict(median=statistics.median(times), min=min(times))
print(json.dumps(dict(by_load=out, params=common.count_params(unet), wait_in_force=os.environ.get("OMP_WAIT_POLICY"),
                      threads_in_force=torch.get_num_threads())))
"""

TASK_CHILD = """
import json, os, tempfile, time
from backend import cpu_threads
policy = {policy!r}
if policy == "product":
    cpu_threads.prepare()
import torch
from backend.api import DiffusionSat
import common
ds = DiffusionSat.from_pretrained(common.default_model())
src = str(common.SAMPLES / "slovenia_s2l1c_13band.tif")
with tempfile.TemporaryDirectory() as tmp:
    # the old default: all cores (torch's own choice), spinning waits (ACTIVE in the environment)
    kw = dict(steps=10, seed=1, quicklook=False, threads=None if policy == "product" else cpu_threads.cpu_count())
    from backend.jobs import SamplingOptions, SuperResolveJob
    estimated = ds.estimate(SuperResolveJob(input=src, sampling=SamplingOptions(steps=10, seed=1,
                                                                              threads=kw["threads"]))).seconds
    t0 = time.perf_counter()
    res = ds.super_resolve(src, output=os.path.join(tmp, "sr.tif"), **kw)
    seconds = time.perf_counter() - t0
print(json.dumps(dict(seconds=seconds, estimated=estimated, tiles=res.tiles, threads_in_force=torch.get_num_threads(),
                      wait_in_force=os.environ.get("OMP_WAIT_POLICY"))))
"""


def system_blas() -> str:
    for pattern in ("/usr/lib/x86_64-linux-gnu/libblas.so.3", "/usr/lib/*/libblas.so.3", "/usr/lib/libblas.so.3"):
        found = glob.glob(pattern)
        if found:
            return os.path.realpath(found[0])
    return ""


def child_env(wait: str, preload: str = "") -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS",
                                                             "OPENBLAS_NUM_THREADS", "LD_PRELOAD")}
    if wait:
        env["OMP_WAIT_POLICY"] = wait
    if preload:
        env["LD_PRELOAD"] = preload
    return env


def run(code: str, env: dict, timeout: float = 900) -> dict:
    proc = subprocess.run([sys.executable, "-c", common.child_header() + code], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=common.ROOT)
    lines = [ln for ln in proc.stdout.strip().splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"child failed (exit {proc.returncode}): {proc.stderr.strip()[-1500:]}")
    return json.loads(lines[-1])


def main() -> None:
    ap = common.parser("bench_under_load", __doc__, repeats=3)
    ap.add_argument("--quick", action="store_true", help="mini model only, no whole task (a few seconds)")
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    kinds = ["mini"] if args.quick else ["mini", "released"]
    rows, records = [], []
    for kind in kinds:
        for wait in ("ACTIVE", "PASSIVE"):
            for threads in sorted({1, cores}):
                res = run(UNET_CHILD.format(kind=kind, threads=threads, repeats=args.repeats, limit_blas=False,
                                            loads=[0, 1, 2], spin=SPIN), child_env(wait))
                cell = {int(k): v["median"] for k, v in res["by_load"].items()}
                records.append(dict(kind=kind, wait=wait, threads=threads, **res))
                rows.append([kind, wait, threads, *(f"{cell[k] * 1000:.1f}" for k in (0, 1, 2)),
                             f"{cell[1] / cell[0]:.2f}", f"{cell[2] / cell[0]:.2f}"])
                print(" | ".join(str(c) for c in rows[-1]), flush=True)
    md = ["# Speed under load", "", common.machine_line(common.machine_info()), "",
          "One UNet call (classifier-free-guidance batch of 2), median ms; ratio = loaded / quiet time.", "",
          common.table(["model", "OpenMP wait", "threads", "quiet ms", "1 busy ms", "2 busy ms", "x (1 busy)",
                        "x (2 busy)"], rows)]

    blas = system_blas()
    blas_rows = []
    if blas:
        for kind in kinds:
            cell = {}
            for label, preload, limit in (("no foreign BLAS (CLI)", "", False),
                                          ("system OpenBLAS first (QGIS)", blas, False),
                                          ("system OpenBLAS first, limited to 1 thread", blas, True)):
                res = run(UNET_CHILD.format(kind=kind, threads=cores, repeats=args.repeats, limit_blas=limit,
                                            loads=[0], spin=SPIN), child_env("PASSIVE", preload))
                cell[label] = res["by_load"]["0"]["median"]
                records.append(dict(kind=kind, blas_case=label, **res))
            base = cell["no foreign BLAS (CLI)"]
            for label, value in cell.items():
                blas_rows.append([kind, label, f"{value * 1000:.1f}", f"{value / base:.2f}"])
        md += ["", f"Foreign BLAS ({blas} preloaded, {cores} torch threads, passive wait, quiet):", "",
               common.table(["model", "case", "ms", "x CLI"], blas_rows)]

    if not args.quick:
        task_rows = []
        for policy, wait in (("product", ""), ("old", "ACTIVE")):
            cell, est = {}, {}
            for load in (0, 1):
                with competitors(load):
                    res = run(TASK_CHILD.format(policy=policy), child_env(wait))
                cell[load] = res["seconds"]
                est[load] = res["estimated"]
                records.append(dict(task="super_resolve", policy=policy, competitors=load, **res))
            task_rows.append([policy, res["threads_in_force"], res["wait_in_force"], f"{cell[0]:.1f}", f"{cell[1]:.1f}",
                              f"{cell[1] / cell[0]:.2f}", f"{est[0]:.1f}"])
            print(" | ".join(str(c) for c in task_rows[-1]), flush=True)
        md += ["", "Whole task: super-resolve the 13-band sample (400 x 404 px, 10 steps) through the API:", "",
               common.table(["policy", "threads", "OpenMP wait", "quiet s", "1 busy s", "x", "estimated s (quiet)"],
                            task_rows)]
    common.write_results(args.out, {"records": records, "machine": common.machine_info()}, "\n".join(md))


if __name__ == "__main__":
    main()
