"""The dock in headless QGIS: pages, band mapping on real GeoTIFFs, jobs built from widgets, run/cancel/error,
rendered screenshots (tests/artifacts/) and the French UI."""

import datetime as dt
import shutil
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from osgeo import gdal
from qgis.core import (QgsFeature, QgsGeometry, QgsMultiBandColorRenderer, QgsProject, QgsRasterLayer,
                       QgsVectorFileWriter, QgsVectorLayer)

from tests.conftest import DATA, ROOT, import_plugin_package

import_plugin_package()
from diffusionsat.backend.jobs import InpaintJob, PredictJob, SuperResolveJob  # noqa: E402
from diffusionsat.plugin import settings as settings_mod  # noqa: E402
from diffusionsat.plugin.dock import DiffusionSatDock  # noqa: E402
from diffusionsat.plugin.i18n import install_translator, remove_translator  # noqa: E402

ARTIFACTS = ROOT / "tests" / "artifacts"
S2 = DATA / "slovenia_s2l1c_ref0.tif"
SR_ORDER = [4, 3, 2, 5, 6, 7, 8, 9, 12, 13]  # B4 B3 B2 B5 B6 B7 B8 B8A B11 B12 in the 13-band L1C stack


@pytest.fixture
def project():
    yield QgsProject.instance()
    QgsProject.instance().removeAllMapLayers()


@pytest.fixture
def outputs(tmp_path):
    """Send outputs to a temporary output folder (restored afterwards)."""
    old = settings_mod.load()
    settings_mod.save(settings_mod.Settings(output_folder=str(tmp_path / "outputs")))  # the defaults
    yield tmp_path / "outputs"
    settings_mod.save(old)


@pytest.fixture
def dock(qgis_iface, qtbot, project):
    widget = DiffusionSatDock(qgis_iface)
    qtbot.addWidget(widget)
    widget.resize(420, 720)
    yield widget
    widget.close_tools()


def add_raster(path, name=None):
    layer = QgsRasterLayer(str(path), name or Path(path).stem, "gdal")
    assert layer.isValid(), path
    QgsProject.instance().addMapLayer(layer)
    return layer


def write_described(path, descriptions):
    ds = gdal.GetDriverByName("GTiff").Create(str(path), 8, 8, len(descriptions), gdal.GDT_UInt16)
    ds.SetGeoTransform((500000, 10, 0, 5000000, 0, -10))
    ds.SetProjection("EPSG:32633")
    for i, d in enumerate(descriptions, start=1):
        ds.GetRasterBand(i).SetDescription(d)
        ds.GetRasterBand(i).Fill(i * 100)
    ds = None
    return path


def test_dock_builds_all_pages(dock):
    titles = [dock.tabs.itemText(i) for i in range(dock.tabs.count())]
    assert titles == ["Generate", "Super-resolve", "Inpaint", "Multi-date predict", "Settings"]
    assert set(dock.pages) == {"generate", "superres", "inpaint", "predict"}
    for page in dock.pages.values():
        assert page.run_button.text() == "Run" and not page.cancel_button.isEnabled()
        assert not page.run_button.isEnabled(), "nothing chosen yet: Run is disabled"


def test_missing_packages_disable_the_tasks(qgis_iface, qtbot):
    from diffusionsat.plugin.deps import Missing

    widget = DiffusionSatDock(qgis_iface, missing=[Missing("torch", "torch==2.13.0", "runs the models")])
    qtbot.addWidget(widget)
    from qgis.PyQt.QtWidgets import QLabel

    assert "torch" in widget.findChild(QLabel, "missing_label").text()
    assert all(not page.isEnabled() for page in widget.pages.values())
    assert widget.settings_page.isEnabled()
    widget.close_tools()


def test_band_mapping_on_sentinel2_l1c(dock):
    layer = add_raster(S2, "slovenia")
    page = dock.page("superres")
    page.layer.setLayer(layer)
    assert page.bands.bands() == SR_ORDER
    assert page.bands.combos["B8A"].currentText() == "9: B8A"
    assert page.bands.combos["B8"].currentText() == "8: B08"
    assert page.run_button.isEnabled()

    job = page.build_job()
    assert isinstance(job, SuperResolveJob)
    assert job.input == str(S2) and job.bands == SR_ORDER
    job.validate()


