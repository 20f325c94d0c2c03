"""Training on a machine without GDAL: scene packs, the sample pool and the lent-GPU driver (on this CPU)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "training" / "configs" / "tiny"

# what a GPU machine lacks: the subprocess below cannot import them
BLOCK = """
import sys
class _Block:
    def find_spec(self, name, path, target=None):
        if name.split('.')[0] in ('rasterio', 'pyproj', 'osgeo', 'shapely', 'qgis'):
            raise ImportError('not on the GPU machine: ' + name)
sys.meta_path.insert(0, _Block())
"""

WINDOWS = [(0, 0, 32, 32), (10, 5, 64, 64), (40, 30, 16, 16)]


def _configs():
    from training.common import load_config

    return [load_config(TINY / f"{n}_tiny.json")["data"] for n in ("unet", "controlnet3d", "controlnet_sr")]


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    from training.datasets.pack import save_pack
    from training.make_pack import collect

    parts = collect(*_configs())
    folder = save_pack(tmp_path_factory.mktemp("pack") / "pack", step=16, **parts)
    return folder, parts


def test_pack_reads_without_gdal_and_keeps_metadata(pack):
    folder, parts = pack
    script = BLOCK + f"""
import json
sys.path.insert(0, {str(ROOT)!r})
from training.datasets.pack import load_pack
p = load_pack({str(folder)!r})
out = {{}}
for s in p['rgb']:
    out[s.name] = {{'shape': list(s.image.shape), 'meta': [s.metadata(*w).to_vector().tolist() for w in {WINDOWS!r}],
                   'mean': float(s.image.mean()), 'valid': int(s.valid.sum())}}
