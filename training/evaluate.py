"""Evaluate a trained model against classical baselines on any folder of GeoTIFFs; writes a markdown table.

    python -m training.evaluate --task sr|inpaint|predict --model DIR --data DIR_OF_GEOTIFFS --out table.md

``--model``: a pipeline folder with ``unet/``, ``text_encoder/``, ``tokenizer/``, ``vae/`` (the UNet run's
``final/``) and the ControlNet either inside it (``controlnet/`` for SR, ``controlnet_inpaint/``,
``controlnet3d/``) or given with
``--controlnet DIR``. ``--model none`` scores the baselines only. ``--engine backend`` samples with the plugin's
``backend.pipelines`` (strict loader; inpainting = its ControlNet method) instead of the trainers' sampler.

Tiles: non-overlapping ``--tile`` px tiles of each raster, from the spatial hold-out block (``--split
eval``, the right-most max(25 %, 32 px) columns that training never sees; use ``--split all`` for foreign
data), at most ``--max-tiles`` per raster, so the numbers are reproducible; a hold-out block narrower than
the tile is scored with the largest multiple of 32 px that fits. DSen2-style ``.npz`` files (``im10`` /
``im20``) in the folder are used by the ``sr`` task too.

Tasks and protocols
* ``sr``: Wald protocol. Each tile (10 m truth) is degraded by 4 (block mean); the model gets the 10 official
  Sentinel-2 bands (rasters whose band descriptions name them), presented at half the tile size; scores of
  the RGB output vs the truth: PSNR, SSIM, spectral angle (degrees) and SR consistency (output
  block-averaged back to the degraded grid vs the degraded input). Rows ``model`` (the network's output)
  and ``model + consistency`` (the product's default, :func:`backend.tasks.superres.match_observation`).
  Baseline: bicubic up-sampling of the degraded RGB, on the same tiles. Rasters without the Sentinel-2
  bands get a separate baseline row only. With a model, each whole GeoTIFF is also degraded by 4 and
  super-resolved by the task itself with every default (row ``product``: self-check and bicubic fallback
  included, with its fallback share), scored on all its tiles beside ``bicubic (whole scene)`` (the
  ``--json`` baseline) and ``bicubic + consistency (whole scene)``, with per-scene rows ``<row> @ <file>``
  (``--no-product`` skips it; ``--designs no-fallback`` adds the task with ``fallback=False``). Every SR
  row also carries the 4-8 px periodic power on flat tiles (the quarter of a scene's tiles with the lowest
  bicubic variance), with bicubic's and the truth's on the same tiles; the JSON gives their ratios.
* ``inpaint``: each tile gets a real cloud-mask shape (seeded per tile) from ``--masks``; scores on the whole
  tile and inside the mask (PSNR, SSIM, colour error = mean |per-band mean difference|, texture error =
  |std of the 2 px high-pass of the fill - the truth's|); baseline: biharmonic fill (the method an analyst
  has); the product's own classical fill is harmonic (its row is scored too). Rows ``model`` (the anchored model fill, before any fallback) and ``product`` (what the
  task writes by default, self-check and fallback included, with the fallback share); ``--designs`` adds
  other fill designs (:mod:`backend.tasks.inpaint_anchor`) scored on the same model samples.
* ``predict``: rasters on the same pixel grid form a time series (ordered by date where known, else by file
  name); the target is each frame after the first T, the inputs the T frames before it with real cloud
  shapes pasted in (p = 0.7, seeded); a single raster is its own series (cloud-free composition of T clouded
  copies). Baseline: the most recent input frame that got no cloud (or the least clouded one).

All values are on the [0, 1] scale the models see (:mod:`training.datasets.raster` scaling: 8-bit imagery /
255, everything else stretched per band between its 2 and 98 % percentiles over the raster, one stretch
per time series), model and baselines alike.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import torch

from backend.tasks.superres import match_observation

from . import metrics as M
from .common import REPO_ROOT
from .datasets.captions import scene_caption
from .datasets.masks import CloudMaskBank, add_cloud
from .datasets.raster import Scene, discover, load_scene, load_source_specs, split_columns, stretch_jointly
from .datasets.sentinel2 import S2Source, load_dsen2_npz, load_s2_geotiff, make_pair

SHARED_DATA = REPO_ROOT.parent / "shared" / "data"  # the project's shared data folder, beside the checkout
DEFAULT_MASKS = [str(SHARED_DATA / "slovenia_s2_cloudmask_68dates.tif"), str(SHARED_DATA / "cloudmask_landsat5_512.npz")]


# ----------------------------------------------------------------------------- model
def load_controlnet_task(model_dir, controlnet_dir, task: str, steps: int, guidance: float):
    """A ControlNet task object (frozen components loaded) whose ``generate`` samples a batch."""
    from .controlnet_task import ControlNetTask
    from .train_controlnet3d import MultiDateTask

    model_dir = Path(model_dir)
    from backend.model_layout import INPAINT_FOLDER

    folder = {"predict": "controlnet3d", "inpaint": INPAINT_FOLDER, "sr": "controlnet"}[task]
    cn = Path(controlnet_dir) if controlnet_dir else model_dir / folder
    if task == "inpaint" and not cn.exists() and (model_dir / "controlnet").exists() and not controlnet_dir:
        cn = model_dir / "controlnet"
    cls = MultiDateTask if task == "predict" else ControlNetTask
    cfg = {"pretrained": {"base": str(model_dir), "vae": str(model_dir / "vae"), "controlnet": str(cn)},
           "sample": {"steps": steps, "guidance": guidance}}
    t = cls(cfg)
    t.build()
    for m in list(t.trainable.values()) + list(t.frozen.values()):
        m.eval()
    return t


class BackendEngine:
    """The plugin's own sampling path: ``backend.checkpoints`` strict loader + ``backend.pipelines``."""

    def __init__(self, model_dir, controlnet_dir, task: str, steps: int, guidance: float, seed: int):
        from backend.checkpoints.loader import load_components, load_model
        from backend.model_layout import INPAINT_FOLDER
        from backend.pipelines import SatDiffusionPipeline

        model_dir = Path(model_dir)
        comps = load_components(model_dir, controlnets=True)
        inpaint_cn = None
        if task == "inpaint":
            path = Path(controlnet_dir) if controlnet_dir else model_dir / INPAINT_FOLDER
            inpaint_cn = load_model(path if path.exists() else model_dir / "controlnet")
        elif controlnet_dir:
            setattr(comps, "controlnet3d" if task == "predict" else "controlnet", load_model(controlnet_dir))
        self.pipe = SatDiffusionPipeline.from_components(comps, inpaint_controlnet=inpaint_cn)
        self.task, self.steps, self.guidance, self.seed = task, steps, guidance, seed

    def generate(self, batch, generator=None) -> np.ndarray:
        common = dict(prompt=batch["caption"][0], steps=self.steps, guidance=self.guidance, seed=self.seed)
        if self.task == "sr":
            res = self.pipe.super_resolve(batch["control"][0], batch["metadata"][0],
                                          control_metadata=batch["cond_metadata"][0], **common)
        elif self.task == "inpaint":  # the pipeline gets the image with the hole blanked: the truth never leaks
            res = self.pipe.inpaint(batch["control"][0][:-1], batch["control"][0][-1], metadata=batch["metadata"][0],
                                    method="controlnet", **common)
        else:
            ctl = batch["control"][0]  # (C, T, H, W)
            res = self.pipe.predict([ctl[:, k] for k in range(ctl.shape[1])], batch["cond_metadata"][0],
                                    batch["metadata"][0], **common)
        return res.images.transpose(0, 3, 1, 2).astype(np.float32)


