"""Behaviour of the sampling pipelines on tiny random models built here (64 px, 2-4 steps, 1 thread).

Numerical agreement with the official pipelines is in test_pipeline_parity.py.
"""

import json
import threading

import numpy as np
import pytest
import torch

from backend.cancel import Cancelled, CancelToken, is_cancelled, raise_if_cancelled
from backend.metadata import SatMetadata
from backend.pipelines import PipelineError, SatDiffusionPipeline, canonical_name, make_scheduler
from backend.pipelines.inpaint import latent_mask, pixel_weight

SIZE = 64
STEPS = 3
MD = SatMetadata(lon=-58.4, lat=-34.6, gsd=0.5, cloud_cover=0.1, date="2017-03-02")
MD2 = SatMetadata(lon=30.1, lat=60.2, gsd=2.0, cloud_cover=0.6, date="2012-11-20")


def _tokenizer(tmp_path):
    from transformers import CLIPTokenizer

    # the byte-level BPE alphabet: printable bytes as themselves, the rest shifted past 255
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("\u00a1"), ord("\u00ac") + 1), *range(ord("\u00ae"), 256)]
    shifted = [b for b in range(256) if b not in printable]
    chars = [chr(b) for b in printable] + [chr(256 + i) for i in range(len(shifted))]
    vocab = {}
    for c in chars:
        vocab[c] = len(vocab)
    for c in chars:
        vocab[c + "</w>"] = len(vocab)
    merges = ["s a", "sa t</w>", "i m", "im a", "ima g", "imag e</w>"]
    for m in merges:
        vocab.setdefault(m.replace(" ", ""), len(vocab))
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    (tmp_path / "vocab.json").write_text(json.dumps(vocab))
    (tmp_path / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    return CLIPTokenizer(
        str(tmp_path / "vocab.json"), str(tmp_path / "merges.txt"), pad_token="!", model_max_length=77
    ), len(vocab)


def _randomise_zero_convs(net, gain=0.2):
    """Zero-initialised ControlNet outputs would make the control do nothing; give them random weights."""
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if ("controlnet_down_blocks" in name or "controlnet_mid_block" in name or "conv_out" in name) and p.abs().max() == 0:
                p.copy_(torch.randn(p.shape, generator=g) * gain)


def build_tiny(tmp_path, prediction_type="v_prediction"):
    from diffusers import AutoencoderKL, DDIMScheduler
    from transformers import CLIPTextConfig, CLIPTextModel

    from backend.models import SatControlNetModel, SatControlNetModel3D, SatUNet

    torch.manual_seed(0)
    tokenizer, vocab_size = _tokenizer(tmp_path)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=vocab_size, hidden_size=32, intermediate_size=37, num_hidden_layers=1,
            num_attention_heads=4, max_position_embeddings=77,
            bos_token_id=vocab_size - 2, eos_token_id=vocab_size - 1, pad_token_id=1,
        )
    )
    vae = AutoencoderKL(
        block_out_channels=(8, 8, 8, 8), down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4, latent_channels=4, norm_num_groups=4, layers_per_block=1,
    )
    unet = SatUNet(
        sample_size=SIZE // 8, in_channels=4, out_channels=4, block_out_channels=(32, 64), layers_per_block=1,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32, attention_head_dim=(2, 4), norm_num_groups=8, use_linear_projection=True,
        upcast_attention=True, use_metadata=True, num_metadata=7,
    )
    controlnet = SatControlNetModel.from_unet(unet, conditioning_in_channels=10, conditioning_scale=2)
    controlnet3d = SatControlNetModel3D.from_unet(unet, conditioning_in_channels=3, use_temporal_transformer=True)
    inpaint_cn = SatControlNetModel.from_unet(unet, conditioning_in_channels=4, conditioning_scale=1)
    for net in (controlnet, controlnet3d, inpaint_cn):
        _randomise_zero_convs(net)
    scheduler = DDIMScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
        set_alpha_to_one=False, steps_offset=1, prediction_type=prediction_type,
    )
    return SatDiffusionPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, scheduler=scheduler, unet=unet,
        controlnet=controlnet, controlnet3d=controlnet3d, inpaint_controlnet=inpaint_cn, source="tiny",
    )


