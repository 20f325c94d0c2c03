"""Numerical parity with the released DiffusionSat code (fixtures in tests/data/parity, see its README).

Every model is loaded from the fixture folders with OUR loader and fed the stored inputs; outputs,
residuals and the debug intermediates must match the official ones to 1e-4 (float32, CPU). The
largest difference per model is written to tests/artifacts/parity_max_diffs.json.
"""

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from backend.metadata import normalize

PARITY = Path(__file__).resolve().parent / "data" / "parity"
IO = PARITY / "io"
ATOL = 1e-4
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

MAX_DIFFS = {}


@pytest.fixture(scope="module", autouse=True)
def _threads_and_report():
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(previous)
    if MAX_DIFFS:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "parity_max_diffs.json").write_text(json.dumps(MAX_DIFFS, indent=2, sort_keys=True))
        print("\nlargest |ours - official| per model:", json.dumps(MAX_DIFFS, sort_keys=True))


def _io(name):
    from safetensors.torch import load_file

    return load_file(str(IO / f"{name}.safetensors"))


def _compare(model_name, label, ours, ref, atol=ATOL):
    assert tuple(ours.shape) == tuple(ref.shape), f"{model_name} {label}: shape {tuple(ours.shape)} != {tuple(ref.shape)}"
    diff = float((ours.detach().float() - ref.float()).abs().max()) if ref.numel() else 0.0
    entry = MAX_DIFFS.setdefault(model_name, {"max": 0.0, "per_tensor": {}})
    entry["per_tensor"][label] = diff
    entry["max"] = max(entry["max"], diff)
    assert diff <= atol, f"{model_name} {label}: max abs diff {diff:.3g} > {atol}"
    return diff


@pytest.fixture(scope="module")
def models():
    from backend.checkpoints import load_model

    return {name: load_model(PARITY / name) for name in ("unet", "controlnet", "controlnet3d")}


class _Capture:
    """Forward hooks that keep a module's output."""

    def __init__(self):
        self.out = {}
        self.handles = []

    def on(self, name, module, pick=lambda o: o):
        self.handles.append(module.register_forward_hook(lambda m, a, o: self.out.__setitem__(name, pick(o))))

    def close(self):
        for h in self.handles:
            h.remove()


# --------------------------------------------------------------------------- metadata
def _raw_values(record):
    raw = record["raw"]
    name = record["name"]
    if name == "all_zero":
        return [None] * 7
    if name == "extremes":
        return [raw["lon"], raw["lat"], raw["gsd"], raw["cloud"], raw["year"], raw["month"], raw["day"]]
    if raw["reference_function"] == "fmow_numerical_metadata":
        h, w = raw["image_hw"]
        gsd = raw["native_gsd"] * min(h, w) / raw["target_resolution"]
        if "superres_cond_rule" in raw:
            gsd = 10.0
        date = dt.datetime.fromisoformat(raw["timestamp"].replace("Z", "+00:00")).date()
        return [raw["lon"], raw["lat"], gsd, raw["cloud_cover_percent"] / 100, date.year, date.month, date.day]
    key = raw["image_key"]
    gsd = 10.0 if "sentinel" in key else 1.0
    date = dt.date(2016, 9, 11) if "2016" in key else dt.date(2018, 11, 20)
    return [raw["lon"], raw["lat"], gsd, 0.0, date.year, date.month, date.day]


def test_metadata_normaliser_matches_official_records():
    data = json.loads((IO / "metadata_normalize.json").read_text())
    assert len(data["records"]) >= 10
    for record in data["records"]:
        ours = normalize(_raw_values(record))
        ref = np.asarray(record["normalized_float32"], dtype=np.float32)
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=0, err_msg=record["name"])


