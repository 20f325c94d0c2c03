"""Write the DiffusionSat-mini 0.3 training data as a scene pack (arrays, no GDAL needed to read).

    python -m training.make_pack --out .gpu/pack [--root ../shared/data]

What goes in, and what is held out as whole scenes (never trained on, for the whole-scene evaluation):

* RGB scenes (VAE, UNet, inpainting ControlNet): every file of ``configs/data_sources.json`` that the 0.2
  configs used, plus the new real data -- NAIP North Dakota 2009-2018 (2019-09-04 held out), Landsat
  Pucallpa 1985-2010 (2015 held out; its bands are SWIR1 / NIR / red, shown as the usual false colour),
  OpenAerialMap Zanzibar, Kathmandu and Bicol (Kampala held out). The Ireland Sentinel-2 L2A product and
  the Virginia Sentinel-2 scene stay out entirely.
* Multi-date stacks (3-D ControlNet): the five Slovenia frames, the eight training dates of NAIP and the
  six training years of Pucallpa, each stretched jointly over its series as the product does; the single
  scenes of the 0.2 config as one-frame sources.
* Sentinel-2 super-resolution sources and the real cloud-mask shapes: as in the 0.2 configs.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import fnmatch
import time
from pathlib import Path
from typing import Optional

from .common import load_config, resolve_path
from .datasets.masks import CloudMaskBank
from .datasets.pack import save_pack
from .datasets.raster import discover, load_scene, load_source_specs, stretch_jointly
from .datasets.sentinel2 import load_sources

NAIP = "naip_nd_series"
PUCALLPA = "landsat_pucallpa_series"
OAM = "openaerialmap"
HELD_OUT = {NAIP: ["*20190904*"], PUCALLPA: ["2015.tif"], OAM: ["*uganda_kampala*"]}
SPECS = {
    NAIP: {"bands": [1, 2, 3], "sensor": "aerial", "place": "north dakota", "scaling": "uint8"},
    PUCALLPA: {"bands": [1, 2, 3], "sensor": "landsat", "place": "peru", "scaling": "uint8"},
    OAM: {"sensor": "aerial", "scaling": "uint8"},
}


def _held_out(folder: str, name: str) -> bool:
    return any(fnmatch.fnmatch(name, pat) for pat in HELD_OUT.get(folder, []))


def _series(root: Path, folder: str, weight_total: float):
    files = [p for p in sorted((root / folder).glob("*.tif")) if not _held_out(folder, p.name)]
    scenes = []
    for p in files:
        spec = dict(SPECS[folder], weight=weight_total / len(files))
        s = load_scene(p, spec)
        s.name = f"{folder}/{p.name}"
        if folder == NAIP:  # the date is in the file name (m_..._YYYYMMDD.tif), documented by USDA
            d = p.stem.rsplit("_", 1)[-1]
            s.date = datetime.date(int(d[:4]), int(d[4:6]), int(d[6:]))
        scenes.append(s)
    return scenes


def _common_crop(scenes):
    h = min(s.height for s in scenes)
    w = min(s.width for s in scenes)
    return [dataclasses.replace(s, image=s.image[:, :h, :w].copy(), valid=s.valid[:h, :w].copy()) for s in scenes]


def collect(unet_data: dict, c3_data: dict, sr_data: dict, root: Optional[Path] = None) -> dict:
    """What the trainers of these three configs' ``data`` sections read, as pack contents."""
    root = Path(root) if root is not None else resolve_path(unet_data["root"])
    specs = load_source_specs(resolve_path(unet_data["sources"])) if unet_data.get("sources") else {}
    never = tuple(unet_data.get("exclude") or ("*mask*",)) + ("s2_l1c_virginia*",)  # Virginia: the unseen SR scene
    rgb = discover(root, specs, bands="rgb", include=unet_data.get("include"), exclude=never)
    stacks = []
    for st in c3_data.get("stacks", []):
        frames = [load_scene(root / p, dict(specs.get(p) or {}, scaling="auto")) for p in st["paths"]]
        stretch_jointly(frames)
        stacks.append((frames, list(st["clear"])))
    singles = [s for s in rgb if any(fnmatch.fnmatch(s.name, pat) for pat in c3_data.get("singles_include", []))]
    s2 = load_sources(sr_data["s2_sources"], base=str(root))
    masks = CloudMaskBank.from_files([resolve_path(p) for p in c3_data["mask_files"]],
                                     cloud_values=tuple(c3_data.get("cloud_values", [4])))
    return {"rgb": rgb, "stacks": stacks, "singles": singles, "s2": s2, "masks": masks}


def build(root: Path, out: Path) -> Path:
    t0 = time.time()
    configs = resolve_path("training/configs")
    parts = collect(load_config(configs / "unet_mini.json")["data"], load_config(configs / "controlnet3d_mini.json")["data"],
                    load_config(configs / "controlnet_sr_mini.json")["data"], root)
    # the series frames, stretched jointly as the product does for a prediction, are RGB scenes and stacks
    naip = _common_crop(_series(root, NAIP, 2.0))
    stretch_jointly(naip)
    puc = _common_crop(_series(root, PUCALLPA, 1.5))
    stretch_jointly(puc)
    oam = []
    for p in sorted((root / OAM).glob("*.tif")):
        if _held_out(OAM, p.name):
            continue
        s = load_scene(p, dict(SPECS[OAM], place=p.name.split("_")[1], weight=0.7))
        s.name = f"{OAM}/{p.name}"
        oam.append(s)
    parts["rgb"] = parts["rgb"] + naip + puc + oam
    parts["stacks"] = parts["stacks"] + [(naip, [True] * len(naip)), (puc, [True] * len(puc))]
    notes = {"held_out": HELD_OUT, "also_never_trained": ["S2A_MSIL2A_*T29UNU*.SAFE",
                                                          "s2_l1c_virginia_T18SVG_20160112_6band_20m.tif"],
             "rgb": [s.name for s in parts["rgb"]], "stacks": [[f.name for f in fr] for fr, _ in parts["stacks"]]}
    save_pack(out, notes=notes, **parts)
    size = sum(f.stat().st_size for f in out.iterdir()) / 1e6
    print(f"pack {out}: {len(parts['rgb'])} RGB scenes, {len(parts['stacks'])} stacks, {len(parts['singles'])} "
          f"singles, {len(parts['s2'])} S2 sources, {len(parts['masks'].layers)} mask layers; {size:.1f} MB in "
          f"{time.time() - t0:.0f} s")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=str(resolve_path("../shared/data")))
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    build(Path(args.root), Path(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