def test_band_mapping_by_name_variants(dock, tmp_path):
    # short and long codes, lower case, B8A before B8, a missing B12
    names = ["b8a", "B4", "B03", "b2", "B05", "B6 red edge", "B07", "B8", "B11", "coastal"]
    layer = add_raster(write_described(tmp_path / "variants.tif", names))
    page = dock.page("superres")
    page.layer.setLayer(layer)
    bands = dict(zip(["B4", "B3", "B2", "B5", "B6", "B7", "B8", "B8A", "B11", "B12"], page.bands.bands()))
    assert bands == {"B4": 2, "B3": 3, "B2": 4, "B5": 5, "B6": 6, "B7": 7, "B8": 8, "B8A": 1, "B11": 9, "B12": None}
    assert "B12" in page.band_note.text()
    assert not page.run_button.isEnabled()
    assert page.bands.combos["B12"].property("invalid")
    page.bands.combos["B12"].setCurrentIndex(9)  # the user picks it by hand
    assert page.run_button.isEnabled()


def test_rgb_layer_for_superres_is_refused_with_the_reason(dock, tmp_path):
    """A 3-band scene: the page says it needs ten different bands, and bands picked twice by hand are marked."""
    layer = add_raster(write_described(tmp_path / "rgb.tif", ["red", "green", "blue"]))
    page = dock.page("superres")
    page.layer.setLayer(layer)
    assert "has 3 bands" in page.band_note.text()
    for i, combo in enumerate(page.bands.combos.values()):
        combo.setCurrentIndex(combo.findData(i % 3 + 1))
    assert not page.run_button.isEnabled() and "chosen more than once" in page.run_button.toolTip()


def test_non_file_raster_is_refused_clearly(dock, tmp_path):
    src = gdal.Open(str(S2))
    gdal.Translate("/vsimem/in_memory.tif", src)
    layer = add_raster("/vsimem/in_memory.tif", "memory raster")
    page = dock.page("superres")
    page.layer.setLayer(layer)
    page.run()
    assert "not a file raster" in page.status.text() and "GeoTIFF" in page.status.text()
    assert page.running is None
    gdal.Unlink("/vsimem/in_memory.tif")


SAMPLES = ROOT / "resources" / "samples"


def test_inpaint_other_dates_from_widgets(dock):
    """'Use other dates of this place': the project's other rasters, checked ones become the job's other dates."""
    from qgis.PyQt.QtCore import Qt

    target = add_raster(SAMPLES / "slovenia_s2l1c_frame3_rgb.tif", "frame 3")
    before = add_raster(SAMPLES / "slovenia_s2l1c_frame2_rgb.tif", "frame 2")
    add_raster(SAMPLES / "slovenia_s2l1c_frame4_rgb.tif", "frame 4")
    mask = add_raster(SAMPLES / "slovenia_cloudmask.tif", "mask")
    page = dock.page("inpaint")
    page.layer.setLayer(target)
    page.source.setCurrentIndex(page.source.findData("raster"))
    page.mask_raster.setLayer(mask)
    page.preset.setCurrentIndex(page.preset.count() - 1)
    page.values.setText("1")
    assert page.build_job().other_dates == []  # off by default: one date
    page.dates_box.setChecked(True)
    assert not page.run_button.isEnabled()  # on, but nothing checked: say so
    assert any("other dates" in e for e in page.field_errors())
    names = [page.other_dates.itemText(i) for i in range(page.other_dates.count())]
    assert "frame 3" not in names and {"frame 2", "frame 4"} <= set(names)  # never the input itself
    page.other_dates.setItemCheckState(names.index("frame 2"), Qt.CheckState.Checked)
    assert page.run_button.isEnabled(), page.field_errors()
    job = page.build_job()
    assert job.other_dates == [(before.source(), None)]


