"""The README's command-line and Python examples run as written (outputs redirected to a temporary folder)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
BUNDLED = ROOT / "resources" / "models" / "diffusionsat-mini"


def blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def tour_commands():
    (block,) = [b for b in blocks("bash") if "diffusionsat info" in b]
    return [line for line in block.strip().splitlines() if line and not line.startswith("source ")]


def redirect(text: str, out: Path) -> str:
    return text.replace("mkdir -p out", f"mkdir -p {out}").replace("out/", f"{out}/")


@pytest.fixture
def env():
    bindir = str(Path(sys.executable).parent)  # the venv's `diffusionsat`, as `source .venv/bin/activate` gives
    return dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""), OMP_NUM_THREADS="2")


def test_the_tour_has_every_task():
    text = "\n".join(tour_commands())
    for command in ("info", "super-resolve", "inpaint", "generate", "predict", "models"):
        assert f"diffusionsat {command}" in text or f"diffusionsat --json {command}" in text


def test_cli_tour_runs(tmp_path, env):
    assert (BUNDLED / "unet").is_dir(), "the bundled model is missing"
    for line in tour_commands():
        proc = subprocess.run(redirect(line, tmp_path), shell=True, cwd=ROOT, env=env,  # noqa: S602 (our README)
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"{line}\n{proc.stderr}"
    for name in ("superres", "filled", "generated", "predicted"):
        assert (tmp_path / f"{name}.tif").is_file() and (tmp_path / f"{name}.png").is_file()


def test_python_example_runs(tmp_path, env):
    (code,) = blocks("python")
    proc = subprocess.run([sys.executable, "-c", redirect(code, tmp_path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "superres_api.tif").is_file()
    assert "(3," in proc.stdout  # the array shape printed by the example
