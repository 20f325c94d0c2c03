"""`python3 build.py eval`: the quality table runs end to end on the committed crops with the bundled model."""

import json
import math
import subprocess
import sys

from tests.conftest import ROOT

DATA = ROOT / "tests" / "data"


def test_build_eval_scores_the_bundled_model_and_every_baseline(tmp_path):
    out = tmp_path / "eval.json"
    masks = DATA / "slovenia_s2_cloudmask_4dates.tif"  # a committed crop, not the data folder
    proc = subprocess.run([sys.executable, str(ROOT / "build.py"), "eval", "--data", str(DATA), "--masks", str(masks),
                           "--max-tiles", "1", "--steps", "2", "--guidance", "1", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
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
    assert out.with_suffix(".md").read_text().count("| method |") == 3  # one table per task