def test_inpaint_job_from_widgets(dock, tmp_path):
    image = add_raster(DATA / "haiti_rgbn_5m_crop.tif", "haiti")
    mask = add_raster(DATA / "slovenia_s2_cloudmask_4dates.tif", "mask")
    page = dock.page("inpaint")
    page.layer.setLayer(image)
    assert page.rgb.bands() == [1, 2, 3]

    # raster values: the SCL preset, then the Landsat QA preset
    page.source.setCurrentIndex(page.source.findData("raster"))
    page.mask_raster.setLayer(mask)
    page.preset.setCurrentIndex(0)
    page.dilate.setValue(20)
    assert page.run_button.isEnabled()
    job = page.build_job()
    assert isinstance(job, InpaintJob)
    assert job.input == str(DATA / "haiti_rgbn_5m_crop.tif") and job.bands == [1, 2, 3]
    assert job.mask.raster == str(DATA / "slovenia_s2_cloudmask_4dates.tif")
    assert job.mask.classes == [3, 8, 9, 10] and job.mask.bits is None and job.mask.dilate_m == 20
    page.preset.setCurrentIndex(1)
    job = page.build_job()
    assert job.mask.bits == [1, 2, 3, 4] and job.mask.classes is None
    page.values.setText("3, 8, x")
    page.values.textEdited.emit("3, 8, x")
    assert not page.run_button.isEnabled() and page.values.property("invalid")
    assert page.preset.currentIndex() == page.preset.count() - 1, "editing values switches to Custom"
    page.values.setText("9")
    assert page.run_button.isEnabled()

    # polygons from a GeoPackage layer
    gpkg = tmp_path / "clouds.gpkg"
    memory = QgsVectorLayer("Polygon?crs=EPSG:32618", "clouds", "memory")
    feature = QgsFeature()
    triangle = "POLYGON((794000 2049500, 794300 2049500, 794300 2049200, 794000 2049500))"
    feature.setGeometry(QgsGeometry.fromWkt(triangle))
    memory.dataProvider().addFeatures([feature])
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.layerName = "clouds"
    QgsVectorFileWriter.writeAsVectorFormatV2(memory, str(gpkg), QgsProject.instance().transformContext(), options)
    polygons = QgsVectorLayer(f"{gpkg}|layername=clouds", "clouds", "ogr")
    assert polygons.isValid()
    QgsProject.instance().addMapLayer(polygons)
    page.source.setCurrentIndex(page.source.findData("polygons"))
    page.mask_vector.setLayer(polygons)
    job = page.build_job()
    assert job.mask.vector == str(gpkg) and job.mask.vector_layer == "clouds" and job.mask.raster is None
    job.validate()

    # a scratch (memory) polygon layer goes as WKT with its CRS
    QgsProject.instance().addMapLayer(memory)
    page.mask_vector.setLayer(memory)
    job = page.build_job()
    assert job.mask.vector is None and job.mask.geometries_crs == "EPSG:32618"
    assert job.mask.geometries_wkt[0].startswith("Polygon")


def test_predict_job_from_widgets(dock, tmp_path):
    named = tmp_path / "S2A_MSIL1C_20170527T102031_N0205_R065_T33TVM_20170527T102301.tif"
    shutil.copyfile(S2, named)
    stamped = tmp_path / "slovenia_stamped.tif"
    shutil.copyfile(S2, stamped)
    ds = gdal.Open(str(stamped), gdal.GA_Update)
    ds.SetMetadataItem("TIFFTAG_DATETIME", "2018:06:01 10:00:00")
    ds = None
    undated = tmp_path / "slovenia_undated.tif"
    shutil.copyfile(S2, undated)

    page = dock.page("predict")
    for path in (named, stamped, DATA / "landsat8_224078_20200518_rgb_edge.tif"):
        assert page.add_frame(add_raster(path))
    rows = [(layer.source(), text) for layer, text in page.frames()]
    assert [t for _, t in rows] == ["2017-05-27", "2018-06-01", "2020-05-18"]
    page.target.setText("2019-03-01")
    assert page.run_button.isEnabled()

    page.table.selectRow(2)
    page.move_selected(-1)
    assert [t for _, t in page.frames()] == ["2017-05-27", "2020-05-18", "2018-06-01"]
    page.remove_selected()  # the moved row stays selected: the Landsat layer goes
    assert [t for _, t in page.frames()] == ["2017-05-27", "2018-06-01"]

    assert page.add_frame(add_raster(undated))
    assert page.frames()[-1][1] == "", "no date in the name or tags: left empty for the user"
    assert not page.run_button.isEnabled()
    page.table.item(2, 1).setText("2016-13-01")
    assert not page.run_button.isEnabled()
    page.table.item(2, 1).setText("2016-08-01")
    assert page.run_button.isEnabled()
    page.target.setText("tomorrow")
    assert not page.run_button.isEnabled() and page.target.property("invalid")
    page.target.setText("2019-03-01")

    job = page.build_job()
    assert isinstance(job, PredictJob)
    assert job.frames == [(str(named), dt.date(2017, 5, 27)), (str(stamped), dt.date(2018, 6, 1)),
                          (str(undated), dt.date(2016, 8, 1))]
    assert job.target_date == dt.date(2019, 3, 1)
    job.validate()
    assert page.add_frame(add_raster(stamped, "fourth"))
    assert not page.add_frame(add_raster(stamped, "fifth")), "at most four frames"