def _tiles(scene: Scene, size: int, split: str, max_tiles: int, max_invalid: float = 0.02):
    """(x0, y0, size) tiles of the split's columns; a hold-out block narrower than ``size`` gets the largest
    multiple of 32 px that fits (>= 32), so small scenes are still scored."""
    c0, c1 = split_columns(scene.width, split)
    c0 += c0 % 2
    if min(c1 - c0, scene.height) < size:
        size = (min(c1 - c0, scene.height) // 32) * 32
        if size < 32:
            return []
    out = []
    for y0 in range(0, scene.height - size + 1, size):
        for x0 in range(c0, c1 - size + 1, size):
            if len(out) >= max_tiles:
                return out
            if 1.0 - scene.valid[y0:y0 + size, x0:x0 + size].mean() <= max_invalid:
                out.append((x0, y0, size))
    return out


def _scores(pred, truth, mask=None) -> Dict[str, float]:
    out = {"PSNR": M.psnr(pred, truth), "SSIM": M.ssim(pred, truth), "SAM (deg)": M.spectral_angle(pred, truth, True)}
    if mask is not None:
        out["PSNR in mask"] = M.psnr(pred, truth, mask=mask)
        out["SSIM in mask"] = M.ssim(pred, truth, mask=mask)
    return out


# ----------------------------------------------------------------------------- tasks
SR_DESIGNS = ("raw", "bp:3+nearest", "bp:3", "bp:10", "bp:30", "bp:10+nearest", "notch", "notch+bp:3+nearest",
              "notch+bp:10", "tile-stretch")


def _sr_design(name: str, out: np.ndarray, low: np.ndarray, f: int) -> np.ndarray:
    """A back-projection design on the network's output: ``raw`` (none), ``bp:N`` (N bicubic residual rounds),
    ``bp:N+nearest`` (then the exact block-constant round: :func:`match_observation`)."""
    if name.startswith("notch"):  # the 8 px latent-grid texture removed from the model's detail first
        from backend.tasks.superres_check import grid_notch

        out = grid_notch(out, np.clip(M.bicubic_upsample(low, f), 0, 1))
        name = name.partition("+")[2] or "raw"
    if name == "raw":
        return out
    rounds, _, final = name[3:].partition("+")
    return match_observation(out.astype(np.float32), low.astype(np.float32), f, iterations=int(rounds),
                             final=final or "none").astype(np.float64)


def _flat_periodic(scene_rows: Dict[str, List[dict]], periodic: Dict[str, List[float]], bic_var: List[float]):
    """Flat tiles = the quarter of a scene's tiles with the lowest bicubic variance: their periodic power
    (4-8 px) goes into each row as ``periodic power (flat)``, the bicubic's and the truth's alongside (the
    truth's is the level an image consistent with the observation may well have)."""
    if not bic_var:
        return
    limit = float(np.quantile(bic_var, 0.25))
    for key, items in scene_rows.items():
        for i, item in enumerate(items):
            if bic_var[i] <= limit and i < len(periodic[key]):
                item["periodic power (flat)"] = periodic[key][i]
                item["bicubic periodic power (flat)"] = periodic["bicubic"][i]
                item["truth periodic power (flat)"] = periodic["truth"][i]


def _tile_stretch(control: np.ndarray, low: np.ndarray):
    """Per-tile 2-98 % stretch of an SR control (10, s, s) (limits from the tile's coarse bands ``low``)."""
    from backend.geo.scaling import percentile_limits, stretch

    lim = percentile_limits(low.astype(np.float32), None, (2.0, 98.0)).astype(np.float64)
    lim[:, 1] = np.maximum(lim[:, 1], lim[:, 0] + 1e-3)
    return stretch(control, lim), lim


def eval_sr(folder, model, args, specs) -> Dict[str, List[dict]]:
    """Per-tile rows (``bicubic``, ``model``, ``model + consistency``; ``design <name>`` with ``--designs``)
    and, with a model folder, ``product``: each whole raster degraded by 4 and super-resolved by the task
    itself (:meth:`backend.api.DiffusionSat.super_resolve`, every default: self-check and fallback included),
    scored on all its tiles beside ``bicubic (whole scene)`` and ``bicubic + consistency (whole scene)``.
    Per-scene rows ``<row> @ <scene>`` repeat the product and its baseline per raster."""
    from backend.tasks.superres_check import periodic_power

    rows = defaultdict(list)
    f = 4
    designs = [d for d in (getattr(args, "designs", None) or []) if d in SR_DESIGNS or d.startswith(("bp:", "notch"))]
    product_api = _product_api(model, args)
    for path in sorted(Path(folder).iterdir()):
        if path.suffix.lower() not in (".tif", ".tiff", ".npz"):
            continue
        src: Optional[S2Source] = None
        spec = specs.get(path.name, {})
        if path.suffix.lower() == ".npz":  # a DSen2-style array file (im10 / im20), no georeference
            try:
                src = load_dsen2_npz(path, date=spec.get("date"), place=spec.get("place"))
            except Exception:
                continue
            scene = src.scene
        else:
          try:
            src = load_s2_geotiff(path, place=spec.get("place"), date=spec.get("date"))
            scene = src.scene
          except Exception:
            scenes = discover(path.parent, specs, include=[path.name])
            if not scenes:
                continue
            scene = scenes[0]
        scene_rows, periodic, bic_var = defaultdict(list), defaultdict(list), []

        def add(key, pred, truth, low):
            item = dict(_scores(pred, truth), **{"consistency PSNR": M.sr_consistency(pred, low, f)})
            rows[key].append(item)
            scene_rows[key].append(item)
            periodic[key].append(periodic_power(pred))

        for x0, y0, size in _tiles(scene, args.tile, args.split, args.max_tiles):
            truth = scene.image[:, y0:y0 + size, x0:x0 + size].astype(np.float64)
            low = M.area_downsample(truth, f)
            base = np.clip(M.bicubic_upsample(low, f), 0, 1)
            key = "bicubic" if src is not None else "bicubic (rasters without the Sentinel-2 bands)"
            add(key, base, truth, low)
            bic_var.append(float(base.var()))
            periodic["truth"].append(periodic_power(truth))
            if model is not None and src is not None:
                pair = make_pair(src, x0, y0, size, f)
                batch = {"image": pair["target"][None], "control": pair["control"][None],
                         "metadata": pair["meta"].to_vector()[None], "cond_metadata": pair["cond_meta"].to_vector()[None],
                         "caption": [scene_caption(scene.sensor, scene.place)]}
                with torch.no_grad():
                    out = model.generate(batch, torch.Generator().manual_seed(args.seed))[0].astype(np.float64)
                add("model", out, truth, low)
                # the task's model path (SuperResolveJob.consistency): the coarse content = the input
                add("model + consistency", _sr_design("bp:3+nearest", out, low, f), truth, low)
                for d in designs:
                    if d == "tile-stretch":  # the network's input stretched per tile, its output mapped back
                        ctl, lim = _tile_stretch(pair["control"], pair["low"])
                        with torch.no_grad():
                            o = model.generate(dict(batch, control=ctl[None].astype(np.float32)),
                                               torch.Generator().manual_seed(args.seed))[0].astype(np.float64)
                        o = o * (lim[:3, 1] - lim[:3, 0])[:, None, None] + lim[:3, 0, None, None]
                        add("design tile-stretch (raw)", o, truth, low)
                        add("design tile-stretch + consistency", _sr_design("bp:3+nearest", np.clip(o, 0, 1), low, f),
                            truth, low)
                    else:
                        add(f"design {d}", _sr_design(d, out, low, f), truth, low)
        if src is not None and "bicubic" in periodic:
            _flat_periodic(scene_rows, periodic, bic_var)
        if product_api is not None and src is not None and path.suffix.lower() != ".npz":
            for key, items in _sr_product(product_api, path, args, f).items():
                rows[key].extend(items)
                if key in ("product", "bicubic (whole scene)"):
                    rows[f"{key} @ {path.name}"].extend(items)
            if "no-fallback" in (getattr(args, "designs", None) or []):  # the task with fallback=False
                items = _sr_product(product_api, path, args, f, fallback=False)["product"]
                rows["design product without fallback"].extend(items)
                rows[f"design product without fallback @ {path.name}"].extend(items)
    return rows


def _product_api(model, args):
    """The product (``backend.api.DiffusionSat``) on the evaluated model folder, or None (baselines only,
    or ``--no-product``)."""
    if model is None or not getattr(args, "product", False) or not getattr(args, "model", None):
        return None
    from backend.api import DiffusionSat

    return DiffusionSat.from_pretrained(args.model)


def _sr_product(api, path: Path, args, f: int, fallback: bool = True) -> Dict[str, List[dict]]:
    """Wald protocol through the product: the whole raster's 10 bands degraded by ``f`` (block mean, nodata
    where any pixel of the block is), written as a GeoTIFF, super-resolved by ``api.super_resolve`` with
    every default, and compared with the raster on all its ``--tile`` tiles (<= 2 % invalid), in the
    raster's 2-98 % stretched units (RGB)."""
    import tempfile

    import rasterio

    from backend.geo.read import read_sentinel2_sr
    from backend.geo.scaling import percentile_limits, to_unit
    from backend.tasks.superres_check import block_mean, periodic_power

    data = read_sentinel2_sr(path)
    raw, valid = np.asarray(data.array, np.float64), np.asarray(data.valid, bool)
    h, w = raw.shape[1] - raw.shape[1] % f, raw.shape[2] - raw.shape[2] % f
    raw, valid = raw[:, :h, :w], valid[:h, :w]
    low = block_mean(np.where(valid[None], raw, 0.0), f)
    low_valid = block_mean(valid[None].astype(np.float64), f)[0] > 0.999
    dtype = np.dtype(data.array.dtype)
    nodata = data.profile.get("nodata") if hasattr(data, "profile") else None
    if dtype.kind in "iu":  # the raster's own data type (and so its units), block means rounded
        nodata = 0 if nodata is None else nodata
        low = np.where(low_valid[None], np.rint(low), nodata)
    else:
        low[:, ~low_valid] = np.nan
    rows: Dict[str, List[dict]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        src_path, out_path = Path(tmp) / "degraded.tif", Path(tmp) / "product.tif"
        prof = dict(driver="GTiff", count=low.shape[0], dtype=dtype.name, width=low.shape[2], height=low.shape[1],
                    crs=data.crs, transform=data.transform * rasterio.Affine.scale(f), nodata=nodata)
        with rasterio.open(src_path, "w", **prof) as dst:
            dst.write(low.astype(dtype))
            for i, name in enumerate(("B04", "B03", "B02", "B05", "B06", "B07", "B08", "B8A", "B11", "B12"), 1):
                dst.set_band_description(i, name)
        t0 = time.perf_counter()
        res = api.super_resolve(src_path, output=out_path, seed=args.seed, quicklook=False, fallback=fallback,
                                factor=f, threads=getattr(args, "threads", None))  # x4: the bundled model's default
        seconds = time.perf_counter() - t0
        with rasterio.open(out_path) as ds:
            prod = ds.read().astype(np.float64)[:, :h, :w]
    unit_t = to_unit(raw[:3], "auto", dtype=dtype, valid=valid, clip=False).astype(np.float64)
    lim = percentile_limits(unit_t.astype(np.float32), valid, (2.0, 98.0)).astype(np.float64)

    def units(x_raw):  # raw -> the raster's stretched [0, 1] units (as the scene the model rows see)
        u = to_unit(np.nan_to_num(x_raw), "auto", dtype=dtype, clip=False).astype(np.float64)
        return np.clip((u - lim[:, 0, None, None]) / (lim[:, 1, None, None] - lim[:, 0, None, None]), 0, 1)

    truth = units(raw[:3])
    low_u = units(np.where(low_valid[None], low[:3], 0.0))
    bic = np.clip(M.bicubic_upsample(low_u, f), 0, 1)
    bic_bp = match_observation(bic.astype(np.float32), low_u.astype(np.float32), f).astype(np.float64)
    product = units(prod)
    check = res.check or {}
    # tiles whose degraded input is wholly valid: a coarse pixel touching nodata is nodata in the product's input
    scored = valid & np.repeat(np.repeat(low_valid, f, 0), f, 1)
    scene = Scene(name=path.name, image=truth, valid=scored, crs=None, transform=None)
    tiles = _tiles(scene, args.tile, "all", 10 ** 9, max_invalid=0.0)
    bic_var, per = [], defaultdict(list)
    for x0, y0, size in tiles:
        sl = (slice(None), slice(y0, y0 + size), slice(x0, x0 + size))
        t, lo = truth[sl], M.area_downsample(truth[sl], f)
        for key, img in (("bicubic (whole scene)", bic[sl]), ("bicubic + consistency (whole scene)", bic_bp[sl]),
                         ("product", product[sl])):
            item = dict(_scores(img, t), **{"consistency PSNR": M.sr_consistency(img, lo, f)})
            if key == "product":
                item.update({"fallback share": check.get("fallback_share"), "check model PSNR": check.get("model_psnr"),
                             "check bicubic PSNR": check.get("bicubic_psnr"), "model weight": check.get("model_weight"),
                             "product s": seconds})
            rows[key].append(item)
            per[key].append(periodic_power(img))
        bic_var.append(float(bic[sl].var()))
        per["truth"].append(periodic_power(t))
    per["bicubic"] = per["bicubic (whole scene)"]
    _flat_periodic(rows, per, bic_var)
    return rows


def _inpaint_scores(pred, truth, mask) -> Dict[str, float]:
    return dict(_scores(pred, truth, mask), **{"colour error in mask": M.mean_colour_error(pred, truth, mask),
                                               "texture error in mask": M.texture_error(pred, truth, mask)})


def _model_fn(model, metadata, caption: str, seed: int):
    """``backend.tasks.inpaint_fill`` model_fn over this evaluation's engine: the hole blanked, one image at a
    time (the pipeline gets ``RGB * (1 - hole)`` and the hole, so the truth never leaks)."""
    def fn(images, holes):
        outs = []
        for img, hole in zip(images, holes):
            img = np.clip(img, 0, 1).astype(np.float32)
            control = np.concatenate([img * (1 - hole), hole[None].astype(np.float32)])
            batch = {"image": img[None], "control": control[None], "metadata": metadata[None],
                     "cond_metadata": metadata[None], "caption": [caption]}
            with torch.no_grad():
                outs.append(model.generate(batch, torch.Generator().manual_seed(seed))[0])
        return np.stack(outs).astype(np.float64)
    return fn


CLASSICAL_ROW = "harmonic (the product's classical fill)"


def eval_inpaint(folder, model, args, specs, masks: CloudMaskBank) -> Dict[str, List[dict]]:
    """Rows: ``biharmonic`` (the baseline), ``harmonic`` (the product's classical fill, :mod:`backend.tasks.
    classical_fill`), ``network fill`` (the model's raw fill), ``model`` (the product's
    anchored model fill before any fallback), ``product`` (what the inpainting task writes by default: the
    self-check on probes of the scene around the tile picks the model or the classical fill, exactly as
    :func:`backend.tasks.inpaint.run` does per tile), and per extra ``--designs`` entry its fill and its
    product. Each tile is its own run: a tile without a probe gets the classical fill, as a raster would."""
    from backend.tasks.classical_fill import biharmonic_fill, classical_fill
    from backend.tasks.inpaint_anchor import DEFAULT_DESIGN, anchor
    from backend.tasks.inpaint_check import RULE, find_probes
    from backend.tasks.inpaint_fill import probe_fills, score_probes

    designs = list(dict.fromkeys([DEFAULT_DESIGN] + list(getattr(args, "designs", None) or [])))
    rows = defaultdict(list)
    scenes = discover(folder, specs, exclude=("*mask*",))
    for si, scene in enumerate(scenes):
        for ti, (x0, y0, size) in enumerate(_tiles(scene, args.tile, args.split, args.max_tiles)):
            truth = scene.image[:, y0:y0 + size, x0:x0 + size].astype(np.float64)
            mask = masks.sample(np.random.default_rng([args.seed, si, ti]), size).astype(bool)
            rows["biharmonic"].append(_inpaint_scores(np.clip(biharmonic_fill(truth * (~mask), mask), 0, 1), truth, mask))
            classical = classical_fill(truth * (~mask), mask)  # the product's: anchors the model, and the fallback
            rows[CLASSICAL_ROW].append(_inpaint_scores(np.clip(classical, 0, 1), truth, mask))
            if model is None:
                continue
            md = scene.metadata(x0, y0, size, size).to_vector()
            fn = _model_fn(model, md, scene_caption(scene.sensor, scene.place), args.seed)
            t0 = time.perf_counter()
            raw = np.where(mask[None], fn(truth[None] * (~mask), mask[None])[0], truth)  # observed pixels kept
            t_fill = time.perf_counter() - t0
            rows["network fill (raw)"].append(_inpaint_scores(raw, truth, mask))
            holes = np.zeros(scene.valid.shape, bool)  # the raster's mask: this tile's hole only ...
            holes[y0:y0 + size, x0:x0 + size] = mask
            c0, c1 = split_columns(scene.width, args.split)
            holes[:, :c0] = holes[:, c1:] = True  # ... and no probe on columns the model was trained on
            probes = find_probes(holes, (y0, x0, size, size))
            images = [scene.image[:, r:r + h, c:c + w].astype(np.float64) for r, c, h, w in (p.window for p in probes)]
            probes = [type(p)(p.window, p.hidden, p.scored & scene.valid[p.window[0]:p.window[0] + p.window[2],
                                                                         p.window[1]:p.window[1] + p.window[3]])
                      for p in probes]
            t0 = time.perf_counter()
            fills = probe_fills(fn, images, probes) if probes else None
            t_check = time.perf_counter() - t0
            for d in designs:
                anchored = np.clip(anchor(raw, classical, mask, d), 0, 1)
                check = score_probes(*fills, images, probes, d) if fills else None
                for rule in ("psnr+ssim", "psnr"):
                    use_model = check is not None and check.model_wins_by(rule)
                    product = anchored if use_model else np.clip(classical, 0, 1)
                    extra = {"fallback share": 0.0 if use_model else 1.0}
                    if d == DEFAULT_DESIGN and rule == RULE:
                        rows["model"].append(_inpaint_scores(anchored, truth, mask))
                        rows["product"].append(dict(_inpaint_scores(product, truth, mask), **extra,
                                                    **{"fill s": t_fill, "self-check s": t_check}))
                    else:
                        if rule == RULE and d != DEFAULT_DESIGN:
                            rows[f"design {d}"].append(_inpaint_scores(anchored, truth, mask))
                        rows[f"design {d} + fallback ({rule})"].append(dict(_inpaint_scores(product, truth, mask),
                                                                            **extra))
    return rows


def _series(scenes: List[Scene]) -> List[List[Scene]]:
    groups = defaultdict(list)
    for s in scenes:
        key = (None if s.crs is None else s.crs.to_wkt(), None if s.transform is None else tuple(s.transform)[:6],
               s.image.shape) if s.crs is not None else (s.name,)
        groups[key].append(s)
    out = []
    for g in groups.values():
        g.sort(key=lambda s: (s.date is None, s.date or 0, s.name) if all(x.date for x in g) else (0, 0, s.name))
        out.append(g)
    return out


def _is_8bit(path: Path) -> bool:
    """8-bit rasters are used as they are (/ 255), not stretched (training/datasets/raster.py)."""
    import rasterio

    if path.is_dir():
        return False
    with rasterio.open(path) as ds:
        return ds.dtypes[0] == "uint8"


def eval_predict(folder, model, args, specs, masks: CloudMaskBank) -> Dict[str, List[dict]]:
    rows = defaultdict(list)
    T = args.frames
    for gi, series in enumerate(_series(discover(folder, specs, exclude=("*mask*",)))):
        if len(series) > 1 and not any(_is_8bit(Path(folder) / s.name) for s in series):
            # one stretch pooled over the series, as in training and in the product (not one per frame)
            reloaded = [load_scene(Path(folder) / s.name, dict(specs.get(s.name) or {}, scaling="auto")) for s in series]
            if all(r is not None and r.image.shape == s.image.shape for r, s in zip(reloaded, series)):
                stretch_jointly(reloaded)
                series = reloaded
        targets = range(T, len(series)) if len(series) > T else [None]
        for k in targets:
            target_scene = series[k] if k is not None else series[0]
            inputs = series[k - T:k] if k is not None else [series[0]] * T
            for ti, (x0, y0, s) in enumerate(_tiles(target_scene, args.tile, args.split, args.max_tiles)):
                rng = np.random.default_rng([args.seed, gi, 0 if k is None else k + 1, ti])
                truth = target_scene.image[:, y0:y0 + s, x0:x0 + s].astype(np.float32)
                frames, fracs, cmds = [], [], []
                for sc in inputs:
                    img = sc.image[:, y0:y0 + s, x0:x0 + s].astype(np.float32)
                    frac = 0.0
                    if rng.random() < 0.7 or k is None:
                        m = masks.sample(rng, s)
                        img, frac = add_cloud(img, m, rng), float(m.mean())
                    frames.append(img)
                    fracs.append(frac)
                    cmds.append(sc.metadata(x0, y0, s, s).to_vector())
                clear = [i for i, fr in enumerate(fracs) if fr == 0.0]
                pick = clear[-1] if clear else int(np.argmin(fracs))
                rows["most recent clear frame"].append(_scores(frames[pick], truth))
                if model is not None:
                    batch = {"image": truth[None], "control": np.stack(frames, axis=1)[None],
                             "metadata": target_scene.metadata(x0, y0, s, s).to_vector()[None],
                             "cond_metadata": np.stack(cmds, axis=1)[None],
                             "caption": [scene_caption(target_scene.sensor, target_scene.place)]}
                    with torch.no_grad():
                        out = model.generate(batch, torch.Generator().manual_seed(args.seed))[0]
                    rows["model"].append(_scores(out, truth))
    return rows


# ----------------------------------------------------------------------------- table
BASELINE_ROW = {"sr": "bicubic", "inpaint": "biharmonic", "predict": "most recent clear frame"}
PRODUCT_ROW = {"sr": "product", "inpaint": "product", "predict": "model"}  # what the task writes
# the baseline on the product's own tiles (whole scenes; "bicubic" is the per-tile baseline of the model rows)
PRODUCT_BASELINE_ROW = {"sr": "bicubic (whole scene)"}


def means(items: List[dict]) -> Dict[str, Optional[float]]:
    """metric -> mean over the tiles' finite values (None when there is none)."""
    out = {}
    for k in dict.fromkeys(k for r in items for k in r):
        vals = [r[k] for r in items if r.get(k) is not None and math.isfinite(r[k])]
        out[k] = float(np.mean(vals)) if vals else None
    return out


def periodic_ratio(items: List[dict], key: str = "periodic power (flat)") -> Optional[float]:
    """SR: the row's mean 4-8 px periodic power on flat tiles over bicubic's on the same tiles (``key`` =
    ``truth periodic power (flat)``: the truth's over bicubic's)."""
    pairs = [(r[key], r["bicubic periodic power (flat)"]) for r in items if r.get(key) is not None]
    den = sum(b for _, b in pairs)
    return float(sum(a for a, _ in pairs) / den) if pairs and den > 0 else None


def json_summary(task: str, rows: Dict[str, List[dict]], scenes: List[str]) -> dict:
    """Baseline and product means, every row's means, the tile count and the scene names (SR: the product's
    baseline is bicubic on the product's own whole-scene tiles; per-scene means and periodic ratios too)."""
    base, prod = BASELINE_ROW[task], PRODUCT_ROW[task]
    if rows.get(prod) and PRODUCT_BASELINE_ROW.get(task) in rows:
        base = PRODUCT_BASELINE_ROW[task]
    out = {"baseline_row": base, "product_row": prod,
           "baseline": means(rows.get(base, [])), "product": means(rows.get(prod, [])) if rows.get(prod) else None,
           "rows": {k: means(v) for k, v in rows.items()}, "tiles": len(rows.get(base, [])), "scenes": scenes}
    if task == "sr":
        for k, v in rows.items():
            ratio = periodic_ratio(v)
            if ratio is not None:
                out["rows"][k]["periodic ratio (flat, vs bicubic)"] = ratio
        for key in ("baseline", "product"):
            if out[key] is not None and periodic_ratio(rows.get(out[f"{key}_row"], [])) is not None:
                out[key]["periodic ratio (flat, vs bicubic)"] = periodic_ratio(rows[out[f"{key}_row"]])
        truth = periodic_ratio(rows.get(base, []), "truth periodic power (flat)")
        if truth is not None:
            out["baseline"]["truth periodic ratio (flat, vs bicubic)"] = truth
        out["per_scene"] = {k.split(" @ ", 1)[1]: {} for k in rows if " @ " in k}
        for k, v in rows.items():
            if " @ " in k:
                row, scene = k.split(" @ ", 1)
                out["per_scene"][scene][row] = dict(means(v), tiles=len(v), **{
                    "periodic ratio (flat, vs bicubic)": periodic_ratio(v)})
    return out


def to_markdown(rows: Dict[str, List[dict]], title: str, notes: str = "") -> str:
    keys = []
    for rs in rows.values():
        for r in rs:
            for k in r:
                if k not in keys:
                    keys.append(k)
    lines = [f"# {title}", "", "| method | tiles | " + " | ".join(keys) + " |", "|---|---|" + "---|" * len(keys)]
    for name, rs in rows.items():
        vals = []
        for k in keys:
            xs = [r[k] for r in rs if k in r and r[k] is not None and not math.isnan(r[k])]
            finite = [x for x in xs if math.isfinite(x)]
            if not any(k in r for r in rs):  # a column of other rows only (e.g. the SR product's fallback share)
                vals.append("-")
            elif not xs:
                vals.append("n/a")
            elif len(finite) < len(xs):
                vals.append("inf" if not finite else f"{np.mean(finite):.4f} (+{len(xs) - len(finite)} inf)")
            else:
                vals.append(f"{np.mean(xs):.4f}")
        lines.append(f"| {name} | {len(rs)} | " + " | ".join(vals) + " |")
    if notes:
        lines += ["", notes]
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description="Evaluate a model vs baselines on a folder of GeoTIFFs")
    p.add_argument("--task", required=True, choices=["sr", "inpaint", "predict"])
    p.add_argument("--model", required=True, help="pipeline folder (unet/, text_encoder/, tokenizer/, vae/) or 'none'")
    p.add_argument("--controlnet", default=None, help="ControlNet folder (default: <model>/controlnet[3d])")
    p.add_argument("--data", required=True, help="folder of GeoTIFFs")
    p.add_argument("--out", required=True, help="markdown table to write")
    p.add_argument("--sources", default=str(REPO_ROOT / "training/configs/data_sources.json"),
                   help="per-file facts JSON (band order, sensor, place, date)")
    p.add_argument("--masks", nargs="*", default=None, help="cloud-mask files (GeoTIFF bands / .npz)")
    p.add_argument("--tile", type=int, default=64)
    p.add_argument("--max-tiles", type=int, default=4)
    p.add_argument("--split", default="eval", choices=["eval", "all"])
    p.add_argument("--frames", type=int, default=3)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--guidance", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--designs", nargs="*", default=None,
                   help="inpaint: extra fill designs to score beside the product's (e.g. raw ring highpass:1 "
                        "highpass_ring:2; backend/tasks/inpaint_anchor.py); sr: back-projection designs "
                        "(raw, bp:N, bp:N+nearest) and tile-stretch (the network's input stretched per tile)")
    p.add_argument("--no-product", dest="product", action="store_false",
                   help="sr: skip the whole-scene 'product' rows (the task itself on each raster degraded by 4)")
    p.add_argument("--json", default=None, help="also write the per-task means (baseline, product, every row), "
                                                "tile count and scene names as JSON here")
    p.add_argument("--engine", default="training", choices=["training", "backend"],
                   help="'training': the trainers' own DDIM sampler (exactly the training formulation); "
                        "'backend': the plugin's backend.pipelines (what users run)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    specs = load_source_specs(args.sources) if args.sources and Path(args.sources).exists() else {}
    if args.model.lower() == "none":
        model = None
    elif args.engine == "backend":
        model = BackendEngine(args.model, args.controlnet, args.task, args.steps, args.guidance, args.seed)
    else:
        model = load_controlnet_task(args.model, args.controlnet, args.task, args.steps, args.guidance)
    masks = None
    if args.task in ("inpaint", "predict"):
        files = [m for m in (args.masks or DEFAULT_MASKS) if Path(m).exists()]
        if not files:
            p.error("no cloud-mask file found: pass --masks FILE [FILE ...] (multi-band 0/1 GeoTIFF or .npz)")
        masks = CloudMaskBank.from_files(files)
    if args.task == "sr":
        rows = eval_sr(args.data, model, args, specs)
    elif args.task == "inpaint":
        rows = eval_inpaint(args.data, model, args, specs, masks)
    else:
        rows = eval_predict(args.data, model, args, specs, masks)
    notes = (f"data: `{args.data}`, split: {args.split}, tile {args.tile} px, <= {args.max_tiles} tiles per raster, "
             f"model: `{args.model}` (engine {args.engine}), DDIM steps {args.steps}, guidance {args.guidance}, "
             f"seed {args.seed}.")
    if args.task == "sr" and args.product and model is not None:
        notes += (" Rows 'product' and '(whole scene)': every tile of each whole raster, the task with its own "
                  "defaults (DDIM 25, the model's guidance, self-check and fallback).")
    if args.task == "sr":
        ratios = [f"{k}: {periodic_ratio(v):.2f}" for k, v in rows.items() if periodic_ratio(v) is not None]
        truths = [f"{k}: {periodic_ratio(v, 'truth periodic power (flat)'):.2f}" for k, v in rows.items()
                  if k.startswith("bicubic") and periodic_ratio(v, "truth periodic power (flat)") is not None]
        if ratios:
            notes += ("\n\n4-8 px periodic power on flat tiles (the quarter with the lowest bicubic variance), "
                      "relative to bicubic: " + "; ".join(ratios) + ". The truth's on the same tiles: "
                      + "; ".join(truths) + ".")
    whole = {k: v for k, v in rows.items() if k.startswith(("product", "design product")) or "(whole scene)" in k}
    text = to_markdown({k: v for k, v in rows.items() if k not in whole}, f"DiffusionSat evaluation: {args.task}",
                       notes)
    if whole:  # SR: the task itself on whole rasters, in a table of its own (its columns are its own)
        text += "\n" + to_markdown(whole, f"DiffusionSat evaluation: {args.task}, whole scenes through the task")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    if args.json:
        scenes = [s.name for s in discover(args.data, specs, exclude=("*mask*",))]
        summary = json_summary(args.task, rows, scenes)
        summary["notes"] = notes
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({args.task: summary}, indent=1))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
