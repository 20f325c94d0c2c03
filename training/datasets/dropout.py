"""Per-field metadata dropout, as the released DiffusionSat models were trained.

Each of the 7 normalised fields is independently replaced by 0 (the "unknown" value, also the
classifier-free-guidance unconditional value) with probability ``p`` (0.1 in the official training).
A field that is already unknown stays 0.
"""

from __future__ import annotations

import numpy as np


def metadata_dropout(vectors: np.ndarray, rng: np.random.Generator, p: float = 0.1) -> np.ndarray:
    """(..., 7) normalised metadata -> copy with each field zeroed with probability ``p``."""
    vec = np.array(vectors, dtype=np.float32, copy=True)
    if p <= 0:
        return vec
    keep = rng.random(vec.shape) >= p
    return np.where(keep, vec, np.float32(0)).astype(np.float32)