def test_fixture_metadata_inputs_are_the_normalised_records():
    records = {r["name"]: np.asarray(r["normalized_float32"], np.float32)
               for r in json.loads((IO / "metadata_normalize.json").read_text())["records"]}
    io = _io("controlnet_io")
    np.testing.assert_array_equal(io["inputs.metadata"].numpy(), np.stack([records["fmow_a"], records["fmow_b"]]))
    np.testing.assert_array_equal(io["inputs.cond_metadata"].numpy(),
                                  np.stack([records["fmow_a_srcond"], records["fmow_b_srcond"]]))


# --------------------------------------------------------------------------- UNet
def test_unet_head_split_follows_the_released_convention(models):
    unet = models["unet"]
    # attention_head_dim [2, 4] is the NUMBER of heads (32 ch -> 2 x 16, mid 64 ch -> 4 x 16)
    assert unet.down_blocks[0].attentions[0].transformer_blocks[0].attn1.heads == 2
    assert unet.mid_block.attentions[0].transformer_blocks[0].attn1.heads == 4
    assert unet.up_blocks[1].attentions[0].transformer_blocks[0].attn2.heads == 2


def test_unet_matches_official(models):
    unet = models["unet"]
    io = _io("unet_io")
    x, t, ehs, md = (io[f"inputs.{k}"] for k in ("sample", "timestep", "encoder_hidden_states", "metadata"))
    cap = _Capture()
    cap.on("time_proj", unet.time_proj)
    cap.on("time_embedding", unet.time_embedding)
    with torch.no_grad():
        out = unet(x, t, ehs, metadata=md)
        _compare("unet", "sample", out.sample, io["outputs.sample"])
        _compare("unet", "debug.time_proj_timestep", cap.out["time_proj"], io["debug.time_proj_timestep"])
        _compare("unet", "debug.time_embedding", cap.out["time_embedding"], io["debug.time_embedding"])
        _compare("unet", "debug.time_proj_metadata", unet.metadata_embedding.project(md), io["debug.time_proj_metadata"])
        fields = torch.stack(unet.metadata_embedding.field_embeddings(md), dim=1)
        _compare("unet", "debug.metadata_embedding", fields, io["debug.metadata_embedding"])
        _compare("unet", "debug.emb", unet.embedding(x, t, md), io["debug.emb"])
        # metadata=None is the 'unknown' vector (zeros)
        _compare("unet", "sample_zero_metadata", unet(x, t, ehs).sample, io["outputs.sample_zero_metadata"])
        zeros = unet(x, t, ehs, metadata=torch.zeros_like(md), return_dict=False)[0]
        _compare("unet", "sample_zero_metadata(explicit)", zeros, io["outputs.sample_zero_metadata"])
    cap.close()


def test_unet_rejects_a_wrong_metadata_shape(models):
    io = _io("unet_io")
    with pytest.raises(ValueError, match="7 values"):
        models["unet"](io["inputs.sample"], io["inputs.timestep"], io["inputs.encoder_hidden_states"],
                       metadata=torch.zeros(2, 5))


