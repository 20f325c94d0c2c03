"""The per-raster contrast stretch a model folder can ask for (``diffusionsat.json``: ``"stretch"``).

Why: a model sees [0, 1] values. Sentinel-2 reflectance fills only about [0, 0.3] of that range, and a
small VAE reconstructs such low-contrast input badly (the bundled model: about 31 dB on held-out
Sentinel-2 tiles raw, 39-48 dB stretched, in reflectance units). A model trained on stretched rasters
declares ``"stretch": {"percentiles": [2, 98]}``; the tasks then map every band linearly between those
percentiles of the whole input (one stretch for all tiles, so no seams), run the model, and map the
output back, so results stay in the input's units. Models without the setting (the released
checkpoints) get the input's [0, 1] units unchanged.
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

import numpy as np

from ..geo.scaling import percentile_limits, to_unit, unstretch


def stretch_percentiles(model) -> Optional[Tuple[float, float]]:
    """The model folder's stretch percentiles, or None when it wants its inputs unstretched."""
    cfg = model.config.get("stretch") if hasattr(model, "config") else None
    if not cfg:
        return None
    lo, hi = (cfg.get("percentiles") if isinstance(cfg, dict) else cfg) or (2.0, 98.0)
    if not 0.0 <= float(lo) < float(hi) <= 100.0:
        raise ValueError(f"the model's stretch percentiles must satisfy 0 <= low < high <= 100, got {lo}, {hi}")
    return float(lo), float(hi)


def shared_limits(sources: Sequence, mode: str, percentiles: Tuple[float, float],
                  exclude: Optional[np.ndarray] = None, samples: Optional[Sequence[np.ndarray]] = None) -> np.ndarray:
    """(C, 2) per-band limits in [0, 1] units pooled over the valid pixels of ``sources`` (tiling sources with
    the same bands, e.g. the frames of a time series); ``exclude`` (first source's grid) leaves pixels out;
    ``samples``: their ``sample_values()`` when already read."""
    values = samples if samples is not None else [
        src.sample_values(exclude=exclude if i == 0 else None) for i, src in enumerate(sources)]
    pooled = np.concatenate(values, axis=1)
    unit = to_unit(pooled[:, None, :], mode, dtype=sources[0].dtype)
    return percentile_limits(unit, None, percentiles)


def output_to_input_units(out: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """A task's output ``(3 [+ 3 spread], H, W)`` in the model's stretched units -> the input's [0, 1] units,
    in place: RGB through the inverse stretch of the first three bands' ``limits``, the per-pixel spread
    scaled by their mean range (a spread is a difference, so only the scale applies)."""
    rgb = limits[:3]
    out[:3] = unstretch(out[:3], rgb)
    out[3:] *= float(np.mean(rgb[:, 1] - rgb[:, 0]))
    return out


__all__ = ["stretch_percentiles", "shared_limits", "output_to_input_units"]
