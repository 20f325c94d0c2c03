"""The model folder's layout (issue 19): one module names the folders; the converter keeps the inpainting
ControlNet; a task's checkpoint hash covers the folders its models were really loaded from."""

import hashlib
import json
import shutil
from pathlib import Path

import torch

from backend import model_layout as layout
from backend.checkpoints import convert_to_diffusers, load_components

MINI = Path(__file__).resolve().parents[1] / "resources" / "models" / "diffusionsat-mini"


def _hash_of(*folders: Path) -> str:
    digest = hashlib.sha256()
    for folder in folders:
        for f in sorted(folder.glob("*.safetensors")):
            digest.update(hashlib.sha256(f.read_bytes()).hexdigest().encode())
    return digest.hexdigest()


def test_every_task_names_components_the_layout_knows():
    for task, components in layout.TASK_COMPONENTS.items():
        assert components[0] == "unet", task
        assert all(c in layout.FOLDERS for c in components), task
    assert layout.folder_of("inpaint_controlnet") == layout.INPAINT_FOLDER == "controlnet_inpaint"


def test_convert_to_diffusers_keeps_the_inpainting_controlnet(tmp_path):
    dst = convert_to_diffusers(MINI, tmp_path / "converted")
    assert (dst / layout.INPAINT_FOLDER / "diffusion_pytorch_model.safetensors").is_file()
    index = json.loads((dst / layout.MODEL_INDEX).read_text())
    assert index[layout.INPAINT_FOLDER] == [None, "SatControlNetModel"]
    original, converted = load_components(MINI), load_components(dst)
    a, b = original.inpaint_controlnet.state_dict(), converted.inpaint_controlnet.state_dict()
    assert list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)


def test_checkpoint_hash_covers_an_inpainting_controlnet_loaded_from_controlnet(tmp_path):
    from backend.api import DiffusionSat

    root = tmp_path / "model"
    for folder in ("vae", "text_encoder", "tokenizer", "scheduler", "unet"):
        shutil.copytree(MINI / folder, root / folder)
    shutil.copytree(MINI / layout.INPAINT_FOLDER, root / "controlnet")  # the only 2-D ControlNet
    model = DiffusionSat.from_pretrained(root)
    assert model.pipeline.inpaint_controlnet is not None and model.pipeline.controlnet is None
    assert model.pipeline.component_paths["inpaint_controlnet"] == root / "controlnet"
    assert model.checkpoint_sha256("inpaint") == _hash_of(root / "unet", root / "controlnet")
    assert model.checkpoint_sha256("generate") == _hash_of(root / "unet")


def test_checkpoint_hash_of_the_bundled_model_is_unchanged():
    from backend.api import DiffusionSat

    model = DiffusionSat.from_pretrained(MINI)
    assert model.checkpoint_sha256("inpaint") == _hash_of(MINI / "unet", MINI / layout.INPAINT_FOLDER)
    assert model.checkpoint_sha256("superres") == _hash_of(MINI / "unet", MINI / "controlnet")
    assert model.checkpoint_sha256("predict") == _hash_of(MINI / "unet", MINI / "controlnet3d")


def test_vae_factor_from_a_config_dict_or_object():
    from types import SimpleNamespace

    from backend.model_layout import vae_factor

    assert vae_factor({"block_out_channels": [128, 256, 512, 512]}) == 8  # SD 2.1's VAE
    assert vae_factor(SimpleNamespace(block_out_channels=(48, 96, 128))) == 4
