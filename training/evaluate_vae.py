"""How much of a real image a VAE gives back: the ceiling on what any latent diffusion model built on it can
generate, measured on the whole scenes the 0.3 pack holds out (never trained on).

    python -m training.evaluate_vae VAE [VAE ...] [--data ../shared/data] [--tiles 24] [--size 64]

Each ``VAE`` is a ``vae/`` folder or a model folder holding one. Per scene, ``--tiles`` tiles of ``--size``
px spread over the whole scene are encoded (the posterior's mode) and decoded; against the real tile:
PSNR, SSIM, and ``training.sample_grid``'s texture and structure ratios (1.0 = as much fine detail, and as
much variance at periods of 4-16 px, as the real tile; a blurring VAE scores below 1). A generated image
cannot have more structure than its VAE gives back on real images, so a structure ratio far below 1 here
says the VAE, not the UNet, is where generated detail is lost.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from backend.model_layout import vae_factor

from . import metrics as M
from .evaluate import SHARED_DATA
from .models import count_parameters, load_component
from .sample_grid import heldout_scenes, sample_stats


def spread_tiles(scene, size: int, count: int, max_invalid: float = 0.02):
    """Up to ``count`` (x0, y0) of valid ``size`` px tiles on an even grid over the whole scene."""
    h, w = scene.image.shape[1:]
    side = max(1, int(np.ceil(np.sqrt(count))))
    ys = np.linspace(0, h - size, side).astype(int)
    xs = np.linspace(0, w - size, side).astype(int)
    out = [(x, y) for y in ys for x in xs if 1.0 - scene.valid[y:y + size, x:x + size].mean() <= max_invalid]
    return out[:count]


def vae_folder(path) -> Path:
    path = Path(path)
    return path / "vae" if (path / "vae" / "config.json").is_file() else path


@torch.no_grad()
def reconstruct(vae, tiles: np.ndarray) -> np.ndarray:
    """(N, 3, s, s) images in [0, 1] -> their reconstructions (posterior mode), in [0, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(tiles, dtype=np.float32)) * 2 - 1
    rec = vae.decode(vae.encode(x).latent_dist.mode()).sample
    return ((rec.clamp(-1, 1) + 1) / 2).numpy()


def evaluate(vae, scenes, size: int, count: int) -> dict:
    """{scene name: {psnr, ssim, texture, structure, tiles}} and 'mean' over the scenes."""
    out = {}
    for scene in scenes:
        xy = spread_tiles(scene, size, count)
        if not xy:
            continue
        tiles = np.stack([scene.image[:3, y:y + size, x:x + size] for x, y in xy])
        rec = reconstruct(vae, tiles)
        rows = []
        for real, r in zip(tiles, rec):
            st = sample_stats(real, [r])
            rows.append({"psnr": M.psnr(r, real), "ssim": M.ssim(r, real), "texture": st["texture"],
                         "structure": st["structure"]})
        out[scene.name] = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]} | {"tiles": len(rows)}
    keys = ("psnr", "ssim", "texture", "structure")
    out["mean"] = {k: float(np.mean([v[k] for v in out.values()])) for k in keys}
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("vae", nargs="+", help="vae/ folders or model folders holding one")
    p.add_argument("--data", default=str(SHARED_DATA))
    p.add_argument("--tiles", type=int, default=24, help="tiles per scene")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    scenes = list(heldout_scenes(args.data))
    print("VAE reconstruction of whole held-out scenes (posterior mode): PSNR dB / SSIM / texture ratio / "
          "structure ratio (1.0 = as the real tile)")
    for path in args.vae:
        vae = load_component(vae_folder(path), "vae").eval()
        res = evaluate(vae, scenes, args.size, args.tiles)
        print(f"{path} ({count_parameters(vae) / 1e6:.2f} M parameters, x{vae_factor(vae.config)}, "
              f"{vae.config.latent_channels} latent channels)")
        for name, r in res.items():
            tiles = f", {r['tiles']} tiles" if "tiles" in r else ""
            print(f"  {name}: {r['psnr']:.2f} / {r['ssim']:.3f} / {r['texture']:.2f} / {r['structure']:.2f}{tiles}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
