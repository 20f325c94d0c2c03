"""What the diffusion trainers share: data from the config, tokenizer / VAE / text encoder / UNet set-up.

Config sections used here (see ``training/configs/*.json``):

* ``data``: ``root`` (folder of GeoTIFFs), ``sources`` (per-file spec JSON), ``include`` / ``exclude``
  (glob patterns), ``size``, ``zooms``, ``holdout_frac``, ``min_holdout``, ``md_dropout``, ``flips``,
  ``fmow_root`` (use the fMoW adapter instead), ``fixed_batch`` (tests);
* ``pretrained``: ``vae`` (an AutoencoderKL folder), ``base`` (a folder with ``unet/``, ``text_encoder/``,
  ``tokenizer/``: the UNet run's ``final/``); missing -> randomly initialised from ``vae`` / ``unet`` /
  ``text_encoder`` sections (tiny test configs; a warning is printed) unless ``pretrained.required`` is true
  (the mini configs), which makes a missing folder an error;
* ``tokenizer``: ``{"texts": [...]}`` extra caption texts for the tokenizer built by the UNet trainer.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Optional

import numpy as np
import torch

from .common import Task, resolve_path
from .datasets.fmow import FMoWDataset
from .datasets.geotiff import GeoTiffCrops
from .datasets.raster import discover, load_source_specs
from .diffusion import sample_posterior, to_device
from .models import build_text_encoder, build_unet, build_vae, load_component
from .tokenizer import build_tokenizer, tokenize

_SCENE_CACHE = {}


def rgb_scenes(data_cfg: dict):
    if data_cfg.get("pack"):  # arrays written by training.make_pack (machines without GDAL)
        from .datasets.pack import load_pack

        return load_pack(resolve_path(data_cfg["pack"]))["rgb"]
    root = resolve_path(data_cfg["root"])
    sources = resolve_path(data_cfg.get("sources"))
    key = (str(root), str(sources), tuple(data_cfg.get("include") or ()), tuple(data_cfg.get("exclude") or ()))
    if key not in _SCENE_CACHE:
        specs = load_source_specs(sources) if sources else {}
        _SCENE_CACHE[key] = discover(root, specs, bands="rgb", include=data_cfg.get("include"),
                                     exclude=tuple(data_cfg.get("exclude") or ("*mask*",)))
    return _SCENE_CACHE[key]


def rgb_dataset(data_cfg: dict, split: str):
    if data_cfg.get("fmow_root"):
        return FMoWDataset(resolve_path(data_cfg["fmow_root"]), split="train" if split == "train" else "val",
                           size=int(data_cfg.get("size", 64)),
                           md_dropout=float(data_cfg.get("md_dropout", 0.1)) if split == "train" else 0.0)
    return GeoTiffCrops(
        rgb_scenes(data_cfg), size=int(data_cfg.get("size", 64)), split=split, zooms=tuple(data_cfg.get("zooms", [1])),
        holdout_frac=float(data_cfg.get("holdout_frac", 0.25)), min_holdout=int(data_cfg.get("min_holdout", 32)),
        md_dropout=float(data_cfg.get("md_dropout", 0.1)) if split == "train" else 0.0,
        flips=bool(data_cfg.get("flips", True)) and split == "train",
    )


def to_tensor(x, device=None) -> torch.Tensor:
    if isinstance(x, torch.Tensor):  # a batch of a pool kept on the device (training.pool)
        return x.to(device=device if device is not None else x.device, dtype=torch.float32)
    t = torch.as_tensor(np.ascontiguousarray(x), dtype=torch.float32)
    return t if device is None else to_device(t, device)


class DiffusionTask(Task):
    """Base of the UNet and ControlNet trainers (VAE frozen, v-prediction, Min-SNR)."""

    def make_data(self, split: str = "train"):
        cache = self.__dict__.setdefault("_data_cache", {})
        if split not in cache:
            cache[split] = self.build_data(split)
        return cache[split]

    def build_data(self, split: str):
        return rgb_dataset(self.cfg["data"], split)

    def setup_frozen_vae(self):
        pre = self.cfg.get("pretrained", {})
        path = resolve_path(pre.get("vae"))
        if path is not None and path.exists():
            vae = load_component(path, "vae")
        else:
            if path is not None and pre.get("required"):
                raise FileNotFoundError(f"pretrained VAE {path} does not exist (train it first: training.train_vae)")
            if path is not None:
                warnings.warn(f"pretrained VAE {path} not found; using a randomly initialised VAE")
            vae = build_vae(self.cfg["vae"])
        self.frozen["vae"] = vae
        self.scaling_factor = float(vae.config.scaling_factor)

    def setup_tokenizer(self, folder: Optional[Path] = None):
        pre = self.cfg.get("pretrained", {})
        base = resolve_path(pre.get("base"))
        if base is not None and (base / "tokenizer").exists():
            self.tokenizer = load_component(base / "tokenizer", "tokenizer")
            return
        folder = Path(folder) if folder is not None else Path(self.out_dir) / "tokenizer"
        texts = list(self.cfg.get("tokenizer", {}).get("texts", [])) + self.caption_texts()
        self.tokenizer = build_tokenizer(folder, texts)

    def caption_texts(self):
        """Captions of the training data (so every caption word is in the tokenizer's vocabulary)."""
        d = self.cfg.get("data", {})
        if d.get("fmow_root") or not d.get("root"):
            return []
        from .datasets.captions import scene_caption

        try:
            return sorted({scene_caption(s.sensor, s.place) for s in rgb_scenes(d)})
        except (OSError, ValueError):
            return []

    def base_component(self, kind: str):
        base = resolve_path(self.cfg.get("pretrained", {}).get("base"))
        if base is not None and (base / kind).exists():
            return load_component(base / kind, kind)
        if base is not None and self.cfg.get("pretrained", {}).get("required"):
            raise FileNotFoundError(f"{base / kind} does not exist (train the UNet first: training.train_unet)")
        if base is not None:
            warnings.warn(f"{base / kind} not found; using a randomly initialised {kind}")
        if kind == "unet":
            return build_unet(self.cfg["unet"])
        return build_text_encoder(self.cfg["text_encoder"], self.tokenizer)

    # ------------------------------------------------------------------ pieces
    @property
    def device(self):
        return self.accelerator.device if self.accelerator is not None else torch.device("cpu")

    def text_embeddings(self, captions, generator: Optional[torch.Generator] = None, drop: float = 0.0):
        captions = list(captions)
        if drop > 0 and generator is not None:
            r = torch.rand(len(captions), generator=generator)
            captions = ["" if float(r[i]) < drop else c for i, c in enumerate(captions)]
        ids = to_device(self.token_ids(captions), self.device)
        te = self.trainable.get("text_encoder") or self.frozen["text_encoder"]
        return te(ids)[0]

    def token_ids(self, captions) -> torch.Tensor:
        """(B, 77) token ids, each distinct caption tokenized once: the captions are a few dozen strings, and
        tokenizing a batch of 256 in Python took 36 ms a step, a large share of a GPU step."""
        cache = self.__dict__.setdefault("_token_cache", {})
        new = [c for c in dict.fromkeys(captions) if c not in cache]
        if new:
            cache.update(zip(new, tokenize(self.tokenizer, new)))
        return torch.stack([cache[c] for c in captions])

    def encode_images(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        with torch.no_grad():
            dist = self.frozen["vae"].encode(images * 2.0 - 1.0).latent_dist
            return sample_posterior(dist, generator) * self.scaling_factor

    def batch_latents(self, batch: dict, generator: torch.Generator) -> torch.Tensor:
        """The batch's images as scaled latents: drawn from the posterior stored by :meth:`encode_pool` when the
        pool holds one (the same noise draw from ``generator`` as :meth:`encode_images`), else encoded now."""
        if "latent_mean" not in batch:
            return self.encode_images(to_tensor(batch["image"], self.device), generator)
        dist = SimpleNamespace(mean=to_tensor(batch["latent_mean"], self.device),
                               std=to_tensor(batch["latent_std"], self.device))
        return sample_posterior(dist, generator) * self.scaling_factor

    @torch.no_grad()
    def encode_pool(self, pool, chunk: int = 256, log=print):
        """Replace the pool's images by their VAE posteriors (mean and std), encoded once (``train.latent_pool``).

        The VAE is frozen, so encoding the same crop at every step is wasted work: on a 2-core CPU it took
        twice as long as the UNet's step itself (64 px crops, the 0.3 VAE). The posterior is still sampled
        afresh at each step (:meth:`batch_latents`)."""
        vae = self.frozen["vae"]
        dev = next(vae.parameters()).device
        images = pool.arrays.pop("image")
        means, stds, t0 = [], [], time.time()
        for i in range(0, len(images), chunk):
            x = torch.as_tensor(images[i:i + chunk]).float().to(dev)
            dist = vae.encode(x * 2.0 - 1.0).latent_dist
            means.append(dist.mean.float().cpu().numpy())
            stds.append(dist.std.float().cpu().numpy())
            if i // chunk % 20 == 0:
                log(f"latent pool: {i + len(x)} / {len(images)} encoded in {time.time() - t0:.0f} s")
        pool.arrays["latent_mean"] = np.concatenate(means)
        pool.arrays["latent_std"] = np.concatenate(stds)
        pool.tensors = None  # moved to the device again by the caller

    @torch.no_grad()
    def decode(self, latents: torch.Tensor) -> np.ndarray:
        vae = self.frozen["vae"]
        img = vae.decode((latents / self.scaling_factor).to(next(vae.parameters()).device)).sample
        return ((img.clamp(-1, 1) + 1.0) / 2.0).float().cpu().numpy()

    def snr_gamma(self):
        return self.cfg.get("diffusion", {}).get("snr_gamma", 5.0)

    def prediction_type(self):
        return self.cfg.get("diffusion", {}).get("prediction_type", "v_prediction")


__all__ = ["DiffusionTask", "rgb_dataset", "rgb_scenes", "to_tensor"]
