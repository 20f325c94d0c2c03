"""The part the three ControlNet trainers share: frozen VAE / text encoder / SatUNet, trainable ControlNet.

``pretrained.base``: the UNet run's ``final/`` folder (``unet/``, ``text_encoder/``, ``tokenizer/``);
``pretrained.controlnet``: optional ControlNet folder to fine-tune. The ControlNet is built with
``from_unet`` (copies conv_in, time / metadata embeddings, down and mid blocks; zero convs at zero).
Loss: v-prediction + Min-SNR on the UNet output given the ControlNet residuals (as the official
``train_controlnet.py``).
"""

from __future__ import annotations

from pathlib import Path

import torch

from backend.model_layout import vae_factor

from .base import DiffusionTask, to_tensor
from .common import resolve_path, train_settings
from .diffusion import diffusion_loss, make_train_scheduler, noisy_inputs
from .models import build_controlnet, load_component, save_component
from .sampling import ddim_sample


class ControlNetTask(DiffusionTask):
    kind = "2d"  # or '3d'
    folder_name = "controlnet"
    conditioning_in_channels = 3
    conditioning_scale = 1

    def build(self):
        self.setup_tokenizer()
        self.setup_frozen_vae()
        self.frozen["text_encoder"] = self.base_component("text_encoder")
        self.frozen["unet"] = self.base_component("unet")
        cn_cfg = self.cfg.get("controlnet", {})
        pre = resolve_path(self.cfg.get("pretrained", {}).get("controlnet"))
        if pre is not None and pre.exists():
            cn = load_component(pre, self.folder_name)
        else:
            cn = build_controlnet(self.frozen["unet"], self.kind,
                                  int(cn_cfg.get("conditioning_in_channels", self.conditioning_in_channels)),
                                  int(cn_cfg.get("conditioning_scale", self.conditioning_scale)),
                                  tuple(cn_cfg.get("conditioning_embedding_out_channels", (16, 32, 96, 256))),
                                  vae_factor=vae_factor(self.frozen["vae"].config))
        self.trainable["controlnet"] = cn
        self.noise_scheduler = make_train_scheduler(self.prediction_type())

    def loss(self, batch, generator):
        dev = self.device
        latents = self.batch_latents(batch, generator)
        drop = float(train_settings(self.cfg).get("caption_dropout", 0.0))
        with torch.no_grad():
            ehs = self.text_embeddings(batch["caption"], generator, drop)
        md = to_tensor(batch["metadata"], dev)
        cmd = to_tensor(batch["cond_metadata"], dev)
        control = to_tensor(batch["control"], dev)
        noisy, t, target = noisy_inputs(self.noise_scheduler, latents, generator)
        down, mid = self.trainable["controlnet"](noisy, t, ehs, controlnet_cond=control, conditioning_scale=1.0,
                                                 metadata=md, cond_metadata=cmd, return_dict=False)
        pred = self.frozen["unet"](noisy, t, ehs, metadata=md, down_block_additional_residuals=down,
                                   mid_block_additional_residual=mid).sample
        return diffusion_loss(pred, target, self.noise_scheduler, t, self.snr_gamma())

    def generate(self, batch, generator, steps=None, guidance=None):
        """Sample images (N, 3, H, W) in [0, 1] for a batch (control + metadata + captions)."""
        s = self.cfg.get("sample", {})
        ehs = self.text_embeddings(batch["caption"])
        unc = self.text_embeddings([""])
        md = to_tensor(batch["metadata"])
        h = batch["image"].shape[-1] // 8
        lat = ddim_sample(self.frozen["unet"], ehs, md, (len(md), 4, h, h), generator,
                          steps=int(steps or s.get("steps", 20)), guidance=float(guidance or s.get("guidance", 1.0)),
                          uncond_ehs=unc, controlnet=self.trainable["controlnet"], control=to_tensor(batch["control"]),
                          cond_metadata=to_tensor(batch["cond_metadata"]), prediction_type=self.prediction_type())
        return self.decode(lat)

    def control_panels(self, batch, i):
        return [batch["control"][i][:3]]

    def samples(self, batch, generator):
        out = self.generate(batch, generator)
        gain = float(self.cfg.get("sample", {}).get("display_gain", 1.0))
        return [[p * gain for p in self.control_panels(batch, i)] + [out[i] * gain, batch["image"][i] * gain]
                for i in range(len(out))]

    def export(self, folder: Path):
        save_component(self.trainable["controlnet"], folder / self.folder_name, train_settings(self.cfg)["save_dtype"])