def test_invalid_job_does_not_start(dock, outputs):
    page = dock.page("superres")
    page.layer.setLayer(add_raster(S2, "slovenia"))
    s = settings_mod.load()
    s.steps = 0  # out of range for the backend: JobError before anything starts
    settings_mod.save(s)
    started = []
    page.runner = lambda *a: started.append(a)
    page.run()
    assert page.running is None and not started
    assert "steps" in page.status.text()


def screenshots(dock, qtbot, prefix):
    """Each page rendered to tests/artifacts/<prefix>_<i>_<page>.png; nothing clipped on the right."""
    from qgis.PyQt.QtWidgets import QLabel

    ARTIFACTS.mkdir(exist_ok=True)
    dock.show()
    qtbot.waitExposed(dock)
    for i in range(dock.tabs.count()):
        dock.tabs.setCurrentIndex(i)
        qtbot.wait(20)
        path = ARTIFACTS / f"{prefix}_{i}_{dock.tabs.widget(i).objectName()}.png"
        assert dock.grab().save(str(path))
        assert path.stat().st_size > 1000
        area = dock.tabs.widget(i)
        content = area.widget()
        assert content.minimumSizeHint().width() <= area.viewport().width(), f"page {i} is clipped on the right"
        # every label is fully visible: as wide as its text needs, or wrapped
        for label in content.findChildren(QLabel):
            if label.isVisible() and label.text() and not label.wordWrap():
                assert label.width() >= label.minimumSizeHint().width(), label.text()


def test_screenshots_of_every_page(dock, qtbot, tmp_path):
    layer = add_raster(S2, "slovenia_s2l1c_ref0")
    dock.page("superres").layer.setLayer(layer)
    dock.page("inpaint").layer.setLayer(layer)
    dock.page("inpaint").source.setCurrentIndex(1)
    dock.page("predict").add_frame(layer, dt.date(2017, 5, 27))
    screenshots(dock, qtbot, "dock")


def test_french_ui(qgis_iface, qtbot):
    import build

    build.compile_translations()
    translator = install_translator("fr")
    try:
        assert translator is not None
        widget = DiffusionSatDock(qgis_iface)
        qtbot.addWidget(widget)
        titles = [widget.tabs.itemText(i) for i in range(widget.tabs.count())]
        assert titles == ["Générer", "Super-résolution", "Reconstruire", "Prédiction multidate", "Paramètres"]
        assert widget.page("generate").draw_button.text() == "Dessiner l’emprise"
        widget.resize(420, 720)
        screenshots(widget, qtbot, "dock_fr")
        widget.close_tools()
    finally:
        remove_translator(translator)


