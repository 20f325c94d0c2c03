"""Drawing an extent on a real map canvas fills the Generate page's metadata (checked against pyproj)."""

import pytest
from qgis.core import QgsCoordinateReferenceSystem, QgsPointXY, QgsRectangle
from qgis.PyQt.QtCore import QPoint, Qt

from tests.conftest import import_plugin_package

import_plugin_package()
from diffusionsat.backend.geo import _proj  # noqa: E402,F401  (PROJ data for pyproj in the venv)
from pyproj import Geod, Transformer  # noqa: E402
from diffusionsat.plugin.dock import DiffusionSatDock  # noqa: E402
from diffusionsat.plugin.map_tool import ExtentMapTool, PolygonMapTool  # noqa: E402


@pytest.fixture
def canvas(qgis_canvas, qtbot):
    qgis_canvas.resize(600, 400)
    qgis_canvas.show()
    qtbot.waitExposed(qgis_canvas)
    yield qgis_canvas
    qgis_canvas.unsetMapTool(qgis_canvas.mapTool())


def set_view(canvas, qtbot, authid, rect):
    canvas.setDestinationCrs(QgsCoordinateReferenceSystem(authid))
    canvas.setExtent(rect)
    canvas.refresh()
    qtbot.waitUntil(lambda: canvas.extent().contains(rect.center())
                    and canvas.mapSettings().destinationCrs().authid() == authid, timeout=5000)


