"""Train the small AutoencoderKL of the mini model (x8 down-sampling, 4 latent channels).

    python -m training.train_vae --config training/configs/vae_mini.json [--resume]

Loss: L1 reconstruction (mean over pixels) + ``kl_weight`` x KL(q(z|x) || N(0, I)) summed over the latent and
divided by the number of image values (the LDM weighting: sum(|x - x̂|) + 1e-6 sum(KL)). The LPIPS
perceptual term and the adversarial loss of the SD VAE are left out (no LPIPS weights are bundled; the
mini VAE is accordingly blurrier). On export the latent scaling factor is measured as 1 / std of the
latents of 16 training batches (how SD's 0.18215 was obtained) and written to the config.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from .base import rgb_dataset, to_tensor
from .common import Task, main, train_settings
from .diffusion import sample_posterior
from .models import build_vae, save_component


class _VAEStep(torch.nn.Module):
    """Wraps the VAE so the whole encode-sample-decode goes through ``forward`` (DDP-safe)."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, x, generator=None):
        post = self.vae.encode(x).latent_dist
        z = post.sample(generator=generator) if generator is None else sample_posterior(post, generator)
        return self.vae.decode(z).sample, post.kl()


class VAETask(Task):
    """Train the mini VAE (L1 + small KL)."""

    name = "vae"

    def build(self):
        self.trainable["vae"] = _VAEStep(build_vae(self.cfg["vae"]))

    def make_data(self, split="train"):
        cache = self.__dict__.setdefault("_data_cache", {})
        if split not in cache:
            cache[split] = rgb_dataset(self.cfg["data"], split)
        return cache[split]

    def loss(self, batch, generator):
        x = to_tensor(batch["image"], self.accelerator.device) * 2.0 - 1.0
        rec, kl = self.trainable["vae"](x, generator)
        l1 = (rec.float() - x).abs().mean()
        kl_weight = float(self.cfg.get("loss", {}).get("kl_weight", 1e-6))
        return l1 + kl_weight * kl.sum() / x.numel()

    def samples(self, batch, generator):
        vae = self.unwrap("vae").vae
        x = to_tensor(batch["image"], next(vae.parameters()).device) * 2.0 - 1.0
        rec = vae.decode(vae.encode(x).latent_dist.mode()).sample
        rec = ((rec.clamp(-1, 1) + 1) / 2).float().cpu().numpy()
        return [[batch["image"][i], rec[i]] for i in range(len(rec))]

    def export(self, folder: Path):
        vae = self.unwrap("vae").vae
        data = self.make_data("train")
        seed = int(train_settings(self.cfg)["seed"])
        zs = []
        with torch.no_grad():
            for k in range(int(self.cfg.get("export_scaling_batches", 16))):
                b = data.batch(np.random.default_rng([seed, 2 ** 31 + k]), int(train_settings(self.cfg)["batch_size"]))
                x = to_tensor(b["image"], next(vae.parameters()).device) * 2 - 1
                zs.append(vae.encode(x).latent_dist.sample(generator=torch.Generator().manual_seed(k)).float().cpu())
        std = float(torch.cat(zs).std())
        vae.register_to_config(scaling_factor=1.0 / max(std, 1e-6))
        save_component(vae, folder / "vae", train_settings(self.cfg)["save_dtype"])


if __name__ == "__main__":
    sys.exit(main(VAETask))
