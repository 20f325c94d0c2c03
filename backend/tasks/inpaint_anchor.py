"""Anchor the model's inpainting fill on what is known: the classical fill gives the low frequencies.

The bundled model's own fill of an unseen scene is darker and blotchier than its surroundings (15 dB vs
22 dB for the harmonic fill inside the mask, issue 14): its colour and large-scale shading are a guess, while
the pixels around the hole say what they must be. A design combines the model fill ``model`` (C, H, W) with
the classical fill ``classical`` (harmonic, :mod:`.classical_fill`) inside ``hole`` (H, W); pixels outside
the hole are returned from ``classical`` (= the known image) untouched. Designs (``name`` or ``name:sigma``):

* ``raw``: the model fill as it is (no anchoring).
* ``ring``: the model fill with, per band, its mean and spread inside the hole matched to those of the
  ring of known pixels around the hole (``RING_PX`` wide).
* ``ringmix:W``: ``W`` x the ``ring`` fill + (1 - W) x the classical fill (two partly independent
  guesses averaged; W = 0.5 by default).
* ``ringramp:W[:D]``: as ``ringmix:W`` with the model's weight rising from 0 on the hole's border to W at
  D px inside (default ``RAMP_PX``) (the classical fill continues the edges; the model fills the middle).
* ``meanmix:W``: as ``ringmix:W`` with only the mean matched (the model's own spread kept).
* ``highpass:S``: classical fill + the model fill's high-pass (model minus its Gaussian blur of sigma S px):
  colour and shading from the surroundings, texture finer than S from the model.
* ``highpass_ring:S``: as ``highpass:S`` with the texture's spread scaled to the high-pass spread of the
  known ring (the model's texture amplitude is a guess too).

All arrays are in one linear per-band scale (the tasks use the model's stretched [0, 1] units); every
design commutes with a per-band linear stretch, so the choice of scale does not change the result.
"""

from __future__ import annotations

from typing import Tuple

import numpy as np

RING_PX = 4  # known pixels within this distance of the hole describe its surroundings
# chosen by measurement (MODEL_CARD.md, 42 tiles of 7 unseen scenes) on the harmonic classical fill: the
# classical fill's colour and shading with the model's finest texture (sigma 1 px) at the ring's amplitude is
# the only design whose fill is both within 1 dB of biharmonic (20.9 vs 19.7 dB) and closer to the truth's
# texture (error 0.028 vs 0.038); designs that mix the model's low frequencies in (``ringramp:0.5``, the
# default on the biharmonic fill: 21.5 dB) now lose to the harmonic fill itself (21.9 dB) and add no texture
DEFAULT_DESIGN = "highpass_ring:1"
DESIGNS = ("raw", "ring", "ringmix", "ringramp", "meanmix", "highpass", "highpass_ring")
RAMP_PX = 16  # ringramp: the model's weight grows from 0 at the hole's border to W at this depth


def ramp_px(design: str) -> float:
    """ringramp's ramp depth: ``ringramp:W:D`` (D px), else ``RAMP_PX``."""
    parts = str(design).split(":")
    if len(parts) > 2:
        try:
            d = float(parts[2])
        except ValueError:
            d = -1.0
        if not d > 0:
            raise ValueError(f"the ramp depth of {design!r} must be a number of pixels > 0")
        return d
    return float(RAMP_PX)


def parse_design(design: str) -> Tuple[str, float]:
    name, _, sigma = str(design).partition(":")
    if name == "ringramp":
        ramp_px(design)
        sigma = sigma.partition(":")[0]
    if name not in DESIGNS:
        raise ValueError(f"unknown inpainting fill design {design!r}; choose one of {DESIGNS} (e.g. 'highpass:2')")
    if name in ("ringmix", "ringramp", "meanmix"):
        try:
            w = float(sigma) if sigma else 0.5
        except ValueError:
            raise ValueError(f"the weight of {design!r} must be a number in [0, 1]") from None
        if not 0.0 <= w <= 1.0:
            raise ValueError(f"the weight of {design!r} must be in [0, 1]")
        return name, w
    if name.startswith("highpass"):
        try:
            s = float(sigma) if sigma else 2.0
        except ValueError:
            raise ValueError(f"the high-pass sigma of {design!r} must be a number of pixels") from None
        if not s > 0:
            raise ValueError(f"the high-pass sigma of {design!r} must be > 0 pixels")
        return name, s
    return name, 0.0


def ring(hole: np.ndarray, width: int = RING_PX) -> np.ndarray:
    """Known pixels within ``width`` px (chessboard distance) of the hole."""
    from scipy.ndimage import binary_dilation

    hole = np.asarray(hole, dtype=bool)
    return binary_dilation(hole, np.ones((3, 3), bool), iterations=int(width)) & ~hole


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    return np.stack([gaussian_filter(c, sigma, mode="reflect") for c in x])


def anchor(model: np.ndarray, classical: np.ndarray, hole: np.ndarray, design: str = DEFAULT_DESIGN) -> np.ndarray:
    """The fill of ``design`` (C, H, W) float64: inside ``hole`` built from ``model`` and ``classical``,
    outside it ``classical`` (the known pixels)."""
    name, sigma = parse_design(design)  # sigma: the high-pass sigma, or ringmix's weight
    m = np.asarray(model, dtype=np.float64)
    c = np.asarray(classical, dtype=np.float64)
    h = np.asarray(hole, dtype=bool)
    out = c.copy()
    if not h.any():
        return out
    if name == "raw":
        fill = m
    elif name in ("ring", "ringmix", "ringramp", "meanmix"):
        r = ring(h)
        if not r.any():  # no known pixel at all: nothing to match against
            fill = m
        else:
            mu_m, sd_m = m[:, h].mean(axis=1), m[:, h].std(axis=1)
            mu_r, sd_r = c[:, r].mean(axis=1), c[:, r].std(axis=1)
            gain = np.where(sd_m > 1e-6, sd_r / np.maximum(sd_m, 1e-6), 1.0)
            if name == "meanmix":
                gain = np.ones_like(gain)
            fill = (m - mu_m[:, None, None]) * gain[:, None, None] + mu_r[:, None, None]
        if name in ("ringmix", "meanmix"):
            fill = sigma * fill + (1.0 - sigma) * c
        elif name == "ringramp":
            from scipy.ndimage import distance_transform_edt

            w = sigma * np.clip(distance_transform_edt(h) / ramp_px(design), 0.0, 1.0)
            fill = w * fill + (1.0 - w) * c
    else:
        texture = m - _blur(m, sigma)
        if name == "highpass_ring":
            r = ring(h)
            if r.any():
                known_texture = c - _blur(c, sigma)  # around the hole: real texture (the hole itself is smooth)
                sd_t, sd_r = texture[:, h].std(axis=1), known_texture[:, r].std(axis=1)
                gain = np.where(sd_t > 1e-6, sd_r / np.maximum(sd_t, 1e-6), 1.0)
                texture = texture * gain[:, None, None]
        fill = c + texture
    out[:, h] = fill[:, h]
    return out


__all__ = ["DEFAULT_DESIGN", "DESIGNS", "RING_PX", "anchor", "parse_design", "ring"]
