"""One batch item + the batch's options -> the same job objects a single run uses (backend/jobs.py).

Options are flat keywords: the sampling and tiling fields (``steps``, ``seed``, ``tile_size``...), the
task's own (``bands``, ``prompt``, ``consistency``, ``fallback``, ``factor``, ``target_date``) and, for
inpainting, ``mask`` (a MaskSpec or its dict) or ``mask_raster`` / ``mask_vector`` / ``mask_layer`` /
``mask_classes`` / ``mask_bits`` / ``dilate``. Mask paths may hold ``{stem}``, the input's file stem
(``masks/{stem}_SCL.tif``). A manifest line's options (strings) override the batch's for that item;
``mask=`` there is a mask raster.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from .. import jobs as _jobs
from .inputs import BatchItem, _frame_path

TASKS = ("superres", "inpaint", "predict")
TASK_ALIASES = {"super-resolve": "superres", "superres": "superres", "sr": "superres", "inpaint": "inpaint",
                "predict": "predict"}
_SAMPLING = {f.name for f in dataclasses.fields(_jobs.SamplingOptions)}
_TILING = {f.name for f in dataclasses.fields(_jobs.TilingOptions)}
_MASK_KEYS = {"mask", "mask_raster", "mask_vector", "mask_layer", "mask_classes", "mask_bits", "dilate"}
_TASK_KEYS = {"superres": {"bands", "prompt", "consistency", "fallback", "factor"},
              "inpaint": {"bands", "prompt", "fallback"} | _MASK_KEYS,
              "predict": {"bands", "prompt", "target_date"}}


def task_name(task: str) -> str:
    try:
        return TASK_ALIASES[task]
    except KeyError:
        raise _jobs.JobError(f"a batch runs super-resolve, inpaint or predict, not {task!r}") from None


def _ints(value):
    if value is None or isinstance(value, (list, tuple)):
        return value
    return [int(v) for v in str(value).replace(",", " ").split()]


def _bands(value):
    if value is None or isinstance(value, (list, tuple)):
        return value
    return [int(v) if v.isdigit() else v for v in str(value).replace(",", " ").split()]


def _flag(value):
    return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes", "on")


_PARSE = {"steps": int, "seed": int, "num_samples": int, "threads": int, "tile_size": int, "overlap": int,
          "batch_size": int, "factor": int, "guidance": float, "dilate": float, "mask_classes": _ints,
          "mask_bits": _ints, "bands": _bands, "consistency": _flag, "fallback": _flag}


def merged_options(task: str, item: BatchItem, options: dict) -> dict:
    """The batch's options with the item's on top (parsed from their manifest strings)."""
    merged = dict(options)
    for key, value in item.options.items():
        key = {"mask": "mask_raster"}.get(key, key)
        known = _SAMPLING | _TILING | _TASK_KEYS[task]
        if key not in known:
            raise _jobs.JobError(f"unknown option {key}= for {item.name}; known: {', '.join(sorted(known))}")
        merged[key] = _PARSE.get(key, str)(value)
        if key in _MASK_KEYS:
            merged.pop("mask", None)  # the item's own mask replaces the batch's
    return merged


def _mask(merged: dict, stem: str) -> _jobs.MaskSpec:
    given = merged.get("mask")
    if isinstance(given, _jobs.MaskSpec):
        return given
    if isinstance(given, dict):
        return _jobs.MaskSpec(**given)

    def path(key):
        value = merged.get(key)
        return None if value is None else str(value).replace("{stem}", stem)

    return _jobs.MaskSpec(raster=path("mask_raster"), vector=path("mask_vector"), vector_layer=merged.get("mask_layer"),
                          classes=_ints(merged.get("mask_classes")), bits=_ints(merged.get("mask_bits")),
                          dilate_m=float(merged.get("dilate") or 0.0))


def make_job(task: str, item: BatchItem, options: dict, output: str):
    """The job for one item (not validated: a bad item becomes a failed entry of the report)."""
    merged = merged_options(task, item, options)
    unknown = set(merged) - _SAMPLING - _TILING - _TASK_KEYS[task]
    if unknown:
        raise _jobs.JobError(f"unknown options for {task}: {', '.join(sorted(unknown))}")
    sampling = _jobs.SamplingOptions(**{k: v for k, v in merged.items() if k in _SAMPLING})
    tiling = _jobs.TilingOptions(**{k: v for k, v in merged.items() if k in _TILING})
    common = dict(output=str(output), sampling=sampling, tiling=tiling, bands=_bands(merged.get("bands")),
                  prompt=str(merged.get("prompt") or ""))
    if task == "superres":
        return _jobs.SuperResolveJob(input=item.inputs[0], factor=merged.get("factor"),
                                     consistency=_flag(merged.get("consistency", True)),
                                     fallback=_flag(merged.get("fallback", True)), **common)
    if task == "inpaint":
        return _jobs.InpaintJob(input=item.inputs[0], mask=_mask(merged, Path(item.name).stem),
                                fallback=_flag(merged.get("fallback", True)), **common)
    frames = []
    for text in item.inputs:
        path = _frame_path(text)
        date = text[len(path) + 1:] if len(text) > len(path) else ""
        frames.append((path, date or None))
    return _jobs.PredictJob(frames=frames, target_date=merged.get("target_date"), **common)
