"""SSIM map (Wang, Bovik, Sheikh & Simoncelli 2004), shared by the inpainting self-check and the evaluation.

Gaussian window sigma 1.5 (truncated at 3.5 sigma, 11 x 11), K1 = 0.01, K2 = 0.03, computed per band on
(C, H, W) float images and averaged over bands; ``training.metrics.ssim`` averages it over a region.
"""

from __future__ import annotations

import numpy as np

K1, K2, SIGMA, TRUNCATE = 0.01, 0.03, 1.5, 3.5


def ssim_map(a, b, data_range: float = 1.0) -> np.ndarray:
    """(H, W) SSIM map of two (C, H, W) (or (H, W)) images, averaged over bands."""
    from scipy.ndimage import gaussian_filter

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    a, b = (a[None], b[None]) if a.ndim == 2 else (a, b)
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    out = np.zeros(a.shape[1:], dtype=np.float64)
    for x, y in zip(a, b):
        f = lambda z: gaussian_filter(z, SIGMA, truncate=TRUNCATE, mode="reflect")  # noqa: E731
        mx, my = f(x), f(y)
        sxx = f(x * x) - mx * mx
        syy = f(y * y) - my * my
        sxy = f(x * y) - mx * my
        out += (2 * mx * my + c1) * (2 * sxy + c2) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return out / a.shape[0]


__all__ = ["ssim_map"]
