"""Checkpoint loading: official layouts, strictness, unsafe / broken files, round trips, conversion."""

import json
import os
import shutil
from pathlib import Path

import pytest
import torch

from backend.checkpoints import (
    CheckpointError,
    convert_to_diffusers,
    inspect_folder,
    load_components,
    load_model,
    read_state_dict,
)

PARITY = Path(__file__).resolve().parent / "data" / "parity"


@pytest.fixture(scope="module", autouse=True)
def _threads():
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(previous)


def _copy_model(src: Path, dst: Path, weights: str) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    shutil.copy(src / "config.json", dst / "config.json")
    shutil.copy(src / weights, dst / weights)
    return dst


def _same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for k in sa:
        assert sa[k].dtype == sb[k].dtype and torch.equal(sa[k], sb[k]), k


def _unet_out(unet):
    from safetensors.torch import load_file

    io = load_file(str(PARITY / "io" / "unet_io.safetensors"))
    with torch.no_grad():
        return unet(io["inputs.sample"], io["inputs.timestep"], io["inputs.encoder_hidden_states"],
                    metadata=io["inputs.metadata"]).sample


@pytest.fixture(scope="module")
def unet():
    return load_model(PARITY / "unet")


# --------------------------------------------------------------------------- formats
def test_safetensors_is_preferred_and_bin_loads_identically(tmp_path, unet):
    from backend.checkpoints import find_weights

    assert find_weights(PARITY / "unet").name == "diffusion_pytorch_model.safetensors"
    folder = _copy_model(PARITY / "unet", tmp_path / "unet", "diffusion_pytorch_model.bin")
    from_bin = load_model(folder)
    _same_state(unet, from_bin)


def test_official_layout_checkpoint_loads_strictly(tmp_path, unet):
    """A checkpoint written the way the released code writes it: torch.save(state_dict) / safetensors
    + a 0.17 config with _class_name 'SatUNet' and registry keys such as _name_or_path."""
    config = json.loads((PARITY / "unet" / "config.json").read_text())
    config["_name_or_path"] = "/somewhere/checkpoint-150000/unet"
    for fmt in ("bin", "safetensors"):
        folder = tmp_path / fmt
        folder.mkdir()
        (folder / "config.json").write_text(json.dumps(config))
        state = {k: v.clone() for k, v in unet.state_dict().items()}
        if fmt == "bin":
            torch.save(state, folder / "diffusion_pytorch_model.bin")
        else:
            from safetensors.torch import save_file

            save_file(state, str(folder / "diffusion_pytorch_model.safetensors"))
        loaded = load_model(folder)
        assert type(loaded).__name__ == "SatUNet"
        _same_state(unet, loaded)


def _broken_unet(tmp_path, edit):
    folder = tmp_path / "broken"
    folder.mkdir()
    shutil.copy(PARITY / "unet" / "config.json", folder / "config.json")
    state = read_state_dict(PARITY / "unet" / "diffusion_pytorch_model.safetensors")
    edit(state)
    from safetensors.torch import save_file

    save_file(state, str(folder / "diffusion_pytorch_model.safetensors"))
    return folder


def test_missing_tensor_is_named(tmp_path):
    folder = _broken_unet(tmp_path, lambda s: s.pop("metadata_embedding.3.linear_2.bias"))
    with pytest.raises(CheckpointError, match=r"1 missing tensor\(s\): metadata_embedding\.3\.linear_2\.bias"):
        load_model(folder)


def test_unexpected_tensor_is_named(tmp_path):
    folder = _broken_unet(tmp_path, lambda s: s.__setitem__("metadata_embedding.7.linear_1.weight", torch.zeros(128, 32)))
    with pytest.raises(CheckpointError, match=r"unexpected tensor\(s\): metadata_embedding\.7\.linear_1\.weight"):
        load_model(folder)


def test_wrong_shape_is_named(tmp_path):
    folder = _broken_unet(tmp_path, lambda s: s.__setitem__("conv_in.weight", torch.zeros(32, 5, 3, 3)))
    with pytest.raises(CheckpointError, match=r"conv_in\.weight \(checkpoint \[32, 5, 3, 3\], model \[32, 4, 3, 3\]\)"):
        load_model(folder)


def test_unknown_config_key_is_an_error_but_underscore_keys_are_ignored(tmp_path):
    folder = _copy_model(PARITY / "unet", tmp_path / "u", "diffusion_pytorch_model.safetensors")
    config = json.loads((folder / "config.json").read_text())
    config["_some_registry_key"] = 1
    (folder / "config.json").write_text(json.dumps(config))
    load_model(folder)
    config["use_metadata_v2"] = True
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="unknown config keys for SatUNet: \\['use_metadata_v2'\\]"):
        load_model(folder)


