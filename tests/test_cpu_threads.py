"""The CPU thread policy (backend/cpu_threads.py) and the time estimate (backend/estimate.py), for real:
fresh interpreters for what must happen before torch loads, the system OpenBLAS preloaded as in QGIS,
and real jobs on the bundled model."""

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SAMPLES = ROOT / "resources" / "samples"
S2 = SAMPLES / "slovenia_s2l1c_13band.tif"


def python(code: str, **env) -> dict:
    """Run ``code`` in a fresh interpreter with ``env`` (None removes a variable); its last line is JSON."""
    full = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "LD_PRELOAD",
                                                             "OPENBLAS_NUM_THREADS")}
    full.update({k: v for k, v in env.items() if v is not None})
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, cwd=ROOT,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_prepare_sets_a_passive_wait_before_torch_loads():
    out = python("import json, os\nfrom backend import cpu_threads\nfirst = cpu_threads.prepare()\nimport torch\n"
                 "print(json.dumps([first, os.environ.get('OMP_WAIT_POLICY')]))")
    assert out == [True, "PASSIVE"]


def test_prepare_keeps_the_users_choice_and_is_too_late_after_torch():
    out = python("import json, os\nfrom backend import cpu_threads\ncpu_threads.prepare()\n"
                 "print(json.dumps(os.environ.get('OMP_WAIT_POLICY')))", OMP_WAIT_POLICY="ACTIVE")
    assert out == "ACTIVE"
    out = python("import json, os, torch\nfrom backend import cpu_threads\nfirst = cpu_threads.prepare()\n"
                 "print(json.dumps([first, os.environ.get('OMP_WAIT_POLICY')]))")
    assert out == [False, None], "torch was loaded first: the policy cannot change, so none is claimed"


@pytest.mark.parametrize("entry", ["backend.api", "training"])
def test_entry_points_prepare_before_torch(entry):
    out = python(f"import json, os, sys\nimport {entry}\n"
                 "print(json.dumps([os.environ.get('OMP_WAIT_POLICY'), 'torch' in sys.modules]))")
    assert out[0] == "PASSIVE"


def system_openblas():
    found = sorted(glob.glob("/usr/lib/*/libblas.so.3") + glob.glob("/usr/lib/*/openblas*/libblas.so.3"))
    for path in found:
        if "openblas" in os.path.realpath(path):
            return os.path.realpath(path)
    return None


def test_foreign_openblas_in_the_global_scope_is_limited_to_one_thread():
    """As in qgis.bin (GDAL loads the system OpenBLAS before torch): torch's sgemm_ binds to it, so its
    threads would compete with torch's; the backend sets it to one thread."""
    blas = system_openblas()
    if blas is None:
        pytest.skip("no system OpenBLAS on this machine (QGIS's Debian packages bring one)")
    code = ("import ctypes, json\nfrom backend import cpu_threads\nscope = ctypes.CDLL(None)\n"
            "before = scope.openblas_get_num_threads()\nname = cpu_threads.limit_foreign_blas(1)\n"
            "print(json.dumps([before, name, scope.openblas_get_num_threads()]))")
    before, name, after = python(code, LD_PRELOAD=blas, OMP_NUM_THREADS="2")
    assert name == "openblas_set_num_threads" and after == 1 and before >= 1
    # the user's own setting wins, and a BLAS loaded privately (numpy's, in a plain CLI) is left alone
    assert python("import json\nfrom backend import cpu_threads\n"
                  "print(json.dumps(cpu_threads.limit_foreign_blas(1)))", LD_PRELOAD=blas,
                  OPENBLAS_NUM_THREADS="2") is None
    assert python("import json, numpy\nfrom backend import cpu_threads\n"
                  "print(json.dumps(cpu_threads.limit_foreign_blas(1)))") is None


def test_auto_threads_follow_the_work_per_call():
    from backend.cpu_threads import auto_threads

    mini, released = 2_380_000, 865_000_000
    assert auto_threads(mini, 8 * 8, cores=2) == 1  # 64 px tiles: synchronisation costs more than it brings
    assert auto_threads(mini, 32 * 32, cores=2) == 2
    assert auto_threads(released, 32 * 32, cores=4) == 4


def test_reserved_cores_are_left_where_there_are_enough():
    from backend import cpu_threads

    released = 865_000_000
    cpu_threads.reserve_cores(1)
    try:
        assert cpu_threads.auto_threads(released, 1024, cores=8) == 7
        assert cpu_threads.auto_threads(released, 1024, cores=2) == 2  # one thread would be 1.5x slower
        assert cpu_threads.auto_threads(2_380_000, 64, cores=8) == 1
    finally:
        cpu_threads.reserve_cores(0)


def test_jobs_apply_the_policy_and_the_users_setting():
    code = ("import json, tempfile, os, torch\nfrom backend.api import DiffusionSat\n"
            "ds = DiffusionSat.from_pretrained('diffusionsat-mini')\nout = []\n"
            "for threads in (None, 2):\n"
            "    with tempfile.TemporaryDirectory() as tmp:\n"
            f"        ds.super_resolve({str(S2)!r}, output=os.path.join(tmp, 'sr.tif'), steps=1, seed=1,\n"
            "                         quicklook=False, threads=threads)\n"
            "    out.append(torch.get_num_threads())\n"
            "print(json.dumps(out))")
    assert python(code) == [1, 2]  # the mini model at 64 px: one thread; an explicit count wins
    assert python(code, OMP_NUM_THREADS="2")[0] == 2  # the user's environment wins over the automatic choice


def test_threads_are_validated():
    from backend.jobs import JobError, SamplingOptions

    with pytest.raises(JobError, match="threads"):
        SamplingOptions(threads=0).validate()
    SamplingOptions(threads=3).validate()


def test_estimate_counts_the_tiles_the_task_runs(tmp_path):
    from backend.api import DiffusionSat, JobResult
    from backend.jobs import SuperResolveJob, SamplingOptions

    ds = DiffusionSat.from_pretrained("diffusionsat-mini")
    job = SuperResolveJob(input=str(S2), output=str(tmp_path / "sr.tif"), sampling=SamplingOptions(steps=2, seed=3))
    est = ds.estimate(job)
    result: JobResult = ds.run(job, quicklook=False)
    assert est.tiles == result.tiles == 16 and est.steps == 2
    assert est.step_seconds > 0 and est.decode_seconds > 0 and est.seconds > est.tiles * est.steps * est.step_seconds
    assert est.text().startswith("about ") and "16 tiles x 2 steps" in est.text()


def test_cli_says_how_long_before_starting(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="2")
    proc = subprocess.run([sys.executable, "-m", "backend", "--json", "super-resolve", str(S2), "-o",
                           str(tmp_path / "sr.tif"), "--steps", "1", "--seed", "1", "--threads", "1",
                           "--no-quicklook"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    first = proc.stderr.strip().splitlines()[0]
    assert first.startswith("diffusionsat: super-resolve will take about ") and "1 thread)" in first, first
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["estimate_seconds"] > 0
    bad = subprocess.run([sys.executable, "-m", "backend", "super-resolve", str(S2), "-o", str(tmp_path / "x.tif"),
                          "--threads", "0"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert bad.returncode == 2 and "threads must be between 1 and 1024" in bad.stderr
    assert not Path(tmp_path / "x.tif").exists()
