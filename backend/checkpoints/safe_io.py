"""Reading weight files safely.

* ``.safetensors`` is preferred. Its header is checked against the file size first, so a truncated
  download is reported as such (with the byte counts) instead of as an opaque parser error.
* ``.bin`` / ``.pt`` files are read only with ``torch.load(weights_only=True)``: a pickle that holds
  anything but tensors (e.g. an object whose ``__reduce__`` would run code) is refused with an error
  naming the file; nothing in it is executed.
* Sharded checkpoints (``*.index.json`` with a ``weight_map``) are read shard by shard.
"""

from __future__ import annotations

import json
import os
import struct
import zipfile
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import torch


class CheckpointError(RuntimeError):
    """A checkpoint folder or weight file is missing, unsafe, truncated or does not match the model."""


# safetensors dtype names -> torch dtypes (for header-only inspection)
_ST_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}

DIFFUSERS_WEIGHTS = ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin")
TRANSFORMERS_WEIGHTS = ("model.safetensors", "pytorch_model.bin")


def _human(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024.0
    return f"{n} B"


def read_safetensors_header(path) -> Dict[str, Tuple[torch.dtype, Tuple[int, ...]]]:
    """Tensor names -> (dtype, shape) from a safetensors header, after checking the file is complete."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise CheckpointError(f"{path}: truncated safetensors file ({size} bytes, no header)")
        (n,) = struct.unpack("<Q", head)
        if n > size - 8:
            raise CheckpointError(
                f"{path}: truncated safetensors file: header declares {n} bytes but the file has {size} bytes"
            )
        try:
            header = json.loads(fh.read(n))
        except RecursionError:  # e.g. [[[[...]]]] a hundred thousand deep
            raise CheckpointError(f"{path}: corrupt safetensors header (JSON nested too deeply)") from None
        except ValueError as exc:
            raise CheckpointError(f"{path}: corrupt safetensors header ({exc})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: corrupt safetensors header (not a JSON object)")
    data_size = size - 8 - n
    end = 0
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            start, stop = info["data_offsets"]
            dtype = _ST_DTYPES.get(info["dtype"])
            shape = tuple(int(s) for s in info["shape"])
        except (KeyError, TypeError, ValueError):
            raise CheckpointError(f"{path}: corrupt safetensors header entry for {name!r}") from None
        end = max(end, int(stop))
        out[name] = (dtype, shape)
    if end > data_size:
        raise CheckpointError(
            f"{path}: truncated safetensors file: the header needs {end} bytes of tensor data, "
            f"the file holds {data_size} ({_human(size)} in all; re-download or re-copy it)"
        )
    return out


def _check_state_dict(obj, path) -> Dict[str, torch.Tensor]:
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path}: expected a state dict (name -> tensor), found {type(obj).__name__}")
    bad = [k for k, v in obj.items() if not isinstance(k, str) or not torch.is_tensor(v)]
    if bad:
        shown = ", ".join(repr(k) for k in bad[:5])
        raise CheckpointError(
            f"{path}: not a plain state dict: {len(bad)} entries are not tensors ({shown}"
            f"{', ...' if len(bad) > 5 else ''}); a full training checkpoint (e.g. {{'state_dict': ...}}) "
            "must be converted first"
        )
    return obj


def _read_single(path: Path, mmap: bool = False) -> Dict[str, torch.Tensor]:
    name = path.name.lower()
    if name.endswith(".safetensors"):
        read_safetensors_header(path)  # clear error for truncated files
        from safetensors.torch import load_file

        try:
            return load_file(str(path), device="cpu")
        except Exception as exc:  # safetensors raises its own error type
            raise CheckpointError(f"{path}: cannot read safetensors file ({exc})") from None
    if name.endswith((".bin", ".pt", ".pth", ".ckpt")):
        if mmap and not zipfile.is_zipfile(path):
            mmap = False  # the legacy (pre-1.6) format cannot be memory-mapped
        try:
            obj = torch.load(str(path), map_location="cpu", weights_only=True, mmap=mmap)
        except Exception as exc:  # noqa: BLE001 - classified below
            text = str(exc).strip()
            # torch's weights-only unpickler raises pickle.UnpicklingError for any non-tensor object
            if type(exc).__name__ == "UnpicklingError" or "weights only load failed" in text.lower():
                first = text.splitlines()[0] if text else type(exc).__name__
                raise CheckpointError(
                    f"refusing to load {path}: it contains Python objects other than tensors, and unpickling "
                    f"them could run arbitrary code (weights-only load failed: {first}). Use a .safetensors "
                    "copy from a trusted source."
                ) from None
            raise CheckpointError(
                f"{path}: cannot read the PyTorch weight file; it is truncated or corrupt ({type(exc).__name__}: {text})"
            ) from None
        return _check_state_dict(obj, path)
    raise CheckpointError(f"{path}: unknown weight file type (expected .safetensors or .bin)")


def find_weights(folder, names: Iterable[str] = DIFFUSERS_WEIGHTS) -> Optional[Path]:
    """The weight file of a model folder: the first existing of ``names`` (safetensors first), a sharded
    index (``<name>.index.json``), or an fp16 variant (``<stem>.fp16.<ext>``). ``None`` if none."""
    folder = Path(folder)
    names = list(names)
    for name in names:
        for candidate in (folder / name, folder / (name + ".index.json")):
            if candidate.is_file():
                return candidate
    for name in names:
        stem, ext = name.rsplit(".", 1)
        for candidate in (folder / f"{stem}.fp16.{ext}", folder / f"{stem}.fp16.{ext}.index.json"):
            if candidate.is_file():
                return candidate
    return None


def _shards(path: Path) -> List[Path]:
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
        files = sorted(set(index["weight_map"].values()))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"{path}: corrupt shard index ({exc})") from None
    out = []
    for f in files:
        shard = (path.parent / f).resolve()
        if shard.parent != path.parent.resolve():
            raise CheckpointError(f"{path}: shard {f!r} lies outside the model folder")
        if not shard.is_file():
            raise CheckpointError(f"{path}: shard {f} is missing")
        out.append(shard)
    return out


def read_state_dict(path, mmap: bool = False) -> Dict[str, torch.Tensor]:
    """Read a weight file (or a shard index) into a CPU state dict, safely (see module doc)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"weight file {path} does not exist")
    if path.name.endswith(".index.json"):
        out: Dict[str, torch.Tensor] = {}
        for shard in _shards(path):
            part = _read_single(shard, mmap=mmap)
            dup = set(part) & set(out)
            if dup:
                raise CheckpointError(f"{shard}: tensors also present in another shard: {sorted(dup)[:5]}")
            out.update(part)
        return out
    return _read_single(path, mmap=mmap)


def read_shapes(path) -> Dict[str, Tuple[int, ...]]:
    """Tensor names -> shapes without loading the data (safetensors header; memory-mapped ``.bin``)."""
    path = Path(path)
    if path.name.endswith(".index.json"):
        out = {}
        for shard in _shards(path):
            out.update(read_shapes(shard))
        return out
    if path.name.lower().endswith(".safetensors"):
        return {k: shape for k, (_, shape) in read_safetensors_header(path).items()}
    return {k: tuple(v.shape) for k, v in _read_single(path, mmap=True).items()}


def file_size(path) -> int:
    path = Path(path)
    if path.name.endswith(".index.json"):
        return sum(os.path.getsize(s) for s in _shards(path))
    return path.stat().st_size


__all__ = [
    "CheckpointError",
    "read_state_dict",
    "read_safetensors_header",
    "read_shapes",
    "find_weights",
    "file_size",
    "DIFFUSERS_WEIGHTS",
    "TRANSFORMERS_WEIGHTS",
]
