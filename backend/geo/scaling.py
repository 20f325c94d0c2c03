"""Pixel values <-> the models' float range [0, 1].

Modes of :func:`to_unit` (``'auto'`` picks by dtype):

==================  ========================================================================
``'uint8'``         value / 255 (8-bit display imagery)
``'reflectance10000'``  value / 10 000: Sentinel-2 L1C/L2A DN and other "reflectance x 10 000" integers
``'reflectance'``   float reflectance passed through (clipped to [0, 1])
``'landsat_c2_sr'`` Landsat Collection-2 Level-2 surface reflectance: value * 2.75e-5 - 0.2
``'dtype_max'``     value / the dtype's maximum (e.g. 16-bit display imagery / 65 535)
``'percentile'``    per-band linear stretch between the ``percentiles`` of the valid pixels
==================  ========================================================================

``'auto'``: uint8 -> ``'uint8'``; other integers -> ``'reflectance10000'``; floats -> ``'reflectance'``.
All modes return float32 clipped to [0, 1] (unless ``clip=False``); invalid pixels (``valid`` False) are
set to 0. :func:`from_unit` is the inverse for the fixed modes, used to write results back in the
input's units.
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

import numpy as np

from .errors import GeoError

MODES = ("auto", "uint8", "reflectance10000", "reflectance", "landsat_c2_sr", "dtype_max", "percentile")


def resolve_mode(dtype, mode: str = "auto") -> str:
    if mode not in MODES:
        raise GeoError(f"unknown value scaling {mode!r}; choose one of {', '.join(MODES)}")
    if mode != "auto":
        return mode
    dtype = np.dtype(dtype)
    if dtype == np.uint8:
        return "uint8"
    if np.issubdtype(dtype, np.integer):
        return "reflectance10000"
    return "reflectance"


def percentile_limits(array: np.ndarray, valid: Optional[np.ndarray] = None,
                      percentiles: Tuple[float, float] = (2.0, 98.0)) -> np.ndarray:
    """(C, 2) low/high values per band over the valid pixels (for a stretch shared by several tiles)."""
    arr = np.asarray(array)
    if arr.ndim == 2:
        arr = arr[None]
    out = np.zeros((arr.shape[0], 2), dtype=np.float64)
    for i, band in enumerate(arr):
        values = band[valid] if valid is not None else band.ravel()
        values = values[np.isfinite(values)] if np.issubdtype(values.dtype, np.floating) else values
        if values.size == 0:
            out[i] = (0.0, 1.0)
            continue
        lo, hi = np.percentile(values, percentiles)
        out[i] = (lo, hi if hi > lo else lo + 1.0)
    return out


def to_unit(array: np.ndarray, mode: str = "auto", *, dtype=None, valid: Optional[np.ndarray] = None,
            percentiles: Tuple[float, float] = (2.0, 98.0), limits: Optional[Sequence] = None,
            clip: bool = True) -> np.ndarray:
    """Raster values (C, H, W) or (H, W) -> float32 in [0, 1] (see module doc).

    ``dtype`` is the source dtype when ``array`` was already cast; ``limits`` ((C, 2) from
    :func:`percentile_limits`) makes a percentile stretch identical across tiles.
    """
    arr = np.asarray(array)
    mode = resolve_mode(dtype if dtype is not None else arr.dtype, mode)
    x = arr.astype(np.float32, copy=True)
    if mode == "uint8":
        x /= np.float32(255.0)
    elif mode == "reflectance10000":
        x /= np.float32(10000.0)
    elif mode == "landsat_c2_sr":
        x = x * np.float32(2.75e-5) - np.float32(0.2)
    elif mode == "dtype_max":
        src = np.dtype(dtype if dtype is not None else arr.dtype)
        if not np.issubdtype(src, np.integer):
            raise GeoError("'dtype_max' scaling needs an integer raster")
        x /= np.float32(np.iinfo(src).max)
    elif mode == "percentile":
        lim = np.asarray(limits if limits is not None else percentile_limits(arr, valid, percentiles), dtype=np.float32)
        shape = (-1, 1, 1) if x.ndim == 3 else (-1, 1)
        lo = lim[:, 0].reshape(shape) if x.ndim == 3 else lim[0, 0]
        hi = lim[:, 1].reshape(shape) if x.ndim == 3 else lim[0, 1]
        x = (x - lo) / (hi - lo)
    x = np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=0.0)
    if clip:
        np.clip(x, 0.0, 1.0, out=x)
    if valid is not None:
        x[..., ~np.asarray(valid, dtype=bool)] = 0.0
    return x.astype(np.float32, copy=False)


def stretch(unit: np.ndarray, limits, valid: Optional[np.ndarray] = None) -> np.ndarray:
    """[0, 1] values -> the per-band linear stretch ``(x - lo) / (hi - lo)`` clipped to [0, 1] (``limits``:
    (C, 2) from :func:`percentile_limits` of the same units). Invalid pixels are 0."""
    lim = np.asarray(limits, dtype=np.float32)
    x = np.asarray(unit, dtype=np.float32)
    out = np.clip((x - lim[:, 0, None, None]) / (lim[:, 1, None, None] - lim[:, 0, None, None]), 0.0, 1.0)
    if valid is not None:
        out[..., ~np.asarray(valid, dtype=bool)] = 0.0
    return out.astype(np.float32, copy=False)


def unstretch(stretched: np.ndarray, limits) -> np.ndarray:
    """Inverse of :func:`stretch` (no clipping): ``x * (hi - lo) + lo`` per band."""
    lim = np.asarray(limits, dtype=np.float32)
    x = np.asarray(stretched, dtype=np.float32)
    return (x * (lim[:, 1, None, None] - lim[:, 0, None, None]) + lim[:, 0, None, None]).astype(np.float32)


def from_unit(array: np.ndarray, dtype, mode: str = "auto") -> np.ndarray:
    """Inverse of :func:`to_unit` for the fixed modes: [0, 1] floats -> values of ``dtype``."""
    dtype = np.dtype(dtype)
    mode = resolve_mode(dtype, mode)
    x = np.asarray(array, dtype=np.float64)
    if mode == "uint8":
        x = x * 255.0
    elif mode == "reflectance10000":
        x = x * 10000.0
    elif mode == "landsat_c2_sr":
        x = (x + 0.2) / 2.75e-5
    elif mode == "dtype_max":
        x = x * np.iinfo(dtype).max
    elif mode == "percentile":
        raise GeoError("a percentile stretch cannot be inverted; write float output instead")
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return np.clip(np.rint(x), info.min, info.max).astype(dtype)
    return x.astype(dtype)


__all__ = ["MODES", "resolve_mode", "to_unit", "from_unit", "percentile_limits", "stretch", "unstretch"]
