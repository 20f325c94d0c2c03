"""One tile's inpainting as the product does it: anchored model fill, self-check on probes, classical fallback.

Shared by the inpainting task (:mod:`.inpaint`) and the evaluation (``training/evaluate.py``), so that the
evaluation scores exactly what the product writes. Arrays are (C, H, W) in one linear per-band scale (the
model's stretched units, not clipped); ``model_fn(images (N, C, H, W), holes (N, H, W) bool)`` returns the
model's fills (N, C, H, W) in the same scale (it only sees the pixels outside the holes).
"""

from __future__ import annotations

from typing import Callable, List, Sequence, Tuple

import numpy as np

from .classical_fill import classical_fill
from .inpaint_anchor import anchor
from .inpaint_check import Probe, Score, TileCheck

ModelFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def probe_fills(model_fn: ModelFn, images: Sequence[np.ndarray],
                probes: Sequence[Probe]) -> Tuple[np.ndarray, List[np.ndarray]]:
    """The model's raw fills (N, C, H, W) of the probes (one batched call; the hidden pixels are zeroed
    first, so the truth cannot reach the model) and their classical fills."""
    hidden = np.stack([p.hidden for p in probes])
    blanked = np.stack([np.where(p.hidden[None], 0.0, img) for img, p in zip(images, probes)]).astype(np.float32)
    raw = np.asarray(model_fn(blanked, hidden), dtype=np.float64)
    classical = [classical_fill(b, p.hidden) for b, p in zip(blanked, probes)]
    return raw, classical


def score_probes(raw: np.ndarray, classical: Sequence[np.ndarray], images: Sequence[np.ndarray],
                 probes: Sequence[Probe], design: str) -> TileCheck:
    """Model path (``design``) and classical fill scored on the probes' hidden known pixels."""
    check = TileCheck(Score(), Score())
    for k, (img, p) in enumerate(zip(images, probes)):
        check.model.add(anchor(raw[k], classical[k], p.hidden, design), img, p.scored)
        check.classical.add(classical[k], img, p.scored)
    return check


def fill(raw_model: np.ndarray, image: np.ndarray, hole: np.ndarray, design: str, use_model: bool,
         invalid: np.ndarray = None) -> np.ndarray:
    """The product's fill of one tile: the anchored model fill, or the classical fill where the self-check
    chose it; pixels outside ``hole`` are ``image``'s. ``invalid`` (nodata) pixels are not interpolated from."""
    unknown = hole if invalid is None else (hole | np.asarray(invalid, dtype=bool))
    classical = classical_fill(image, unknown)
    if not use_model:
        return classical
    return anchor(raw_model, classical, hole, design)


__all__ = ["ModelFn", "fill", "probe_fills", "score_probes"]