@pytest.fixture(scope="module")
def pipe(tmp_path_factory):
    torch.set_num_threads(1)
    return build_tiny(tmp_path_factory.mktemp("tok"))


def gen(pipe, **kw):
    args = dict(height=SIZE, width=SIZE, steps=STEPS, seed=11)
    args.update(kw)
    prompt = args.pop("prompt", "a satellite image")
    md = args.pop("metadata", MD)
    return pipe.generate(prompt, md, **args)


def _count_unet_calls(pipe):
    calls = []
    handle = pipe.unet.register_forward_hook(lambda m, a, o: calls.append(a[0].shape[0]))
    return calls, handle


# ------------------------------------------------------------------------------------------ generate
def test_generate_shape_range_and_same_seed_identical(pipe):
    a = gen(pipe)
    b = gen(pipe)
    assert a.images.shape == (1, SIZE, SIZE, 3) and a.images.dtype == np.float32
    assert a.images.min() >= 0 and a.images.max() <= 1
    assert np.array_equal(a.images, b.images)
    assert a.seed == 11 and a.steps == STEPS and a.scheduler == "ddim"
    assert a.info["prediction_type"] == "v_prediction"
    c = gen(pipe, seed=12)
    assert np.abs(a.images - c.images).max() > 1e-4


def test_different_metadata_gives_different_output(pipe):
    a = gen(pipe, metadata=MD)
    b = gen(pipe, metadata=MD2)
    c = gen(pipe, metadata=None)
    assert np.abs(a.images - b.images).max() > 1e-4
    assert np.abs(a.images - c.images).max() > 1e-4


def test_metadata_vector_and_satmetadata_are_the_same(pipe):
    a = gen(pipe, metadata=MD)
    b = gen(pipe, metadata=MD.to_vector())
    assert np.array_equal(a.images, b.images)


def test_guidance_one_calls_unet_once_per_step(pipe):
    calls, handle = _count_unet_calls(pipe)
    try:
        gen(pipe, guidance=1.0)
        assert calls == [1] * STEPS
        calls.clear()
        gen(pipe, guidance=7.5)
        assert calls == [2] * STEPS  # one batched call [uncond, cond] per step
    finally:
        handle.remove()


def test_cfg_unconditional_branch_is_empty_prompt_and_zero_metadata(pipe):
    seen = []

    def hook(module, args, kwargs, out):
        seen.append((kwargs["metadata"].clone(), kwargs["encoder_hidden_states"].clone()))

    handle = pipe.unet.register_forward_hook(hook, with_kwargs=True)
    try:
        gen(pipe, guidance=4.0, steps=1)
    finally:
        handle.remove()
    md, ehs = seen[0]
    assert md.dtype == torch.float32 and md.shape == (2, 7)
    assert torch.all(md[0] == 0) and torch.equal(md[1], torch.from_numpy(MD.to_vector()))
    assert torch.allclose(ehs[0:1], pipe.encode_prompt(""))


