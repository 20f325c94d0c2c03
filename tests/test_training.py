"""Tiny-config tests of the training package (reads only tests/data; a few seconds per trainer on a CPU)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("accelerate")

from training import metrics as M  # noqa: E402
from training.common import load_config, run  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
TINY = ROOT / "training" / "configs" / "tiny"

torch.set_num_threads(1)


def tiny(name: str, **train) -> dict:
    cfg = load_config(TINY / f"{name}_tiny.json")
    cfg["train"].update(train)
    return cfg


# ----------------------------------------------------------------------------- metrics
def test_metrics_on_known_inputs():
    rng = np.random.default_rng(0)
    a = rng.random((3, 48, 48))
    assert M.psnr(a, a) == math.inf
    assert M.ssim(a, a) == pytest.approx(1.0, abs=1e-12)
    assert M.spectral_angle(a, a) == 0.0
    # constant error 0.1 on range 1 -> 20 dB
    assert M.psnr(a, a + 0.1) == pytest.approx(20.0, abs=1e-9)
    # a spectrum scaled by a constant keeps its angle; orthogonal spectra are 90 degrees apart
    assert M.spectral_angle(a, 2.5 * a) == pytest.approx(0.0, abs=1e-7)
    e1 = np.zeros((3, 4, 4)); e1[0] = 1
    e2 = np.zeros((3, 4, 4)); e2[1] = 1
    assert M.spectral_angle(e1, e2, degrees=True) == pytest.approx(90.0)
    noisy = np.clip(a + 0.2 * rng.standard_normal(a.shape), 0, 1)
    assert 0 < M.ssim(a, noisy) < 0.9
    # masked PSNR only sees the masked pixels
    mask = np.zeros((48, 48), bool); mask[:10] = True
    b = a.copy(); b[:, 20:] += 0.5
    assert M.psnr(b, a, mask=mask) == math.inf


def test_baselines():
    y, x = np.mgrid[0:40, 0:40] / 40.0
    img = np.stack([np.sin(2 * x) + y ** 2, x * y, np.cos(2 * y)])
    mask = np.zeros((40, 40), bool); mask[12:28, 8:30] = True
    filled = M.biharmonic_fill(img * ~mask, mask)
    assert np.abs(filled - img)[:, mask].max() < 0.01
    assert np.array_equal(filled[:, ~mask], img[:, ~mask])
    low = M.area_downsample(img, 4)
    up = M.bicubic_upsample(low, 4)
    assert up.shape == img.shape and M.sr_consistency(up, low, 4) > 30


def test_sample_grid_stats_tell_blobs_speckle_and_the_real_kind():
    from training.sample_grid import sample_stats

    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:64, 0:64]
    fields = ((x // 10 + y // 13) % 2).astype(float)  # field-like blocks with edges every 10-13 px
    real = np.stack([0.3 + 0.3 * fields, 0.5 - 0.2 * fields, 0.2 + 0.1 * fields]) + rng.normal(0, 0.01, (3, 64, 64))
    same = sample_stats(real, [real])
    assert same["colour"] == 0 and same["texture"] == pytest.approx(1) and same["structure"] == pytest.approx(1)
    blob = np.broadcast_to(real.mean(axis=(1, 2), keepdims=True), real.shape) + 0.05 * np.sin(x / 20.0)
    flat = sample_stats(real, [blob])
    assert flat["colour"] < 0.05 and flat["texture"] < 0.1 and flat["structure"] < 0.5
    speckle = sample_stats(real, [real.mean() + rng.normal(0, 0.3, real.shape)])
    assert speckle["texture"] > 3 and speckle["colour"] > 0.05
    shifted = sample_stats(real, [np.roll(real, (7, 5), axis=(1, 2)) + 0.1])
    assert shifted["colour"] == pytest.approx(0.1, abs=0.01) and 0.7 < shifted["texture"] < 1.3
    smaller = sample_stats(real[:, :32, :48], [real])  # a real crop narrower than the samples
    assert smaller["colour"] < 0.05 and 0.7 < smaller["texture"] < 1.3


def test_evaluate_vae_scores_the_bundled_vae_on_a_real_scene():
    from backend.model_layout import folder_of
    from training.datasets.raster import load_scene
    from training.evaluate_vae import evaluate, spread_tiles, vae_folder
    from training.models import load_component

    scene = load_scene(DATA / "haiti_rgbn_5m_crop.tif", {"bands": [1, 2, 3], "scaling": "uint8"})
    h, w = scene.image.shape[1:]
    xy = spread_tiles(scene, 32, 4)
    assert len(xy) == 4 and all(0 <= x <= w - 32 and 0 <= y <= h - 32 for x, y in xy)
    assert xy[0] == (0, 0) and xy[-1] == (w - 32, h - 32)  # spread over the whole scene, corners included
    model = ROOT / "resources" / "models" / "diffusionsat-mini"
    assert vae_folder(model) == model / folder_of("vae") and vae_folder(model / "vae") == model / "vae"
    vae = load_component(vae_folder(model), "vae").eval()
    res = evaluate(vae, [scene], 32, 4)
    r = res[scene.name]
    assert r["tiles"] == 4 and res["mean"]["psnr"] == pytest.approx(r["psnr"])
    assert 12 < r["psnr"] < 40 and 0.2 < r["ssim"] < 1  # a real, imperfect reconstruction
    assert 0.3 < r["texture"] < 1.5 and 0.3 < r["structure"] < 2


def test_min_snr_weights_match_x0_space_derivation():
    from training.diffusion import compute_snr, make_train_scheduler, min_snr_weights

    sched = make_train_scheduler("v_prediction")
    t = torch.tensor([1, 50, 300, 700, 999])
    snr = compute_snr(sched, t)
    x0 = torch.randn(5, 4, 3, 3)
    eps = torch.randn(5, 4, 3, 3)
    v_hat = torch.randn(5, 4, 3, 3)
    ac = sched.alphas_cumprod[t].view(-1, 1, 1, 1)
    a, s = ac.sqrt(), (1 - ac).sqrt()
    xt = a * x0 + s * eps
    v = a * eps - s * x0
    x0_hat = a * xt - s * v_hat
    lhs = min_snr_weights(snr, 5.0, "v_prediction") * ((v - v_hat) ** 2).mean(dim=(1, 2, 3))
    rhs = torch.clamp(snr, max=5.0) * ((x0 - x0_hat) ** 2).mean(dim=(1, 2, 3))
    assert torch.allclose(lhs, rhs, rtol=1e-4, atol=1e-6)
    assert torch.allclose(min_snr_weights(snr, 5.0, "epsilon"), torch.clamp(snr, max=5.0) / snr)


# ----------------------------------------------------------------------------- data
def test_metadata_dropout():
    from training.datasets.dropout import metadata_dropout

    vec = np.full((20000, 7), 500.0, np.float32)
    out = metadata_dropout(vec, np.random.default_rng(0), 0.1)
    frac = (out == 0).mean()
    assert 0.09 < frac < 0.11
    assert set(np.unique(out)) <= {0.0, 500.0}


def test_geotiff_crops_metadata_holdout_and_captions():
    import backend.geo._proj  # noqa: F401  (PROJ data for pyproj inside the venv)
    import pyproj
    from affine import Affine

    from training.datasets.geotiff import GeoTiffCrops
    from training.datasets.raster import discover, load_source_specs, split_columns

    specs = load_source_specs(ROOT / "training/configs/data_sources.json")
    scenes = discover(DATA, specs, include=["landsat8_*", "haiti_*", "betsiboka_*", "landsat5_nocrs*"])
    by = {s.name: s for s in scenes}
    l8 = by["landsat8_224078_20200518_rgb_edge.tif"]
    assert l8.date == dt.date(2020, 5, 18)
    train = GeoTiffCrops(scenes, size=32, split="train", zooms=(1, 2), min_holdout=16)
    rng = np.random.default_rng(1)
    for _ in range(40):
        it = train.sample(rng)
        scene = by[it["scene"]]
        x0, y0, w, h = it["window"]
        c0, c1 = split_columns(scene.width, "train", 0.25, 16)
        assert c0 <= x0 and x0 + w <= c1
        m = it["meta"]
        if scene.crs is not None:
            cx, cy = (scene.transform * Affine.translation(x0, y0)) * (w / 2, h / 2)
            lon, lat = pyproj.Transformer.from_crs(scene.crs.to_wkt(), "EPSG:4326", always_xy=True).transform(cx, cy)
            assert m.lon == pytest.approx(lon, abs=1e-9) and m.lat == pytest.approx(lat, abs=1e-9)
        else:
            assert m.lon is None and m.gsd is None
        if scene is l8:
            assert m.gsd == pytest.approx(30.0 * w / 32)
            assert it["caption"] == "a landsat 8 satellite image in south america"
            assert m.date == dt.date(2020, 5, 18)
        if scene.name.startswith("betsiboka"):  # EPSG:4326: pixel size in degrees -> metres
            assert 60 < m.gsd / (w / 32) < 80
    ev = GeoTiffCrops(scenes, size=32, split="eval", min_holdout=16)
    for _ in range(20):
        it = ev.sample(rng)
        scene = by[it["scene"]]
        c0, c1 = split_columns(scene.width, "eval", 0.25, 16)
        assert c0 <= it["window"][0] and it["window"][0] + 32 <= c1


def test_fmow_adapter_official_caption(tmp_path):
    from PIL import Image

    from training.datasets.fmow import FMoWDataset
    from training.datasets.raster import load_scene

    scene = load_scene(DATA / "haiti_rgbn_5m_crop.tif", {"bands": [1, 2, 3], "scaling": "uint8"})
    rgb = (scene.image[:, :96, :96].transpose(1, 2, 0) * 255).round().astype(np.uint8)
    d = tmp_path / "fmow" / "train" / "amusement_park" / "amusement_park_0"
    d.mkdir(parents=True)
    Image.fromarray(rgb).save(d / "amusement_park_0_0_rgb.png")
    info = {"gsd": 0.5, "cloud_cover": 20, "timestamp": "2016-03-04T15:01:02Z", "country_code": "ARG",
            "img_width": 96, "img_height": 96,
            "bounding_boxes": [{"category": "amusement_park", "box": [10, 10, 50, 50], "ID": 1}],
            "raw_location": "POLYGON ((-58.5 -34.7, -58.4 -34.7, -58.4 -34.6, -58.5 -34.6, -58.5 -34.7))"}
    (d / "amusement_park_0_0_rgb.json").write_text(json.dumps(info))
    ds = FMoWDataset(tmp_path / "fmow", split="train", size=32)
    it = ds.item(0)
    assert it["caption"] == "a fmow satellite image of a amusement park in argentina"
    m = it["meta"]
    assert m.gsd == pytest.approx(0.5 * 96 / 32)
    assert m.cloud_cover == pytest.approx(0.2)
    assert m.date == dt.date(2016, 3, 4)
    assert m.lon == pytest.approx(-58.45) and m.lat == pytest.approx(-34.65)
    assert it["image"].shape == (3, 32, 32)


def test_tokenizer_is_clip_loadable(tmp_path):
    from transformers import CLIPTokenizer

    from training.tokenizer import build_tokenizer, caption_words, default_texts, tokenize

    texts = ["a landsat 8 satellite image in south america"]
    build_tokenizer(tmp_path / "tok", texts)
    tok = CLIPTokenizer.from_pretrained(str(tmp_path / "tok"))
    assert tok.pad_token == "!" and tok.model_max_length == 77
    text = "a sentinel-2 satellite image in slovenia"
    ids = tok(text).input_ids
    assert ids[0] == tok.bos_token_id and ids[-1] == tok.eos_token_id
    assert "satellite</w>" in tok.convert_ids_to_tokens(ids)
    assert tok.decode(ids, skip_special_tokens=True).replace(" - ", "-") == text
    words = caption_words(texts + default_texts())
    assert all(len(tok(w, add_special_tokens=False).input_ids) == 1 for w in words)  # one token per word
    batch = tokenize(tok, [text, ""])
    assert batch.shape == (2, 77) and int(batch[1, 2]) == tok.pad_token_id



def test_trainers_tokenize_each_caption_once(tmp_path):
    """The trainers' cached token ids equal a fresh tokenization in any order, with empty captions."""
    import torch

    from training.tokenizer import build_tokenizer, tokenize
    from training.train_unet import UNetTask

    task = UNetTask(tiny("unet"))
    task.tokenizer = build_tokenizer(tmp_path / "tok", ["a landsat 8 satellite image in brazil",
                                                        "an aerial image in colorado"])
    caps = ["an aerial image in colorado", "", "a landsat 8 satellite image in brazil", "",
            "an aerial image in colorado"]
    assert torch.equal(task.token_ids(caps), tokenize(task.tokenizer, caps))
    assert torch.equal(task.token_ids(caps[::-1] + ["an image"]), tokenize(task.tokenizer, caps[::-1] + ["an image"]))
    assert len(task._token_cache) == 4