# --------------------------------------------------------------------------- unsafe / broken files
class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_malicious_pickle_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    folder = tmp_path / "evil"
    folder.mkdir()
    shutil.copy(PARITY / "unet" / "config.json", folder / "config.json")
    state = dict(read_state_dict(PARITY / "unet" / "diffusion_pytorch_model.safetensors"))
    state["conv_in.weight"] = _RunsCode(str(marker))
    torch.save(state, folder / "diffusion_pytorch_model.bin")
    with pytest.raises(CheckpointError, match=r"refusing to load .*evil/diffusion_pytorch_model\.bin.*could run arbitrary code"):
        load_model(folder)
    assert not marker.exists()


def test_non_tensor_bin_is_refused(tmp_path):
    path = tmp_path / "diffusion_pytorch_model.bin"
    torch.save({"state_dict": {"a": torch.zeros(1)}, "step": 3}, path)
    with pytest.raises(CheckpointError, match="not a plain state dict"):
        read_state_dict(path)


def test_truncated_safetensors_names_the_problem(tmp_path):
    folder = _copy_model(PARITY / "unet", tmp_path / "unet", "diffusion_pytorch_model.safetensors")
    weights = folder / "diffusion_pytorch_model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"diffusion_pytorch_model\.safetensors: truncated safetensors file"):
        load_model(folder)
    report = inspect_folder_with_unet(tmp_path, folder)
    assert not report.ok and any("truncated" in p for p in report.problems)


def inspect_folder_with_unet(tmp_path, unet_folder):
    root = tmp_path / "root"
    root.mkdir()
    for name in ("vae", "text_encoder", "tokenizer", "scheduler"):
        os.symlink(PARITY / name, root / name)
    os.symlink(unet_folder, root / "unet")
    return inspect_folder(root)


def test_truncated_bin_names_the_file(tmp_path):
    folder = _copy_model(PARITY / "unet", tmp_path / "unet", "diffusion_pytorch_model.bin")
    weights = folder / "diffusion_pytorch_model.bin"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) - 4096])
    with pytest.raises(CheckpointError, match=r"diffusion_pytorch_model\.bin: cannot read .*truncated or corrupt"):
        load_model(folder)


def test_legacy_vae_attention_keys_and_conv_weights_are_mapped():
    from backend.checkpoints.loader import convert_legacy_attention_keys

    expected = {"a.attentions.0.to_q.weight": (8, 8), "a.attentions.0.to_out.0.bias": (8,), "a.query.other": (1,)}
    state = {"a.attentions.0.query.weight": torch.ones(8, 8, 1, 1), "a.attentions.0.proj_attn.bias": torch.ones(8)}
    out = convert_legacy_attention_keys(state, expected)
    assert set(out) == {"a.attentions.0.to_q.weight", "a.attentions.0.to_out.0.bias"}
    assert out["a.attentions.0.to_q.weight"].shape == (8, 8)


def test_stock_diffusers_controlnet_is_refused(tmp_path):
    folder = tmp_path / "cn"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"_class_name": "ControlNetModel", "conditioning_channels": 3}))
    (folder / "diffusion_pytorch_model.safetensors").write_bytes(b"")
    with pytest.raises(CheckpointError, match="not a DiffusionSat one"):
        load_model(folder)


# --------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("name", ["unet", "controlnet", "controlnet3d"])
def test_save_pretrained_round_trips_exactly(tmp_path, name):
    from backend.models import MODEL_CLASSES

    model = load_model(PARITY / name)
    model.save_pretrained(tmp_path / name, safe_serialization=True)
    saved = json.loads((tmp_path / name / "config.json").read_text())
    assert saved["_class_name"] == type(model).__name__
    again = load_model(tmp_path / name)
    _same_state(model, again)
    assert {k: v for k, v in again.config.items() if not k.startswith("_")} == \
           {k: v for k, v in model.config.items() if not k.startswith("_")}
    # and through diffusers' own from_pretrained of our class
    via_diffusers = MODEL_CLASSES[type(model).__name__].from_pretrained(tmp_path / name)
    _same_state(model, via_diffusers)
    if name == "unet":
        torch.testing.assert_close(_unet_out(again), _unet_out(model), rtol=0, atol=0)
        torch.testing.assert_close(_unet_out(via_diffusers), _unet_out(model), rtol=0, atol=0)


def test_dtype_and_meta_free_loading():
    model = load_model(PARITY / "controlnet", dtype=torch.float16)
    assert {p.dtype for p in model.parameters()} == {torch.float16}
    assert not any(p.device.type == "meta" for p in model.parameters())


