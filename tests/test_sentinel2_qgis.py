"""Sentinel-2 products in the dock (issue 18): 'Add Sentinel-2 product…' and the inpaint page's mask source
'Clouds from the Sentinel-2 product' with its temporary preview layer."""

import shutil

import numpy as np
import pytest
import rasterio
from qgis.core import QgsProject
from qgis.PyQt.QtWidgets import QPushButton

from tests.conftest import DATA, import_plugin_package

import_plugin_package()
from diffusionsat.plugin.dock import DiffusionSatDock  # noqa: E402
from diffusionsat.plugin.pages import inpaint_page  # noqa: E402
from diffusionsat.plugin import sentinel2_layers  # noqa: E402

NEW = DATA / "s2_safe" / "S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE"


@pytest.fixture
def dock(qgis_iface, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    widget = DiffusionSatDock(qgis_iface)
    qtbot.addWidget(widget)
    yield widget
    widget.close_tools()
    QgsProject.instance().removeAllMapLayers()


def pick(monkeypatch, path):
    monkeypatch.setattr(sentinel2_layers.QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))


def test_add_product_button_adds_a_reflectance_layer_with_named_bands(dock, monkeypatch):
    pick(monkeypatch, NEW / "MTD_MSIL2A.xml")
    assert dock.findChild(QPushButton, "add_sentinel2_product") is not None
    layer = dock.add_sentinel2_product()
    assert layer is not None and layer.isValid() and layer.bandCount() == 10
    assert layer.name() == NEW.stem and layer.crs().authid() == "EPSG:32629"
    assert [layer.bandName(i).split(": ")[-1] for i in (1, 2, 3)] == ["B04", "B03", "B02"]
    superres = dock.page("superres")
    superres.layer.setLayer(layer)
    assert superres.run_button.isEnabled() or not superres.field_errors()  # the ten bands found by name


def test_incomplete_product_falls_back_to_60m_and_says_so_in_the_name(dock, monkeypatch, tmp_path):
    product = tmp_path / NEW.name
    shutil.copytree(NEW, product)
    for f in product.rglob("*_10m.jp2"):
        f.unlink()
    pick(monkeypatch, product / "MTD_MSIL2A.xml")
    layer = dock.add_sentinel2_product()
    assert layer.name().endswith("(60 m)") and layer.rasterUnitsPerPixelX() == 60


def test_bad_product_is_one_message_box(dock, monkeypatch, tmp_path):
    cut = tmp_path / "S2A_MSIL2A_cut.SAFE.zip"
    cut.write_bytes(b"PK\x03\x04 not the whole zip")
    pick(monkeypatch, cut)
    said = []
    monkeypatch.setattr(sentinel2_layers.QMessageBox, "warning", lambda parent, title, text: said.append(text))
    assert dock.add_sentinel2_product() is None
    assert len(said) == 1 and cut.name in said[0] and "truncated or corrupt" in said[0]


def preview(page, qtbot):
    """Start the preview and wait for its task: the button is off while it runs, on again after."""
    task = page.preview_product_mask()
    assert task is not None and page.previewing is task and not page.preview_button.isEnabled()
    qtbot.waitUntil(lambda: page.previewing is None, timeout=60000)
    assert page.preview_button.isEnabled() and page.status.text() != "Computing the cloud mask preview…"
    layers = QgsProject.instance().mapLayersByName(sentinel2_layers.PREVIEW_NAME)
    return layers[-1] if layers else None


def test_clouds_from_the_product_preview_and_mask_spec(dock, monkeypatch, qtbot):
    pick(monkeypatch, NEW / "MTD_MSIL2A.xml")
    layer = dock.add_sentinel2_product()
    page = dock.page("inpaint")
    page.layer.setLayer(layer)
    page.source.setCurrentIndex(page.source.findData(inpaint_page.SOURCE_PRODUCT))
    assert page.scl_classes.text() == "3,8,9,10" and not page.field_errors()
    preview_layer = preview(page, qtbot)  # through the task (Level-2A: its SCL)
    assert preview_layer is not None and preview_layer.isValid()
    assert preview_layer.customProperty("diffusionsat/temporary")
    with rasterio.open(preview_layer.source()) as ds:
        mask = ds.read(1)
    scl = next(NEW.rglob("*_SCL_20m.jp2"))
    with rasterio.open(scl) as ds:
        expected = np.isin(ds.read(1), [3, 8, 9, 10]).repeat(2, 0).repeat(2, 1)
    assert (mask == expected).all()
    page.scl_classes.setText("9")
    assert preview(page, qtbot) is not None
    assert len(QgsProject.instance().mapLayersByName(sentinel2_layers.PREVIEW_NAME)) == 1  # replaced, not added
    spec = page.mask_spec()
    assert spec.classes == [9] and NEW.name in spec.raster


def test_preview_error_comes_back_from_the_task(dock, monkeypatch, qtbot):
    pick(monkeypatch, NEW / "MTD_MSIL2A.xml")
    layer = dock.add_sentinel2_product()
    page = dock.page("inpaint")
    page.layer.setLayer(layer)
    page.source.setCurrentIndex(page.source.findData(inpaint_page.SOURCE_PRODUCT))

    def broken(*args):
        raise ValueError("no SCL here")

    monkeypatch.setattr(sentinel2_layers, "preview_mask_file", broken)
    assert preview(page, qtbot) is None
    assert page.status.text() == "no SCL here"
