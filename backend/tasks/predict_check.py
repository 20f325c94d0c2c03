"""Every prediction checks itself: predict the most recent frame from the older ones, compare with the
classical forecast.

The obvious forecast of a place is its most recent image ("persistence"); the product's classical forecast
does better: the recent-frames composite (:func:`~.radiometric_match.composite`: every frame matched to the
most recent one, then a recency-weighted mean), which beat persistence on SSIM on every fold of the unseen
dated series and on PSNR on all but one, a tie (MODEL_CARD.md). Nothing is known of the target date, so the
check is a backtest on what is known: for each tile, the model predicts the most recent frame from the older
frames (with that frame's date as the target), and the composite of the older frames (matched to the next
most recent one) stands in for the classical forecast; both are scored against the real most recent frame on
the pixels valid in both.

Two gates decide, because a backtest of one date is a noisy guide (issue 14: on the unseen NAIP series the
per-tile verdicts alone chose the model on 78 % of tiles and the product fell 0.7 dB below persistence):

1. the scene: the model must beat the classical forecast by at least ``MARGIN_DB`` pooled over every checked
   tile, else the composite is written everywhere (a model that is not clearly better is not used at all);
2. the tile: where the scene passes, a tile whose own backtest scores the model lower (higher squared error,
   :func:`~.inpaint_check.model_wins`) is still written as the composite.

A tile that keeps the model gets its prediction of the target date. With one frame there is nothing to
backtest on: the output is the frame itself, and it says so.

The backtest asks the model one step less than the real job (one frame fewer), so it is a fair but not an
exact test of the prediction that is written: stated in the model card.
"""

from __future__ import annotations

import math
from typing import List, Optional, Sequence, Tuple

from .inpaint_check import Verdicts

MARGIN_DB = 0.5  # pooled backtest PSNR the model must win by before any tile gets it (see the module doc)


def most_recent_order(dates: Sequence) -> List[int]:
    """Frame indexes from the most recent back; frames of unknown date count as older than dated ones and
    keep their given order among themselves (the last given is the most recent)."""
    def key(i):
        return (1, dates[i].toordinal(), i) if dates[i] is not None else (0, 0, i)

    return sorted(range(len(dates)), key=key, reverse=True)


CLASSICAL_NAME = "recent-frames composite"


class PredictCheck(Verdicts):
    """The backtest's verdicts; the classical method is the recent-frames composite."""

    def __init__(self, enabled: bool = True, possible: bool = True, total_tiles: int = 0, latest_name: str = ""):
        super().__init__(enabled)
        self.possible = possible  # at least two frames: a backtest can be run
        self.total_tiles = total_tiles
        self.latest_name = latest_name

    @property
    def scene_passes(self) -> bool:
        """Gate 1: the pooled backtest beats the classical forecast by ``MARGIN_DB`` (squared error ratio)."""
        if not self.checked or self.model.n == 0:
            return False
        if self.model.se == 0:
            return self.classical.se > 0
        return self.classical.se / self.model.se >= 10.0 ** (MARGIN_DB / 10.0)

    def use_model(self, key: Tuple[int, int]) -> bool:
        if not self.enabled:
            return True
        return self.scene_passes and super().use_model(key)

    def classical_share(self, keys: Sequence[Tuple[int, int]]) -> float:
        keys = list(keys)
        return sum(not self.use_model(k) for k in keys) / len(keys) if keys else 0.0

    def sentence(self, share: float) -> str:
        if not self.enabled:
            return "self-check off (--no-fallback): the model's prediction is written everywhere, unchecked"
        if not self.possible:
            return "one frame only: nothing to check the model on, so the frame itself is written"
        name = CLASSICAL_NAME
        if not self.checked:
            return f"no valid pixels to check the model on: {name} written for {100 * share:.0f} % of tiles"
        scores = (f"backtest on the most recent frame: model {self.model.psnr:.1f} dB, {name} "
                  f"{self.classical.psnr:.1f} dB")
        if not self.scene_passes:
            return (f"{scores}: the model is not better by {MARGIN_DB:g} dB, so the {name} is written "
                    f"for {100 * share:.0f} % of tiles")
        return f"{scores}; {name} written for {100 * share:.0f} % of tiles"

    def to_dict(self, share: float) -> dict:
        def db(x: float) -> Optional[float]:
            return None if math.isnan(x) else round(min(x, 99.99), 2)

        return {"enabled": self.enabled, "model_psnr": db(self.model.psnr), "classical_psnr": db(self.classical.psnr),
                "model_ssim": None if not self.model.px else round(self.model.ssim, 4),
                "classical_ssim": None if not self.classical.px else round(self.classical.ssim, 4),
                "classical_name": CLASSICAL_NAME,
                "tiles_checked": len(self.tiles), "tiles": self.total_tiles,
                "fallback_share": round(share, 4), "latest_frame": self.latest_name,
                "scene_passes": self.enabled and self.possible and self.scene_passes, "margin_db": MARGIN_DB,
                "check_seconds": round(self.seconds, 2), "summary": self.sentence(share)}

    def tags(self, share: float) -> dict:
        d = self.to_dict(share)
        tags = {"PREDICT_CHECK": d["summary"], "PREDICT_FALLBACK": "on" if self.enabled else "off",
                "PREDICT_FALLBACK_SHARE": f"{d['fallback_share']:.4f}", "PREDICT_LATEST_FRAME": self.latest_name}
        for who in ("model", "classical"):
            for metric in ("psnr", "ssim"):
                tags[f"PREDICT_CHECK_{who.upper()}_{metric.upper()}"] = str(d[f"{who}_{metric}"])
        return tags


__all__ = ["CLASSICAL_NAME", "MARGIN_DB", "PredictCheck", "most_recent_order"]
