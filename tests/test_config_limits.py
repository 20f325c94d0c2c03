"""A model folder whose configs ask for absurd sizes is refused before anything is allocated (exit 4, the
key and the limit named); released and bundled configs pass; tile sizes are bounded."""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT

BUNDLED = ROOT / "resources" / "models" / "diffusionsat-mini"
S2 = ROOT / "resources" / "samples" / "slovenia_s2l1c_13band.tif"


def test_released_and_bundled_configs_pass_and_are_estimated():
    from backend.checkpoints.limits import check_model_config, estimated_parameters

    official = json.loads((ROOT / "tests/data/parity/official/satunet_sd21.config.json").read_text())
    check_model_config(official, "satunet_sd21")
    assert 0.5e9 < estimated_parameters(official) < 2e9  # the released SatUNet has 0.87 G parameters
    for config in BUNDLED.glob("*/config.json"):
        check_model_config(json.loads(config.read_text()), str(config))


@pytest.mark.parametrize("component, file, change, key", [
    ("unet", "config.json", {"block_out_channels": [100000]}, "block_out_channels"),
    ("unet", "config.json", {"layers_per_block": 1e7}, "layers_per_block"),
    ("text_encoder", "config.json", {"max_position_embeddings": 4e9}, "max_position_embeddings"),
    ("scheduler", "scheduler_config.json", {"num_train_timesteps": 1e10}, "num_train_timesteps"),
    (".", "diffusionsat.json", {"tile_size": 100000}, "tile_size"),
], ids=["channels", "layers", "positions", "timesteps", "tile-size"])
def test_absurd_configs_are_refused_before_allocating(tmp_path, component, file, change, key):
    model = tmp_path / "model"
    shutil.copytree(BUNDLED, model)
    path = model / component / file
    config = json.loads(path.read_text()) if path.exists() else {}
    config.update(change)
    path.write_text(json.dumps(config))
    env = dict(os.environ, OMP_NUM_THREADS="1")
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "backend", "--quiet", "super-resolve", str(S2), "--model",
                           str(model), "-o", str(tmp_path / "x.tif"), "--steps", "1"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 4, proc.stderr
    assert key in proc.stderr and "at most" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert time.monotonic() - started < 120 and not (tmp_path / "x.tif").exists()


def test_tile_size_is_bounded():
    from backend.jobs import JobError, TilingOptions

    with pytest.raises(JobError, match="from 32 to 4096"):
        TilingOptions(tile_size=100000).validate()
    TilingOptions(tile_size=4096, overlap=32).validate()
