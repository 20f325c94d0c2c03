"""What a batch runs on: files, globs, folders and text manifests, expanded into one item per job.

A manifest is a text file (``.txt``, ``.list``, ``.manifest``) with one input per line, then optional
``key=value`` options for that input (``#`` starts a comment; relative paths are relative to the manifest):

    scenes/a.tif
    scenes/b.tif  mask=masks/b_scl.tif mask_classes=3,8,9,10
    t2.tif:2020-06-01 t1.tif:2020-05-01  target_date=2020-07-01      # predict: the frames of one job

Outputs are named after the (first) input: ``<stem>_<task>.tif`` in the output folder; a stem seen
before gets ``-2``, ``-3``... in input order, so names are the same on every run of the same inputs.
"""

from __future__ import annotations

import dataclasses
import glob
import shlex
from pathlib import Path
from typing import Dict, List, Sequence

RASTER_SUFFIXES = {".tif", ".tiff", ".jp2", ".vrt", ".img"}
MANIFEST_SUFFIXES = {".txt", ".list", ".manifest"}
OUTPUT_LABELS = {"superres": "sr", "inpaint": "inpaint", "predict": "predict"}
PATH_OPTIONS = {"mask", "mask_vector"}  # options holding paths: relative to the manifest's folder


class BatchInputError(ValueError):
    """An input argument that names nothing, or a manifest line that cannot be read."""


@dataclasses.dataclass
class BatchItem:
    """One job of a batch: its raster(s) (``path[:date]`` for predict frames) and its own options."""

    inputs: List[str]
    options: Dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def name(self) -> str:
        return _frame_path(self.inputs[0])


def _frame_path(text: str) -> str:
    path, sep, date = text.rpartition(":")
    looks_dated = sep and len(date) in (0, 10) and not date.startswith(("/", "\\"))
    return path if looks_dated and path else text


def _rebase(text: str, folder: Path) -> str:
    path = _frame_path(text)
    if Path(path).is_absolute():
        return text
    return str(folder / path) + text[len(path):]


def read_manifest(path: Path) -> List[BatchItem]:
    items = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise BatchInputError(f"{path}:{number}: {exc}") from None
        files = [_rebase(w, path.parent) for w in words if "=" not in w]
        options = dict(w.split("=", 1) for w in words if "=" in w)
        for key in PATH_OPTIONS & set(options):
            options[key] = _rebase(options[key], path.parent)
        if not files:
            raise BatchInputError(f"{path}:{number}: no input file on the line")
        items.append(BatchItem(files, options))
    return items


def expand_inputs(inputs: Sequence) -> List[BatchItem]:
    """Files, globs, folders (their rasters, not recursive) and manifests -> items, in the given order."""
    items: List[BatchItem] = []
    for entry in inputs:
        if isinstance(entry, BatchItem):
            items.append(entry)
            continue
        text = str(entry)
        path = Path(_frame_path(text))
        if any(ch in text for ch in "*?["):
            found = sorted(glob.glob(text))
            if not found:
                raise BatchInputError(f"no file matches {text}")
            items.extend(BatchItem([f]) for f in found)
        elif path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in RASTER_SUFFIXES and p.is_file())
            if not found:
                raise BatchInputError(f"the folder {path} holds no raster ({', '.join(sorted(RASTER_SUFFIXES))})")
            items.extend(BatchItem([str(p)]) for p in found)
        elif path.suffix.lower() in MANIFEST_SUFFIXES and path.is_file():
            items.extend(read_manifest(path))
        else:  # a file (a missing one becomes a failed entry of the report, not the end of the batch)
            items.append(BatchItem([text]))
    if not items:
        raise BatchInputError("no input was given")
    return items


def output_names(task: str, items: Sequence[BatchItem]) -> List[str]:
    """``<stem>_<task>.tif`` per item, made unique in input order."""
    label = OUTPUT_LABELS.get(task, task)
    seen: Dict[str, int] = {}
    names = []
    for item in items:
        stem = Path(item.name).stem
        count = seen.get(stem, 0) + 1
        seen[stem] = count
        names.append(f"{stem}{'' if count == 1 else f'-{count}'}_{label}.tif")
    return names