def drag(qtbot, canvas, a, b):
    viewport = canvas.viewport()
    qtbot.mousePress(viewport, Qt.LeftButton, pos=a)
    qtbot.mouseMove(viewport, pos=QPoint((a.x() + b.x()) // 2, (a.y() + b.y()) // 2))
    qtbot.mouseMove(viewport, pos=b)
    qtbot.mouseRelease(viewport, Qt.LeftButton, pos=b)


def expected_rect(canvas, a, b):
    to_map = canvas.getCoordinateTransform()
    p, q = to_map.toMapCoordinates(a), to_map.toMapCoordinates(b)
    rect = QgsRectangle(QgsPointXY(p), QgsPointXY(q))
    rect.normalize()
    return rect


@pytest.fixture
def page(qgis_iface, canvas, qtbot):
    dock = DiffusionSatDock(qgis_iface)
    qtbot.addWidget(dock)
    yield dock.page("generate")
    dock.close_tools()


def test_extent_in_utm_fills_lonlat_and_gsd(page, canvas, qtbot):
    set_view(canvas, qtbot, "EPSG:32621", QgsRectangle(600000, 7000000, 612000, 7008000))
    page.draw_button.click()
    assert isinstance(canvas.mapTool(), ExtentMapTool)
    a, b = QPoint(100, 80), QPoint(420, 300)
    drag(qtbot, canvas, a, b)
    rect = expected_rect(canvas, a, b)

    assert page.extent is not None
    assert page.extent.xMinimum() == pytest.approx(rect.xMinimum(), abs=1e-6)
    assert page.extent.yMaximum() == pytest.approx(rect.yMaximum(), abs=1e-6)
    assert page.crs.authid() == "EPSG:32621"
    lon, lat = Transformer.from_crs("EPSG:32621", "EPSG:4326", always_xy=True).transform(
        rect.center().x(), rect.center().y())
    assert float(page.lon.text()) == pytest.approx(lon, abs=1e-5)
    assert float(page.lat.text()) == pytest.approx(lat, abs=1e-5)
    assert page.width_px.value() == 512
    assert float(page.gsd.text()) == pytest.approx(rect.width() / 512, rel=1e-3)
    assert page.date.text() and page.cloud.text() == "0"
    # the size the backend will write: exactly the extent, sides to the nearest multiple of 8 pixels
    from diffusionsat.backend.geo.grids import generation_grid

    written = generation_grid((rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum()), "EPSG:32621",
                              float(page.gsd.text()))
    assert written.width == 512 and abs(written.height - 512 * rect.height() / rect.width()) <= 4
    assert page.size_label.text().startswith(f"512 × {written.height} px")
    assert page.run_button.isEnabled()
    assert not page.draw_button.isChecked(), "the tool is handed back after one extent"

    job = page.build_job()
    assert job.crs == "EPSG:32621"
    assert job.bbox == pytest.approx((rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum()))
    assert job.gsd == pytest.approx(rect.width() / 512, rel=1e-3)

    # the linked modes: a resolution gives the size, a size gives the resolution
    page.gsd.setText("10")
    page.gsd.textEdited.emit("10")
    assert page.width_px.value() == round(rect.width() / 10)
    page.width_px.setValue(256)
    assert float(page.gsd.text()) == pytest.approx(rect.width() / 256, rel=1e-3)

    # editing the centre moves the extent there (same size), with the rubber band
    size = (page.extent.width(), page.extent.height())
    page.lon.setText(f"{lon + 0.01:.6f}")
    page.lon.editingFinished.emit()
    moved = page.build_job().bbox
    new_lon, new_lat = Transformer.from_crs("EPSG:32621", "EPSG:4326", always_xy=True).transform(
        (moved[0] + moved[2]) / 2, (moved[1] + moved[3]) / 2)
    assert new_lon == pytest.approx(lon + 0.01, abs=1e-6) and new_lat == pytest.approx(lat, abs=1e-6)
    assert (page.extent.width(), page.extent.height()) == pytest.approx(size)
    assert page.tool.extent == page.extent

    # the rubber band stays after release and is cleared by Clear
    band = page.tool.band
    assert band.isVisible() and band.numberOfVertices() >= 4
    page.clear_button.click()
    assert band.numberOfVertices() == 0 and page.extent is None
    assert not page.run_button.isEnabled()


def test_extent_in_wgs84_uses_geodesic_gsd(page, canvas, qtbot):
    set_view(canvas, qtbot, "EPSG:4326", QgsRectangle(14.0, 45.5, 14.3, 45.7))
    page.draw_button.click()
    a, b = QPoint(150, 100), QPoint(450, 320)
    drag(qtbot, canvas, a, b)
    rect = expected_rect(canvas, a, b)
    cy = rect.center().y()
    _, _, width_m = Geod(ellps="WGS84").inv(rect.xMinimum(), cy, rect.xMaximum(), cy)
    assert float(page.lon.text()) == pytest.approx(rect.center().x(), abs=1e-6)
    assert float(page.lat.text()) == pytest.approx(cy, abs=1e-6)
    assert float(page.gsd.text()) == pytest.approx(width_m / 512, rel=1e-3)
    assert page.build_job().crs == "EPSG:4326"


def test_generate_in_wgs84_writes_exactly_the_drawn_box_at_the_shown_size(page, canvas, qtbot, tmp_path):
    """Was: the dock showed 128 x 177 px and the backend wrote 128 x 184 px, 0.9 km beyond the south edge."""
    import rasterio

    from diffusionsat.backend.api import DiffusionSat

    set_view(canvas, qtbot, "EPSG:4326", QgsRectangle(14.0, 45.5, 14.3, 45.7))
    page.draw_button.click()
    drag(qtbot, canvas, QPoint(150, 100), QPoint(450, 320))
    page.width_px.setValue(128)
    shown = page.size_label.text().split(" px")[0]
    job = page.build_job()
    res = DiffusionSat.from_pretrained("diffusionsat-mini").generate(job.bbox, job.crs, job.gsd, steps=1, seed=1,
                                                                    output=tmp_path / "g.tif", quicklook=False)
    with rasterio.open(res.output) as ds:
        assert shown == f"{ds.width} × {ds.height}"
        assert ds.bounds == pytest.approx(job.bbox, abs=1e-9)  # nothing beyond the drawn box


def test_invalid_fields_disable_run(page, canvas, qtbot):
    set_view(canvas, qtbot, "EPSG:32621", QgsRectangle(600000, 7000000, 612000, 7008000))
    page.draw_button.click()
    drag(qtbot, canvas, QPoint(100, 80), QPoint(300, 200))
    assert page.run_button.isEnabled()
    for widget, bad in ((page.lat, "95"), (page.lon, "east"), (page.date, "2023-02-30"), (page.cloud, "150"),
                        (page.gsd, "0")):
        good = widget.text()
        widget.setText(bad)
        assert not page.run_button.isEnabled(), widget.objectName()
        assert widget.property("invalid") and widget.toolTip()
        widget.setText(good)
        assert page.run_button.isEnabled(), widget.objectName()
        assert not widget.property("invalid")


def test_polygon_tool_draws_a_mask_shape(qgis_iface, canvas, qtbot):
    set_view(canvas, qtbot, "EPSG:32621", QgsRectangle(600000, 7000000, 612000, 7008000))
    dock = DiffusionSatDock(qgis_iface)
    qtbot.addWidget(dock)
    page = dock.page("inpaint")
    page.source.setCurrentIndex(page.source.findData("drawn"))
    page.draw_button.click()
    assert isinstance(canvas.mapTool(), PolygonMapTool)
    viewport = canvas.viewport()
    for x, y in ((100, 100), (300, 100), (200, 250)):
        qtbot.mouseClick(viewport, Qt.LeftButton, pos=QPoint(x, y))
    qtbot.mouseClick(viewport, Qt.RightButton, pos=QPoint(200, 250))
    assert page.drawn is not None and page.drawn.area() > 0
    spec = page.mask_spec()
    assert spec.geometries_crs == "EPSG:32621" and spec.geometries_wkt[0].startswith("Polygon")
    assert page.tool.band.numberOfVertices() >= 3
    page.clear_button.click()
    assert page.drawn is None and page.tool.band.numberOfVertices() == 0
    dock.close_tools()


def test_a_click_without_area_is_not_taken_and_says_why(page, canvas, qtbot):
    set_view(canvas, qtbot, "EPSG:32621", QgsRectangle(600000, 7000000, 612000, 7008000))
    page.draw_button.click()
    drag(qtbot, canvas, QPoint(100, 100), QPoint(300, 250))
    first = QgsRectangle(page.extent)
    page.draw_button.click()
    drag(qtbot, canvas, QPoint(200, 120), QPoint(200, 220))  # a vertical line: no area
    assert page.extent == first, "the earlier extent stays"
    assert "no area" in page.status.text() and "not taken" in page.status.text()
    tool = canvas.mapTool() if isinstance(canvas.mapTool(), ExtentMapTool) else page.tool
    assert tool.extent == first and tool.band.numberOfVertices() >= 4, "the earlier extent is still drawn"
