"""Dated series: predict the last date of a place from its earlier frames, with the product as users run it.

A folder holding several rasters of one place (``find_series``: at least three GeoTIFFs whose footprints
overlap, e.g. ``naip_nd_series/``) is scored by predicting its last date from the up to four frames before
it with ``backend.api.DiffusionSat.predict`` and every default (the backtest self-check and its fallback to
persistence included): the ``product`` row. Baselines, on the same pixels:

* ``most recent frame``: persistence, the frame before the target as it is;
* ``most recent frame, matched``: the same frame with each band fitted linearly (least squares) to the
  target on the pixels valid in both -- the radiometric match of the issue's bar. It uses the target
  itself, which no forecast can, so it is an upper bound for persistence, not something the product could do.

Dates: from the file names (``…_YYYYMMDD.tif``, ``YYYY.tif``); a year-only target is asked for as 1 July of
that year (the product needs a day; stated in the notes), and year-only frames get no date (never invented).
Values: the series' joint 2-98 % stretch for non-8-bit data, 8-bit / 255 otherwise, RGB; scores per
``tile`` px tile with at most 2 % invalid pixels, as the other protocols.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

SUFFIXES = (".tif", ".tiff")
MAX_FRAMES = 4  # the temporal ControlNet takes 1-4 frames


def file_date(path: Path) -> Tuple[Optional[dt.date], Optional[int]]:
    """(full date, year) from a file name: ``..._YYYYMMDD`` gives both, a bare ``YYYY`` the year only."""
    m = re.search(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)", path.stem)
    if m:
        try:
            d = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            return d, d.year
        except ValueError:
            pass
    m = re.fullmatch(r"(\d{4})", path.stem)
    return (None, int(m.group(1))) if m else (None, None)


def find_series(folder) -> List[List[Path]]:
    """Sub-folders (and the folder itself) holding >= 3 rasters of one place, each sorted by date/name."""
    import rasterio
    from rasterio.warp import transform_bounds

    out = []
    for d in [Path(folder)] + sorted(p for p in Path(folder).iterdir() if p.is_dir()):
        files = sorted(p for p in d.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES and "mask" not in p.name)
        dated = [p for p in files if file_date(p)[1] is not None]
        if len(dated) < 3 or len(dated) != len(files):
            continue
        boxes = []
        for p in dated:
            with rasterio.open(p) as ds:
                if ds.crs is None:
                    break
                boxes.append(transform_bounds(ds.crs, "EPSG:4326", *ds.bounds))
        else:
            left, bottom = max(b[0] for b in boxes), max(b[1] for b in boxes)
            right, top = min(b[2] for b in boxes), min(b[3] for b in boxes)
            if right > left and top > bottom:  # one place: every footprint overlaps every other
                out.append(sorted(dated, key=lambda p: (file_date(p)[1], file_date(p)[0] or dt.date.min, p.name)))
    return out


def _on_grid(path: Path, grid, bands) -> Tuple[np.ndarray, np.ndarray]:
    from rasterio.windows import Window

    from backend.tiling import RasterSource

    src = RasterSource(str(path), bands, grid=grid)
    try:
        return src.read(Window(0, 0, grid.width, grid.height))
    finally:
        src.close()


def match_bands(frame: np.ndarray, target: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Each band of ``frame`` fitted linearly to ``target`` on ``where`` (least squares)."""
    out = np.empty_like(frame)
    for b in range(frame.shape[0]):
        x, y = frame[b][where].astype(np.float64), target[b][where].astype(np.float64)
        a, c = np.polyfit(x, y, 1) if x.size > 2 and x.std() > 0 else (1.0, float(y.mean() - x.mean()))
        out[b] = a * frame[b] + c
    return out


