"""The job fingerprint that makes a batch resumable.

SHA-256 over what decides an output's pixels: the task, the job's fields (output path, CPU threads and tile
batch size aside), each input file's resolved path, size and modification time, the model folder's weight
files (name, size, modification time) and the product version. It is written into every output as the tag
``DIFFUSIONSAT_JOB_FINGERPRINT``; a rerun skips an input whose output carries the same one, and blocks of a
huge raster are stored under it (a changed job never reuses old blocks).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Optional

from ..version import __version__

FINGERPRINT_TAG = "DIFFUSIONSAT_JOB_FINGERPRINT"
_IGNORED = {"output", "threads", "batch_size"}  # do not change the pixels


def _file_identity(path: str) -> list:
    p = Path(path)
    try:
        stat = p.stat()
        return [str(p.resolve()), stat.st_size, stat.st_mtime_ns]
    except OSError:
        return [str(p), None, None]


def model_identity(model) -> list:
    """The resolved model folder and its weight files' names, sizes and times (no hashing of gigabytes)."""
    from ..hub import resolve_model

    folder = Path(resolve_model(str(model)))
    weights = sorted(p for pattern in ("*.safetensors", "*.bin") for p in folder.rglob(pattern))
    return [str(folder)] + [[str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns] for p in weights]


def _fields(value):
    if dataclasses.is_dataclass(value):
        return {f.name: _fields(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name not in _IGNORED}
    if isinstance(value, (list, tuple)):
        return [_fields(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _fields(v) for k, v in value.items()}
    return value


def job_fingerprint(job, model_id: list, cog: bool = False) -> str:
    from ..jobs import input_paths

    record = {"task": job.task, "job": _fields(job), "inputs": [_file_identity(p) for p in input_paths(job)],
              "model": model_id, "cog": bool(cog), "version": __version__}
    text = json.dumps(record, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def seed_from(fingerprint: str) -> int:
    """The seed of a job that asked for none: fixed by its fingerprint, so every block and every rerun of a
    huge raster draws the same tiles (a random seed per worker would not blend)."""
    return int(fingerprint[:8], 16) % (2 ** 31)


def finished_fingerprint(output) -> Optional[str]:
    """The fingerprint tag of a finished output, or None (missing, unreadable, or made otherwise)."""
    path = Path(output)
    if not path.is_file():
        return None
    try:
        import rasterio

        with rasterio.open(path) as ds:
            return ds.tags().get(FINGERPRINT_TAG)
    except Exception:  # a damaged file is redone, not trusted
        return None
