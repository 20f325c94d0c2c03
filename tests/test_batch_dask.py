"""Batches on a real Dask LocalCluster over loopback (issue 16): two worker processes run a batch of the
sample rasters, one of them split into blocks (equal to the in-process result), and a worker killed in the
middle of a batch still gives a complete batch."""

import os
import shutil
import signal
import threading
import time

import numpy as np
import pytest
import rasterio

from backend.batch import run_batch
from backend.batch.fingerprint import FINGERPRINT_TAG
from tests.conftest import DATA, ROOT

distributed = pytest.importorskip("distributed")

SAMPLE = ROOT / "resources" / "samples" / "slovenia_s2l1c_13band.tif"
REF = DATA / "slovenia_s2l1c_ref0.tif"
MODEL = str(ROOT / "resources" / "models" / "diffusionsat-mini")
FAST = dict(model=MODEL, steps=1, seed=3, fallback=False, quicklook=False, tile_size=256)


@pytest.fixture(scope="module")
def cluster():
    import dask

    # one torch thread per worker, as the batch's own LocalCluster sets on a 2-core machine
    env = {"OMP_NUM_THREADS": 1, "OMP_WAIT_POLICY": "PASSIVE"}
    with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                      silence_logs=40) as local:
            yield local


def copies(folder, sources):
    folder.mkdir()
    for k, src in enumerate(sources):
        shutil.copy(src, folder / f"scene{k}.tif")
    return sorted(folder.glob("*.tif"))


def valid_output(path, entry):
    with rasterio.open(path) as ds:
        assert ds.tags()[FINGERPRINT_TAG] == entry["fingerprint"]
        return ds.read()


def test_two_workers_run_a_batch_with_a_raster_split_into_blocks(cluster, tmp_path):
    copies(tmp_path / "in", [SAMPLE, REF])
    here = run_batch("super-resolve", [tmp_path / "in"], tmp_path / "here", **dict(FAST, tile_size=128))
    report = run_batch("super-resolve", [tmp_path / "in"], tmp_path / "dask", address=cluster.scheduler_address,
                       block_size=60, **dict(FAST, tile_size=128))
    assert report.where.startswith("dask tcp://127.0.0.1") and "(2 workers)" in report.where
    assert [e["status"] for e in report.entries] == ["done", "done"] and report.entries[0]["blocks"] == 4
    for a, b in zip(here.entries, report.entries):  # blocks on two workers == one process, bit for bit
        assert np.array_equal(valid_output(a["output"], a), valid_output(b["output"], b))
    with rasterio.open(report.mosaic) as vrt:
        assert len(vrt.files) == 3  # the VRT and its two outputs


def test_a_worker_killed_mid_batch_still_gives_a_complete_batch(cluster, tmp_path):
    files = copies(tmp_path / "in", [SAMPLE, REF, SAMPLE, REF])
    client = distributed.Client(cluster.scheduler_address)
    pids = client.run(os.getpid)  # worker address -> process id, from the scheduler
    one_done = threading.Event()
    result = {}

    def batch():
        def progress(done, total, item):
            if item:
                one_done.set()

        try:
            result["report"] = run_batch("super-resolve", [tmp_path / "in"], tmp_path / "out",
                                         address=cluster.scheduler_address, progress=progress, **FAST)
        except BaseException as exc:  # re-raised in the test below
            result["error"] = exc

    runner = threading.Thread(target=batch)
    runner.start()
    assert one_done.wait(240), "no input finished"
    killed = None
    deadline = time.monotonic() + 60
    while killed is None and time.monotonic() < deadline and runner.is_alive():
        busy = [addr for addr, keys in client.processing().items() if keys and addr in pids]
        if busy:
            killed = pids[busy[0]]
            os.kill(killed, signal.SIGKILL)
        else:
            time.sleep(0.05)
    runner.join(300)
    client.close()
    assert killed is not None, "the batch ended before a worker could be killed"
    assert "error" not in result, result.get("error")
    report = result["report"]
    assert [e["status"] for e in report.entries] == ["done"] * len(files), report.entries
    for e in report.entries:
        assert valid_output(e["output"], e).shape == (3, 404, 400)
    # the killed task's temporary file was removed by its retry (it leaves nothing half written)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [f"scene{k}_sr.tif" for k in range(len(files))] + ["batch_report.json", "mosaic.vrt"])