def test_sr_wald_pairs():
    from training.datasets.sentinel2 import S2SuperResolution, load_sources, make_pair

    src = load_sources([{"path": "slovenia_s2l1c_ref0.tif", "place": "slovenia"}], base=str(DATA))[0]
    pair = make_pair(src, 4, 8, 32)
    assert pair["control"].shape == (10, 16, 16) and pair["target"].shape == (3, 32, 32)
    assert np.allclose(M.area_downsample(pair["target"], 4), pair["low"][:3], atol=1e-6)
    assert pair["cond_meta"].gsd == pytest.approx(4 * pair["meta"].gsd) and pair["meta"].gsd == pytest.approx(10.0)
    assert pair["meta"].date is None  # not recorded at the source: never invented
    ds = S2SuperResolution([src], size=32, split="train", min_holdout=16)
    b = ds.batch(np.random.default_rng(0), 2)
    assert b["control"].shape == (2, 10, 16, 16) and b["caption"][0] == "a sentinel-2 satellite image in slovenia"


def test_cloud_masks_and_multidate_frames():
    from training.datasets.masks import CloudMaskBank
    from training.datasets.raster import discover
    from training.datasets.tasks import MultiDateDataset

    bank = CloudMaskBank.from_files([DATA / "slovenia_s2_cloudmask_4dates.tif"])
    m = bank.sample(np.random.default_rng(0), (24, 40))
    assert m.shape == (24, 40) and set(np.unique(m)) <= {0.0, 1.0}
    scenes = discover(DATA, include=["haiti_rgbn_5m_crop.tif"])
    ds = MultiDateDataset([], scenes, bank, frames=3, size=32, min_holdout=16)
    it = ds.sample(np.random.default_rng(3))
    assert it["control"].shape == (3, 3, 32, 32) and it["cond_metadata"].shape == (7, 3)
    assert it["metadata"][4:].tolist() == [0, 0, 0]  # Haiti: date unknown -> stays unknown


