"""BackendTask in the real QGIS task manager: progress, result, error and cancel reach the main thread."""

import threading
import time

from qgis.core import QgsApplication

from tests.conftest import import_plugin_package

import_plugin_package()
from diffusionsat.plugin.tasks import BackendTask  # noqa: E402


def run_task(qtbot, work, timeout=20000):
    seen = {}
    task = BackendTask(
        "test task",
        work,
        on_done=lambda result: seen.setdefault("done", result),
        on_error=lambda msg, details: seen.setdefault("error", (msg, details)),
        on_cancel=lambda: seen.setdefault("cancelled", True),
    )
    progress = []
    task.progressChanged.connect(progress.append)
    QgsApplication.taskManager().addTask(task)
    return task, seen, progress


def test_result_and_progress(qgis_app, qtbot):
    worker_threads = []

    def work(progress, cancelled):
        worker_threads.append(threading.get_ident())
        for i in range(5):
            progress((i + 1) / 5)
        return 42

    task, seen, progress = run_task(qtbot, work)
    qtbot.waitUntil(lambda: "done" in seen, timeout=20000)
    assert seen["done"] == 42
    assert worker_threads and worker_threads[0] != threading.get_ident(), "work must run off the main thread"
    qtbot.waitUntil(lambda: progress and progress[-1] == 100.0, timeout=5000)


def test_error_is_reported_not_raised(qgis_app, qtbot):
    def work(progress, cancelled):
        raise ValueError("the raster has no CRS")

    task, seen, _ = run_task(qtbot, work)
    qtbot.waitUntil(lambda: "error" in seen, timeout=20000)
    message, details = seen["error"]
    assert message == "the raster has no CRS" and "ValueError" in details


def test_cancel_stops_between_steps(qgis_app, qtbot):
    steps = []
    started = threading.Event()

    def work(progress, cancelled):
        started.set()
        for i in range(500):
            if cancelled():
                return None
            steps.append(i)
            time.sleep(0.01)
        return "finished"

    task, seen, _ = run_task(qtbot, work)
    qtbot.waitUntil(started.is_set, timeout=20000)
    task.cancel()
    qtbot.waitUntil(lambda: "cancelled" in seen, timeout=20000)
    assert "done" not in seen and len(steps) < 500
