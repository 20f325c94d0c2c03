"""Our models built from the released full-size configs have exactly the released state dicts.

tests/data/parity/official/*.keys.json are the ordered ``state_dict()`` rows ``[key, shape, dtype]`` of
the reference classes built from the SD 2.1-based configs next to them. Built here on the meta
device (no weights), so this is fast.
"""

import json
from pathlib import Path

import pytest
import torch

OFFICIAL = Path(__file__).resolve().parent / "data" / "parity" / "official"
PARITY = OFFICIAL.parent

CASES = [
    ("satunet_sd21", "SatUNet"),
    ("controlnet_sr2d", "SatControlNetModel"),
    ("controlnet3d_temporal", "SatControlNetModel3D"),
]


def _build(name):
    from backend.checkpoints import build_model

    config = json.loads((OFFICIAL / f"{name}.config.json").read_text())
    return config, build_model(config, OFFICIAL)


@pytest.mark.parametrize("name, cls_name", CASES)
def test_full_size_state_dict_matches_the_release(name, cls_name):
    config, model = _build(name)
    assert type(model).__name__ == cls_name
    assert all(p.device.type == "meta" for p in model.parameters()), "built without materialising weights"
    manifest = json.loads((OFFICIAL / f"{name}.keys.json").read_text())
    ours = [[k, list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in model.state_dict().items()]
    assert [r[0] for r in ours] == [r[0] for r in manifest], "key names / order differ"
    assert ours == manifest
    summary = json.loads((OFFICIAL / "summary.json").read_text())[name]
    assert sum(p.numel() for p in model.parameters()) == summary["num_parameters"]
    # our config carries every released key with the released value
    for key, value in config.items():
        if not key.startswith("_"):
            ours_value = model.config[key]
            assert (list(ours_value) if isinstance(ours_value, tuple) else ours_value) == value, key


def test_full_size_temporal_blocks_use_the_released_head_split():
    _, model = _build("controlnet3d_temporal")
    summary = json.loads((OFFICIAL / "summary.json").read_text())["controlnet3d_temporal"]
    kinds = [type(b).__name__ for b in model.temporal_blocks]
    assert kinds == summary["temporal_block_slots"]
    assert [p.requires_grad for p in model.mixing_attns] == summary["mixing_attns_requires_grad"]
    for slot, info in summary["temporal_blocks"].items():
        block = model.temporal_blocks[int(slot)]
        attn = block.transformer_blocks[0].attn1
        assert attn.heads == info["num_attention_heads"], slot
        assert attn.inner_dim // attn.heads == info["attention_head_dim"], slot
        assert block.norm.num_groups == info["norm_num_groups"], slot
        assert sum(p.numel() for p in block.parameters()) == info["params"], slot


def test_sd21_unet_head_split():
    _, unet = _build("satunet_sd21")
    # SD 2.1: attention_head_dim [5, 10, 20, 20] are head COUNTS -> 64-dim heads everywhere
    for block, heads in zip(unet.down_blocks[:3], (5, 10, 20)):
        attn = block.attentions[0].transformer_blocks[0].attn1
        assert (attn.heads, attn.inner_dim // attn.heads) == (heads, 64)


def test_conditioning_downsampling_rule():
    from backend.models.controlnet import conditioning_strides

    assert conditioning_strides(3, 1) == [2, 2, 2]
    assert conditioning_strides(3, 2) == [2, 2, 1]
    assert conditioning_strides(3, 3) == [2, 2, 1]
    assert conditioning_strides(3, 4) == [2, 1, 1]
    assert conditioning_strides(3, 8) == [1, 1, 1]
    _, cn = _build("controlnet_sr2d")
    strides = [b.stride[0] for b in cn.controlnet_cond_embedding.blocks]
    assert strides == [1, 2, 1, 2, 1, 1]
    assert cn.control_downsampling == 4


def test_conditioning_rule_on_a_x4_vae_and_mismatches_refused():
    """Our mini models on a x4 VAE: ``conditioning_vae_factor`` 4 (absent from released configs: 8)."""
    import torch

    from backend.models.controlnet import conditioning_strides
    from training.models import build_controlnet, build_unet

    assert conditioning_strides(2, 1, 4) == [2, 2] and conditioning_strides(2, 2, 4) == [2, 1]
    assert conditioning_strides(3, 2) == conditioning_strides(3, 2, 8)  # the default is the released rule
    unet = build_unet({"sample_size": 8, "block_out_channels": [32, 32], "layers_per_block": 1,
                       "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
                       "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"], "attention_head_dim": 2,
                       "cross_attention_dim": 16, "norm_num_groups": 8, "use_metadata": True, "num_metadata": 7})
    sr = build_controlnet(unet, "2d", 10, 2, (8, 16, 16), vae_factor=4)
    assert sr.config.conditioning_vae_factor == 4 and sr.control_downsampling == 2
    out = sr(torch.zeros(1, 4, 16, 16), torch.tensor([10]), torch.zeros(1, 3, 16),
             controlnet_cond=torch.zeros(1, 10, 32, 32), metadata=torch.zeros(1, 7))  # a 64 px image, its control at 32
    assert out.down_block_res_samples[0].shape[-2:] == (16, 16)
    inpaint = build_controlnet(unet, "2d", 4, 1, (8, 16, 16), vae_factor=4)
    assert inpaint.control_downsampling == 4
    assert build_controlnet(unet, "3d", 3, 1, (8, 16, 16), vae_factor=4) is not None
    assert build_controlnet(unet, "2d", 10, 2, (8, 16, 16, 16), vae_factor=4).control_downsampling == 2  # stride 1
    with pytest.raises(ValueError, match="down-samples the control by 2, not the 4"):
        build_controlnet(unet, "2d", 4, 1, (8, 16), vae_factor=4)  # one level too few
    with pytest.raises(ValueError, match="down-samples the control by 8, not the 4"):
        build_controlnet(unet, "3d", 3, 1, (8, 16, 16, 16), vae_factor=4)


def test_from_unet_reproduces_the_fixture_configs_and_copies_weights():
    from backend.checkpoints import load_model
    from backend.models import SatControlNetModel, SatControlNetModel3D

    unet = load_model(PARITY / "unet")
    for folder, make in (
        ("controlnet", lambda: SatControlNetModel.from_unet(unet, conditioning_in_channels=10, conditioning_scale=2)),
        ("controlnet3d", lambda: SatControlNetModel3D.from_unet(unet, conditioning_in_channels=3,
                                                                 use_temporal_transformer=True)),
    ):
        reference = json.loads((PARITY / folder / "config.json").read_text())
        model = make()
        for key, value in reference.items():
            if not key.startswith("_"):
                ours = model.config[key]
                assert (list(ours) if isinstance(ours, tuple) else ours) == value, (folder, key)
        torch.testing.assert_close(model.conv_in.weight, unet.conv_in.weight, rtol=0, atol=0)
        torch.testing.assert_close(model.metadata_embedding[6].linear_2.weight,
                                   unet.metadata_embedding[6].linear_2.weight, rtol=0, atol=0)
        torch.testing.assert_close(model.mid_block.attentions[0].proj_out.weight,
                                   unet.mid_block.attentions[0].proj_out.weight, rtol=0, atol=0)
        assert float(model.controlnet_mid_block.weight.detach().abs().max()) == 0.0  # zero conv


def test_official_class_names_map_to_ours():
    from backend.models import MODEL_CLASSES, SatControlNetModel, SatControlNetModel3D, SatUNet

    assert MODEL_CLASSES["SatUNet"] is SatUNet
    assert MODEL_CLASSES["ControlNetModel"] is SatControlNetModel
    assert MODEL_CLASSES["ControlNetModel3D"] is SatControlNetModel3D
