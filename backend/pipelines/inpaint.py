"""Inpainting: regenerate the masked part of an image, keep the rest.

Two methods:

``"blend"`` (training-free, any base checkpoint): Blended Latent Diffusion -- O. Avrahami, O. Fried,
D. Lischinski, "Blended Latent Diffusion", ACM Trans. Graph. 42(4) (SIGGRAPH 2023). The known image is
encoded once, ``z0 = E(x)``. The sampler starts from noise ``eps`` in the masked region and from
``add_noise(z0, eps, t_0)`` elsewhere; after every scheduler step (``t_i -> t_{i+1}``) the known region is
replaced by ``scheduler.add_noise(z0, eps, t_{i+1})`` (the forward-noised original at the *next* timestep,
with one fixed noise draw ``eps``, the same tensor as the initial latents), and by ``z0`` itself after
the last step. Only the masked region is generated; it is denoised in the context of the (noised) known
region, which is what makes the seam coherent.

``"controlnet"``: a 2-D ControlNet trained for inpainting by our training code (4 control channels =
``RGB * (1 - mask)`` and ``mask``, control at the output resolution, i.e. config
``conditioning_in_channels = 4``, ``conditioning_scale = 1``); the cond metadata is the target metadata.
``blend=True`` additionally applies the latent blending above.

Mask edge handling. In latent space the pixel mask is reduced to the latent grid with max pooling (a
latent pixel is generated if any of its 8x8 pixels is masked), dilated by one latent pixel (the VAE's
receptive field smears the edge) and feathered (a 3x3 box blur outside the hard region, so the blend
weight falls from 1 to 0 over one more latent pixel). In pixel space the decoded image is composited
onto the input with a mask feathered *inside* the masked region (``w = min(mask, blur(mask))``): every
pixel with mask 0 is exactly the input, pixels well inside the mask are exactly the generated image,
and the ``feather`` pixels along the mask border cross-fade (a mask narrower than ``2 * feather`` never
reaches full weight: use a smaller ``feather`` for thin masks).
"""

from __future__ import annotations

import dataclasses
from typing import Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F

from .base import (ControlSpec, MetadataLike, PipelineBase, PipelineError, PipelineResult, as_float_tensor,
                   broadcast_batch, _generator_device, check_size, expand, make_generator, metadata_batch,
                   resolve_steps)
from .generate import check_num_images, prompt_list
from .request import SamplingRequest

METHODS = ("auto", "blend", "controlnet")


def image_batch(image) -> torch.Tensor:
    """RGB in [0, 1] -> ``(N, 3, H, W)``.

    Channels last ``(H, W, 3)`` / ``(N, H, W, 3)`` (like the pipeline outputs) or channels first
    ``(3, H, W)`` / ``(N, 3, H, W)``; a last axis of 3 means channels last.
    """
    t = as_float_tensor(image, "image")
    if t.ndim == 3:
        t = t.unsqueeze(0)
    if t.ndim == 4 and t.shape[-1] == 3:
        t = t.permute(0, 3, 1, 2)
    if t.ndim != 4 or t.shape[1] != 3:
        shape = tuple(as_float_tensor(image, "image").shape)
        raise PipelineError(f"image must be RGB (H, W, 3) or (N, H, W, 3) in [0, 1], got {shape}")
    if float(t.min()) < -1e-3 or float(t.max()) > 1 + 1e-3:
        raise PipelineError("image values must be in [0, 1] (scale 8/16-bit data first)")
    return t.clamp(0, 1).contiguous()


def mask_batch(mask, height: int, width: int) -> torch.Tensor:
    """Mask ``(H, W)`` / ``(N, H, W)`` (bool or float, 1 = regenerate) -> float32 ``(N, 1, H, W)`` in [0, 1]."""
    t = as_float_tensor(mask, "mask")
    if t.ndim == 2:
        t = t.unsqueeze(0)
    if t.ndim == 4 and t.shape[1] == 1:
        t = t[:, 0]
    if t.ndim != 3 or tuple(t.shape[1:]) != (height, width):
        raise PipelineError(f"mask must be (H, W) = {(height, width)} (or (N, H, W)), got {tuple(t.shape)}")
    if float(t.min()) < 0 or float(t.max()) > 1:
        raise PipelineError("mask values must be in [0, 1] (1 = regenerate, 0 = keep)")
    return t.unsqueeze(1)


def latent_mask(mask: torch.Tensor, factor: int) -> torch.Tensor:
    """Pixel mask ``(N, 1, H, W)`` -> latent blend weight ``(N, 1, H/f, W/f)``: max-pool, dilate 1, feather 1."""
    hard = F.max_pool2d(mask, kernel_size=factor, stride=factor)
    hard = F.max_pool2d(hard, kernel_size=3, stride=1, padding=1)
    soft = F.avg_pool2d(hard, kernel_size=3, stride=1, padding=1, count_include_pad=False)
    return torch.maximum(hard, soft)


def pixel_weight(mask: torch.Tensor, feather: int) -> torch.Tensor:
    """Compositing weight of the generated image: 0 where mask is 0, ramps to the mask over ``feather`` px inside."""
    if feather <= 0:
        return mask
    k = 2 * int(feather) + 1
    inside = (mask > 0).to(mask.dtype)
    blurred = F.avg_pool2d(inside, kernel_size=k, stride=1, padding=int(feather), count_include_pad=False)
    # along a straight edge the box blur is ~0.5 on the border and 1 at `feather` px inside
    ramp = (2 * blurred - 1).clamp(0, 1) * inside
    return mask * ramp * ramp * (3 - 2 * ramp)  # smoothstep


