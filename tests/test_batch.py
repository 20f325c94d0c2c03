"""Batches in this process (issue 16): inputs, report, VRT, failures, resume after a cancel, and a raster
split into blocks that equals the single-process output bit for bit. The Dask cluster is in test_batch_dask.py."""

import json
import shutil
import sys
import threading

import numpy as np
import pytest
import rasterio

from backend.batch import BatchInputError, run_batch
from backend.batch.fingerprint import FINGERPRINT_TAG
from backend.batch.inputs import BatchItem, expand_inputs, output_names
from backend.batch.job_specs import make_job
from backend.cancel import Cancelled
from tests.conftest import DATA, ROOT

SAMPLE = ROOT / "resources" / "samples" / "slovenia_s2l1c_13band.tif"
REF = DATA / "slovenia_s2l1c_ref0.tif"
# one denoising step, the model on every tile: fast, and the model's output is what is compared
MODEL = str(ROOT / "resources" / "models" / "diffusionsat-mini")
FAST = dict(model=MODEL, steps=1, seed=3, fallback=False, quicklook=False, tile_size=256)


def scenes(folder, count):
    folder.mkdir()
    sources = [SAMPLE, REF]
    for k in range(count):
        shutil.copy(sources[k % 2], folder / f"scene{k}.tif")
    return sorted(folder.glob("*.tif"))


def test_inputs_from_globs_folders_and_manifests(tmp_path):
    files = scenes(tmp_path / "in", 3)
    (tmp_path / "list.txt").write_text("# two scenes, one with its own mask\n"
                                       "in/scene0.tif\n"
                                       "in/scene1.tif  mask=m.tif mask_classes=3,8  # clouds\n")
    items = expand_inputs([str(tmp_path / "in" / "scene[01].tif"), tmp_path / "in", tmp_path / "list.txt"])
    assert [i.name for i in items] == [str(f) for f in files[:2] + files + files[:2]]
    assert items[-1].options == {"mask": str(tmp_path / "m.tif"), "mask_classes": "3,8"}
    names = output_names("superres", items)
    assert names[:3] == ["scene0_sr.tif", "scene1_sr.tif", "scene0-2_sr.tif"] and len(set(names)) == len(names)
    job = make_job("inpaint", items[-1], {"steps": 4, "mask_raster": "ignored.tif"}, str(tmp_path / "o.tif"))
    assert job.mask.raster == str(tmp_path / "m.tif") and list(job.mask.classes) == [3, 8] and job.sampling.steps == 4
    templated = make_job("inpaint", BatchItem(["a/x.tif"]), {"mask_raster": "masks/{stem}_scl.tif"}, "o.tif")
    assert templated.mask.raster == "masks/x_scl.tif"
    with pytest.raises(BatchInputError, match="no file matches"):
        expand_inputs([str(tmp_path / "nothing*.tif")])


def test_batch_reports_a_corrupt_input_and_resumes_after_a_cancel(tmp_path):
    files = scenes(tmp_path / "in", 3)
    data = files[1].read_bytes()
    files[1].write_bytes(data[:len(data) // 2])  # truncated: a failed entry, the others run
    out = tmp_path / "out"
    cancel = threading.Event()

    def stop_after_first(done, total, item):
        if item and item["status"] == "done":
            cancel.set()

    with pytest.raises(Cancelled):
        run_batch("super-resolve", [tmp_path / "in"], out, cancel=cancel, progress=stop_after_first, **FAST)
    first = json.loads((out / "batch_report.json").read_text())
    assert [e["status"] for e in first["inputs"]] == ["done", "cancelled", "cancelled"]
    done_at = (out / "scene0_sr.tif").stat().st_mtime_ns

    report = run_batch("super-resolve", [tmp_path / "in"], out, **FAST)  # the rerun does only the rest
    statuses = [e["status"] for e in report.entries]
    assert statuses == ["skipped", "failed", "done"], report.entries
    assert (out / "scene0_sr.tif").stat().st_mtime_ns == done_at
    failed = report.entries[1]
    assert "scene1.tif" in failed["error"] and failed["output"] is None
    assert not (out / "scene1_sr.tif").exists() and not list(out.glob(".*"))  # nothing half written
    entry = report.entries[2]
    assert entry["tiles"] == 4 and entry["seconds"] > 0 and entry["error"] is None
    with rasterio.open(entry["output"]) as ds:
        assert ds.tags()[FINGERPRINT_TAG] == entry["fingerprint"] and ds.count == 3
    with rasterio.open(report.mosaic) as vrt:  # the mosaic of every output
        assert sorted(vrt.files[1:]) == sorted(str(out / n) for n in ("scene0_sr.tif", "scene2_sr.tif"))
    saved = json.loads(report.report.read_text())
    assert saved["counts"] == {"done": 1, "skipped": 1, "failed": 1, "cancelled": 0}


def test_blocks_merge_to_the_single_process_output_bit_for_bit(tmp_path):
    from backend.api import run_job
    from backend.batch.job_specs import make_job

    # 16 tiles of 32 input px starting at 0, 23, 45, 68: 4 blocks of about 50 px hold 9, 3, 3 and 1 tiles
    options = dict(FAST, tile_size=128)
    single = tmp_path / "single.tif"
    job_options = {k: v for k, v in options.items() if k not in ("quicklook", "model")}
    run_job(make_job("superres", BatchItem([str(SAMPLE)]), job_options, str(single)), model=MODEL, quicklook=False)
    report = run_batch("super-resolve", [SAMPLE], tmp_path / "out", block_size=60, **options)
    entry = report.entries[0]
    assert entry["status"] == "done" and entry["blocks"] == 4 and entry["tiles"] == 16
    with rasterio.open(single) as a, rasterio.open(entry["output"]) as b:
        assert np.array_equal(a.read(), b.read()) and a.transform == b.transform and a.crs == b.crs
        assert b.tags()["DIFFUSIONSAT_SEED"] == "3"
    assert not (tmp_path / "out" / ".blocks").exists()  # block files are removed after the merge


def test_dask_is_optional_with_a_clear_message(tmp_path, monkeypatch):
    from backend.batch.cluster import DaskMissingError

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    scenes(tmp_path / "in", 1)
    with pytest.raises(DaskMissingError, match=r"pip install 'dask\[distributed\]'"):
        run_batch("super-resolve", [tmp_path / "in"], tmp_path / "out", workers=2, **FAST)


def test_the_plugin_never_imports_dask_or_the_batch_package():
    """Only the 'Run on a Dask cluster' setting reaches Dask (plugin/cluster_jobs.py), and only inside the
    functions that run when it is on: nothing at module level, nowhere else in the plugin."""
    import re

    pattern = re.compile(r"^\s*(import|from)\s+(dask|distributed)\b|backend\.batch\b")
    for path in (ROOT / "plugin").rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if pattern.search(line) and not line.lstrip().startswith("#"):
                assert path.name == "cluster_jobs.py", f"{path}: {line.strip()}"
                assert line.startswith(" "), f"{path} imports at module level: {line}"
