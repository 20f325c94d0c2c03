"""SHA-256 of files: downloads are verified with it and outputs name their weights by it."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Dict, Tuple, Union

_BLOCK = 1 << 22
_REMEMBERED: Dict[Tuple[str, int, int], str] = {}


def sha256_file(path: Union[str, os.PathLike]) -> str:
    """Hex SHA-256 of a file, read in blocks (weights and archives are gigabytes)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def remembered_sha256_file(path: Union[str, os.PathLike]) -> str:
    """:func:`sha256_file`, remembered per (path, size, mtime) for the process: every task run names
    its weights, and hashing 3.5 GB again each time would cost seconds."""
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _REMEMBERED:
        _REMEMBERED[key] = sha256_file(path)
    return _REMEMBERED[key]


__all__ = ["remembered_sha256_file", "sha256_file"]