def test_dependencies_dialog(qgis_app, qtbot, monkeypatch, tmp_path):
    import sys

    from diffusionsat.plugin import deps_dialog
    from qgis.PyQt.QtWidgets import QApplication

    # inside QGIS sys.executable is the qgis binary: the interpreter is found beside sys.prefix instead
    monkeypatch.setattr(sys, "executable", "/usr/bin/qgis")
    monkeypatch.setattr(sys, "_base_executable", "/usr/bin/qgis", raising=False)
    python = deps_dialog.python_interpreter()
    assert python and Path(python).name.startswith("python") and Path(python).exists()

    folder = deps_dialog.deps_folder()
    from qgis.core import QgsApplication

    # <profile>/python/diffusionsat-deps, beside <profile>/python/plugins/ (never inside the plugin's folder)
    assert folder == Path(QgsApplication.qgisSettingsDirPath()) / "python" / "diffusionsat-deps"
    assert "plugins" not in folder.parts
    target = tmp_path / "diffusionsat-deps"
    monkeypatch.setattr(deps_dialog, "deps_folder", lambda: target)
    monkeypatch.setattr(sys, "path", list(sys.path))
    assert not deps_dialog.activate_deps_folder()
    target.mkdir()
    assert deps_dialog.activate_deps_folder() and str(target) in sys.path  # order: tests/test_deps_installer.py

    dialog = deps_dialog.DependenciesDialog()
    qtbot.addWidget(dialog)
    report = dialog.text.toPlainText()
    for expected in ("QGIS 3.", "Python 3.", "torch: ", "diffusers: ", str(target), "Output folder"):
        assert expected in report, expected
    dialog.copy_button.click()
    assert QApplication.clipboard().text() == report
    ARTIFACTS.mkdir(exist_ok=True)
    dialog.resize(640, 520)
    assert dialog.grab().save(str(ARTIFACTS / "deps_dialog.png"))

    dialog.close()


def test_settings_page_saves_and_checks_models(dock, tmp_path):
    page = dock.settings_page
    old = settings_mod.load()
    try:
        page.steps.setValue(12)
        page.scheduler.setCurrentIndex(page.scheduler.findData("ddim"))
        page.device.setCurrentIndex(page.device.findData("cpu"))
        page.seed_mode.setCurrentIndex(page.seed_mode.findData("fixed"))
        page.seed.setText("123456789012")
        page.seed.textEdited.emit("123456789012")
        page.tile_size.setValue(256)
        s = settings_mod.load()
        assert (s.steps, s.scheduler, s.device, s.seed_mode, s.seed, s.tile_size) == (12, "ddim", "cpu", "fixed",
                                                                                    123456789012, 256)
        sampling, tiling = dock.page("superres").sampling()
        assert sampling.seed == 123456789012 and sampling.scheduler == "ddim" and tiling.tile_size == 256

        # a folder that is not a model: the report says so, the choice is kept to be fixed
        empty = tmp_path / "not_a_model"
        empty.mkdir()
        page.models["inpaint"].setFilePath(str(empty))
        assert settings_mod.load().model_inpaint == str(empty)
        assert "cannot be used" in page.model_report.toPlainText() and str(empty) in page.model_report.toPlainText()
        page.models["inpaint"].setFilePath("")
        assert settings_mod.load().model_inpaint == "diffusionsat-mini"
    finally:
        settings_mod.save(old)


DESKTOP = """
import qgis.utils
from qgis.core import QgsCoordinateReferenceSystem, QgsProject, QgsRasterLayer
from qgis.PyQt.QtCore import QCoreApplication, QPoint, Qt
from qgis.PyQt.QtTest import QTest

def settle(n=30):
    for _ in range(n):
        QCoreApplication.processEvents()

qgis.utils.updateAvailablePlugins()
qgis.utils.loadPlugin("diffusionsat")
qgis.utils.startPlugin("diffusionsat")
dock = qgis.utils.plugins["diffusionsat"].dock
iface.mainWindow().resize(1280, 800)
dock.show()
layer = QgsRasterLayer({s2!r}, "slovenia_s2l1c_ref0")
QgsProject.instance().addMapLayer(layer)
canvas = iface.mapCanvas()
canvas.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:32633"))
canvas.setExtent(layer.extent())
canvas.refresh()
settle()
page = dock.page("generate")
page.draw_button.click()
viewport = canvas.viewport()
QTest.mousePress(viewport, Qt.LeftButton, Qt.NoModifier, QPoint(100, 100))
QTest.mouseMove(viewport, QPoint(250, 200))
QTest.mouseRelease(viewport, Qt.LeftButton, Qt.NoModifier, QPoint(300, 250))
settle()
canvas.waitWhileRendering()
settle()
iface.mainWindow().grab().save({png!r})
dock.tabs.setCurrentIndex(1)
dock.page("superres").layer.setLayer(layer)
settle()
report({{"lon": page.lon.text(), "lat": page.lat.text(), "gsd": page.gsd.text(), "crs": page.crs.authid(),
         "band": page.tool.band.numberOfVertices(), "run": page.run_button.isEnabled(),
         "bands": dock.page("superres").bands.bands(), "dock_width": dock.width(),
         "unload": qgis.utils.unloadPlugin("diffusionsat")}})
"""