# ----------------------------------------------------------------------------- trainers
TRAINERS = [
    ("vae", "training.train_vae", "VAETask"),
    ("unet", "training.train_unet", "UNetTask"),
    ("controlnet_sr", "training.train_controlnet_sr", "SRTask"),
    ("controlnet_inpaint", "training.train_controlnet_inpaint", "InpaintTask"),
    ("controlnet3d", "training.train_controlnet3d", "MultiDateTask"),
]


def _task(module, cls, cfg):
    import importlib

    return getattr(importlib.import_module(module), cls)(cfg)


@pytest.mark.parametrize("name,module,cls", TRAINERS, ids=[t[0] for t in TRAINERS])
def test_trainer_loss_finite_and_decreasing_on_fixed_batch(tmp_path, name, module, cls):
    cfg = tiny(name, max_steps=8, checkpoint_every=0, log_every=100, lr=2e-3, lr_scheduler="constant")
    cfg["data"]["fixed_batch"] = True
    cfg["export"] = False
    res = run(_task(module, cls, cfg), out_dir=tmp_path, log=lambda s: None)
    losses = res["losses"]
    assert len(losses) == 8 and all(math.isfinite(x) for x in losses)
    assert np.mean(losses[-2:]) < np.mean(losses[:2]), losses


def _state(res):
    task = res["task"]
    params = {f"{n}.{k}": v.detach().clone() for n in task.trainable for k, v in task.unwrap(n).state_dict().items()}
    ema = {f"{n}.{k}": v.clone() for n, sh in res["ema"].shadow.items() for k, v in sh.items()} if res["ema"] else {}
    opt = res["optimizer"].state_dict()
    return params, ema, opt, res["step"]


