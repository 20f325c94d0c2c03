"""Train the single-image SatUNet together with a small CLIP text encoder (VAE frozen).

    python -m training.train_unet --config training/configs/unet_mini.json [--resume]

v-prediction on the SD 2.1 schedule, Min-SNR-5 weighting (``diffusion.snr_gamma``; see
:mod:`training.diffusion` for the epsilon / v forms), per-field metadata dropout p = 0.1 (data side), caption
dropout ``train.caption_dropout`` (empty prompt; with the zeroed metadata this is the classifier-free
guidance unconditional branch), EMA of UNet and text encoder. The tokenizer is built from the caption
vocabulary (:mod:`training.tokenizer`) into ``<output_dir>/tokenizer`` unless ``pretrained.base`` has one.

Export (``<output_dir>/final``): ``unet/``, ``text_encoder/``, ``tokenizer/``, ``scheduler/``, ``vae/`` and a
``model_index.json``: a pipeline folder in the official layout.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from .base import DiffusionTask, to_tensor
from .common import main, train_settings
from .diffusion import diffusion_loss, make_train_scheduler, noisy_inputs
from .models import save_component, write_model_index, write_scheduler
from .sampling import ddim_sample


class UNetTask(DiffusionTask):
    """Train SatUNet + text encoder (v-prediction, Min-SNR, EMA)."""

    name = "unet"

    def build(self):
        self.setup_tokenizer()
        self.setup_frozen_vae()
        self.trainable["text_encoder"] = self.base_component("text_encoder")
        self.trainable["unet"] = self.base_component("unet")
        self.noise_scheduler = make_train_scheduler(self.prediction_type())

    def loss(self, batch, generator):
        dev = self.device
        latents = self.batch_latents(batch, generator)
        drop = float(train_settings(self.cfg).get("caption_dropout", 0.1))
        ehs = self.text_embeddings(batch["caption"], generator, drop)
        md = to_tensor(batch["metadata"], dev)
        noisy, t, target = noisy_inputs(self.noise_scheduler, latents, generator)
        pred = self.trainable["unet"](noisy, t, ehs, metadata=md).sample
        return diffusion_loss(pred, target, self.noise_scheduler, t, self.snr_gamma())

    def samples(self, batch, generator):
        s = self.cfg.get("sample", {})
        ehs = self.text_embeddings(batch["caption"])
        unc = self.text_embeddings([""])
        md = to_tensor(batch["metadata"])
        h = batch["image"].shape[-1] // 8
        lat = ddim_sample(self.trainable["unet"], ehs, md, (len(md), 4, h, h), generator, steps=int(s.get("steps", 20)),
                          guidance=float(s.get("guidance", 3.0)), uncond_ehs=unc, prediction_type=self.prediction_type())
        out = self.decode(lat)
        return [[batch["image"][i], out[i]] for i in range(len(out))]

    def export(self, folder: Path):
        dtype = train_settings(self.cfg)["save_dtype"]
        save_component(self.trainable["unet"], folder / "unet", dtype)
        save_component(self.trainable["text_encoder"], folder / "text_encoder", dtype)
        save_component(self.frozen["vae"], folder / "vae", dtype)
        self.tokenizer.save_pretrained(str(folder / "tokenizer"))
        write_scheduler(folder / "scheduler", self.prediction_type())
        write_model_index(folder)


if __name__ == "__main__":
    sys.exit(main(UNetTask))