# --------------------------------------------------------------------------- 2-D ControlNet
def test_controlnet2d_matches_official(models):
    cn, unet = models["controlnet"], models["unet"]
    io = _io("controlnet_io")
    inp = {k[len("inputs."):]: v for k, v in io.items() if k.startswith("inputs.")}
    assert cn.config.conditioning_scale == 2 and cn.control_downsampling == 4
    cap = _Capture()
    cap.on("time_proj", cn.time_proj)
    cap.on("time_embedding", cn.time_embedding)
    cap.on("cond_embedding", cn.controlnet_cond_embedding)
    with torch.no_grad():
        for cm_key in ("cond_metadata", "cond_metadata_B71"):
            down, mid = cn(inp["sample"], inp["timestep"], inp["encoder_hidden_states"], inp["controlnet_cond"],
                           conditioning_scale=float(inp["conditioning_scale"]), metadata=inp["metadata"],
                           cond_metadata=inp[cm_key], return_dict=False)
            assert len(down) == 4
            for i, d in enumerate(down):
                _compare("controlnet2d", f"down_block_res_samples.{i}[{cm_key}]", d, io[f"outputs.down_block_res_samples.{i}"])
            _compare("controlnet2d", f"mid_block_res_sample[{cm_key}]", mid, io["outputs.mid_block_res_sample"])
        _compare("controlnet2d", "debug.time_proj_timestep", cap.out["time_proj"], io["debug.time_proj_timestep"])
        _compare("controlnet2d", "debug.time_embedding", cap.out["time_embedding"], io["debug.time_embedding"])
        _compare("controlnet2d", "debug.controlnet_cond_embedding", cap.out["cond_embedding"],
                 io["debug.controlnet_cond_embedding"])
        me = cn.metadata_embedding
        _compare("controlnet2d", "debug.time_proj_metadata", me.project(inp["metadata"]), io["debug.time_proj_metadata"])
        _compare("controlnet2d", "debug.time_proj_cond_metadata", me.project(inp["cond_metadata"]),
                 io["debug.time_proj_cond_metadata"])
        _compare("controlnet2d", "debug.metadata_embedding", torch.stack(me.field_embeddings(inp["metadata"]), 1),
                 io["debug.metadata_embedding"])
        _compare("controlnet2d", "debug.cond_metadata_embedding",
                 torch.stack(me.field_embeddings(inp["cond_metadata"]), 1), io["debug.cond_metadata_embedding"])
        _compare("controlnet2d", "debug.emb",
                 cn.embedding(inp["sample"], inp["timestep"], inp["metadata"], inp["cond_metadata"]), io["debug.emb"])
        y = unet(inp["sample"], inp["timestep"], inp["encoder_hidden_states"], metadata=inp["metadata"],
                 down_block_additional_residuals=down, mid_block_additional_residual=mid).sample
        _compare("unet+controlnet2d", "unet_sample_with_residuals", y, io["outputs.unet_sample_with_residuals"])
    cap.close()


def test_controlnet2d_residual_multiplier_and_wrong_control_size(models):
    cn = models["controlnet"]
    io = _io("controlnet_io")
    args = (io["inputs.sample"], io["inputs.timestep"], io["inputs.encoder_hidden_states"])
    with torch.no_grad():
        half = cn(*args, io["inputs.controlnet_cond"], conditioning_scale=0.5, metadata=io["inputs.metadata"],
                  cond_metadata=io["inputs.cond_metadata"])
    torch.testing.assert_close(half.mid_block_res_sample, 0.5 * io["outputs.mid_block_res_sample"], atol=ATOL, rtol=0)
    with pytest.raises(ValueError, match="4 x the latent size"):
        cn(*args, torch.zeros(2, 10, 128, 128), metadata=io["inputs.metadata"])


