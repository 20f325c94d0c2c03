"""Image-quality metrics and the classical baselines (numpy / scipy only).

Images are (C, H, W) float arrays on a common scale (``data_range`` = max - min of that scale, 1 for [0, 1]).

* :func:`psnr` -- 10 log10(range^2 / MSE); ``inf`` for identical images; optional boolean ``mask`` (H, W)
  restricts the MSE to the masked pixels.
* :func:`ssim` -- Wang, Bovik, Sheikh & Simoncelli (2004): Gaussian window sigma 1.5 (11 x 11, truncated at
  3.5 sigma), K1 = 0.01, K2 = 0.03, computed per channel and averaged; the border where the window leaves
  the image (5 px) is excluded from the mean; with ``mask`` the SSIM map is averaged over the masked pixels.
  Identical images give exactly 1.
* :func:`spectral_angle` -- mean angle (radians, or degrees) between the per-pixel spectra, computed as
  2 atan2(|u - v|, |u + v|) of the unit vectors (exactly 0 for identical spectra, stable near 0);
  pixels with an all-zero spectrum are skipped.
* :func:`sr_consistency` -- PSNR between the super-resolved output area-averaged back to the input grid and
  the input (how faithful the output is to what was observed).
* :func:`mean_colour_error`, :func:`texture_error` -- inside a mask: the colour bias of a fill (per-band mean
  difference) and how far its texture (std of the high-pass, sigma 2 px) is from the truth's.
* :func:`bicubic_upsample` -- the SR baseline; :func:`biharmonic_fill` -- the inpainting baseline, the very
  function the product falls back to (:mod:`backend.tasks.classical_fill`).
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

from backend.tasks.classical_fill import biharmonic_fill  # the product's classical fill: one implementation
from backend.tasks.image_quality import SIGMA as _SIGMA, TRUNCATE as _TRUNCATE
from backend.tasks.image_quality import ssim_map  # the product's self-check scores with the same SSIM

TEXTURE_SIGMA = 2.0  # px; the high-pass of texture_error (fixed, whatever a fill design uses)


def _f64(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x[None] if x.ndim == 2 else x


def psnr(a, b, data_range: float = 1.0, mask: Optional[np.ndarray] = None) -> float:
    a, b = _f64(a), _f64(b)
    diff = (a - b) ** 2
    if mask is not None:
        m = np.asarray(mask, dtype=bool)
        if not m.any():
            return float("nan")
        mse = float(diff[:, m].mean())
    else:
        mse = float(diff.mean())
    if mse == 0.0:
        return float("inf")
    return 10.0 * math.log10(data_range ** 2 / mse)


def ssim(a, b, data_range: float = 1.0, mask: Optional[np.ndarray] = None) -> float:
    smap = ssim_map(a, b, data_range)
    r = int(_TRUNCATE * _SIGMA + 0.5)
    valid = np.zeros(smap.shape, dtype=bool)
    if smap.shape[0] > 2 * r and smap.shape[1] > 2 * r:
        valid[r:-r, r:-r] = True
    else:
        valid[:] = True
    if mask is not None:
        valid &= np.asarray(mask, dtype=bool)
        if not valid.any():
            valid = np.asarray(mask, dtype=bool)
        if not valid.any():
            return float("nan")
    return float(smap[valid].mean())


def spectral_angle(a, b, degrees: bool = False, mask: Optional[np.ndarray] = None) -> float:
    a, b = _f64(a), _f64(b)
    na, nb = np.linalg.norm(a, axis=0), np.linalg.norm(b, axis=0)
    ok = (na > 0) & (nb > 0)
    if mask is not None:
        ok &= np.asarray(mask, dtype=bool)
    if not ok.any():
        return float("nan")
    u = a[:, ok] / na[ok]
    v = b[:, ok] / nb[ok]
    ang = 2.0 * np.arctan2(np.linalg.norm(u - v, axis=0), np.linalg.norm(u + v, axis=0))
    val = float(ang.mean())
    return math.degrees(val) if degrees else val


def area_downsample(x, factor: int) -> np.ndarray:
    x = _f64(x)
    c, h, w = x.shape
    h2, w2 = h // factor, w // factor
    return x[:, : h2 * factor, : w2 * factor].reshape(c, h2, factor, w2, factor).mean(axis=(2, 4))


def sr_consistency(output, low_input, factor: int, data_range: float = 1.0) -> float:
    return psnr(area_downsample(output, factor), low_input, data_range)


def bicubic_upsample(x, factor: int) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    t = torch.from_numpy(_f64(x).astype(np.float32))[None]
    out = F.interpolate(t, scale_factor=factor, mode="bicubic", align_corners=False)
    return out[0].numpy()


def mean_colour_error(pred, truth, mask) -> float:
    """Mean over bands of |mean(pred) - mean(truth)| inside ``mask``: a fill's colour bias (0 = same colour)."""
    a, b = _f64(pred), _f64(truth)
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return float("nan")
    return float(np.mean(np.abs(a[:, m].mean(axis=1) - b[:, m].mean(axis=1))))


def highpass(x, sigma: float = TEXTURE_SIGMA) -> np.ndarray:
    """x minus its Gaussian blur (per band): the texture finer than about ``sigma`` pixels."""
    from scipy.ndimage import gaussian_filter

    x = _f64(x)
    return np.stack([c - gaussian_filter(c, sigma, mode="reflect") for c in x])


def texture_error(pred, truth, mask, sigma: float = TEXTURE_SIGMA) -> float:
    """|std of the high-pass of ``pred`` - that of ``truth``| inside ``mask``, mean over bands: 0 when the
    fill is as textured as the ground; a smooth fill scores the truth's whole texture."""
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return float("nan")
    hp, ht = highpass(pred, sigma), highpass(truth, sigma)
    return float(np.mean(np.abs(hp[:, m].std(axis=1) - ht[:, m].std(axis=1))))


__all__ = ["psnr", "ssim", "ssim_map", "spectral_angle", "sr_consistency", "bicubic_upsample", "biharmonic_fill",
           "area_downsample", "mean_colour_error", "highpass", "texture_error"]
