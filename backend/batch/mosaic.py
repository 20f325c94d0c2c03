"""The batch's two summary files: a VRT mosaic of every output and the JSON report, both atomic."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import List, Optional


def _replace_atomically(path: Path, write) -> Path:
    temp = path.with_name(f".{path.name}.p{os.getpid()}.part")
    try:
        write(temp)
        os.replace(temp, path)
    finally:
        if temp.exists():
            temp.unlink()
    return path


def write_report(data: dict, path: Path) -> Path:
    text = json.dumps(data, indent=2, default=str)
    return _replace_atomically(Path(path), lambda temp: temp.write_text(text + "\n", encoding="utf-8"))


def write_vrt(outputs: List[Path], path: Path) -> Optional[Path]:
    """A VRT over the outputs (GDAL's BuildVRT; outputs in another CRS or band count than the first are left
    out, as gdalbuildvrt does). None when GDAL's Python bindings are missing or no output can be used."""
    try:
        from osgeo import gdal
    except ImportError:
        return None
    gdal.UseExceptions()
    names = [str(p.resolve()) for p in outputs if p.exists()]
    if not names:
        return None

    def build(temp: Path):
        options = gdal.BuildVRTOptions(resampleAlg="nearest")
        dataset = gdal.BuildVRT(str(temp), names, options=options)
        if dataset is None:
            raise RuntimeError(f"GDAL could not build a VRT over {len(names)} outputs")
        dataset = None  # closing writes the file

    # the VRT names its sources relative to itself when it can: write it in place (GDAL needs a .vrt name)
    final = Path(path)
    temp_vrt = final.with_name(f".{final.stem}.p{os.getpid()}.part.vrt")
    try:
        build(temp_vrt)
        os.replace(temp_vrt, final)
    finally:
        if temp_vrt.exists():
            temp_vrt.unlink()
    return final