def test_num_images_three_and_first_matches_single(pipe):
    one = gen(pipe, return_latents=True, steps=1)
    three = gen(pipe, num_images=3, return_latents=True, steps=1)
    assert three.images.shape == (3, SIZE, SIZE, 3) and three.latents.shape == (3, 4, SIZE // 8, SIZE // 8)
    # one generator draws the batch latents, so image 0 starts from the same noise as a 1-image call;
    # batched kernels may round differently, hence the tolerance instead of equality
    assert np.abs(three.images[0] - one.images[0]).max() < 1e-4
    assert np.abs(three.images[0] - three.images[1]).max() > 1e-4


def test_prompt_and_metadata_lists_broadcast(pipe):
    res = pipe.generate(["a satellite image", "sat"], [MD, MD2], height=SIZE, width=SIZE, steps=1, seed=1,
                        num_images=2)
    assert res.images.shape == (4, SIZE, SIZE, 3)
    with pytest.raises(PipelineError, match="batch sizes"):
        pipe.generate(["a", "b"], [MD, MD2, MD], height=SIZE, width=SIZE, steps=1, seed=1)


def test_size_not_multiple_of_8_is_a_clear_error(pipe):
    with pytest.raises(PipelineError, match="not a multiple of 8"):
        gen(pipe, height=60)
    with pytest.raises(PipelineError, match="width 100 is not a multiple of 8.*96 or 104"):
        gen(pipe, width=100)


def test_default_size_comes_from_the_unet(pipe):
    assert pipe.default_size == SIZE  # sample_size 8 x VAE factor 8, not 768
    res = pipe.generate("x", MD, steps=1, seed=0)
    assert res.images.shape == (1, SIZE, SIZE, 3)


def test_non_square_and_other_sizes(pipe):
    res = gen(pipe, height=48, width=80, steps=1)
    assert res.images.shape == (1, 48, 80, 3)


def test_dpm_solver_runs_and_differs_from_ddim(pipe):
    d = gen(pipe, scheduler="dpm++", steps=4)
    e = gen(pipe, scheduler="DPM-Solver++", steps=4)
    f = gen(pipe, scheduler="ddim", steps=4)
    assert d.scheduler == "dpm++" and np.isfinite(d.images).all()
    assert np.array_equal(d.images, e.images)
    assert np.abs(d.images - f.images).max() > 0


def test_progress_callback_and_cancel(pipe):
    seen = []
    gen(pipe, callback=lambda s, t: seen.append((s, t)))
    assert seen == [(i, STEPS) for i in range(1, STEPS + 1)]

    token = CancelToken()
    with pytest.raises(Cancelled):
        gen(pipe, callback=lambda s, t: token.cancel() if s == 1 else None, cancel=token)
    event = threading.Event()
    event.set()
    with pytest.raises(Cancelled):
        gen(pipe, cancel=event)
    calls, handle = _count_unet_calls(pipe)
    try:
        with pytest.raises(Cancelled):
            gen(pipe, cancel=lambda: len(calls) >= 2)
        assert len(calls) == 2  # stopped between steps
    finally:
        handle.remove()


def test_cancel_helpers():
    assert not is_cancelled(None) and is_cancelled(True) and is_cancelled(lambda: 1)
    token = CancelToken()
    assert not is_cancelled(token)
    token.cancel()
    with pytest.raises(Cancelled):
        raise_if_cancelled(token)
    with pytest.raises(TypeError):
        is_cancelled(3.5)


def test_bad_arguments(pipe):
    for kw, msg in (
        (dict(steps=0), "steps"),
        (dict(guidance=float("nan")), "guidance"),
        (dict(num_images=0), "num_images"),
        (dict(scheduler="euler"), "unknown scheduler"),
        (dict(seed=-1), "seed"),
    ):
        with pytest.raises((PipelineError, ValueError), match=msg):
            gen(pipe, **kw)
    with pytest.raises(PipelineError, match="either seed or generator"):
        gen(pipe, generator=torch.Generator().manual_seed(1))


def test_generator_reproduces_seed(pipe):
    a = gen(pipe, seed=5)
    b = gen(pipe, seed=None, generator=torch.Generator().manual_seed(5))
    assert np.array_equal(a.images, b.images) and b.seed is None
    r = gen(pipe, seed=None, steps=1)
    assert isinstance(r.seed, int) and np.array_equal(gen(pipe, seed=r.seed, steps=1).images, r.images)


def test_bfloat16_on_cpu_and_float16_rejected(tmp_path):
    small = build_tiny(tmp_path)
    with pytest.raises(PipelineError, match="float16 is only supported on CUDA"):
        small.to(dtype=torch.float16)
    ref = gen(small, steps=2)
    small.to(dtype="bf16")
    assert small.dtype == torch.bfloat16
    seen = []
    h = small.unet.register_forward_hook(lambda m, a, k, o: seen.append(k["metadata"].dtype), with_kwargs=True)
    res = gen(small, steps=2)
    h.remove()
    assert seen and all(d == torch.float32 for d in seen)  # metadata never pre-cast
    assert res.images.dtype == np.float32 and np.isfinite(res.images).all()
    assert np.abs(res.images - ref.images).mean() < 0.1


def test_epsilon_prediction_type_is_kept(tmp_path):
    eps = build_tiny(tmp_path, prediction_type="epsilon")
    assert eps.prediction_type == "epsilon"
    r = gen(eps, steps=2)
    assert r.info["prediction_type"] == "epsilon"
    r = gen(eps, steps=2, scheduler="dpm++")
    assert r.info["prediction_type"] == "epsilon"


def test_scheduler_factory():
    from diffusers import DDIMScheduler, DPMSolverMultistepScheduler

    cfg = DDIMScheduler(prediction_type="v_prediction", steps_offset=1, beta_schedule="scaled_linear").config
    assert canonical_name("DPM-Solver++") == "dpm++" and canonical_name("DDIM") == "ddim"
    d = make_scheduler("dpm++", cfg)
    assert isinstance(d, DPMSolverMultistepScheduler)
    assert d.config.prediction_type == "v_prediction" and d.config.algorithm_type == "dpmsolver++"
    s = make_scheduler("ddim", cfg)
    assert isinstance(s, DDIMScheduler) and s is not make_scheduler("ddim", cfg)
    s.set_timesteps(4)
    assert s.timesteps.tolist() == [751, 501, 251, 1]
    with pytest.raises(ValueError):
        canonical_name("pndm")


# ----------------------------------------------------------------------------------- super-resolution
def test_super_resolve_size_and_metadata_rule(pipe):
    control = np.random.default_rng(0).random((10, SIZE // 2, SIZE // 2), dtype=np.float32)
    seen = []

    def hook(module, args, kwargs, out):
        seen.append(kwargs["cond_metadata"].clone())

    h = pipe.controlnet.register_forward_hook(hook, with_kwargs=True)
    try:
        res = pipe.super_resolve(control, MD, control_gsd=10.0, steps=2, seed=3)
    finally:
        h.remove()
    assert res.images.shape == (1, SIZE, SIZE, 3)
    expect = MD.replace(gsd=10.0).to_vector()
    assert torch.all(seen[0][0] == 0) and np.array_equal(seen[0][1].numpy(), expect)
    other = pipe.super_resolve(control * 0.5, MD, control_gsd=10.0, steps=2, seed=3)
    assert np.abs(other.images - res.images).max() > 1e-4
    with pytest.raises(PipelineError, match="control_gsd"):
        pipe.super_resolve(control, MD, steps=1, seed=3)
    with pytest.raises(PipelineError, match="10 control bands"):
        pipe.super_resolve(control[:3], MD, control_gsd=10.0, steps=1, seed=3)
    with pytest.raises(PipelineError, match="multiple of 8"):
        pipe.super_resolve(control[:, :30, :30], MD, control_gsd=10.0, steps=1, seed=3)
    three = pipe.super_resolve(control, MD, control_gsd=10.0, steps=1, seed=3, num_images=3, guidance=1.0)
    assert three.images.shape == (3, SIZE, SIZE, 3)


# ------------------------------------------------------------------------------------------- temporal
@pytest.mark.parametrize("frames", [1, 2, 3, 4])
def test_predict_accepts_1_to_4_frames(pipe, frames):
    rng = np.random.default_rng(frames)
    stack = [rng.random((3, SIZE, SIZE), dtype=np.float32) for _ in range(frames)]
    fmd = [MD.replace(date=f"201{i}-06-01") for i in range(frames)]
    seen = []
    h = pipe.controlnet3d.register_forward_hook(
        lambda m, a, k, o: seen.append((k["controlnet_cond"].shape, k["cond_metadata"].shape)), with_kwargs=True
    )
    try:
        res = pipe.predict(stack, fmd, MD, steps=1, seed=4)
    finally:
        h.remove()
    assert res.images.shape == (1, SIZE, SIZE, 3) and res.info["num_frames"] == frames
    assert seen[0] == (torch.Size([2, 3, frames, SIZE, SIZE]), torch.Size([2, 7, frames]))


def test_predict_frame_order_and_metadata_matter(pipe):
    rng = np.random.default_rng(9)
    stack = np.stack([rng.random((3, SIZE, SIZE), dtype=np.float32) for _ in range(3)])
    fmd = [MD.replace(date=d) for d in ("2014-01-01", "2016-01-01", "2018-01-01")]
    a = pipe.predict(stack, fmd, MD, steps=2, seed=4)
    b = pipe.predict(list(stack), fmd, MD, steps=2, seed=4)
    c = pipe.predict(stack, fmd[::-1], MD, steps=2, seed=4)
    assert np.array_equal(a.images, b.images)
    assert np.abs(a.images - c.images).max() > 1e-5
    with pytest.raises(PipelineError, match="metadata for 2"):
        pipe.predict(stack, fmd[:2], MD, steps=1, seed=4)


# ----------------------------------------------------------------------------------------- inpainting
def _inpaint_inputs():
    rng = np.random.default_rng(1)
    image = rng.random((SIZE, SIZE, 3), dtype=np.float32)
    mask = np.zeros((SIZE, SIZE), dtype=bool)
    mask[20:44, 12:40] = True
    return image, mask


@pytest.mark.parametrize("method", ["blend", "controlnet"])
def test_inpaint_keeps_unmasked_pixels_exactly(pipe, method):
    image, mask = _inpaint_inputs()
    res = pipe.inpaint(image, mask, "a satellite image", MD, method=method, steps=STEPS, seed=2)
    assert res.images.shape == (1, SIZE, SIZE, 3)
    out = res.images[0]
    assert np.array_equal(out[~mask], image[~mask])
    assert np.abs(out[mask] - image[mask]).mean() > 1e-3
    # the default hard edge: every masked pixel is generated, none mixed with what lay under the mask
    assert np.array_equal(out[mask], res.info["generated"][0][mask])
    assert res.info["method"] == method and res.seed == 2
    soft = pipe.inpaint(image, mask, "a satellite image", MD, method=method, steps=STEPS, seed=2, feather=4)
    inner = np.zeros_like(mask)
    inner[28:36, 20:32] = True  # > feather px from the border: purely generated
    assert np.array_equal(soft.images[0][inner], soft.info["generated"][0][inner])
    assert np.array_equal(soft.images[0][~mask], image[~mask])


def test_inpaint_blend_is_deterministic_and_auto_prefers_controlnet(pipe):
    image, mask = _inpaint_inputs()
    a = pipe.inpaint(image, mask, "", MD, method="blend", steps=2, seed=2, num_images=2)
    b = pipe.inpaint(image, mask, "", MD, method="blend", steps=2, seed=2, num_images=2)
    assert np.array_equal(a.images, b.images) and a.images.shape == (2, SIZE, SIZE, 3)
    assert pipe.inpaint(image, mask, "", MD, steps=1, seed=2).info["method"] == "controlnet"
    d = pipe.inpaint(image, mask, "", MD, method="blend", steps=2, seed=2, scheduler="dpm++")
    assert np.array_equal(d.images[0][~mask], image[~mask])


def test_inpaint_blend_known_latents_follow_the_original(pipe):
    image, mask = _inpaint_inputs()
    final = []
    pipe.inpaint(image, mask, "", MD, method="blend", steps=2, seed=2, feather=0,
                 latents_callback=lambda i, t, lat: final.append(lat.clone()))
    z0 = pipe.encode_images(torch.from_numpy(image).permute(2, 0, 1)[None])
    w = latent_mask(torch.from_numpy(mask.astype(np.float32))[None, None], 8)
    known = w == 0
    assert known.any() and torch.equal(final[-1][known.expand_as(z0)], z0[known.expand_as(z0)])


def test_mask_helpers():
    m = torch.zeros(1, 1, 64, 64)
    m[..., 20:44, 12:40] = 1
    lat = latent_mask(m, 8)
    assert lat.shape == (1, 1, 8, 8)
    hard = torch.nn.functional.max_pool2d(m, 8)
    assert torch.all(lat[hard > 0] == 1)  # every latent pixel touching the mask is generated
    assert lat[0, 0, 0, 7] == 0 and 0 < lat[0, 0, 0, 0] < 1  # dilated by 1 then feathered by 1
    w = pixel_weight(m, 8)
    assert torch.all(w[m == 0] == 0) and w[0, 0, 32, 26] == 1 and 0 < w[0, 0, 20, 26] < 0.2
    assert torch.equal(pixel_weight(m, 0), m)


def test_inpaint_bad_inputs(pipe):
    image, mask = _inpaint_inputs()
    with pytest.raises(PipelineError, match="mask must be"):
        pipe.inpaint(image, mask[:10], steps=1, seed=1)
    with pytest.raises(PipelineError, match="\\[0, 1\\]"):
        pipe.inpaint(image * 255, mask, steps=1, seed=1)
    with pytest.raises(PipelineError, match="method"):
        pipe.inpaint(image, mask, method="repaint", steps=1, seed=1)


# ---------------------------------------------------------------------------------------- uncertainty
def test_uncertainty_mean_and_spread(pipe):
    seen = []
    u = pipe.uncertainty("generate", "a satellite image", MD, height=SIZE, width=SIZE, steps=2, num_samples=3,
                         batch_size=2, seed=1, keep_samples=True, callback=lambda s, t: seen.append((s, t)))
    assert u.mean.shape == (SIZE, SIZE, 3) and u.std.shape == (SIZE, SIZE, 3) and u.spread.shape == (SIZE, SIZE)
    assert u.samples.shape == (3, SIZE, SIZE, 3)
    assert np.allclose(u.mean, u.samples.mean(0), atol=1e-6)
    assert np.allclose(u.std, u.samples.std(0, ddof=1), atol=1e-5) and u.std.max() > 0
    assert seen[-1] == (4, 4)  # 2 chunks x 2 steps

    image, mask = _inpaint_inputs()
    ui = pipe.uncertainty("inpaint", image, mask, "", MD, method="blend", steps=1, num_samples=2, seed=1)
    assert np.all(ui.std[~mask] == 0) and ui.std[mask].max() > 0


def test_missing_controlnets_are_clear_errors(tmp_path):
    base = build_tiny(tmp_path)
    base.controlnet = base.controlnet3d = None
    with pytest.raises(PipelineError, match="no super-resolution ControlNet"):
        base.super_resolve(np.zeros((10, 32, 32), np.float32), MD, control_gsd=10.0)
    with pytest.raises(PipelineError, match="no temporal"):
        base.predict([np.zeros((3, 64, 64), np.float32)], [MD], MD)
    assert base.tasks == ("generate", "inpaint")


def test_save_pretrained_round_trip(tmp_path):
    small = build_tiny(tmp_path)
    ref = gen(small, steps=2)
    image, mask = _inpaint_inputs()
    ref_inpaint = small.inpaint(image, mask, "", MD, steps=1, seed=2)
    small.save_pretrained(tmp_path / "ckpt")
    again = SatDiffusionPipeline.from_pretrained(tmp_path / "ckpt")
    assert np.array_equal(gen(again, steps=2).images, ref.images)
    assert again.controlnet is not None and again.controlnet3d is not None
    assert again.inpaint_controlnet is not None and again.dtype == torch.float32
    assert np.array_equal(again.inpaint(image, mask, "", MD, steps=1, seed=2).images, ref_inpaint.images)
    if not torch.cuda.is_available():
        with pytest.raises(PipelineError, match="CUDA"):
            SatDiffusionPipeline.from_pretrained(tmp_path / "ckpt", device="cuda")
        with pytest.raises(PipelineError, match="float16"):
            SatDiffusionPipeline.from_pretrained(tmp_path / "ckpt", device="auto", dtype="float16")


def test_inpaint_controlnet_in_controlnet_folder_is_recognised(tmp_path):
    small = build_tiny(tmp_path)
    small.controlnet, small.controlnet3d = small.inpaint_controlnet, None
    small.inpaint_controlnet = None
    small.save_pretrained(tmp_path / "ckpt")  # a training run that saved its inpainting ControlNet as controlnet/
    again = SatDiffusionPipeline.from_pretrained(tmp_path / "ckpt")
    assert again.controlnet is None and again.inpaint_controlnet is not None
    assert again.tasks == ("generate", "inpaint")
