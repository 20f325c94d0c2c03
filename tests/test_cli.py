"""The command line, as a user runs it: `python -m backend ...` in a subprocess."""

import json
import os
import subprocess
import sys

import pytest
import rasterio

from tests.conftest import DATA, ROOT

MODEL = str(DATA / "parity")
S2 = str(DATA / "slovenia_s2l1c_ref0.tif")
LANDSAT = str(DATA / "landsat8_224078_20200518_rgb_edge.tif")
FAST = ["--model", MODEL, "--steps", "2", "--tile-size", "64", "--overlap", "16", "--seed", "3"]


def cli(*args, cwd=None):
    env = dict(os.environ, OMP_NUM_THREADS="2")
    return subprocess.run([sys.executable, "-m", "backend", *map(str, args)], cwd=cwd or ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def summary(proc):
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_generate_json_and_quicklook(tmp_path):
    out = tmp_path / "gen.tif"
    proc = cli("generate", "--bbox", 500000, 4100000, 500900, 4100700, "--crs", "EPSG:32633", "--gsd", 10,
               "--date", "2021-03-04", "--prompt", "farmland", "-o", out, "--json", "--quiet", *FAST)
    data = summary(proc)
    assert data["ok"] and data["task"] == "generate" and data["seed"] == 3
    # 90 x 70 px at 10 m, to the nearest multiples of 8 over exactly the extent (900 m / 88 px = 10.2 m)
    assert data["grid"]["width"] == 88 and data["grid"]["height"] == 72
    assert data["grid"]["transform"][2] == 500000 and data["grid"]["transform"][0] == pytest.approx(900 / 88)
    assert out.exists() and (tmp_path / "gen.png").exists()


def test_super_resolve_inpaint_predict(tmp_path):
    sr = summary(cli("--json", "super-resolve", S2, "-o", tmp_path / "sr.tif", *FAST))
    assert sr["grid"]["width"] == 200

    with rasterio.open(LANDSAT) as src:
        profile = src.profile
        qa = src.read(1) * 0
    qa[40:60, 50:90] = 1 << 3  # QA_PIXEL cloud bit
    profile.update(count=1, dtype="uint16")
    with rasterio.open(tmp_path / "qa.tif", "w", **profile) as dst:
        dst.write(qa, 1)
    ip = summary(cli("--json", "inpaint", LANDSAT, "--mask-raster", tmp_path / "qa.tif", "--mask-bits", 3,
                     "--dilate", 30, "-o", tmp_path / "ip.tif", *FAST))
    assert ip["task"] == "inpaint"

    pr = summary(cli("--json", "predict", f"{LANDSAT}:2020-05-18", LANDSAT, "--target-date", "2020-08-01",
                     "-o", tmp_path / "pr.tif", *FAST))
    assert pr["task"] == "predict"
    with rasterio.open(tmp_path / "pr.tif") as ds:
        assert json.loads(ds.tags()["DIFFUSIONSAT_FRAMES"])[0][1] == "2020-05-18"


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["super-resolve", S2, "--bands", "B99", "-o", "{tmp}/x.tif", *FAST], 2, "band 'B99' is not in the raster"),
        (["super-resolve", S2, "--bands", "1", "2", "3", "1", "2", "3", "1", "2", "3", "1", "-o", "{tmp}/x.tif",
          *FAST], 2, "1, 2, 3 are chosen more than once"),
        (["super-resolve", "{tmp}/missing.tif", "-o", "{tmp}/x.tif"], 3, "file not found"),
        (["generate", "--bbox", 10, 95, 11, 96, "--crs", "EPSG:4326", "--gsd", 10, "-o", "{tmp}/x.tif", *FAST], 2,
         "latitude"),
        (["generate", "--bbox", 0, 0, 1, 1, "--crs", "EPSG:4326", "--gsd", 10, "--date", "2021-02-30",
          "-o", "{tmp}/x.tif"], 2, "not a real date"),
        (["super-resolve", S2, "-o", "{tmp}/no/such/folder/x.tif", *FAST], 3, "output folder does not exist"),
        (["super-resolve", S2, "-o", "{tmp}/a_file/x.tif", *FAST], 3, "output folder does not exist"),
        (["generate", "--bbox", 0, 0, 1, 1, "--crs", "EPSG:4326", "--gsd", 10, "-o", "{tmp}/x.tif",
          "--model", "no-such-model"], 4, "no-such-model"),
    ],
    ids=["unknown-band", "duplicate-bands", "missing-file", "out-of-range-lat", "bad-date", "missing-folder", "parent-is-file",
         "unknown-model"],
)
def test_bad_arguments_give_one_clear_line_and_no_file(tmp_path, args, code, message):
    (tmp_path / "a_file").write_text("not a folder")
    before = sorted(p.name for p in tmp_path.iterdir())
    proc = cli(*[str(a).replace("{tmp}", str(tmp_path)) for a in args], "--quiet")
    assert proc.returncode == code, proc.stderr
    lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("diffusionsat: error:"), proc.stderr
    assert message.lower() in lines[0].lower()
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_debug_shows_the_traceback(tmp_path):
    proc = cli("--debug", "super-resolve", tmp_path / "missing.tif", "-o", tmp_path / "x.tif")
    assert proc.returncode != 0 and "Traceback" in proc.stderr


def test_info_and_models():
    info = summary(cli("--json", "info", S2))
    assert info["count"] == 13 and info["crs"] == "EPSG:32633" and info["metadata"]["gsd"] == pytest.approx(10)
    models = summary(cli("--json", "models"))
    names = [m["name"] for m in models["models"]]
    assert "diffusionsat-mini" in names and "diffusionsat-512" in names


def test_the_model_folders_caveat_is_said_and_tagged(tmp_path):
    """The bundled model's diffusionsat.json says its generated images show no recognisable land cover: the
    CLI says so on stderr, the JSON carries it, and so does the output file for whoever opens it later."""
    out = tmp_path / "gen.tif"
    bundled = str(ROOT / "resources" / "models" / "diffusionsat-mini")
    proc = cli("generate", "--bbox", 500000, 4100000, 500640, 4100640, "--crs", "EPSG:32633", "--gsd", 10,
               "-o", out, "--json", "--no-quicklook", "--model", bundled, "--steps", "2", "--seed", "3")
    data = summary(proc)
    assert "no recognisable" in data["caveat"]
    assert f"about this model: {data['caveat']}" in proc.stderr
    with rasterio.open(out) as ds:
        assert ds.tags()["DIFFUSIONSAT_MODEL_CAVEAT"] == data["caveat"]
