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


# Not needed to run the tasks; named in the dependency dialog (install them with pip yourself)
OPTIONAL = (
    ("ukis_csmask", "ukis-csmask[cpu]", "cloud masks for Sentinel-2 Level-1C products (about 170 MB with its models)"),
    ("distributed", "dask[distributed]", "the setting Run on a Dask cluster"),
)


@dataclass(frozen=True)
class Missing:
    module: str
    requirement: str
    purpose: str


def missing_dependencies(packages=REQUIRED) -> list[Missing]:
    """What of ``packages`` (REQUIRED, or OPTIONAL) this Python cannot import."""
    out = []
    for module, requirement, purpose in packages:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            out.append(Missing(module, requirement, purpose))
    return out


# ------------------------------------------------------------------ the installer's plan (no Qt: tested alone)
# QGIS and the GDAL stack are built on the numpy of QGIS's Python: pip must never bring another one.
KEEP_FROM_QGIS = ("numpy",)
# CUDA builds of the pinned torch, newest first: (driver CUDA major, minor, wheel tag)
TORCH_CUDA_BUILDS = ((12, 8, "cu128"), (12, 6, "cu126"))
TORCH_INDEX = "https://download.pytorch.org/whl"
PYPI = "https://pypi.org/simple"


def driver_cuda(nvidia_smi_output: str):
    """(major, minor) of the CUDA version the NVIDIA driver supports, from `nvidia-smi` output; None."""
    import re

    match = re.search(r"CUDA Version:\s*(\d+)\.(\d+)", nvidia_smi_output or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def probe_nvidia_smi() -> str:
    """`nvidia-smi` output, or '' where there is no NVIDIA driver (or it does not answer in 10 s)."""
    import shutil
    import subprocess  # nosec B404 (a fixed command, no shell)

    exe = shutil.which("nvidia-smi")
    if not exe:
        return ""
    try:
        return subprocess.run([exe], capture_output=True, text=True, timeout=10).stdout  # nosec B603
    except (OSError, subprocess.SubprocessError):
        return ""


def torch_build(system: str, cuda) -> tuple:
    """(torch requirement suffix, index URL or None, why) for this OS and driver CUDA version.

    PyPI's Linux torch is the CUDA build (2.7 GB with its nvidia packages) and its Windows torch is
    CPU-only; the macOS one is the only build (MPS). So: a CUDA build the driver supports, else CPU.
    """
    if system == "Darwin":
        return "", None, "macOS: PyPI's build (Apple MPS)"
    if cuda is not None:
        for major, minor, tag in TORCH_CUDA_BUILDS:
            if cuda >= (major, minor):
                return f"+{tag}", f"{TORCH_INDEX}/{tag}", f"NVIDIA driver supports CUDA {cuda[0]}.{cuda[1]}: {tag}"
        oldest = TORCH_CUDA_BUILDS[-1]
        return "+cpu", f"{TORCH_INDEX}/cpu", (f"NVIDIA driver supports CUDA {cuda[0]}.{cuda[1]}, older than "
                                              f"{oldest[0]}.{oldest[1]}: CPU build (update the driver for the GPU)")
    return "+cpu", f"{TORCH_INDEX}/cpu", "no NVIDIA GPU found: CPU build"


def constraints_text(installed: dict) -> str:
    """pip constraints that keep QGIS's own packages: ``name==version`` for those QGIS's Python has."""
    return "".join(f"{name}=={installed[name]}\n" for name in KEEP_FROM_QGIS if installed.get(name))


def pip_install_args(requirements, target, constraints, system: str, cuda, report=None) -> list:
    """pip's arguments: ``report`` given, a dry run writing what would be installed (nothing installed)."""
    suffix, index, _why = torch_build(system, cuda)
    reqs = [r + suffix if r.startswith("torch==") else r for r in requirements]
    args = ["-m", "pip", "install", "--disable-pip-version-check", "--no-warn-script-location",
            "--progress-bar", "off", "-c", str(constraints)]
    if index:
        args += ["--index-url", index, "--extra-index-url", PYPI]
    if report is not None:
        # resolved against QGIS's Python (plus the packages folder): only what it lacks or cannot use
        args += ["--dry-run", "--quiet", "--report", str(report)]
    else:
        args += ["--target", str(target), "--no-deps", "--upgrade"]
    return args + reqs


def planned_packages(report: dict) -> list:
    """(name, version, url) of each package a pip --report would install."""
    out = []
    for item in report.get("install", []):
        meta = item.get("metadata", {})
        out.append((meta.get("name", "?"), meta.get("version", "?"), item.get("download_info", {}).get("url", "")))
    return out


def download_bytes(urls, head=None) -> int:
    """The sum of the files' Content-Length (HEAD requests); unknown sizes count 0."""
    import urllib.request

    def default_head(url):
        request = urllib.request.Request(url, method="HEAD")
        with urllib.request.urlopen(request, timeout=20) as response:  # nosec B310 (https index URLs)
            return int(response.headers.get("Content-Length") or 0)

    head = head or default_head
    total = 0
    for url in urls:
        if url.startswith(("https://", "http://")):
            try:
                total += head(url)
            except (OSError, ValueError):
                pass
    return total


def ordered_path(path: list, folder: str) -> list:
    """sys.path with the packages folder just before the first site/dist-packages entry.

    Ahead of the system's folders, so a package Debian ships older (sympy) cannot shadow the one
    installed for the plugin; what QGIS itself uses (numpy) is never in the folder, so QGIS's stays.
    """
    rest = [p for p in path if p != folder]
    for index, entry in enumerate(rest):
        if entry.rstrip("/").endswith(("site-packages", "dist-packages")):
            return rest[:index] + [folder] + rest[index:]
    return rest + [folder]


VERIFY_SCRIPT = (
    "import sys, json; sys.path[:] = json.loads(sys.argv[1]); "
    "import torch, diffusers, transformers, numpy; "
    "print(json.dumps({'torch': torch.__version__, 'cuda': torch.version.cuda, 'numpy': numpy.__version__}))"
)