out['_counts'] = [len(p['rgb']), len(p['singles']), len(p['s2']), len(p['masks'].layers)]
print(json.dumps(out))
"""
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got["_counts"] == [len(parts["rgb"]), len(parts["singles"]), len(parts["s2"]), len(parts["masks"].layers)]
    georeferenced = 0
    for scene in parts["rgb"]:
        g = got[scene.name]
        assert g["shape"] == list(scene.image.shape)
        assert g["valid"] == int(scene.valid.sum())
        assert abs(g["mean"] - float(np.clip(scene.image, 0, 1).mean())) < 1.0 / 255
        for w, vec in zip(WINDOWS, g["meta"]):
            want = scene.metadata(*w).to_vector()
            # lon/lat/gsd from the pack's node grid: within 1e-4 of the normalised vector (~1e-5 degree)
            np.testing.assert_allclose(vec, want, atol=1e-4, err_msg=f"{scene.name} {w}")
        georeferenced += scene.crs is not None
    assert georeferenced >= 2  # the grid was exercised, not only scenes without a CRS



def test_pack_images_are_lossless_webp_bit_for_bit(pack):
    from training.datasets.pack import _CACHE, load_pack

    folder, parts = pack
    index = json.loads((folder / "index.json").read_text())
    assert index["version"] == 2 and {r["image_format"] for r in index["rgb"]} == {"webp"}
    _CACHE.pop(str(folder.resolve()), None)
    for want, got in zip(parts["rgb"], load_pack(folder)["rgb"]):
        np.testing.assert_array_equal(got.image, np.round(np.clip(want.image, 0, 1) * 255) / np.float32(255),
                                      err_msg=want.name)

def test_sample_pool_is_a_pure_function_of_the_seed(pack):
    from training.datasets.geotiff import GeoTiffCrops
    from training.pool import SamplePool

    data = GeoTiffCrops(pack[1]["rgb"], size=32, zooms=(1, 2), min_holdout=16)
    a = SamplePool(data, 96, workers=2, seed=3, chunk=40)
    b = SamplePool(data, 96, workers=1, seed=3, chunk=40)
    assert a.size == 96 and a.arrays["image"].dtype == np.float16
    np.testing.assert_array_equal(a.arrays["image"], b.arrays["image"])
    assert a.lists["caption"] == b.lists["caption"]
    batch = a.batch(np.random.default_rng(0), 5)
    assert batch["image"].shape == (5, 3, 32, 32) and batch["image"].dtype == np.float32
    assert len(batch["caption"]) == 5
    # kept on a device (here the CPU's torch tensors: the GPU path's code), the same draw gives the same batch
    kept = b.to("cpu").batch(np.random.default_rng(0), 5)
    assert set(kept) == set(batch) and kept["caption"] == batch["caption"]
    for key, value in batch.items():
        if isinstance(value, np.ndarray):
            assert kept[key].dtype == torch.float32
            np.testing.assert_array_equal(kept[key].numpy(), value)


def test_trainer_runs_from_a_pool_kept_on_the_device(pack, tmp_path):
    from training.common import load_config, run
    from training.train_controlnet_sr import SRTask
    from training.train_unet import UNetTask

    for name, cls in (("unet", UNetTask), ("controlnet_sr", SRTask)):
        cfg = load_config(TINY / f"{name}_tiny.json")
        cfg["data"]["pack"] = str(pack[0])
        cfg["train"].update(pool_size=48, pool_workers=1, max_steps=3, checkpoint_every=0, log_every=100)
        cfg["export"] = False
        if name != "unet":
            cfg.setdefault("pretrained", {}).pop("base", None)
        res = run(cls(cfg), out_dir=tmp_path / name, log=lambda s: None)
        assert len(res["losses"]) == 3 and all(np.isfinite(res["losses"])), (name, res["losses"])


def test_latent_pool_trains_as_the_image_pool_does(pack, tmp_path):
    """``train.latent_pool`` encodes the pool once; each step still samples the posterior with the same noise
    draw, so the losses are those of encoding every batch anew (up to the VAE's batch-size rounding)."""
    from training.common import load_config, run
    from training.train_controlnet_sr import SRTask
    from training.train_unet import UNetTask

    for name, cls in (("unet", UNetTask), ("controlnet_sr", SRTask)):
        losses = {}
        for latent in (False, True):
            cfg = load_config(TINY / f"{name}_tiny.json")
            cfg["data"]["pack"] = str(pack[0])
            cfg["train"].update(pool_size=40, pool_workers=1, max_steps=3, checkpoint_every=0, log_every=100,
                                latent_pool=latent)
            cfg["export"] = False
            if name != "unet":
                cfg.setdefault("pretrained", {}).pop("base", None)
            task = cls(cfg)
            losses[latent] = run(task, out_dir=tmp_path / f"{name}{latent}", log=lambda s: None)["losses"]
        assert len(losses[True]) == 3
        np.testing.assert_allclose(losses[True], losses[False], rtol=1e-4, err_msg=name)
    cfg = load_config(TINY / "unet_tiny.json")
    cfg["train"].update(latent_pool=True, max_steps=1)
    with pytest.raises(ValueError, match="pool_size"):
        run(UNetTask(cfg), out_dir=tmp_path / "nopool", log=lambda s: None)


def test_encode_pool_keeps_posteriors_not_images(pack):
    from training.common import load_config
    from training.datasets.geotiff import GeoTiffCrops
    from training.pool import SamplePool
    from training.train_unet import UNetTask

    cfg = load_config(TINY / "unet_tiny.json")
    task = UNetTask(cfg)
    task.setup_frozen_vae()
    data = GeoTiffCrops(pack[1]["rgb"], size=32, zooms=(1,), min_holdout=16)
    pool = SamplePool(data, 20, workers=1, seed=1)
    images = pool.arrays["image"].astype(np.float32)
    task.encode_pool(pool, chunk=8, log=lambda s: None)
    assert "image" not in pool.arrays and pool.arrays["latent_mean"].shape == (20, 4, 4, 4)
    with torch.no_grad():
        dist = task.frozen["vae"].encode(torch.as_tensor(images[13:14]) * 2 - 1).latent_dist
    np.testing.assert_allclose(pool.arrays["latent_mean"][13:14], dist.mean.numpy(), atol=1e-5)
    np.testing.assert_allclose(pool.arrays["latent_std"][13:14], dist.std.numpy(), atol=1e-5)
    batch = pool.batch(np.random.default_rng(0), 4)
    lat = task.batch_latents(batch, torch.Generator().manual_seed(0))
    assert lat.shape == (4, 4, 4, 4) and torch.isfinite(lat).all()


@pytest.mark.parametrize("plan", ["mini03", "mini04"])
def test_training_time_fits_the_deadline(plan):
    from training.gpu_train_all import OVERHEAD_S, PACKING_S, STAGES, training_scale

    configs = ROOT / "training" / "configs" / plan
    f = training_scale(configs, "_mini", 570.0, 1.0)
    planned = PACKING_S
    for stage in STAGES:
        planned += max(json.loads((configs / f"{n}_mini.json").read_text())["train"]["max_seconds"] * f
                       + OVERHEAD_S[n] for n, _ in stage)
    assert 0 < f < 1 and planned <= 570.0 + 1e-6
    assert training_scale(configs, "_mini", 10.0, 1.0) == 0.0


def test_gpu_driver_brings_back_float16_weights_that_load(pack, tmp_path):
    from safetensors import safe_open

    from training.assemble import assemble
    from training.gpu_call import unpack_pieces

    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "training.gpu_train_all", "--out", str(out), "--cpu", "--deadline", "200",
           "--configs", str(TINY), "--suffix", "_tiny", "--pack", str(pack[0]), "--runs", str(tmp_path / "runs")]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    log = (out / "train_log.txt").read_text()
    assert all(f'"{n}"' in log for n in ("vae", "unet", "controlnet_sr", "controlnet_inpaint", "controlnet3d"))
    unet = json.loads(log[: log.index("\n=====")])["stages"]["unet"]  # the float16 check ran on what was sent
    assert 0 < unet["fp16_mean_diff"] <= unet["fp16_max_diff"] < 0.05, unet
    back = tmp_path / "back"
    assert sorted(unpack_pieces(out, back)) == ["controlnet3d", "controlnet_inpaint", "controlnet_sr", "unet"]
    report = assemble(back / "runs", tmp_path / "bundle", suffix="_tiny")
    assert all(report["controlnets"].values())
    with safe_open(str(tmp_path / "bundle" / "unet" / "diffusion_pytorch_model.safetensors"), "pt") as fh:
        assert fh.get_tensor(next(iter(fh.keys()))).dtype.is_floating_point
        assert {str(fh.get_tensor(k).dtype) for k in fh.keys()} == {"torch.float16"}

    # a later lent GPU continues that bundle: the UNet starts from it, its VAE stays, a ControlNet is retrained
    from safetensors.torch import load_file, save_file

    def weights(folder):
        return load_file(str(next(Path(folder).glob("*.safetensors"))))

    unet_file = next((tmp_path / "bundle" / "unet").glob("*.safetensors"))
    marked = weights(unet_file.parent)
    key = next(k for k in marked if k.endswith("conv_out.bias"))
    marked[key] = torch.full_like(marked[key], 0.37)  # a value no fresh start has
    save_file(marked, str(unet_file), metadata={"format": "pt"})
    base = cmd[: cmd.index("--runs")] + ["--runs", str(tmp_path / "runs2")]
    bad = subprocess.run(base[:3] + ["--out", str(tmp_path / "out3")] + base[5:] + ["--stages", "unet"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert bad.returncode != 0 and "needs --init" in bad.stderr
    out2 = tmp_path / "out2"
    res = subprocess.run(base[:3] + ["--out", str(out2)] + base[5:] + ["--stages", "unet,controlnet_sr",
                         "--init", str(tmp_path / "bundle")], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert sorted(p.name.split(".")[0] for p in out2.glob("*.tar.part-00")) == ["controlnet_sr", "unet"]
    final = tmp_path / "runs2" / "unet_tiny" / "final"
    assert float((weights(final / "unet")[key].float() - 0.37).abs().max()) < 0.02  # 4 steps of lr 1e-3 from it
    vae_a, vae_b = weights(tmp_path / "bundle" / "vae"), weights(final / "vae")
    assert all(bool((vae_a[k].float() == vae_b[k].float()).all()) for k in vae_a)  # the bundle's VAE, unchanged


def test_a_model_on_a_x4_vae_trains_assembles_and_runs_every_task(pack, tmp_path, capsys):
    """DiffusionSat-mini 0.4's shape (configs/mini04): a x4 VAE, ControlNet conditioning CNNs one level
    shorter; the lent-GPU driver trains it, the pieces come back, and every task of the CLI runs on it."""
    from backend.cli import main as cli
    from training.assemble import assemble
    from training.gpu_call import unpack_pieces

    configs = tmp_path / "configs"
    configs.mkdir()
    for f in TINY.glob("*_tiny.json"):
        cfg = json.loads(f.read_text())
        if "vae" in cfg:
            cfg["vae"].update(block_out_channels=[8, 8, 8], down_block_types=["DownEncoderBlock2D"] * 3,
                              up_block_types=["UpDecoderBlock2D"] * 3)
        if "controlnet" in cfg:
            ch = cfg["controlnet"].get("conditioning_embedding_out_channels", [16, 32, 96, 256])
            cfg["controlnet"]["conditioning_embedding_out_channels"] = ch[:-1]
        (configs / f.name).write_text(json.dumps(cfg))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "training.gpu_train_all", "--out", str(out), "--cpu", "--deadline", "200",
           "--configs", str(configs), "--suffix", "_tiny", "--pack", str(pack[0]), "--runs", str(tmp_path / "runs")]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    unpack_pieces(out, tmp_path / "back")
    bundle = tmp_path / "bundle"
    assert all(assemble(tmp_path / "back" / "runs", bundle, suffix="_tiny")["controlnets"].values())
    assert json.loads((bundle / "vae" / "config.json").read_text())["block_out_channels"] == [8, 8, 8]
    sr_cfg = json.loads((bundle / "controlnet" / "config.json").read_text())
    assert sr_cfg["conditioning_vae_factor"] == 4

    samples = ROOT / "resources" / "samples"
    frames = [str(samples / "slovenia_s2l1c_frame2_rgb.tif"),
              str(samples / "slovenia_s2l1c_frame3_rgb.tif") + ":2017-06-01"]
    runs = {
        "generate": ["generate", "--bbox", "465181", "5079245", "465821", "5079885", "--crs", "EPSG:32633",
                     "--gsd", "10", "--prompt", "a satellite image"],
        "super-resolve": ["super-resolve", str(samples / "slovenia_s2l1c_13band.tif")],
        "inpaint": ["inpaint", str(samples / "slovenia_s2l1c_frame2_rgb.tif"), "--mask-raster",
                    str(samples / "slovenia_cloudmask.tif"), "--no-fallback"],
        "predict": ["predict", *frames, "--target-date", "2017-08-15", "--no-fallback"],
    }
    import rasterio

    for name, argv in runs.items():
        target = tmp_path / f"{name}.tif"
        rc = cli(["--quiet", argv[0], "--model", str(bundle), *argv[1:], "-o", str(target), "--steps", "2"])
        assert rc == 0, (name, capsys.readouterr())
        with rasterio.open(target) as ds:
            data = ds.read(masked=True)
            assert np.isfinite(data.compressed()).all() and data.count() > 0, name
    with rasterio.open(tmp_path / "generate.tif") as ds:
        assert (ds.width, ds.height) == (64, 64)  # 640 m at 10 m: a multiple of the VAE's 4
