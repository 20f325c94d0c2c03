"""The input's [0, 1] units <-> the model's stretched units, for the tasks that fill or forecast in the model's
units and write in the input's (inpainting, inpainting with other dates, prediction's composite tiles)."""

from __future__ import annotations

import numpy as np


class ModelUnits:
    """Not clipped: the fills are linear, and scores compare like with like. Without a stretch (``limits``
    None) both are the input's units."""

    def __init__(self, limits):
        self.lim = None if limits is None else np.asarray(limits, dtype=np.float64)[:3]

    def to_model(self, raw: np.ndarray) -> np.ndarray:
        x = np.asarray(raw, dtype=np.float64)
        if self.lim is None:
            return x
        return (x - self.lim[:, 0, None, None]) / (self.lim[:, 1, None, None] - self.lim[:, 0, None, None])

    def of_raw(self, raw: np.ndarray, mode: str, valid=None) -> np.ndarray:
        """Raw pixel values (the input's data type) in the model's units, unclipped."""
        from ..geo.scaling import to_unit

        return self.to_model(to_unit(raw, mode, valid=valid, clip=False))

    def reader(self, source, mode: str):
        """``window -> (values in the model's units, validity)`` of a tiling-engine source."""
        def read(window):
            raw, ok = source.read(window)
            return self.of_raw(raw, mode, ok), ok
        return read

    def to_input(self, x: np.ndarray) -> np.ndarray:
        if self.lim is None:
            return np.asarray(x, dtype=np.float64)
        return x * (self.lim[:, 1, None, None] - self.lim[:, 0, None, None]) + self.lim[:, 0, None, None]


__all__ = ["ModelUnits"]