class LatentBlender:
    """Blended Latent Diffusion step: keep the known region on the forward-noised original trajectory."""

    def __init__(self, z0: torch.Tensor, noise: torch.Tensor, weight: torch.Tensor):
        self.z0, self.noise, self.weight = z0, noise, weight

    def start(self, scheduler, latents: torch.Tensor, t0) -> torch.Tensor:
        known = scheduler.add_noise(self.z0, self.noise, t0.reshape(1))
        return self.weight * latents + (1 - self.weight) * known

    def __call__(self, scheduler, t_next, latents: torch.Tensor) -> torch.Tensor:
        known = self.z0 if t_next is None else scheduler.add_noise(self.z0, self.noise, t_next.reshape(1))
        return self.weight * latents + (1 - self.weight) * known


class InpaintMixin:
    def inpaint(
        self: PipelineBase,
        image,
        mask,
        prompt: Union[str, Sequence[str]] = "",
        metadata: Union[MetadataLike, Sequence[MetadataLike]] = None,
        *,
        method: str = "auto",
        feather: int = 0,
        blend: Optional[bool] = None,
        num_images: int = 1,
        control_strength: float = 1.0,
        **sampling,
    ) -> PipelineResult:
        """Regenerate the masked part of ``image``.

        ``image``: RGB float ``(H, W, 3)`` (or ``(B, H, W, 3)``; channels first also accepted) in ``[0, 1]``,
        H and W multiples of 8.
        ``mask``: ``(H, W)`` (or ``(B, H, W)``), 1/True = regenerate, 0 = keep (soft values allowed).
        ``method``: ``"blend"`` (Blended Latent Diffusion, any checkpoint), ``"controlnet"`` (needs an
        inpainting ControlNet) or ``"auto"`` (the ControlNet if the checkpoint has one, else blend).
        ``feather``: width in pixels of a cross-fade inside the mask border (0, the default = hard edge).
        The fade mixes in the pixels *under* the mask, so keep it 0 for clouds: with 8 px a cloud's
        border came back half-cloud, and a mask thinner than the fade was not filled at all. Pixels where
        the mask is 0 are always returned exactly as given. Other arguments as in :meth:`generate`.
        """
        request = SamplingRequest.from_options(sampling)
        if request.latents is not None:
            raise PipelineError("inpaint draws its own starting latents (on the known region's trajectory)")
        if method not in METHODS:
            raise PipelineError(f"method must be one of {METHODS}, got {method!r}")
        if method == "auto":
            method = "controlnet" if self.inpaint_controlnet is not None else "blend"
        if method == "controlnet" and self.inpaint_controlnet is None:
            raise PipelineError("this checkpoint has no inpainting ControlNet; use method='blend'")
        if blend is None:
            blend = method == "blend"
        if method == "blend" and not blend:
            raise PipelineError("method='blend' needs blend=True")
        if isinstance(feather, bool) or not isinstance(feather, (int, np.integer)) or feather < 0:
            raise PipelineError(f"feather must be a whole number of pixels >= 0, got {feather!r}")
        num_images = check_num_images(num_images)

        img = image_batch(image)
        height, width = int(img.shape[2]), int(img.shape[3])
        check_size(height, width, self.vae_scale_factor)
        msk = mask_batch(mask, height, width)
        prompts = prompt_list(prompt)
        mds = metadata_batch(metadata)
        batch = broadcast_batch(image=list(img), mask=list(msk), prompt=prompts, metadata=mds)
        img = (img.expand(batch, -1, -1, -1) if img.shape[0] == 1 else img).repeat_interleave(num_images, 0)
        msk = (msk.expand(batch, -1, -1, -1) if msk.shape[0] == 1 else msk).repeat_interleave(num_images, 0)
        n = img.shape[0]
        md_rows = np.stack(expand(mds, batch, num_images))

        control = None
        if method == "controlnet":
            cond = torch.cat([img * (1 - msk), msk], dim=1)
            control = ControlSpec(
                model=self.inpaint_controlnet,
                cond=cond,
                cond_metadata=torch.from_numpy(md_rows.copy()),
                scale=float(control_strength),
            )

        generator, seed = make_generator(request.seed, request.generator)
        blender = None
        latents = None
        if blend:
            # Draw the noise exactly as _sample would draw its latents, so the masked region starts from the
            # same noise as a plain generation with this seed; then start the known region on its trajectory.
            from diffusers.utils.torch_utils import randn_tensor

            from . import schedulers as _sched

            f = self.vae_scale_factor
            noise = randn_tensor(
                (n, self.latent_channels, height // f, width // f), generator=generator,
                device=_generator_device(generator), dtype=torch.float32,
            ).to(self.device)
            z0 = self.encode_images(img)
            weight = latent_mask(msk, f).to(self.device)
            blender = LatentBlender(z0, noise, weight)
            probe = _sched.make_scheduler(request.scheduler, self.scheduler)
            probe.set_timesteps(resolve_steps(request.scheduler, request.steps))
            latents = blender.start(probe, noise * probe.init_noise_sigma, probe.timesteps[0])
            latents = latents / probe.init_noise_sigma  # _sample multiplies by init_noise_sigma again

        request = dataclasses.replace(request, seed=None, generator=generator, latents=latents)
        result = self._sample(request, prompts=expand(prompts, batch, num_images), metadata=md_rows, height=height,
                              width=width, control=control, blend=blender)
        w = pixel_weight(msk, int(feather)).permute(0, 2, 3, 1).numpy()
        original = img.permute(0, 2, 3, 1).numpy()
        generated = result.images
        composite = np.where(w > 0, w * generated + (1 - w) * original, original).astype(np.float32)
        result.info.update(method=method, blend=bool(blend), feather=int(feather), generated=generated)
        result.images = composite
        result.seed = seed
        return result


__all__ = ["InpaintMixin", "LatentBlender", "latent_mask", "pixel_weight", "METHODS"]
