"""Noise schedule, targets and the Min-SNR loss weighting.

Schedule: the SD 2.1 (768-v) one: scaled_linear betas 0.00085-0.012, 1000 steps, v-prediction.

With x_t = a x_0 + s eps (a = sqrt(alphā_t), s = sqrt(1 - alphā_t), SNR = a^2 / s^2) and the velocity
v = a eps - s x_0, one has x_0 = a x_t - s v, hence

* ||x_0 - x̂_0||^2 = s^2 ||v - v̂||^2 = ||v - v̂||^2 / (SNR + 1)
* ||x_0 - x̂_0||^2 = ||eps - epŝ||^2 / SNR

Min-SNR-gamma (Hang et al. 2023) weights the x_0-space loss by min(SNR, gamma). Expressed on the loss that
is actually computed this is

* epsilon-prediction:  w = min(SNR, gamma) / SNR
* v-prediction:        w = min(SNR, gamma) / (SNR + 1)

which is what the official DiffusionSat training code uses (``snr_gamma`` 5; ``/ snr`` for epsilon,
``/ (snr + 1)`` for v_prediction) and what :func:`min_snr_weights` computes; we verified the v-form from
the identity above (dividing by SNR for a v-model, as some early scripts did, over-weights the low-SNR
steps by (SNR + 1) / SNR). ``tests/test_training.py`` checks the weights against this derivation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .models import SD21_SCHEDULER


def make_train_scheduler(prediction_type: str = "v_prediction"):
    from diffusers import DDPMScheduler

    cfg = {k: v for k, v in SD21_SCHEDULER.items() if not k.startswith("_") and k not in ("set_alpha_to_one", "skip_prk_steps")}
    cfg["prediction_type"] = prediction_type
    return DDPMScheduler(**cfg)


def compute_snr(scheduler, timesteps: torch.Tensor) -> torch.Tensor:
    ac = scheduler.alphas_cumprod.to(device=timesteps.device, dtype=torch.float32)[timesteps]
    return ac / (1.0 - ac)


def min_snr_weights(snr: torch.Tensor, gamma: float, prediction_type: str) -> torch.Tensor:
    clipped = torch.clamp(snr, max=float(gamma))
    if prediction_type == "epsilon":
        return clipped / snr
    if prediction_type == "v_prediction":
        return clipped / (snr + 1.0)
    if prediction_type == "sample":
        return clipped
    raise ValueError(f"unknown prediction type {prediction_type!r}")


def to_device(t: torch.Tensor, device) -> torch.Tensor:
    """A CPU tensor on ``device``. To a GPU through pinned memory, without waiting: a copy from ordinary
    memory first waits for every kernel already queued, so each training step would wait for the last one
    instead of preparing the next batch while the GPU works."""
    device = torch.device(device)
    if device.type == "cuda" and t.device.type == "cpu":
        return t.pin_memory().to(device, non_blocking=True)
    return t.to(device)


def sample_posterior(dist, generator: torch.Generator) -> torch.Tensor:
    """A draw from the VAE's latent distribution, its noise from the (CPU) ``generator``: diffusers' own
    ``sample`` moves that noise with a waiting copy."""
    noise = torch.randn(dist.mean.shape, generator=generator, dtype=dist.mean.dtype)
    return dist.mean + dist.std * to_device(noise, dist.mean.device)


def noisy_inputs(scheduler, latents: torch.Tensor, generator: torch.Generator):
    """Draw noise and timesteps from ``generator``; return (noisy latents, timesteps, target)."""
    noise = torch.randn(latents.shape, generator=generator, dtype=latents.dtype)
    t = torch.randint(0, scheduler.config.num_train_timesteps, (latents.shape[0],), generator=generator).long()
    noise, t = to_device(noise, latents.device), to_device(t, latents.device)
    noisy = scheduler.add_noise(latents, noise, t)
    if scheduler.config.prediction_type == "v_prediction":
        target = scheduler.get_velocity(latents, noise, t)
    elif scheduler.config.prediction_type == "epsilon":
        target = noise
    else:
        target = latents
    return noisy, t, target


def diffusion_loss(pred: torch.Tensor, target: torch.Tensor, scheduler, timesteps, snr_gamma=None) -> torch.Tensor:
    if not snr_gamma:
        return F.mse_loss(pred.float(), target.float())
    snr = compute_snr(scheduler, timesteps)
    w = min_snr_weights(snr, snr_gamma, scheduler.config.prediction_type)
    loss = F.mse_loss(pred.float(), target.float(), reduction="none").mean(dim=list(range(1, pred.dim())))
    return (loss * w).mean()


__all__ = ["make_train_scheduler", "compute_snr", "min_snr_weights", "noisy_inputs", "diffusion_loss"]