def eval_series(folder, api, args) -> Tuple[Dict[str, List[dict]], List[str], List[str]]:
    """Rows (per tile scores), the series names and notes (see the module doc)."""
    from backend.geo.grids import Grid
    from backend.geo.read import open_raster
    from backend.geo.scaling import percentile_limits, stretch

    from .evaluate import _scores

    rows: Dict[str, List[dict]] = {}
    names, notes = [], []
    for series in find_series(folder):
        target, inputs = series[-1], series[-1 - MAX_FRAMES:-1]
        t_date, t_year = file_date(target)
        if t_date is None:
            t_date = dt.date(t_year, 7, 1)
            notes.append(f"{target.parent.name}: year-only dates; the target is asked for as {t_date.isoformat()}")
        names.append(f"{target.parent.name}: {', '.join(p.name for p in inputs)} -> {target.name}")
        with open_raster(inputs[0]) as ds:
            grid = Grid(ds.crs, ds.transform, ds.width, ds.height)
            eight_bit = ds.dtypes[0] == "uint8"
        bands = [1, 2, 3]
        truth, t_ok = _on_grid(target, grid, bands)
        last, l_ok = _on_grid(inputs[-1], grid, bands)
        result = None
        if api is not None:
            with tempfile.TemporaryDirectory() as tmp:
                res = api.predict([(str(p), file_date(p)[0]) for p in inputs], target_date=t_date,
                                  output=Path(tmp) / "predicted.tif", quicklook=False, seed=args.seed)
                result, r_ok = _on_grid(Path(res.output), grid, bands)
                share = float(res.check.get("fallback_share", 0.0)) if res.check else 0.0
        frames = {"truth": truth, "most recent frame": last}
        if result is not None:
            frames["product"] = result
        valid = t_ok & l_ok & (r_ok if result is not None else True)
        if eight_bit:
            units = {k: v.astype(np.float64) / 255.0 for k, v in frames.items()}
        else:  # one stretch pooled over the frames, as the product stretches a series
            pooled = np.concatenate([truth[:, valid], last[:, valid]], axis=1)[:, None, :]
            limits = percentile_limits(pooled, None, (2.0, 98.0))
            units = {k: np.asarray(stretch(v, limits, valid), np.float64) for k, v in frames.items()}
        units["most recent frame, matched"] = match_bands(units["most recent frame"], units["truth"], valid)
        size = int(args.tile)
        h, w = valid.shape
        for y0 in range(0, h - size + 1, size):
            for x0 in range(0, w - size + 1, size):
                ok = valid[y0:y0 + size, x0:x0 + size]
                if ok.mean() < 0.98:
                    continue
                t = units["truth"][:, y0:y0 + size, x0:x0 + size]
                for key, img in units.items():
                    if key == "truth":
                        continue
                    row = _scores(np.clip(img[:, y0:y0 + size, x0:x0 + size], 0, 1).astype(np.float32),
                                  t.astype(np.float32))
                    if key == "product":
                        row["fallback share"] = share
                    rows.setdefault(key, []).append(row)
                    rows.setdefault(f"{key} @ {target.parent.name}", []).append(row)
    return rows, names, notes




MATCHED_CLEAR_ROW = "most recent frame, matched on the clear pixels"


def _on_target(path: Path, target: Path) -> Tuple[np.ndarray, np.ndarray]:
    """``path`` on ``target``'s grid: bands 1-3 (float64) and where they are valid."""
    import rasterio

    from backend.geo.grids import Grid

    with rasterio.open(target) as ds:
        grid = Grid.from_dataset(ds)
    values, ok = _on_grid(path, grid, [1, 2, 3])
    return values.astype(np.float64), ok


def _write_crop(src_path: Path, window, out: Path, bands=(1, 2, 3)) -> None:
    import rasterio

    with rasterio.open(src_path) as ds:
        data = ds.read(list(bands), window=window)
        profile = dict(ds.profile, width=window.width, height=window.height, count=len(bands),
                       transform=ds.window_transform(window), driver="GTiff")
        profile.pop("photometric", None)
    with rasterio.open(out, "w", **profile) as dst:
        dst.write(data)


def cloud_shapes(masks, size: int, seed: int, series_index: int) -> np.ndarray:
    """A ``size`` px square of real cloud shapes (seeded): per 64 px block, a cloud from ``masks`` (a
    ``CloudMaskBank``) with probability 0.6."""
    rng = np.random.default_rng([seed, 17, series_index])
    hole = np.zeros((size, size), bool)
    for y in range(0, size, 64):
        for x in range(0, size, 64):
            if rng.random() < 0.6:
                hole[y:y + 64, x:x + 64] = masks.sample(rng, (min(64, size - y), min(64, size - x))) > 0.5
    return hole