def test_dock_in_the_real_qgis_desktop(tmp_path):
    import zipfile

    import build
    from tests import qgis_desktop

    if not qgis_desktop.available():
        pytest.skip("needs the qgis binary and xvfb-run")
    archive = build.package(tmp_path / "dist")
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(tmp_path / "plugins")
    ARTIFACTS.mkdir(exist_ok=True)
    png = ARTIFACTS / "qgis_desktop_generate.png"
    result = qgis_desktop.run_in_qgis(DESKTOP.format(s2=str(S2), png=str(png)), tmp_path,
                                      plugin_path=tmp_path / "plugins")
    assert result["crs"] == "EPSG:32633" and result["band"] >= 4 and result["run"], result
    assert 14.4 < float(result["lon"]) < 14.8 and 45.7 < float(result["lat"]) < 46.0, result
    assert float(result["gsd"]) > 0
    assert result["bands"] == SR_ORDER and result["unload"]
    assert png.exists()


BUNDLED = ROOT / "resources" / "models" / "diffusionsat-mini"
CLOUDS = DATA / "slovenia_s2_cloudmask_4dates.tif"


def fast_settings(**changes):
    """The bundled model with few steps and a fixed seed (the defaults otherwise)."""
    s = settings_mod.load()
    s.steps, s.seed_mode, s.seed = 2, "fixed", 11
    for key, value in changes.items():
        setattr(s, key, value)
    settings_mod.save(s)
    return s


def new_layers(before):
    project = QgsProject.instance()
    return sorted((project.mapLayer(i) for i in set(project.mapLayers()) - before), key=lambda layer: layer.name())


def test_superres_adds_aligned_layers(dock, qtbot, outputs):
    """Real super-resolution with the bundled model: the layer's grid is the input's with pixels / 4."""
    fast_settings(samples=2)
    layer = add_raster(S2, "slovenia")
    page = dock.page("superres")
    page.layer.setLayer(layer)
    before = set(QgsProject.instance().mapLayers())
    page.run_button.click()
    assert not page.run_button.isEnabled() and page.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: page.running is None, timeout=300000)
    new = new_layers(before)
    assert len(new) == 2, page.status.text()
    result, spread = new
    assert result.name().startswith("DiffusionSat super-resolve – slovenia – ") and \
        spread.name() == result.name() + " uncertainty"
    # directly above the input in the layer tree (never under it): result, its uncertainty, then the input
    order = [node.layerId() for node in QgsProject.instance().layerTreeRoot().findLayers()]
    assert order.index(result.id()) + 1 == order.index(spread.id()) == order.index(layer.id()) - 1, order
    assert result.crs() == layer.crs() and result.bandCount() == 3 and spread.bandCount() == 1
    assert result.extent() == layer.extent()
    assert result.rasterUnitsPerPixelX() == pytest.approx(layer.rasterUnitsPerPixelX() / 4)
    assert (result.width(), result.height()) == (layer.width() * 4, layer.height() * 4)
    assert Path(result.source()).parent == outputs
    renderer = result.renderer()
    assert isinstance(renderer, QgsMultiBandColorRenderer)
    assert renderer.redContrastEnhancement().maximumValue() > renderer.redContrastEnhancement().minimumValue()
    assert "seed 11" in page.status.text() and settings_mod.load().last_seed == 11
    assert "About this model" not in page.status.text()  # no caveat for super-resolution: its check speaks
    assert page.progress.value() == 100 and page.run_button.isEnabled() and not page.cancel_button.isEnabled()


