"""Band names: Sentinel-2 codes, band descriptions, Landsat per-band files.

Sentinel-2 codes are normalised to two digits (``'b4'`` -> ``'B04'``, ``'B8a'`` -> ``'B8A'``); ``'B8A'``
and ``'B08'`` are different bands. A band description matches a code when its first word is that
code (``'B04'``, ``'B4 red'``, ``'b04 (665 nm)'``); otherwise names match the whole description,
case-insensitively (``'red'``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

from .errors import BandSelectionError

SENTINEL2_BANDS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12")
#: Official band order of the Sentinel-2 super-resolution model input.
SENTINEL2_SR_BANDS = ("B04", "B03", "B02", "B05", "B06", "B07", "B08", "B8A", "B11", "B12")

_CODE = re.compile(r"^\s*B(?:AND)?[\s_]?0*(8A|\d{1,2})(?![0-9A-Z])", re.IGNORECASE)
_LANDSAT_FILE = re.compile(r"_(?:SR_|ST_)?B(\d{1,2})\.TIF{1,2}$", re.IGNORECASE)
_LANDSAT_QA = re.compile(r"_(QA_PIXEL|QA_RADSAT|BQA)\.TIF{1,2}$", re.IGNORECASE)

BandSpec = Union[int, str]


def band_code(name: Optional[str]) -> Optional[str]:
    """'b4' / 'B04' / 'B4 red' / 'band 4' -> 'B04'; 'B8a' -> 'B8A'; anything else -> None."""
    if not name:
        return None
    m = _CODE.match(str(name))
    if not m:
        return None
    num = m.group(1).upper()
    return "B8A" if num == "8A" else f"B{int(num):02d}"


def resolve_bands(descriptions: Sequence[Optional[str]], selection: Optional[Sequence[BandSpec]]) -> List[int]:
    """Selection (1-based indices and/or names) -> 1-based band indexes of a raster.

    ``None`` selects every band. Raises :class:`BandSelectionError` naming the available bands.
    """
    count = len(descriptions)
    if selection is None:
        return list(range(1, count + 1))
    if isinstance(selection, (str, int)):
        selection = [selection]
    if len(selection) == 0:
        raise BandSelectionError("no bands were selected")
    codes = [band_code(d) for d in descriptions]
    out = []
    for item in selection:
        if isinstance(item, bool):
            raise BandSelectionError(f"band {item!r} is neither a 1-based index nor a band name")
        if isinstance(item, int) or (hasattr(item, "__index__") and not isinstance(item, str)):
            idx = int(item)
            if not 1 <= idx <= count:
                raise BandSelectionError(f"band index {idx} is out of range: the raster has {count} band(s), numbered 1..{count}")
            out.append(idx)
            continue
        name = str(item).strip()
        code = band_code(name)
        if code is not None and any(codes):
            hits = [i + 1 for i, c in enumerate(codes) if c == code]
        else:
            hits = [i + 1 for i, d in enumerate(descriptions) if d and d.strip().lower() == name.lower()]
        if not hits:
            available = ", ".join(d for d in descriptions if d) or "none (the bands have no descriptions)"
            raise BandSelectionError(f"band {name!r} is not in the raster; available band names: {available}")
        if len(hits) > 1:
            raise BandSelectionError(f"band name {name!r} is ambiguous: bands {hits} all match it")
        out.append(hits[0])
    return out


def sentinel2_sr_indexes(descriptions: Sequence[Optional[str]]) -> List[int]:
    """1-based indexes of :data:`SENTINEL2_SR_BANDS`, in that order, picked by band name."""
    try:
        return resolve_bands(descriptions, SENTINEL2_SR_BANDS)
    except BandSelectionError as exc:
        raise BandSelectionError(
            "the Sentinel-2 super-resolution model needs bands B4 B3 B2 B5 B6 B7 B8 B8A B11 B12 named in the "
            f"band descriptions of a Sentinel-2 L1C/L2A stack: {exc}"
        ) from None


def landsat_band_files(folder: Union[str, os.PathLike]) -> Dict[str, Path]:
    """Per-band GeoTIFFs of a Landsat product folder: {'B1': path, ..., 'QA_PIXEL': path}."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BandSelectionError(f"{folder} is not a folder of Landsat band files")
    found: Dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        m = _LANDSAT_FILE.search(path.name)
        if m:
            found[f"B{int(m.group(1))}"] = path
            continue
        m = _LANDSAT_QA.search(path.name)
        if m:
            found[m.group(1).upper()] = path
    if not found:
        raise BandSelectionError(f"no Landsat band files (*_B1.TIF ... *_B7.TIF) in {folder}")
    return found


def find_mtl(path: Union[str, os.PathLike]) -> Optional[Path]:
    """The Landsat ``*_MTL.txt`` in a product folder, or beside a band file; None if there is none."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    if not folder.is_dir():
        return None
    mtls = sorted(p for p in folder.iterdir() if p.name.upper().endswith("_MTL.TXT"))
    if not mtls:
        return None
    if not path.is_dir():
        stem = _LANDSAT_FILE.sub("", path.name)
        stem = _LANDSAT_QA.sub("", stem)
        for mtl in mtls:
            if mtl.name[: -len("_MTL.txt")].upper() == stem.upper():
                return mtl
        if len(mtls) > 1:
            return None
    return mtls[0]


__all__ = [
    "SENTINEL2_BANDS", "SENTINEL2_SR_BANDS", "band_code", "resolve_bands", "sentinel2_sr_indexes",
    "landsat_band_files", "find_mtl",
]
