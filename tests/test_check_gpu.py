"""The GPU check script runs in CI in its tiny CPU form, so that it still works when a GPU is lent."""

import json
import os
import subprocess

from tests.conftest import ROOT


def test_check_gpu_script_runs_tiny_on_cpu(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="2", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run(["bash", str(ROOT / "tests" / "device" / "check_gpu.sh"), str(tmp_path), "--tiny"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    report = json.loads((tmp_path / "check_gpu.json").read_text())
    assert report["tiny"] and report["fp32_parity_ok"]
    assert set(report["parity"]) == {"float32", "bfloat16"}
    for model in ("unet", "controlnet", "controlnet3d"):
        assert report["parity"]["float32"][model]["max_abs_diff"] <= 1e-3
        assert report["parity"]["bfloat16"][model]["max_abs_diff"] > 0  # really ran in another precision
    assert len(report["timing"]) == 2
    for row in report["timing"]:
        assert "error" not in row, row
        assert row["super_resolve"]["finite"] and row["generate"]["finite"]
    assert report["whole_task"]["written"] and report["whole_task"]["tiles"] == 16
    assert "| float32 |" in (tmp_path / "check_gpu.md").read_text()
