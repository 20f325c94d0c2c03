"""Samplers by name, built from a checkpoint's scheduler config.

* ``"ddim"``: :class:`diffusers.DDIMScheduler` with the checkpoint's own config and ``eta = 0``, exactly
  what the official DiffusionSat pipelines run (SD 2.1 scheduler: scaled_linear betas 0.00085-0.012,
  1000 training steps, ``steps_offset`` 1, "leading" spacing, v-prediction).
* ``"dpm++"`` (aliases ``"dpmsolver++"``, ``"dpm-solver++"``, ``"dpmpp"``): DPM-Solver++ multistep
  (Lu et al. 2022), 2nd order, midpoint, lower-order final steps, built from the same betas and the same
  ``prediction_type`` so it samples the same model; 20-25 steps are usually close to DDIM at 100.

The prediction type (``v_prediction`` for the released models, ``epsilon`` for others) always comes
from the checkpoint's config; nothing here changes it.

A new scheduler object is made for every call (schedulers are stateful: DPM-Solver keeps previous
model outputs), so one pipeline can serve concurrent or interleaved calls.
"""

from __future__ import annotations

from typing import Any, Mapping

DDIM = "ddim"
DPM_SOLVER_PP = "dpm++"

_ALIASES = {
    "ddim": DDIM,
    "dpm++": DPM_SOLVER_PP,
    "dpmpp": DPM_SOLVER_PP,
    "dpmsolver++": DPM_SOLVER_PP,
    "dpm-solver++": DPM_SOLVER_PP,
    "dpm_solver++": DPM_SOLVER_PP,
    "dpmsolver++multistep": DPM_SOLVER_PP,
    "dpm-solver++-multistep": DPM_SOLVER_PP,
}

#: Canonical scheduler names, in the order a user interface should list them.
SCHEDULER_NAMES = (DDIM, DPM_SOLVER_PP)

#: Sensible default step counts per sampler (the official notebooks use DDIM with 100).
DEFAULT_STEPS = {DDIM: 50, DPM_SOLVER_PP: 25}

# Keys that only make sense for the scheduler class that wrote them; everything else (betas, number of
# training steps, prediction type, offsets) is shared.
_DROP_FOR_DPM = ("clip_sample", "clip_sample_range", "set_alpha_to_one", "skip_prk_steps", "rescale_betas_zero_snr")


def canonical_name(name: str) -> str:
    """``"DPM-Solver++"`` -> ``"dpm++"``; raises ``ValueError`` for unknown names."""
    key = str(name).strip().lower().replace(" ", "")
    try:
        return _ALIASES[key]
    except KeyError:
        raise ValueError(f"unknown scheduler {name!r}; choose one of {list(SCHEDULER_NAMES)}") from None


def _plain_config(config: Any) -> dict:
    if hasattr(config, "config"):  # a scheduler object
        config = config.config
    if not isinstance(config, Mapping):
        raise TypeError(f"expected a scheduler config mapping, got {type(config).__name__}")
    return {k: v for k, v in dict(config).items() if not str(k).startswith("_")}


def make_scheduler(name: str, config: Any):
    """A fresh scheduler called ``name`` built from ``config`` (a scheduler or its config dict)."""
    from diffusers import DDIMScheduler, DPMSolverMultistepScheduler

    kind = canonical_name(name)
    base = _plain_config(config)
    if "prediction_type" not in base:
        base["prediction_type"] = "epsilon"
    if kind == DDIM:
        return DDIMScheduler.from_config(base)
    cfg = {k: v for k, v in base.items() if k not in _DROP_FOR_DPM}
    cfg.update(
        algorithm_type="dpmsolver++",
        solver_order=2,
        solver_type="midpoint",
        lower_order_final=True,
        thresholding=False,
        use_karras_sigmas=False,
    )
    return DPMSolverMultistepScheduler.from_config(cfg)


def prediction_type(config: Any) -> str:
    return _plain_config(config).get("prediction_type", "epsilon")


__all__ = [
    "DDIM",
    "DPM_SOLVER_PP",
    "SCHEDULER_NAMES",
    "DEFAULT_STEPS",
    "canonical_name",
    "make_scheduler",
    "prediction_type",
]
