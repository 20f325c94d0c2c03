"""Sentinel-2 products in QGIS (issue 18): add a downloaded product as a reflectance layer, preview its cloud mask.

The layer is the backend's VRT (:mod:`backend.geo.sentinel2_product`): offsets and quantification applied,
band descriptions B04 B03 B02 …, so every page's band pickers and the metadata fill in by themselves.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Optional

from qgis.core import QgsProject, QgsRasterLayer
from qgis.PyQt.QtWidgets import QFileDialog, QMessageBox

from .i18n import tr

PREVIEW_NAME = "DiffusionSat cloud mask preview"


def product_from_choice(path: str) -> str:
    """A file picked in the dialog -> the product: ``manifest.safe`` stands for its folder."""
    return str(Path(path).parent) if Path(path).name.lower() == "manifest.safe" else path


def add_product_layer(source: str) -> QgsRasterLayer:
    """The product's 10 m reflectance stack as a layer of the project; at 60 m, said in the layer name, when
    the product's 10/20 m band files are missing but its 60 m ones are all there."""
    from ..backend.geo.sentinel2_product import ProductError, as_raster, read_product

    product = read_product(source)
    try:
        path, label = as_raster(source), Path(product.name).stem
    except ProductError as exc:
        if ":60m" not in str(exc):
            raise
        path, label = as_raster(source, resolution=60), f"{Path(product.name).stem} (60 m)"
    layer = QgsRasterLayer(path, label, "gdal")
    if not layer.isValid():
        raise ProductError(f"{product.name}: QGIS could not open its reflectance stack {path}")
    QgsProject.instance().addMapLayer(layer)
    return layer


def choose_and_add_product(parent) -> Optional[QgsRasterLayer]:
    """'Add Sentinel-2 product…': pick the .zip, MTD_MSIL1C/2A.xml or a .SAFE folder's manifest.safe."""
    path, _ = QFileDialog.getOpenFileName(parent, tr("Add Sentinel-2 product"), "",
                                          tr("Sentinel-2 products (*.zip MTD_MSIL1C.xml MTD_MSIL2A.xml manifest.safe)"))
    if not path:
        return None
    try:
        return add_product_layer(product_from_choice(path))
    except (ValueError, OSError) as exc:  # GeoError is a ValueError: one sentence naming the product
        QMessageBox.warning(parent, tr("Add Sentinel-2 product"), str(exc))
        return None


def product_of_layer(layer) -> Optional[str]:
    """The product a raster layer was made from, or None."""
    from ..backend.geo.sentinel2_product import product_of

    if layer is None:
        return None
    source = layer.source()
    return product_of(source.split("|")[0]) if source else None


def preview_mask_file(source: str, product: str, classes, is_cancelled=lambda: False) -> Optional[str]:
    """The SCL classes of ``product`` (Level-1C: its detected clouds) as a 0/1 GeoTIFF on the grid of the raster
    ``source``; a temporary file. No QGIS objects: it runs in a worker thread (the Level-1C detector takes
    minutes on a whole tile). None when cancelled."""
    import rasterio

    from ..backend.geo.masks import build_mask
    from ..backend.geo.read import open_raster, require_georeferenced
    from ..backend.geo.sentinel2_product import cloud_classes_file

    with open_raster(source) as ds:
        grid = require_georeferenced(ds)
    classes_file = cloud_classes_file(product)
    if is_cancelled():
        return None
    mask = build_mask(grid, raster=classes_file, classes=list(classes)).astype("uint8")
    if is_cancelled():
        return None
    fd, path = tempfile.mkstemp(prefix="diffusionsat_mask_", suffix=".tif")
    os.close(fd)
    with rasterio.open(path, "w", driver="GTiff", width=grid.width, height=grid.height, count=1, dtype="uint8",
                       crs=grid.crs, transform=grid.transform, nodata=0) as out:
        out.write(mask, 1)
    return path


def add_preview_layer(path: str) -> QgsRasterLayer:
    """The mask file as the temporary preview layer (replaces the last); main thread."""
    for old in QgsProject.instance().mapLayersByName(tr(PREVIEW_NAME)):
        QgsProject.instance().removeMapLayer(old.id())
    preview = QgsRasterLayer(path, tr(PREVIEW_NAME), "gdal")
    preview.setCustomProperty("diffusionsat/temporary", True)
    QgsProject.instance().addMapLayer(preview)
    return preview
