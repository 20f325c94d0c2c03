"""The dock inside the real QGIS desktop is not slower than the CLI on the same job.

qgis.bin loads the system OpenBLAS (through GDAL) into the global symbol scope before torch, so torch's
matrix products run in it and its threads competed with torch's: the dock was 4.8x slower than the CLI.
The backend now limits that BLAS to one thread and waits passively (backend/cpu_threads.py). This test
runs the same small super-resolution in the QGIS desktop (the dock's Run button, a real QgsTask) and in
the CLI and fails when the dock takes more than 1.5x the CLI's time (each the job's own time, model
loading excluded; the better of two runs each, the CLI's before and after the dock's, as the machine is
shared).
"""

import json
import os
import subprocess
import sys
import zipfile

import pytest

from tests import qgis_desktop
from tests.conftest import DATA, ROOT

pytestmark = pytest.mark.skipif(not qgis_desktop.available(), reason="needs the qgis binary and xvfb-run")

S2 = DATA / "slovenia_s2l1c_ref0.tif"
STEPS = 10
BAR = 1.5

DOCK_RUN = """
import time
import qgis.utils
from qgis.core import QgsProject, QgsRasterLayer, QgsSettings
from qgis.PyQt.QtCore import QCoreApplication

store = QgsSettings()
for key, value in (("steps", {steps}), ("seed_mode", "fixed"), ("seed", "5"), ("samples", "1"),
                   ("output_folder", {out!r}), ("confirm_minutes", 0.0)):
    store.setValue("diffusionsat/" + key, value)
qgis.utils.updateAvailablePlugins()
qgis.utils.loadPlugin("diffusionsat")
qgis.utils.startPlugin("diffusionsat")
dock = qgis.utils.plugins["diffusionsat"].dock
layer = QgsRasterLayer({s2!r}, "s2")
QgsProject.instance().addMapLayer(layer)
page = dock.page("superres")
page.layer.setLayer(layer)
# the model must run on every tile (the self-check may write bicubic instead): this compares compute speed
build = page.build_job
def build_without_fallback():
    job = build()
    job.fallback = False
    return job
page.build_job = build_without_fallback
seconds, runs = [], []
from qgis.core import QgsApplication
manager = QgsApplication.taskManager()
for _ in range(2):
    page.last_result = None
    page.run_button.click()
    start = time.time()
    end = start + 300
    # the run starts after the background time estimate: wait for its result, not only for a running job
    while (page.running is not None or page.last_result is None) and time.time() < end:
        QCoreApplication.processEvents()
        time.sleep(0.01)
    seconds.append(getattr(page.last_result, "seconds", None))
    # what the dock and QGIS's task manager were doing: a run that never ends says where it stopped
    runs.append({{"waited": round(time.time() - start, 1), "status": page.status.text(),
                 "progress": page.progress.value(),
                 "task_status": None if page.running is None else int(page.running.status()),
                 "task_progress": None if page.running is None else page.running.progress(),
                 "active_tasks": [t.description() for t in manager.activeTasks()], "tasks": manager.count()}})
from diffusionsat.backend import cpu_threads
import torch
report({{"seconds": seconds, "runs": runs, "status": page.status.text(), "threads": cpu_threads.describe(),
         "torch_threads": torch.get_num_threads()}})
"""


def cli_seconds(tmp_path, k: int) -> float:
    env = {key: v for key, v in os.environ.items() if key not in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")}
    proc = subprocess.run([sys.executable, "-m", "backend", "--json", "--quiet", "super-resolve", str(S2),
                           "-o", str(tmp_path / f"cli_{k}.tif"), "--steps", str(STEPS), "--seed", "5",
                           "--no-quicklook", "--no-fallback"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]


def test_dock_in_qgis_is_as_fast_as_the_cli(tmp_path):
    import build

    archive = build.package(tmp_path / "dist")
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(tmp_path / "plugins")
    # the published zip leaves the model out (a download): install the checkout's folder in its place
    (tmp_path / "plugins" / "diffusionsat" / "resources" / "models").mkdir(exist_ok=True)
    (tmp_path / "plugins" / "diffusionsat" / "resources" / "models" / "diffusionsat-mini").symlink_to(
        ROOT / "resources" / "models" / "diffusionsat-mini")
    out = tmp_path / "outputs"
    out.mkdir()
    before = cli_seconds(tmp_path, 0)  # the CLI before and after the dock: load drifts hit both alike
    result = qgis_desktop.run_in_qgis(DOCK_RUN.format(steps=STEPS, out=str(out), s2=str(S2)), tmp_path,
                                      plugin_path=tmp_path / "plugins", timeout=600)
    cli = min(before, cli_seconds(tmp_path, 1))
    assert all(s is not None for s in result["seconds"]), result
    dock = min(result["seconds"])
    info = result["threads"]
    # inside qgis.bin the system OpenBLAS is in the global scope: it must have been limited
    assert info["foreign_blas_limited"] == "openblas_set_num_threads" and info["omp_wait_policy"] == "PASSIVE", info
    assert dock <= BAR * cli, f"dock {dock:.2f} s vs CLI {cli:.2f} s (x{dock / cli:.2f}); {result}"