def _assert_same(s1, s2):
    p1, e1, o1, st1 = s1
    p2, e2, o2, st2 = s2
    assert st1 == st2
    assert p1.keys() == p2.keys() and all(torch.equal(p1[k], p2[k]) for k in p1)
    assert e1.keys() == e2.keys() and all(torch.equal(e1[k], e2[k]) for k in e1)
    assert o1["state"].keys() == o2["state"].keys()
    for k in o1["state"]:
        for kk, v in o1["state"][k].items():
            assert torch.equal(torch.as_tensor(v), torch.as_tensor(o2["state"][k][kk])), (k, kk)


@pytest.mark.parametrize("name,module,cls", TRAINERS, ids=[t[0] for t in TRAINERS])
def test_checkpoint_resume_is_exact(tmp_path, name, module, cls):
    from training.models import load_component

    cfg = tiny(name, checkpoint_every=2, sample_every=3 if name in ("unet", "controlnet3d") else 0, ema=True)
    quiet = dict(log=lambda s: None)
    # A: 2 steps, checkpoint at step 2 (state in memory)
    a = run(_task(module, cls, copy.deepcopy(cfg)), out_dir=tmp_path / "a", max_steps=2, **quiet)
    # B: resume from A's checkpoint without further steps -> the same state
    shutil.copytree(tmp_path / "a" / "checkpoints", tmp_path / "b" / "checkpoints")
    b = run(_task(module, cls, copy.deepcopy(cfg)), out_dir=tmp_path / "b", resume=True, max_steps=2, **quiet)
    _assert_same(_state(a), _state(b))
    # C: uninterrupted 3 steps; D: resume from step 2 and do one more step -> identical
    c = run(_task(module, cls, copy.deepcopy(cfg)), out_dir=tmp_path / "c", max_steps=3, **quiet)
    shutil.copytree(tmp_path / "a" / "checkpoints", tmp_path / "d" / "checkpoints")
    d = run(_task(module, cls, copy.deepcopy(cfg)), out_dir=tmp_path / "d", resume=True, max_steps=3, **quiet)
    _assert_same(_state(c), _state(d))
    assert d["losses"] == c["losses"][2:]
    # exported diffusers folders load back (safetensors)
    final = tmp_path / "c" / "final"
    if name == "unet":
        assert (tmp_path / "c" / "samples" / "step_0000003.png").exists()
        for kind in ("unet", "text_encoder", "vae", "tokenizer"):
            assert load_component(final / kind, kind) is not None
        assert list((final / "unet").glob("*.safetensors"))
        assert json.loads((final / "scheduler" / "scheduler_config.json").read_text())["prediction_type"] == "v_prediction"
        # the plugin's strict loader accepts the exported pipeline folder
        from backend.checkpoints.loader import load_components

        comps = load_components(final)
        assert type(comps.unet).__name__ == "SatUNet"
    else:
        from backend.checkpoints.loader import load_model

        folder = {"vae": "vae", "controlnet_sr": "controlnet", "controlnet_inpaint": "controlnet_inpaint",
                  "controlnet3d": "controlnet3d"}[name]
        model = load_model(final / folder)
        expected = {"vae": "AutoencoderKL", "controlnet_sr": "SatControlNetModel",
                    "controlnet_inpaint": "SatControlNetModel", "controlnet3d": "SatControlNetModel3D"}[name]
        assert type(model).__name__ == expected


