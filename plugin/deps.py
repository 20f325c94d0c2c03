"""Which Python packages the backend needs, and which of them this QGIS cannot import.

Checked with importlib.util.find_spec, so nothing heavy is imported at plugin start.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

# (import name, pip requirement, why it is needed)
REQUIRED = (
    ("torch", "torch==2.13.0", "runs the models"),
    ("diffusers", "diffusers==0.42.1", "UNet, VAE and schedulers"),
    ("transformers", "transformers==5.24.0", "the CLIP text encoder and tokenizer"),
    ("safetensors", "safetensors==0.8.0", "safe weight files"),
    ("accelerate", "accelerate==1.15.0", "low-memory model loading"),
    ("rasterio", "rasterio", "reading and writing GeoTIFFs (use your QGIS distribution's package)"),
    ("pyproj", "pyproj", "coordinate transformations"),
    ("shapely", "shapely", "mask geometries"),
)


@dataclass(frozen=True)
class Missing:
    module: str
    requirement: str
    purpose: str


def missing_dependencies() -> list[Missing]:
    out = []
    for module, requirement, purpose in REQUIRED:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            out.append(Missing(module, requirement, purpose))
    return out