def test_inpaint_adds_a_layer_and_keeps_unmasked_pixels(dock, qtbot, outputs, tmp_path):
    import numpy as np
    import rasterio

    fast_settings()
    layer = add_raster(S2, "slovenia")
    clouds = tmp_path / "clouds_2017-12-22.tif"  # the cloudy date (band 4) as a one-band mask layer
    with rasterio.open(CLOUDS) as src:
        profile = dict(src.profile, count=1)
        with rasterio.open(clouds, "w", **profile) as dst:
            dst.write(src.read(4), 1)
    mask_layer = add_raster(clouds, "clouds")
    page = dock.page("inpaint")
    page.layer.setLayer(layer)
    page.source.setCurrentIndex(page.source.findData("raster"))
    page.mask_raster.setLayer(mask_layer)
    page.values.setText("1")
    page.values.textEdited.emit("1")
    page.mode.setCurrentIndex(page.mode.findData("classes"))
    before = set(QgsProject.instance().mapLayers())
    page.run_button.click()
    qtbot.waitUntil(lambda: page.running is None, timeout=300000)
    new = new_layers(before)
    assert len(new) == 1, page.status.text()
    (result,) = new
    assert result.crs() == layer.crs() and result.extent() == layer.extent()
    assert (result.width(), result.height()) == (layer.width(), layer.height())
    with rasterio.open(S2) as src, rasterio.open(result.source()) as out, rasterio.open(clouds) as m:
        rgb = src.read([4, 3, 2])
        cloud = m.read(1) == 1
        filled = out.read()
    assert cloud.any() and not cloud.all()
    # float32 reflectance: equal up to float rounding in the engine's overlap blend (integer data: exactly)
    np.testing.assert_allclose(filled[:, ~cloud], rgb[:, ~cloud], rtol=1e-6, atol=0)
    assert "nearby known pixels" in page.status.text()  # the self-check's verdict is shown
    assert not np.allclose(filled[:, cloud], rgb[:, cloud], rtol=1e-3)


def test_cancel_mid_run_adds_nothing(dock, qtbot, outputs):
    """A real generation of many tiles, cancelled while it runs: no layer, no file."""
    from qgis.core import QgsCoordinateReferenceSystem, QgsRectangle

    fast_settings(steps=50)
    page = dock.page("generate")
    page.width_px.setValue(256)
    page.set_extent(QgsRectangle(465000.0, 5079000.0, 467560.0, 5081560.0), QgsCoordinateReferenceSystem("EPSG:32633"))
    before = set(QgsProject.instance().mapLayers())
    page.run_button.click()
    qtbot.waitUntil(lambda: page.progress.value() > 0, timeout=120000)
    page.cancel_button.click()
    qtbot.waitUntil(lambda: page.running is None, timeout=120000)
    assert "Cancelled" in page.status.text(), page.status.text()
    assert set(QgsProject.instance().mapLayers()) == before
    assert not outputs.exists() or not [p for p in outputs.iterdir()]


def test_error_goes_to_the_message_bar(dock, qtbot, qgis_iface, outputs, tmp_path):
    broken = tmp_path / "not_a_model"
    (broken / "unet").mkdir(parents=True)
    (broken / "unet" / "config.json").write_text("{}")
    fast_settings(model_superres=str(broken))
    page = dock.page("superres")
    page.layer.setLayer(add_raster(S2, "slovenia"))
    bar = qgis_iface.messageBar()
    count = len(bar.items())
    before = set(QgsProject.instance().mapLayers())
    page.run()
    qtbot.waitUntil(lambda: page.running is None, timeout=120000)
    assert page.status.text() and "Traceback" not in page.status.text()
    items = bar.items()
    assert len(items) == count + 1
    assert set(QgsProject.instance().mapLayers()) == before
    bar.clearWidgets()


