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
* :func:`bicubic_upsample` -- the SR baseline; :func:`biharmonic_fill` -- the inpainting baseline: inside the
  mask the solution of the biharmonic equation (minimum of the summed squared discrete Laplacian,
  known pixels fixed), solved per channel with ``scipy.sparse`` on the mask's bounding box.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

_K1, _K2, _SIGMA, _TRUNCATE = 0.01, 0.03, 1.5, 3.5


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


def ssim_map(a, b, data_range: float = 1.0) -> np.ndarray:
    """(H, W) SSIM map averaged over channels."""
    from scipy.ndimage import gaussian_filter

    a, b = _f64(a), _f64(b)
    c1, c2 = (_K1 * data_range) ** 2, (_K2 * data_range) ** 2
    out = np.zeros(a.shape[1:], dtype=np.float64)
    for x, y in zip(a, b):
        f = lambda z: gaussian_filter(z, _SIGMA, truncate=_TRUNCATE, mode="reflect")  # noqa: E731
        mx, my = f(x), f(y)
        sxx = f(x * x) - mx * mx
        syy = f(y * y) - my * my
        sxy = f(x * y) - mx * my
        num = (2 * mx * my + c1) * (2 * sxy + c2)
        den = (mx * mx + my * my + c1) * (sxx + syy + c2)
        out += num / den
    return out / a.shape[0]


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


def _laplacian(h: int, w: int):
    """Graph Laplacian (4-neighbour, Neumann borders) of an h x w grid, as a sparse CSR matrix."""
    import scipy.sparse as sp

    n = h * w
    idx = np.arange(n).reshape(h, w)
    rows, cols = [], []
    for a, b in ((idx[:, :-1], idx[:, 1:]), (idx[:-1, :], idx[1:, :])):
        rows += [a.ravel(), b.ravel()]
        cols += [b.ravel(), a.ravel()]
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    adj = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    deg = np.asarray(adj.sum(axis=1)).ravel()
    return sp.diags(deg) - adj


def biharmonic_fill(image, mask, margin: int = 3) -> np.ndarray:
    """Fill ``mask`` (H, W) True pixels of ``image`` (C, H, W) with the biharmonic interpolant of the rest."""
    import scipy.sparse.linalg as spla

    img = _f64(image).copy()
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return img
    if m.all():
        return np.broadcast_to(img.mean(axis=(1, 2), keepdims=True), img.shape).copy()
    ys, xs = np.nonzero(m)
    y0, y1 = max(ys.min() - margin, 0), min(ys.max() + margin + 1, m.shape[0])
    x0, x1 = max(xs.min() - margin, 0), min(xs.max() + margin + 1, m.shape[1])
    sub = m[y0:y1, x0:x1]
    h, w = sub.shape
    L = _laplacian(h, w)
    Q = (L.T @ L).tocsr()
    unknown = np.flatnonzero(sub.ravel())
    known = np.flatnonzero(~sub.ravel())
    A = Q[unknown][:, unknown].tocsc()
    B = Q[unknown][:, known]
    lu = spla.splu(A)
    for c in range(img.shape[0]):
        vals = img[c, y0:y1, x0:x1].ravel()
        sol = lu.solve(-(B @ vals[known]))
        vals = vals.copy()
        vals[unknown] = sol
        img[c, y0:y1, x0:x1] = vals.reshape(h, w)
    return img


__all__ = ["psnr", "ssim", "ssim_map", "spectral_angle", "sr_consistency", "bicubic_upsample", "biharmonic_fill",
           "area_downsample"]
