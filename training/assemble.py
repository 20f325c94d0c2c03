"""Assemble the model bundle from the training runs and check it (size budget, strict loading).

    python -m training.assemble --runs runs --out resources/models/diffusionsat-mini [--budget-mb 60]

Copies ``<runs>/unet_mini/final/{unet,text_encoder,tokenizer,scheduler,vae}`` and ``model_index.json``,
``<runs>/controlnet_sr_mini/final/controlnet``, ``<runs>/controlnet_inpaint_mini/final/controlnet_inpaint`` and
``<runs>/controlnet3d_mini/final/controlnet3d`` into ``--out`` (missing ControlNets are reported and skipped),
then loads everything with the plugin's strict loader (``backend.checkpoints``) and fails if the
safetensors total exceeds the budget. Existing component folders in ``--out`` are replaced; other files
(e.g. ``MODEL_CARD.md``) are kept.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from backend import model_layout as layout

BASE_PARTS = tuple(layout.folder_of(c) for c in layout.BASE_COMPONENTS)
#: bundle folder -> the training run that makes it
CONTROLNETS = {layout.folder_of("controlnet"): "controlnet_sr", layout.INPAINT_FOLDER: "controlnet_inpaint",
               layout.folder_of("controlnet3d"): "controlnet3d"}


def assemble(runs, out, budget_mb: float = 60.0, prefix: str = "", suffix: str = "_mini") -> dict:
    runs, out = Path(runs), Path(out)
    base = runs / f"{prefix}unet{suffix}" / "final"
    if not base.is_dir():
        raise FileNotFoundError(f"{base} does not exist: train the UNet first")
    out.mkdir(parents=True, exist_ok=True)
    for part in BASE_PARTS:
        if (out / part).exists():
            shutil.rmtree(out / part)
        shutil.copytree(base / part, out / part)
    shutil.copyfile(base / layout.MODEL_INDEX, out / layout.MODEL_INDEX)
    present = {}
    for folder, run in CONTROLNETS.items():
        src = runs / f"{prefix}{run}{suffix}" / "final" / folder
        if (out / folder).exists():
            shutil.rmtree(out / folder)
        if src.is_dir():
            shutil.copytree(src, out / folder)
            present[folder] = True
        else:
            present[folder] = False
    from backend.checkpoints.loader import load_components

    load_components(out, controlnets=True)  # controlnet_inpaint/ included
    sizes = {str(p.relative_to(out)): p.stat().st_size for p in sorted(out.rglob("*.safetensors"))}
    total = sum(sizes.values())
    report = {"out": str(out), "controlnets": present, "safetensors_bytes": sizes, "total_mb": total / 1e6,
              "budget_mb": budget_mb, "within_budget": total / 1e6 <= budget_mb}
    if not report["within_budget"]:
        raise ValueError(f"bundle is {total / 1e6:.1f} MB > budget {budget_mb} MB")
    return report


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", default="runs")
    p.add_argument("--out", default="resources/models/diffusionsat-mini")
    p.add_argument("--budget-mb", type=float, default=60.0)
    args = p.parse_args(argv)
    print(json.dumps(assemble(args.runs, args.out, args.budget_mb), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