def test_generate_adds_a_layer_covering_the_extent(dock, qtbot, outputs):
    """An extent, Run, the bundled model in a worker thread, the layer added on the extent's grid."""
    from qgis.core import QgsCoordinateReferenceSystem, QgsRectangle

    fast_settings()
    page = dock.page("generate")
    page.width_px.setValue(64)
    page.set_extent(QgsRectangle(465181.0, 5079254.0, 465821.0, 5079894.0), QgsCoordinateReferenceSystem("EPSG:32633"))
    assert page.gsd.text() == "10" and page.run_button.isEnabled()
    page.date.setText("2017-07-01")
    page.prompt.setText("a sentinel-2 satellite image")
    before = set(QgsProject.instance().mapLayers())
    page.run_button.click()
    qtbot.waitUntil(lambda: page.running is None, timeout=300000)
    (layer,) = new_layers(before)
    assert layer.name().startswith("DiffusionSat generate ") and "seed 11" in page.status.text()
    # the bundled model's own word on its generated images comes with the result (diffusionsat.json caveat)
    assert "About this model" in page.status.text() and "no recognisable" in page.status.text()
    assert layer.crs().authid() == "EPSG:32633" and (layer.width(), layer.height()) == (64, 64)
    assert layer.extent() == QgsRectangle(465181.0, 5079254.0, 465821.0, 5079894.0)
    assert layer.rasterUnitsPerPixelX() == pytest.approx(10.0) and layer.bandCount() == 3
    assert Path(layer.source()).parent == outputs and isinstance(layer.renderer(), QgsMultiBandColorRenderer)


def test_long_job_asks_before_starting(dock, qtbot, outputs):
    """Above the settings' threshold the page shows the estimate and asks; 'No' starts nothing."""
    fast_settings(confirm_minutes=1e-4)  # 6 ms: any real job is longer
    page = dock.page("superres")
    page.layer.setLayer(add_raster(S2, "slovenia"))
    asked = []
    page.confirm = lambda parent, text: asked.append(text) or False
    before = set(QgsProject.instance().mapLayers())
    page.run_button.click()
    qtbot.waitUntil(lambda: page.running is None, timeout=120000)
    assert len(asked) == 1 and "This will take about" in asked[0] and "tiles x 2 steps" in asked[0], asked
    assert page.status.text().startswith("Not started.") and page.run_button.isEnabled()
    assert not new_layers(before) and not list(outputs.glob("*.tif"))

    page.confirm = lambda parent, text: asked.append(text) or True  # 'Yes': the job runs
    page.run_button.click()
    qtbot.waitUntil(lambda: page.running is None, timeout=300000)
    assert len(asked) == 2 and len(new_layers(before)) == 1, page.status.text()


def test_short_job_does_not_ask(dock, qtbot, outputs):
    fast_settings()  # the default threshold: 10 minutes
    page = dock.page("superres")
    page.layer.setLayer(add_raster(S2, "slovenia"))
    page.confirm = lambda parent, text: pytest.fail(f"asked for a short job: {text}")
    before = set(QgsProject.instance().mapLayers())
    page.run_button.click()
    qtbot.waitUntil(lambda: page.running is None, timeout=300000)
    assert len(new_layers(before)) == 1, page.status.text()


def test_invalid_model_folder_disables_run_with_the_reason(dock, tmp_path, outputs):
    """A model folder that cannot be used disables Run on its task's page, with the reason in the status
    line (replacing an old "Done in …"), and choosing a usable one enables it again."""
    fast_settings()
    page = dock.page("superres")
    page.layer.setLayer(add_raster(S2, "slovenia"))
    page.show_status("Done in 1.0 s (seed 11): old.tif")
    empty = tmp_path / "not_a_model"
    empty.mkdir()
    dock.settings_page.models["superres"].setFilePath(str(empty))
    assert not page.run_button.isEnabled()
    assert "cannot be used" in page.status.text() and str(empty) in page.status.text(), page.status.text()
    assert "Done in" not in page.status.text() and "cannot be used" in page.run_button.toolTip()
    assert "model folder" not in dock.page("inpaint").run_button.toolTip()  # other tasks keep their model
    assert page.run_button.isEnabled() is False
    dock.settings_page.models["superres"].setFilePath("")  # the bundled model again
    assert page.run_button.isEnabled() and page.status.text() == "" and page.run_button.toolTip() == ""