# --------------------------------------------------------------------------- 3-D ControlNet
def test_controlnet3d_matches_official(models):
    cn, unet = models["controlnet3d"], models["unet"]
    io = _io("controlnet3d_io")
    inp = {k[len("inputs."):]: v for k, v in io.items() if k.startswith("inputs.")}
    frames = inp["controlnet_cond"].shape[2]
    # temporal slots 0 (hard-coded 8 x 64, GroupNorm 32) and 2 (C // a = 16 heads x 2); 1 and 3 Identity
    kinds = [type(b).__name__ for b in cn.temporal_blocks]
    assert kinds == ["TransformerTemporalModel", "Identity", "TransformerTemporalModel", "Identity"]
    assert cn.temporal_blocks[0].transformer_blocks[0].attn1.heads == 8
    assert cn.temporal_blocks[0].norm.num_groups == 32
    assert cn.temporal_blocks[2].transformer_blocks[0].attn1.heads == 16
    assert cn.controlnet_down_blocks[0].weight.dim() == 5
    cap = _Capture()
    cap.on("time_proj", cn.time_proj)
    cap.on("time_embedding", cn.time_embedding)
    cap.on("cond_embedding", cn.controlnet_cond_embedding)
    for k in (0, 2):
        cap.on(f"temporal.{k}", cn.temporal_blocks[k], pick=lambda o: o.sample)
    with torch.no_grad():
        down, mid = cn(inp["sample"], inp["timestep"], inp["encoder_hidden_states"], inp["controlnet_cond"],
                       conditioning_scale=float(inp["conditioning_scale"]), metadata=inp["metadata"],
                       cond_metadata=inp["cond_metadata"], return_dict=False)
        for i, d in enumerate(down):
            _compare("controlnet3d", f"down_block_res_samples.{i}", d, io[f"outputs.down_block_res_samples.{i}"])
        _compare("controlnet3d", "mid_block_res_sample", mid, io["outputs.mid_block_res_sample"])
        _compare("controlnet3d", "debug.time_proj_timestep", cap.out["time_proj"], io["debug.time_proj_timestep"])
        _compare("controlnet3d", "debug.time_embedding", cap.out["time_embedding"], io["debug.time_embedding"])
        _compare("controlnet3d", "debug.controlnet_cond_embedding", cap.out["cond_embedding"],
                 io["debug.controlnet_cond_embedding"])
        for k in (0, 2):
            _compare("controlnet3d", f"debug.temporal_block_output.{k}", cap.out[f"temporal.{k}"],
                     io[f"debug.temporal_block_output.{k}"])
        _compare("controlnet3d", "debug.mixing_alpha_effective", cn.mixing_alpha(), io["debug.mixing_alpha_effective"])
        me = cn.metadata_embedding
        _compare("controlnet3d", "debug.time_proj_metadata", me.project(inp["metadata"]), io["debug.time_proj_metadata"])
        _compare("controlnet3d", "debug.time_proj_cond_metadata", me.project(inp["cond_metadata"]),
                 io["debug.time_proj_cond_metadata"])
        _compare("controlnet3d", "debug.metadata_embedding", torch.stack(me.field_embeddings(inp["metadata"]), 1),
                 io["debug.metadata_embedding"])
        _compare("controlnet3d", "debug.cond_metadata_embedding",
                 torch.stack(me.field_embeddings(inp["cond_metadata"]), 1), io["debug.cond_metadata_embedding"])
        _compare("controlnet3d", "debug.emb",
                 cn.embedding(inp["sample"], inp["timestep"], inp["metadata"], inp["cond_metadata"], num_frames=frames),
                 io["debug.emb"])
        y = unet(inp["sample"], inp["timestep"], inp["encoder_hidden_states"], metadata=inp["metadata"],
                 down_block_additional_residuals=down, mid_block_additional_residual=mid).sample
        _compare("unet+controlnet3d", "unet_sample_with_residuals", y, io["outputs.unet_sample_with_residuals"])
    cap.close()


def test_controlnet3d_frame_count_must_match_cond_metadata(models):
    cn = models["controlnet3d"]
    io = _io("controlnet3d_io")
    with pytest.raises(ValueError, match="frames"):
        cn(io["inputs.sample"], io["inputs.timestep"], io["inputs.encoder_hidden_states"],
           io["inputs.controlnet_cond"][:, :, :2], metadata=io["inputs.metadata"], cond_metadata=io["inputs.cond_metadata"])


# --------------------------------------------------------------------------- other components
def test_text_encoder_and_vae_match_official():
    """The pipeline fixtures' text embeddings and final decode, through our component loader
    (the VAE carries diffusers-0.17 attention key names)."""
    from backend.checkpoints import load_model

    vae = load_model(PARITY / "vae")
    text_encoder = load_model(PARITY / "text_encoder")
    io = _io("pipeline_io")
    with torch.no_grad():
        ids = torch.cat([io["inputs.input_ids_uncond"], io["inputs.input_ids_cond"]])
        _compare("text_encoder", "prompt_embeds_uncond_cond", text_encoder(ids).last_hidden_state,
                 io["inputs.prompt_embeds_uncond_cond"])
        for name in ("pipeline_io", "controlnet_pipeline_io", "controlnet3d_pipeline_io"):
            ref = _io(name)
            image = vae.decode(ref["steps.3.latents_after_step"] / vae.config.scaling_factor).sample
            image = (image / 2 + 0.5).clamp(0, 1).permute(0, 2, 3, 1)
            _compare("vae", f"decode[{name}]", image, ref["outputs.image"], atol=1e-3)