# --------------------------------------------------------------------------- folders
def test_load_components_of_the_official_pipeline_folder():
    comps = load_components(PARITY)
    assert type(comps.unet).__name__ == "SatUNet"
    assert type(comps.controlnet).__name__ == "SatControlNetModel"
    assert type(comps.controlnet3d).__name__ == "SatControlNetModel3D"
    assert type(comps.vae).__name__ == "AutoencoderKL"
    assert type(comps.text_encoder).__name__ == "CLIPTextModel"
    assert type(comps.scheduler).__name__ == "DDIMScheduler"
    assert comps.scheduler.config.prediction_type == "v_prediction"
    assert comps.tokenizer.model_max_length == 77 and comps.tokenizer.pad_token == "!"
    assert comps.source == PARITY
    # the released (diffusers 0.17) DDIM spacing: 4 steps -> [751, 501, 251, 1]
    comps.scheduler.set_timesteps(4)
    assert comps.scheduler.timesteps.tolist() == [751, 501, 251, 1]


def test_training_output_layout_picks_the_highest_checkpoint(tmp_path, unet):
    root = tmp_path / "run"
    root.mkdir()
    for name in ("vae", "text_encoder", "tokenizer", "scheduler", "model_index.json"):
        os.symlink(PARITY / name, root / name)
    for step in (500, 1500, 900):
        _copy_model(PARITY / "unet", root / f"checkpoint-{step}" / "unet", "diffusion_pytorch_model.safetensors")
    # the 3-D ControlNet sits in a folder called 'controlnet': its config decides what it is
    _copy_model(PARITY / "controlnet3d", root / "checkpoint-1500" / "controlnet", "diffusion_pytorch_model.bin")
    (root / "checkpoint-99999").mkdir()  # no unet inside: ignored
    comps = load_components(root)
    assert comps.paths["unet"] == root / "checkpoint-1500" / "unet"
    assert comps.controlnet is None and type(comps.controlnet3d).__name__ == "SatControlNetModel3D"
    report = inspect_folder(root)
    assert report.ok, str(report)
    assert "checkpoint-1500" in str(report)


def test_inspect_folder_reports_what_is_wrong(tmp_path):
    report = inspect_folder(PARITY)
    assert report.ok, str(report)
    text = str(report)
    for word in ("SatUNet", "ControlNetModel3D -> SatControlNetModel3D", "DDIMScheduler", "OK"):
        assert word in text
    root = tmp_path / "partial"
    root.mkdir()
    os.symlink(PARITY / "unet", root / "unet")
    os.symlink(PARITY / "tokenizer", root / "tokenizer")
    report = inspect_folder(root)
    assert not report.ok
    assert "vae: not found" in report.problems and "text_encoder: not found" in report.problems
    with pytest.raises(CheckpointError, match="vae/ folder is missing"):
        load_components(root)


def test_convert_to_diffusers_is_clean_atomic_and_exact(tmp_path, monkeypatch):
    dst = tmp_path / "converted"
    convert_to_diffusers(PARITY, dst)
    files = sorted(str(p.relative_to(dst)) for p in dst.rglob("*") if p.is_file())
    assert not any(f.endswith(".bin") for f in files), files
    assert "controlnet3d/diffusion_pytorch_model.safetensors" in files
    assert "unet/diffusion_pytorch_model.safetensors" in files and "model_index.json" in files
    original, converted = load_components(PARITY), load_components(dst)
    for name in ("unet", "controlnet", "controlnet3d", "vae", "text_encoder"):
        _same_state(getattr(original, name), getattr(converted, name))
    public = lambda c: {k: v for k, v in c.items() if not k.startswith("_")}  # noqa: E731
    assert public(converted.scheduler.config) == public(original.scheduler.config)
    ids = original.tokenizer("a fmow satellite image").input_ids
    assert converted.tokenizer("a fmow satellite image").input_ids == ids
    with pytest.raises(CheckpointError, match="already exists"):
        convert_to_diffusers(PARITY, dst)

    # a failure half-way leaves neither a partial destination nor the temporary folder behind
    from diffusers import DDIMScheduler

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(DDIMScheduler, "save_pretrained", boom)
    with pytest.raises(OSError, match="disk full"):
        convert_to_diffusers(PARITY, tmp_path / "second")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["converted"]
    with pytest.raises(OSError, match="disk full"):
        convert_to_diffusers(PARITY, dst, overwrite=True)
    assert (dst / "unet" / "config.json").is_file()  # the old copy is intact
