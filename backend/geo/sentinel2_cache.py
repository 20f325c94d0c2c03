"""The Sentinel-2 VRT cache (``~/.cache/diffusionsat/sentinel2``) kept bounded (issue 18).

Every product opened leaves a few small VRTs there (a few kB each, named by a hash of their content, so the
same product reuses them). Once per process, before the first VRT is written, entries unused for
``MAX_AGE_DAYS`` are removed, then the least recently used ones until the folder holds at most
``MAX_BYTES``; leftover temporary files of interrupted writes go after an hour. A reuse refreshes an
entry's time (:func:`touch`), so only VRTs nobody opened for weeks go; a saved QGIS project that still
names a removed one gets it back by opening the product again ("Add Sentinel-2 product…").
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import List, Optional

MAX_AGE_DAYS = 60.0
MAX_BYTES = 20 * 1024 * 1024  # thousands of products' VRTs
STALE_TMP_SECONDS = 3600.0
_pruned = set()


def touch(path: Path) -> None:
    """Mark a cached VRT as used now (its modification time is its last use)."""
    try:
        os.utime(path)
    except OSError:  # read-only cache or a file removed meanwhile: it is rewritten when missing
        pass


def _entries(folder: Path) -> List[tuple]:
    found = []
    for path in folder.iterdir():
        if path.suffix == ".vrt" or path.name.endswith(".vrt.tmp"):
            try:
                stat = path.stat()
            except OSError:  # removed meanwhile by another process
                continue
            found.append((stat.st_mtime, stat.st_size, path))
    return sorted(found)


def prune(folder: Path, max_age_days: float = MAX_AGE_DAYS, max_bytes: int = MAX_BYTES,
          now: Optional[float] = None) -> List[Path]:
    """Remove old entries, then the least recently used beyond ``max_bytes``; returns what was removed."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    now = time.time() if now is None else now
    removed, kept = [], []
    for mtime, size, path in _entries(folder):
        stale_tmp = path.name.endswith(".vrt.tmp") and now - mtime > STALE_TMP_SECONDS
        too_old = now - mtime > max_age_days * 86400.0
        (removed if stale_tmp or too_old else kept).append((mtime, size, path))
    total = sum(size for _, size, _ in kept)
    for mtime, size, path in kept:  # oldest first
        if total <= max_bytes:
            break
        removed.append((mtime, size, path))
        total -= size
    gone = []
    for _, _, path in removed:
        try:
            path.unlink()
            gone.append(path)
        except OSError:  # in use elsewhere or already gone: tried again next time
            pass
    return gone


def prune_once(folder: Path) -> None:
    """:func:`prune` the folder the first time this process writes there."""
    key = str(folder)
    if key not in _pruned:
        _pruned.add(key)
        prune(folder)
