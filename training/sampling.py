"""A small DDIM sampler over arrays (sample grids during training and ``training.evaluate``).

Classifier-free guidance as the official pipelines: the batch is [unconditional, conditional]; the
unconditional half uses the empty prompt and all-zero metadata (and all-zero control metadata); the control
image is duplicated, not zeroed.
"""

from __future__ import annotations

from typing import Optional

import torch

from .models import SD21_SCHEDULER


def make_sampler(prediction_type: str = "v_prediction"):
    from diffusers import DDIMScheduler

    cfg = dict(SD21_SCHEDULER, prediction_type=prediction_type)
    return DDIMScheduler.from_config(cfg)  # ignores keys this diffusers version does not take


@torch.no_grad()
def ddim_sample(unet, ehs: torch.Tensor, metadata: torch.Tensor, shape, generator: torch.Generator, steps: int = 20,
                guidance: float = 1.0, uncond_ehs: Optional[torch.Tensor] = None, controlnet=None,
                control: Optional[torch.Tensor] = None, cond_metadata: Optional[torch.Tensor] = None,
                control_scale: float = 1.0, prediction_type: str = "v_prediction") -> torch.Tensor:
    sched = make_sampler(prediction_type)
    sched.set_timesteps(int(steps))
    dev = next(unet.parameters()).device
    latents = torch.randn(shape, generator=generator).to(dev)
    ehs, metadata = ehs.to(dev), metadata.to(dev)
    uncond_ehs = None if uncond_ehs is None else uncond_ehs.to(dev)
    control = None if control is None else control.to(dev)
    cond_metadata = None if cond_metadata is None else cond_metadata.to(dev)
    use_cfg = guidance is not None and guidance > 1.0 and uncond_ehs is not None
    if use_cfg:
        ehs_in = torch.cat([uncond_ehs.expand_as(ehs), ehs])
        md_in = torch.cat([torch.zeros_like(metadata), metadata])
        cmd_in = None if cond_metadata is None else torch.cat([torch.zeros_like(cond_metadata), cond_metadata])
        ctl_in = None if control is None else torch.cat([control, control])
    else:
        ehs_in, md_in, cmd_in, ctl_in = ehs, metadata, cond_metadata, control
    for t in sched.timesteps:
        x = torch.cat([latents, latents]) if use_cfg else latents
        tt = torch.full((x.shape[0],), int(t), dtype=torch.long, device=dev)
        kwargs = {}
        if controlnet is not None:
            down, mid = controlnet(x, tt, ehs_in, controlnet_cond=ctl_in, conditioning_scale=control_scale,
                                   metadata=md_in, cond_metadata=cmd_in, return_dict=False)
            kwargs = {"down_block_additional_residuals": down, "mid_block_additional_residual": mid}
        pred = unet(x, tt, ehs_in, metadata=md_in, **kwargs).sample
        if use_cfg:
            u, c = pred.chunk(2)
            pred = u + guidance * (c - u)
        latents = sched.step(pred, t, latents, eta=0.0).prev_sample
    return latents


__all__ = ["ddim_sample", "make_sampler"]