# --------------------------------------------------------------------------- dtype handling
def test_metadata_projection_runs_in_float32_whatever_the_model_dtype():
    from diffusers.models.embeddings import get_timestep_embedding

    from backend.checkpoints import load_model

    unet = load_model(PARITY / "unet", dtype=torch.bfloat16)
    io = _io("unet_io")
    md = io["inputs.metadata"]
    me = unet.metadata_embedding
    proj = me.project(md)
    assert proj.dtype == torch.float32
    ref = get_timestep_embedding(md.reshape(-1), 32, flip_sin_to_cos=True, downscale_freq_shift=0).reshape(2, 7, 32)
    assert torch.equal(proj, ref)
    with torch.no_grad():
        fields = me.field_embeddings(md)
        # the MLP sees the float32 projection cast to bf16, not a projection of bf16-rounded metadata
        assert torch.equal(fields[2], me[2](ref[:, 2].to(torch.bfloat16)))
        out = unet(io["inputs.sample"].bfloat16(), io["inputs.timestep"], io["inputs.encoder_hidden_states"].bfloat16(),
                   metadata=md).sample
    assert out.dtype == torch.bfloat16
    assert float((out.float() - io["outputs.sample"]).abs().max()) < 0.1


def test_metadata_embedding_shapes():
    from backend.models import MetadataEmbedding

    me = MetadataEmbedding(7, 8, 16)
    assert list(dict(me.named_parameters()))[:2] == ["0.linear_1.weight", "0.linear_1.bias"]
    emb = torch.zeros(2, 16)
    md = torch.rand(2, 7) * 1000
    with torch.no_grad():
        assert me(md).shape == (2, 16)
        torch.testing.assert_close(me.add_to(emb, md), me(md), rtol=1e-6, atol=1e-6)
        seq = torch.rand(2, 7, 3) * 1000
        summed = me.add_cond_to(emb, seq)  # 2-D ControlNet: summed over frames
        per_frame = me.add_cond_to(torch.zeros(6, 16), seq, per_frame=True)  # 3-D: row b*T + t
        torch.testing.assert_close(summed, per_frame.reshape(2, 3, 16).sum(1), rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(per_frame[4], me(seq[1:2, :, 1])[0], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="metadata"):
        me(torch.zeros(2, 6))


def test_unet_adds_down_residuals_given_without_a_mid_residual(models):
    """The released UNet adds whichever ControlNet residuals it is given (current diffusers would treat
    down residuals alone as T2I-adapter residuals)."""
    unet = models["unet"]
    io = _io("controlnet_io")
    down = [io[f"outputs.down_block_res_samples.{i}"] for i in range(4)]
    mid = io["outputs.mid_block_res_sample"]
    args = (io["inputs.sample"], io["inputs.timestep"], io["inputs.encoder_hidden_states"])
    with torch.no_grad():
        only_down = unet(*args, metadata=io["inputs.metadata"], down_block_additional_residuals=down).sample
        zero_mid = unet(*args, metadata=io["inputs.metadata"], down_block_additional_residuals=down,
                        mid_block_additional_residual=torch.zeros_like(mid)).sample
        only_mid = unet(*args, metadata=io["inputs.metadata"], mid_block_additional_residual=mid).sample
        zero_down = unet(*args, metadata=io["inputs.metadata"], mid_block_additional_residual=mid,
                         down_block_additional_residuals=[torch.zeros_like(d) for d in down]).sample
    assert torch.equal(only_down, zero_mid)
    assert torch.equal(only_mid, zero_down)
    with pytest.raises(ValueError, match="expected 4 down-block residuals"):
        unet(*args, down_block_additional_residuals=down[:3], mid_block_additional_residual=mid)
