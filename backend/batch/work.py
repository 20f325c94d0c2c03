"""What runs for each input, in this process or on a Dask worker: plain functions of picklable specs.

Each worker process loads a model once and keeps it (:func:`backend.api.get_model` caches by model folder,
device and precision); its CPU threads follow :mod:`backend.cpu_threads` (the job's ``threads``, else
``OMP_NUM_THREADS``, else the automatic choice within the worker's share of the cores). Failures are caught
and returned as report entries, so one bad input never stops the batch; cancellation is not a failure
and propagates.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from pathlib import Path
from typing import List, Optional

from .blocks import Block, BlockCapture, block_folder, block_path, merge_blocks
from .fingerprint import FINGERPRINT_TAG


@dataclasses.dataclass
class InputSpec:
    """One input of a batch as the workers see it."""

    index: int
    name: str  # the (first) input as given
    job: object  # a backend.jobs job, output set, seed fixed
    model: str
    fingerprint: str
    quicklook: bool = True
    cog: bool = False
    blocks: Optional[List[Block]] = None  # None: the whole raster in one run
    cancel: object = None  # a cancel source valid where the spec runs

    @property
    def output(self) -> Path:
        return Path(self.job.output)


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def entry(spec: InputSpec, status: str, started: float, tiles: int = 0, error: Optional[str] = None, **extra) -> dict:
    """One line of the batch report."""
    return {"input": spec.name, "status": status, "output": str(spec.output) if status in ("done", "skipped") else None,
            "seconds": round(time.perf_counter() - started, 3), "tiles": int(tiles), "error": error,
            "fingerprint": spec.fingerprint, **extra}


def _cancelled(exc: BaseException) -> bool:
    from ..cancel import Cancelled

    return isinstance(exc, Cancelled)


def run_input(spec: InputSpec) -> dict:
    """The whole input in one run (the single-job path), as a report entry."""
    from ..api import run_job

    started = time.perf_counter()
    try:
        result = run_job(spec.job, model=spec.model, cancel=spec.cancel, quicklook=spec.quicklook, cog=spec.cog,
                         extra_tags={FINGERPRINT_TAG: spec.fingerprint})
    except Exception as exc:
        if _cancelled(exc):
            raise
        return entry(spec, "failed", started, error=one_line(exc))
    return entry(spec, "done", started, result.tiles, warnings=list(result.warnings))


def run_block(spec: InputSpec, block: Block) -> dict:
    """One block of a huge input: its tiles stored for the merge (a finished block file is reused)."""
    from ..api import run_job
    from ..tiling import BLOCK_TAKEOVER

    started = time.perf_counter()
    path = block_path(spec.output, spec.fingerprint, block)
    if path.exists():
        return {"block": block.index, "path": str(path), "tiles": None, "seconds": 0.0, "error": None, "reused": True}
    capture = BlockCapture(block, path)
    token = BLOCK_TAKEOVER.set(capture)
    try:
        run_job(spec.job, model=spec.model, cancel=spec.cancel, quicklook=False, cog=spec.cog,
                extra_tags={FINGERPRINT_TAG: spec.fingerprint})
        error = None
    except Exception as exc:
        if _cancelled(exc):
            raise
        error = one_line(exc)
    finally:
        BLOCK_TAKEOVER.reset(token)
    return {"block": block.index, "path": str(path), "tiles": capture.tiles,
            "seconds": round(time.perf_counter() - started, 3), "error": error, "reused": False}


def merge_input(spec: InputSpec, blocks: List[dict]) -> dict:
    """The blocks of one input blended into its output (then the quick-look); the block files removed."""
    started = time.perf_counter()
    failed = [b for b in blocks if b["error"]]
    seconds = sum(b["seconds"] for b in blocks)
    if failed:
        return entry(spec, "failed", started, error=failed[0]["error"], blocks=len(blocks))
    try:
        result = merge_blocks([Path(b["path"]) for b in sorted(blocks, key=lambda b: b["block"])], spec.output,
                              protect=_inputs(spec.job), cancel=spec.cancel)
        warnings = _quicklook(spec)
    except Exception as exc:
        if _cancelled(exc):
            raise
        return entry(spec, "failed", started, error=one_line(exc), blocks=len(blocks))
    _remove_blocks(spec, blocks)
    done = entry(spec, "done", started, result.tiles, blocks=len(blocks), warnings=warnings)
    done["seconds"] = round(done["seconds"] + seconds, 3)  # the blocks' work counts for the input
    return done


def _inputs(job) -> list:
    from ..jobs import input_paths

    return input_paths(job)


def _quicklook(spec: InputSpec) -> list:
    if not spec.quicklook:
        return []
    from ..quicklook import write_quicklook

    try:
        write_quicklook(spec.output)
    except Exception as exc:  # the GeoTIFF is complete: a missing preview is a warning (as for single jobs)
        return [f"the quick-look of {spec.output} was not written ({one_line(exc)})"]
    return []


def _remove_blocks(spec: InputSpec, blocks: List[dict]) -> None:
    for b in blocks:
        Path(b["path"]).unlink(missing_ok=True)
    folder = block_folder(spec.output, spec.fingerprint)
    for path in (folder, folder.parent):
        with contextlib.suppress(OSError):
            path.rmdir()  # only when empty: other inputs' blocks stay
