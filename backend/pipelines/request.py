"""How to sample: the options every pipeline method takes, and the one place they are checked.

The four task methods (``generate``, ``super_resolve``, ``predict``, ``inpaint``) take these as keyword
arguments and pass them on as one :class:`SamplingRequest`; :func:`check_inputs` turns it into a checked
one (steps resolved, scheduler name canonical, guidance a float) before any model runs.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional

import numpy as np
import torch

from .. import choices
from ..cancel import CancelSource
from . import schedulers as _sched
from .errors import PipelineError

ProgressCallback = Callable[[int, int], Any]


@dataclasses.dataclass(frozen=True)
class SamplingRequest:
    """``steps`` (``None``: the scheduler's default), ``guidance`` (1.0: no classifier-free guidance),
    ``scheduler`` (``"ddim"`` | ``"dpm++"``), ``seed`` or a caller's ``generator`` (neither: a random seed,
    returned in the result), ``negative_prompt`` (the unconditional branch), ``latents`` (starting
    latents instead of drawn noise), ``callback(step, total)``, ``cancel``, ``return_latents`` and
    ``latents_callback(i, t, latents)`` (sees the latents after step ``i``)."""

    steps: Optional[int] = None
    guidance: float = choices.DEFAULT_GUIDANCE
    scheduler: str = choices.DEFAULT_SCHEDULER
    seed: Optional[int] = None
    generator: Optional[torch.Generator] = None
    negative_prompt: str = ""
    latents: Any = None
    callback: Optional[ProgressCallback] = None
    cancel: CancelSource = None
    return_latents: bool = False
    latents_callback: Optional[Callable] = None

    @classmethod
    def from_options(cls, options: dict) -> "SamplingRequest":
        """The request from a method's keyword arguments; an unknown one is named."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(f"unexpected keyword argument(s) {unknown}; sampling takes {sorted(known)}")
        return cls(**options)


def check_size(height: int, width: int, factor: int) -> None:
    for name, value in (("height", height), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
            raise PipelineError(f"{name} must be a positive whole number of pixels, got {value!r}")
        if value % factor:
            lower = (value // factor) * factor
            upper = lower + factor
            hint = f"{lower} or {upper}" if lower > 0 else str(upper)
            raise PipelineError(
                f"{name} {value} is not a multiple of {factor} (the VAE's down-sampling factor); use e.g. {hint}"
            )


def resolve_steps(scheduler: str, steps) -> int:
    """``steps`` checked, or the scheduler's default (50 DDIM, 25 DPM-Solver++) when ``None``."""
    name = _sched.canonical_name(scheduler)
    steps = _sched.DEFAULT_STEPS[name] if steps is None else steps
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise PipelineError(f"steps must be a positive whole number, got {steps!r}")
    if steps > 1000:
        raise PipelineError(f"steps must be at most 1000 (the number of training timesteps), got {steps}")
    return int(steps)


def check_inputs(request: SamplingRequest, height: int, width: int, factor: int) -> SamplingRequest:
    """The request checked (size a multiple of the VAE ``factor``, steps, scheduler, guidance, seed) and
    normalised: steps resolved, the scheduler's canonical name, guidance a float."""
    check_size(height, width, factor)
    name = _sched.canonical_name(request.scheduler)
    steps = resolve_steps(name, request.steps)
    try:
        guidance = choices.check_guidance(request.guidance)
        if request.seed is not None:
            choices.check_seed(request.seed)
    except ValueError as exc:
        raise PipelineError(str(exc)) from None
    if request.seed is not None and request.generator is not None:
        raise PipelineError("give either seed or generator, not both")
    return dataclasses.replace(request, steps=steps, scheduler=name, guidance=guidance)


def make_generator(seed: Optional[int], generator: Optional[torch.Generator]):
    """(generator, seed): a caller's generator as is, else a CPU generator seeded with ``seed``.

    Without either, a random seed is chosen (:func:`backend.choices.choose_seed`) and returned so the
    result can be reproduced. Latents are always drawn on the CPU generator and moved, so a seed gives the
    same starting noise on CPU and GPU (as the official notebooks do with ``torch.Generator().manual_seed``).
    """
    if generator is not None:
        if seed is not None:
            raise PipelineError("give either seed or generator, not both")
        return generator, None
    try:
        seed = choices.choose_seed(seed)
    except ValueError as exc:
        raise PipelineError(str(exc)) from None
    return torch.Generator("cpu").manual_seed(seed), seed


__all__ = ["ProgressCallback", "SamplingRequest", "check_inputs", "check_size", "make_generator", "resolve_steps"]
