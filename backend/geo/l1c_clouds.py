"""Clouds and cloud shadows of a Level-1C product, which has no scene classification (issue 18).

The detector is DLR's ukis-csmask (Apache-2.0, optional: ``pip install 'ukis-csmask[cpu]'``): its wheel
carries its ONNX models (L1C and L2A, 4 and 6 bands), so it runs offline; it needs onnxruntime. Chosen over
s2cloudless by agreement with the SCL of the real Level-2A T29UNU tile at 60 m (clouds F1 0.956 vs SCL
8/9/10, shadows F1 0.75 vs SCL 3; s2cloudless, without the cirrus band L2A lacks, found 4 % of the clouds
and has no shadows): see ``tests/benchmarks/results/l1c_cloud_detectors.md``.

Its six bands (B02 B03 B04 B08 B11 B12) are read at 60 m as TOA reflectance (the product's offset and
quantification applied) and its classes written with SCL codes, so the SCL defaults and the inpaint page's
class list apply unchanged: 9 cloud, 3 cloud shadow, 7 clear (SCL's "unclassified": the detector does
not classify the ground), 0 no data. The file is cached beside the product's VRTs, named by the product
and the detector's version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from .errors import MaskError

PACKAGE = "ukis-csmask"
INSTALL = "pip install 'ukis-csmask[cpu]'"
BANDS = ("B02", "B03", "B04", "B08", "B11", "B12")
BAND_NAMES = ["blue", "green", "red", "nir", "swir16", "swir22"]
RESOLUTION = 60  # m: near the detector's 30 m, and a whole tile (1830 px) in ~100 MB
CLEAR, SHADOW, CLOUD, NODATA = 7, 3, 9, 0  # SCL codes
_CODES = (CLEAR, CLOUD, SHADOW)  # the detector's classes 0 background, 1 cloud, 2 cloud shadow


class DetectorMissingError(MaskError):
    """The Level-1C cloud detector is not installed; the message says what to do instead."""


def _detector():
    """ukis-csmask's CSmask class, or DetectorMissingError naming why it cannot be imported."""
    try:
        from ukis_csmask.mask import CSmask
    except ImportError as exc:  # the package, or onnxruntime under it (csmask re-raises with its hint)
        raise DetectorMissingError(str(exc).splitlines()[0] or type(exc).__name__) from None
    return CSmask


def missing_message(product_name: str, why: str) -> str:
    return (f"{product_name} is a Level-1C product: it has no scene classification (SCL), and its cloud mask "
            f"needs the optional cloud detector {PACKAGE}, which cannot be loaded ({why}); install it "
            f"({INSTALL}; about 170 MB with its models, then it works offline), or use the Level-2A product of "
            "the same date, or another mask source (polygons, raster values, a drawn shape)")


def cloud_mask_file(product, folder: Optional[Path] = None) -> str:
    """The product's cloud/shadow classes as a GeoTIFF of SCL codes (computed once, then reused)."""
    from . import sentinel2_product as s2

    try:
        csmask = _detector()
    except DetectorMissingError as exc:
        raise DetectorMissingError(missing_message(product.name, str(exc))) from None
    folder = Path(folder) if folder is not None else s2.cache_dir()
    out = folder / f"{Path(product.name).stem}_clouds_{_version()}.tif"
    if out.exists():
        return str(out)
    classes, grid = _classify(product, csmask)
    from .write import write_geotiff

    folder.mkdir(parents=True, exist_ok=True)
    write_geotiff(out, classes[None], grid, nodata=NODATA, descriptions=["clouds (SCL codes)"],
                  tags={"DIFFUSIONSAT_CLOUD_DETECTOR": f"{PACKAGE} {_version()}", s2.PRODUCT_TAG: product.source})
    return str(out)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(PACKAGE)
    except PackageNotFoundError:  # imported from a source folder: no distribution metadata
        return "unknown"


def _classify(product, csmask):
    import numpy as np

    from . import sentinel2_product as s2
    from .read import open_raster, require_georeferenced

    with open_raster(s2.stack_vrt(product, BANDS, RESOLUTION)) as ds:
        grid = require_georeferenced(ds)
        toa = np.moveaxis(ds.read().astype(np.float32), 0, -1)  # rows, cols, bands; NaN where DN 0
    valid = np.all(np.isfinite(toa), axis=-1)
    toa = np.clip(np.nan_to_num(toa, nan=0.0), 0.0, 1.0)
    try:
        detected = csmask(toa, BAND_NAMES, product_level="l1c", nodata_value=0).csm[..., 0]
    except Exception as exc:  # its own checks (shape, bands) and onnxruntime errors, as one line
        raise MaskError(f"{product.name}: the cloud detector {PACKAGE} failed: {' '.join(str(exc).split())}") from None
    classes = np.asarray(_CODES, dtype=np.uint8)[np.clip(detected, 0, 2)]
    classes[~valid] = NODATA
    return classes, grid
