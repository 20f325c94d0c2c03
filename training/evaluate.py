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
  bands get a separate baseline row only.
* ``inpaint``: each tile gets a real cloud-mask shape (seeded per tile) from ``--masks``; scores on the whole
  tile and inside the mask (PSNR, SSIM, colour error = mean |per-band mean difference|, texture error =
  |std of the 2 px high-pass of the fill - the truth's|); baseline: biharmonic fill (the product's own
  classical fill). Rows ``model`` (the anchored model fill, before any fallback) and ``product`` (what the
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
    folder = {"predict": "controlnet3d", "inpaint": "controlnet_inpaint", "sr": "controlnet"}[task]
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
        from backend.pipelines import SatDiffusionPipeline

        model_dir = Path(model_dir)
        comps = load_components(model_dir, controlnets=True)
        inpaint_cn = None
        if task == "inpaint":
            path = Path(controlnet_dir) if controlnet_dir else model_dir / "controlnet_inpaint"
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
def eval_sr(folder, model, args, specs) -> Dict[str, List[dict]]:
    rows = defaultdict(list)
    f = 4
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
        for x0, y0, size in _tiles(scene, args.tile, args.split, args.max_tiles):
            truth = scene.image[:, y0:y0 + size, x0:x0 + size].astype(np.float64)
            low = M.area_downsample(truth, f)
            base = np.clip(M.bicubic_upsample(low, f), 0, 1)
            key = "bicubic" if src is not None else "bicubic (rasters without the Sentinel-2 bands)"
            rows[key].append(dict(_scores(base, truth), **{"consistency PSNR": M.sr_consistency(base, low, f)}))
            if model is not None and src is not None:
                pair = make_pair(src, x0, y0, size, f)
                batch = {"image": pair["target"][None], "control": pair["control"][None],
                         "metadata": pair["meta"].to_vector()[None], "cond_metadata": pair["cond_meta"].to_vector()[None],
                         "caption": [scene_caption(scene.sensor, scene.place)]}
                with torch.no_grad():
                    out = model.generate(batch, torch.Generator().manual_seed(args.seed))[0].astype(np.float64)
                rows["model"].append(dict(_scores(out, truth), **{"consistency PSNR": M.sr_consistency(out, low, f)}))
                # what the product writes by default (SuperResolveJob.consistency): the coarse content = the input
                kept = match_observation(out.astype(np.float32), low.astype(np.float32), f).astype(np.float64)
                rows["model + consistency"].append(dict(_scores(kept, truth),
                                                        **{"consistency PSNR": M.sr_consistency(kept, low, f)}))
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


def eval_inpaint(folder, model, args, specs, masks: CloudMaskBank) -> Dict[str, List[dict]]:
    """Rows: ``biharmonic`` (the baseline), ``network fill`` (the model's raw fill), ``model`` (the product's
    anchored model fill before any fallback), ``product`` (what the inpainting task writes by default: the
    self-check on probes of the scene around the tile picks the model or the classical fill, exactly as
    :func:`backend.tasks.inpaint.run` does per tile), and per extra ``--designs`` entry its fill and its
    product. Each tile is its own run: a tile without a probe gets the classical fill, as a raster would."""
    from backend.tasks.classical_fill import biharmonic_fill
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
            classical = biharmonic_fill(truth * (~mask), mask)
            rows["biharmonic"].append(_inpaint_scores(np.clip(classical, 0, 1), truth, mask))
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
PRODUCT_ROW = {"sr": "model + consistency", "inpaint": "product", "predict": "model"}  # what the task writes


def means(items: List[dict]) -> Dict[str, Optional[float]]:
    """metric -> mean over the tiles' finite values (None when there is none)."""
    out = {}
    for k in dict.fromkeys(k for r in items for k in r):
        vals = [r[k] for r in items if r.get(k) is not None and math.isfinite(r[k])]
        out[k] = float(np.mean(vals)) if vals else None
    return out


def json_summary(task: str, rows: Dict[str, List[dict]], scenes: List[str]) -> dict:
    """Baseline and product means, every row's means, the tile count and the scene names."""
    base, prod = BASELINE_ROW[task], PRODUCT_ROW[task]
    return {"baseline_row": base, "product_row": prod,
            "baseline": means(rows.get(base, [])), "product": means(rows.get(prod, [])) if rows.get(prod) else None,
            "rows": {k: means(v) for k, v in rows.items()}, "tiles": len(rows.get(base, [])), "scenes": scenes}


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
            if not xs:
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
                        "highpass_ring:2; backend/tasks/inpaint_anchor.py)")
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
    text = to_markdown(rows, f"DiffusionSat evaluation: {args.task}", notes)
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
