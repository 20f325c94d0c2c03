"""The classical inpainting fills: harmonic (the product's) and biharmonic (the evaluation's baseline).

* :func:`biharmonic_fill`: inside the mask, the minimum of the summed squared discrete Laplacian with the known
  pixels fixed. It carries the surroundings' gradients into the hole, so it reproduces a linear ramp exactly,
  but it also extrapolates them: along a tile or image border, and from the noisy gradients of textured
  ground, it overshoots (the demo's cloud ran to -0.09 in [0, 1] units, a dark blotch).
* :func:`harmonic_fill`: the discrete Laplace equation inside the mask (the "membrane" fill): every filled
  pixel is the mean of its neighbours, so it never leaves the range of the known pixels around the hole.

:func:`classical_fill` is the product's classical fill (the low frequencies of every anchored model fill and
the fallback where the model scores lower): harmonic, chosen by measurement on 128 px tiles of six unseen
scenes with real cloud shapes (MODEL_CARD.md): 14.9 dB / SSIM 0.337 inside the mask vs 11.2 dB / 0.283 for
biharmonic, better in every coverage class, and 15.6 vs 13.5 dB on holes that do not touch the tile border.
Biharmonic stays the evaluation's baseline row (``training.metrics.biharmonic_fill``): it is the method named
in the issue and the one an analyst finds in scikit-image.

Both are solved per band with ``scipy.sparse`` on the mask's bounding box plus a ``margin`` of known pixels
(4-neighbour graph Laplacian, Neumann borders; the biharmonic stencil reaches 2 px, so 3 px of ring decide).
"""

from __future__ import annotations

import numpy as np


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
    """Fill the True pixels of ``mask`` (H, W) in ``image`` (C, H, W) or (H, W) with the biharmonic
    interpolant of the other pixels; returns float64 of the same shape, known pixels unchanged.

    A mask covering everything gives each band's mean (there is nothing to interpolate from)."""
    return _fill(image, mask, margin, squared=True)


def harmonic_fill(image, mask, margin: int = 1) -> np.ndarray:
    """As :func:`biharmonic_fill` with the harmonic interpolant (discrete Laplace equation in the hole): the
    fill stays within the range of the known pixels next to the hole."""
    return _fill(image, mask, margin, squared=False)


def classical_fill(image, mask) -> np.ndarray:
    """The product's classical fill (see the module doc for the choice)."""
    return harmonic_fill(image, mask)


def _fill(image, mask, margin: int, squared: bool) -> np.ndarray:
    img = np.asarray(image, dtype=np.float64)
    flat = img.ndim == 2
    img = (img[None] if flat else img).copy()
    m = np.asarray(mask, dtype=bool)
    if m.shape != img.shape[1:]:
        raise ValueError(f"the mask {m.shape} does not match the image {img.shape[1:]}")
    if m.any() and m.all():
        img[:] = img.mean(axis=(1, 2), keepdims=True)
    elif m.any():
        import scipy.sparse.linalg as spla

        ys, xs = np.nonzero(m)
        y0, y1 = max(ys.min() - margin, 0), min(ys.max() + margin + 1, m.shape[0])
        x0, x1 = max(xs.min() - margin, 0), min(xs.max() + margin + 1, m.shape[1])
        sub = m[y0:y1, x0:x1]
        h, w = sub.shape
        lap = _laplacian(h, w)
        q = (lap.T @ lap).tocsr() if squared else lap.tocsr()
        unknown = np.flatnonzero(sub.ravel())
        known = np.flatnonzero(~sub.ravel())
        a = q[unknown][:, unknown].tocsc()
        b = q[unknown][:, known]
        lu = spla.splu(a)
        for c in range(img.shape[0]):
            vals = img[c, y0:y1, x0:x1].ravel().copy()
            vals[unknown] = lu.solve(-(b @ vals[known]))
            img[c, y0:y1, x0:x1] = vals.reshape(h, w)
    return img[0] if flat else img


__all__ = ["biharmonic_fill", "classical_fill", "harmonic_fill"]
