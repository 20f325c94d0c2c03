"""Per-pixel uncertainty: run a task N times (different noise) and report the mean and the spread."""

from __future__ import annotations

import dataclasses
from typing import Callable, Optional

import numpy as np
import torch

from ..cancel import CancelSource
from .base import PipelineError, PipelineResult, make_generator

TASKS = ("generate", "super_resolve", "predict", "inpaint")


@dataclasses.dataclass
class UncertaintyResult:
    """``mean`` / ``std``: float32 ``(H, W, 3)``; ``std`` is the per-pixel, per-channel sample standard
    deviation over the N samples (``ddof = 1``; 0 for N = 1). ``samples``: ``(N, H, W, 3)`` when kept.
    A batch of B inputs adds a leading axis of B to each."""

    mean: np.ndarray
    std: np.ndarray
    num_samples: int
    samples: Optional[np.ndarray] = None
    seed: Optional[int] = None
    info: dict = dataclasses.field(default_factory=dict)

    @property
    def spread(self) -> np.ndarray:
        """One band ``(H, W)``: the standard deviation averaged over R, G, B."""
        return self.std.mean(axis=-1)


class UncertaintyMixin:
    def uncertainty(
        self,
        task: str = "generate",
        *args,
        **kwargs,
    ) -> UncertaintyResult:
        """Run ``task`` (``"generate"``, ``"super_resolve"``, ``"predict"``, ``"inpaint"``) ``num_samples`` times:
        :func:`sample_spread` with that method of this pipeline (the tasks pass the method itself)."""
        if task not in TASKS:
            raise PipelineError(f"task must be one of {TASKS}, got {task!r}")
        return sample_spread(getattr(self, task), *args, **kwargs)


def sample_spread(
    run: Callable[..., PipelineResult],
    *args,
    num_samples: int = 8,
    batch_size: Optional[int] = None,
    seed: Optional[int] = None,
    generator: Optional[torch.Generator] = None,
    keep_samples: bool = False,
    callback=None,
    cancel: CancelSource = None,
    **kwargs,
) -> UncertaintyResult:
    """Run the pipeline method ``run`` (e.g. ``pipe.predict``) ``num_samples`` times: the mean and the spread.

    ``args`` / ``kwargs`` are the task's own arguments (not ``num_images``) for one input, or for a batch of
    B inputs (e.g. views of one tile, ``same_noise=True``): then ``mean`` / ``std`` / ``samples`` get a
    leading axis of B. Samples are drawn in chunks of ``batch_size`` (default: all at once) from one
    generator, so a seed reproduces the result for the same ``batch_size``. ``callback(step, total)``
    counts steps over all chunks.
    """
    if "num_images" in kwargs:
        raise PipelineError("use num_samples, not num_images, for uncertainty")
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
        raise PipelineError(f"num_samples must be a whole number >= 1, got {num_samples!r}")
    batch_size = num_samples if batch_size is None else int(batch_size)
    if batch_size < 1:
        raise PipelineError("batch_size must be >= 1")
    generator, seed = make_generator(seed, generator)
    chunks = [min(batch_size, num_samples - i) for i in range(0, num_samples, batch_size)]

    total = None
    done = 0
    s1 = s2 = None
    kept = []
    first = None
    for k, size in enumerate(chunks):
        offset = done

        def progress(step, steps, _offset=offset, _k=k):
            nonlocal total
            total = steps * len(chunks)
            if callback is not None:
                callback(_offset + step, total)

        res = run(*args, num_images=size, generator=generator, callback=progress, cancel=cancel, **kwargs)
        done += res.steps
        if res.images.shape[0] % size:
            raise PipelineError(f"internal: {res.images.shape[0]} images for {size} samples of each input")
        images = res.images.reshape(-1, size, *res.images.shape[1:])  # (inputs, samples, H, W, 3): item-major
        x = images.astype(np.float64)
        s1 = x.sum(1) if s1 is None else s1 + x.sum(1)
        s2 = (x * x).sum(1) if s2 is None else s2 + (x * x).sum(1)
        if keep_samples:
            kept.append(images)
        if first is None:
            first = res
    n = num_samples
    mean = s1 / n
    var = np.maximum(s2 - n * mean * mean, 0.0) / (n - 1) if n > 1 else np.zeros_like(mean)
    samples = np.concatenate(kept, 1) if keep_samples else None
    if mean.shape[0] == 1:  # one input: no batch axis, as before
        mean, var, samples = mean[0], var[0], None if samples is None else samples[0]
    return UncertaintyResult(
        mean=mean.astype(np.float32),
        std=np.sqrt(var).astype(np.float32),
        num_samples=n,
        samples=samples,
        seed=seed,
        info={"task": getattr(run, "__name__", repr(run)), "steps": first.steps, "scheduler": first.scheduler,
              "batch_size": batch_size},
    )


__all__ = ["UncertaintyMixin", "UncertaintyResult", "TASKS", "sample_spread"]