def eval_series_fill(folder, api, args, masks, size: int = 256, others: int = 2) -> Dict[str, List[dict]]:
    """Cloud removal with other dates: the last date of each series gets real cloud shapes (seeded) over a
    ``size`` px crop at its centre; rows, scored inside the mask: ``biharmonic`` (one date, classical; the
    product's own one-date classical fill, harmonic, is scored too), ``most recent frame, matched on the clear
    pixels`` (the closest earlier date fitted per band to the target outside the mask, the harmonic fill where
    that date has no data: the prediction bar of the issue, with the clear pixels a real cloudy target has),
    ``product, one date`` (inpainting as written without other dates) and ``product, other dates`` (as
    written with the ``others`` closest earlier dates, cut on the same ground), with their fallback shares."""
    import rasterio
    from rasterio.windows import Window

    from backend.tasks.classical_fill import biharmonic_fill, classical_fill

    from .evaluate import CLASSICAL_ROW, _inpaint_scores

    rows: Dict[str, List[dict]] = {}
    for si, series in enumerate(find_series(folder)):
        target, earlier = series[-1], series[-1 - others:-1]
        with rasterio.open(target) as ds:
            h, w = ds.height, ds.width
        s = min(size, h, w) // 32 * 32
        win = Window((w - s) // 2, (h - s) // 2, s, s)
        hole = cloud_shapes(masks, s, int(args.seed), si)
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            _write_crop(target, win, tmp / "target.tif")
            with rasterio.open(tmp / "target.tif") as ds:
                profile = dict(ds.profile, count=1, dtype="uint8", nodata=None)
                truth = ds.read().astype(np.float64)
                eight_bit = ds.dtypes[0] == "uint8"
            with rasterio.open(tmp / "mask.tif", "w", **profile) as dst:
                dst.write(hole[None].astype(np.uint8))
            crops = []
            for k, p in enumerate(earlier):
                # the other dates cover the same ground: cut on the target's crop bounds
                with rasterio.open(tmp / "target.tif") as t, rasterio.open(p) as ds:
                    wk = ds.window(*t.bounds).round_offsets().round_lengths()
                crops.append(tmp / f"other{k}.tif")
                _write_crop(p, wk, crops[-1])
            spec = {"raster": str(tmp / "mask.tif"), "classes": [1]}
            results = {}
            if api is not None:
                common = dict(quicklook=False, seed=int(args.seed))
                results["product, one date"] = api.inpaint(str(tmp / "target.tif"), spec, output=tmp / "one.tif", **common)
                results["product, other dates"] = api.inpaint(str(tmp / "target.tif"), spec, output=tmp / "dates.tif",
                                                              other_dates=[str(c) for c in crops], **common)
            scale = 255.0 if eight_bit else float(np.percentile(truth, 98) - np.percentile(truth, 2)) or 1.0
            lo = 0.0 if eight_bit else float(np.percentile(truth, 2))
            unit = (truth - lo) / scale
            filled = {"biharmonic": biharmonic_fill(unit, hole), CLASSICAL_ROW: classical_fill(unit, hole)}
            recent, ok = _on_target(crops[-1], tmp / "target.tif")
            matched = match_bands((recent - lo) / scale, unit, ~hole & ok)
            filled[MATCHED_CLEAR_ROW] = np.where(ok[None], matched, filled[CLASSICAL_ROW])  # its nodata: harmonic
            for key, res in results.items():
                with rasterio.open(res.output) as ds:
                    filled[key] = (ds.read().astype(np.float64) - lo) / scale
            for key, img in filled.items():
                row = _inpaint_scores(np.clip(img, 0, 1).astype(np.float32), np.clip(unit, 0, 1).astype(np.float32),
                                      hole)
                if key in results and results[key].check:
                    row["fallback share"] = float(results[key].check.get("fallback_share", 0.0))
                    if "one_date_share" in results[key].check:  # other dates: where this date's own fill won
                        row["one-date share"] = float(results[key].check["one_date_share"])
                rows.setdefault(key, []).append(row)
                rows.setdefault(f"{key} @ {target.parent.name}", []).append(row)
    return rows


__all__ = ["MATCHED_CLEAR_ROW", "cloud_shapes", "eval_series", "eval_series_fill", "find_series", "file_date",
           "match_bands"]
