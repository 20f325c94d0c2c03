"""`python3 build.py eval`: the quality table runs end to end on the committed crops with the bundled model."""

import json
import math
import subprocess
import sys

from tests.conftest import ROOT

DATA = ROOT / "tests" / "data"


def _data_with_a_series(tmp_path):
    """tests/data plus a sub-folder holding a dated series of one place (the three sample frames)."""
    data = tmp_path / "data"
    data.mkdir()
    for p in DATA.iterdir():
        if p.is_file():
            (data / p.name).symlink_to(p)
    series = data / "slovenia_series"
    series.mkdir()
    for i, day in zip((2, 3, 4), ("20170601", "20170701", "20170801")):
        (series / f"frame_{day}.tif").symlink_to(ROOT / "resources" / "samples" / f"slovenia_s2l1c_frame{i}_rgb.tif")
    return data


def test_build_eval_scores_the_bundled_model_and_every_baseline(tmp_path):
    out = tmp_path / "eval.json"
    summary_json = tmp_path / "summary.json"
    masks = DATA / "slovenia_s2_cloudmask_4dates.tif"  # a committed crop, not the data folder
    proc = subprocess.run([sys.executable, str(ROOT / "build.py"), "eval", "--data", str(_data_with_a_series(tmp_path)),
                           "--masks", str(masks), "--max-tiles", "1", "--steps", "2", "--guidance", "1",
                           "--tile", "32", "--out", str(out), "--json", str(summary_json), "--no-product"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    tasks = json.loads(out.read_text())["tasks"]
    baselines = {"sr": "bicubic", "inpaint": "biharmonic", "predict": "most recent clear frame"}
    for task, baseline in baselines.items():
        summary = tasks[task]["summary"]
        assert not tasks[task]["errors"], tasks[task]["errors"]
        model = [k for k in summary if k.startswith("model") and "consistency" not in k]
        assert summary[baseline]["tiles"] > 0 and len(model) == 1, summary.keys()
        assert summary[model[0]]["tiles"] > 0 and math.isfinite(summary[model[0]]["PSNR"])
    assert "PSNR in mask" in tasks["inpaint"]["summary"]["biharmonic"]
    # inpainting also scores what the product writes: anchored fill, self-check, classical fallback
    product = [v for k, v in tasks["inpaint"]["summary"].items() if k.startswith("product")]
    assert len(product) == 1 and 0.0 <= product[0]["fallback share"] <= 1.0
    assert math.isfinite(product[0]["colour error in mask"]) and math.isfinite(product[0]["texture error in mask"])
    kept = [v for k, v in tasks["sr"]["summary"].items() if k.endswith("+ consistency")]
    # the written SR output block-averages back to its input (back-projection), unlike the raw network output
    assert kept and kept[0]["consistency PSNR"] > 60
    assert out.with_suffix(".md").read_text().count("| method |") == 5  # one per task, and cloud removal
    # the dated series: its last date predicted by the product (backtest, fallback) vs the most recent frame
    series = tasks["series"]["summary"]
    assert series["product"]["tiles"] == series["most recent frame, matched"]["tiles"] > 0
    assert 0.0 <= series["product"]["fallback share"] <= 1.0
    # --json: per task, what the product writes and the classical baseline, tiles and scenes
    summary = json.loads(summary_json.read_text())
    assert summary["inpaint"]["baseline_row"] == "biharmonic" and summary["inpaint"]["product"]["PSNR in mask"]
    assert summary["series"]["baseline_row"] == "most recent frame, matched"
    assert summary["series"]["product"]["PSNR"] and summary["series"]["persistence"]["SSIM"]
    assert summary["series"]["scenes"] and summary["inpaint"]["tiles"] > 0 and summary["inpaint"]["scenes"]
    assert summary["sr"]["product"] is None  # --no-product: no whole rasters through the task
    # clouds of the series' last date removed with the other dates, against biharmonic, inside the mask
    removal = summary["cloud_removal"]
    assert removal["baseline"]["PSNR in mask"] and removal["product"]["PSNR in mask"] and removal["tiles"] == 1
    # and against the most recent frame matched on the target's clear pixels (the prediction bar's setting)
    assert removal["matched_recent"]["tiles"] == 1 and removal["matched_recent"]["PSNR in mask"]
