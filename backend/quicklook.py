"""Quick-look PNGs of rasters and contact sheets (inputs and outputs side by side).

A quick-look is for eyes only: bands 1-3 (or one band as grey), a 2-98 % percentile stretch per
band over valid pixels, downsampled to at most ``max_size`` pixels on the long side.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Optional, Sequence, Tuple

import numpy as np


def stretch(array: np.ndarray, valid: Optional[np.ndarray] = None, low: float = 2.0, high: float = 98.0) -> np.ndarray:
    """(bands, H, W) any dtype -> (H, W, 3) uint8 with a per-band percentile stretch."""
    if array.ndim == 2:
        array = array[None]
    bands = array[:3] if array.shape[0] >= 3 else np.repeat(array[:1], 3, axis=0)
    out = np.zeros(bands.shape[1:] + (3,), dtype=np.uint8)
    for i, band in enumerate(bands.astype(np.float64)):
        values = band[valid] if valid is not None else band[np.isfinite(band)]
        if values.size == 0:
            continue
        lo, hi = np.percentile(values, [low, high])
        scale = (hi - lo) if hi > lo else 1.0
        out[..., i] = (np.clip((band - lo) / scale, 0, 1) * 255 + 0.5).astype(np.uint8)
    if valid is not None:
        out[~valid] = 0
    return out


# Above this many pixels without overviews, a preview samples pixels (nearest) instead of averaging all of
# them: on a 200 000 px output (a small fill on a huge raster) averaging took 238 s, sampling 50 s.
AVERAGE_MAX_PIXELS = 256 << 20


def read_preview(path, max_size: int = 512) -> np.ndarray:
    """A GeoTIFF -> (H, W, 3) uint8 preview, read at reduced resolution (overviews when present)."""
    import rasterio
    from rasterio.enums import Resampling

    with rasterio.open(path) as src:
        scale = max(src.width, src.height) / float(max_size)
        scale = max(scale, 1.0)
        shape = (max(1, int(round(src.height / scale))), max(1, int(round(src.width / scale))))
        indexes = list(range(1, min(3, src.count) + 1))
        average = src.width * src.height <= AVERAGE_MAX_PIXELS or bool(src.overviews(1))
        data = src.read(indexes, out_shape=(len(indexes),) + shape,
                        resampling=Resampling.average if average else Resampling.nearest)
        mask = src.dataset_mask(out_shape=shape, resampling=Resampling.nearest) > 0
    return stretch(data, mask if not mask.all() else None)


def _save_png(rgb: np.ndarray, path) -> Path:
    from PIL import Image

    from .geo.write import remove_stale_temps, temp_prefix

    path = Path(path)
    remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".part", dir=str(path.parent))
    os.close(fd)
    try:
        Image.fromarray(rgb).save(tmp, format="PNG")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a quick-look is an ordinary file
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def quicklook_path(raster_path) -> Path:
    """Where the quick-look of a raster goes: ``<raster>.png`` beside it."""
    return Path(raster_path).with_suffix(".png")


def write_quicklook(raster_path, png_path=None, max_size: int = 1024) -> Path:
    """Write ``<raster>.png`` (or ``png_path``) beside the raster."""
    png = Path(png_path) if png_path else quicklook_path(raster_path)
    return _save_png(read_preview(raster_path, max_size), png)


def contact_sheet(rows: Sequence[Tuple[str, Sequence[Tuple[str, object]]]], path, cell: int = 256) -> Path:
    """One PNG with a row per task: ``[(row title, [(caption, raster path or HxWx3 array), ...]), ...]``."""
    from PIL import Image, ImageDraw

    columns = max(len(items) for _, items in rows)
    title_h, caption_h, pad = 22, 18, 8
    width = pad + columns * (cell + pad)
    height = sum(title_h + cell + caption_h + pad for _ in rows) + pad
    sheet = Image.new("RGB", (width, height), (245, 245, 245))
    draw = ImageDraw.Draw(sheet)
    y = pad
    for title, items in rows:
        draw.text((pad, y + 4), title, fill=(20, 20, 20))
        y += title_h
        for col, (caption, source) in enumerate(items):
            rgb = source if isinstance(source, np.ndarray) else read_preview(source, cell)
            tile = Image.fromarray(rgb)
            scale = cell / max(tile.width, tile.height)  # fit the cell, up or down (nearest keeps pixels crisp)
            tile = tile.resize((max(1, round(tile.width * scale)), max(1, round(tile.height * scale))),
                               Image.NEAREST if scale > 1 else Image.LANCZOS)
            x = pad + col * (cell + pad)
            sheet.paste(tile, (x + (cell - tile.width) // 2, y + (cell - tile.height) // 2))
            draw.text((x, y + cell + 3), caption[:40], fill=(60, 60, 60))
        y += cell + caption_h + pad
    return _save_png(np.asarray(sheet), path)