def test_evaluate_baselines_table(tmp_path):
    from training import evaluate

    masks = str(DATA / "slovenia_s2_cloudmask_4dates.tif")
    for task in ("sr", "inpaint", "predict"):
        out = tmp_path / f"{task}.md"
        evaluate.main(["--task", task, "--model", "none", "--data", str(DATA), "--out", str(out), "--tile", "32",
                       "--max-tiles", "1", "--split", "all", "--frames", "2", "--masks", masks])
        text = out.read_text()
        baseline = {"sr": "bicubic", "inpaint": "biharmonic", "predict": "most recent clear frame"}[task]
        row = [line for line in text.splitlines() if line.startswith(f"| {baseline} |")]
        assert row and "n/a" not in row[0], text


def test_controlnet_on_trained_base_and_evaluate_with_model(tmp_path):
    """UNet run -> its final/ as the frozen base of the SR ControlNet -> training.evaluate with the model."""
    from training import evaluate
    from training.train_controlnet_sr import SRTask
    from training.train_unet import UNetTask

    quiet = dict(log=lambda s: None)
    run(UNetTask(tiny("unet", checkpoint_every=0)), out_dir=tmp_path / "unet", max_steps=1, **quiet)
    base = tmp_path / "unet" / "final"
    cfg = tiny("controlnet_sr", checkpoint_every=0)
    cfg["pretrained"] = {"base": str(base), "vae": str(base / "vae"), "required": True}
    res = run(SRTask(cfg), out_dir=tmp_path / "controlnet_sr", max_steps=1, **quiet)
    unet_sd = res["task"].frozen["unet"].state_dict()
    from backend.checkpoints.loader import load_model

    ref = load_model(base / "unet").state_dict()
    assert all(torch.equal(unet_sd[k], ref[k]) for k in ref)  # frozen base really loaded, not re-initialised
    from training.assemble import assemble

    rep = assemble(tmp_path, tmp_path / "bundle", budget_mb=60, suffix="")
    assert rep["controlnets"] == {"controlnet": True, "controlnet_inpaint": False, "controlnet3d": False}
    assert rep["within_budget"] and "unet/diffusion_pytorch_model.safetensors" in rep["safetensors_bytes"]
    shutil.copytree(tmp_path / "controlnet_sr" / "final" / "controlnet", base / "controlnet")
    out = tmp_path / "sr.md"
    evaluate.main(["--task", "sr", "--model", str(base), "--data", str(DATA), "--out", str(out), "--tile", "32",
                   "--max-tiles", "1", "--split", "all", "--steps", "2"])
    rows = [line for line in out.read_text().splitlines() if line.startswith("| model |")]
    assert rows and "n/a" not in rows[0]
    # the plugin's pipeline (strict loader + backend.pipelines) samples the same images as the trainers' sampler
    evaluate.main(["--task", "sr", "--model", str(base), "--data", str(DATA), "--out", str(out), "--tile", "32",
                   "--max-tiles", "1", "--split", "all", "--steps", "2", "--engine", "backend"])
    rows_b = [line for line in out.read_text().splitlines() if line.startswith("| model |")]
    vals = [float(v) for v in rows[0].split("|")[3:-1]]
    vals_b = [float(v) for v in rows_b[0].split("|")[3:-1]]
    assert np.allclose(vals, vals_b, atol=1e-3), (rows, rows_b)


def test_cli_entry_point_and_resume(tmp_path):
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "training.train_vae", "--config", str(TINY / "vae_tiny.json"),
           "--output-dir", str(tmp_path / "vae"), "--max-steps", "2"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    out = subprocess.run(cmd[:-1] + ["3", "--resume"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "resumed from" in out.stdout and json.loads(out.stdout.strip().splitlines()[-1])["step"] == 3
    assert (tmp_path / "vae" / "final" / "vae" / "diffusion_pytorch_model.safetensors").exists()


def test_yaml_config_equals_json(tmp_path):
    yaml = pytest.importorskip("yaml")
    cfg = load_config(TINY / "unet_tiny.json")
    cfg.pop("_config_path")
    (tmp_path / "unet.yaml").write_text(yaml.safe_dump(cfg))
    again = load_config(tmp_path / "unet.yaml")
    again.pop("_config_path")
    assert again == cfg
