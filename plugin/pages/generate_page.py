"""Generate: draw an extent, check the metadata the model is conditioned on, write a new image."""

from __future__ import annotations

import datetime as _dt
from typing import List, Optional, Tuple

from qgis.core import (QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsCsException, QgsPointXY, QgsProject,
                       QgsRasterLayer, QgsRectangle)
from qgis.PyQt.QtWidgets import (QButtonGroup, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                                 QRadioButton, QSpinBox)

from ..i18n import tr
from ..map_tool import ExtentMapTool
from .common import TaskPage, float_or_none, mark
from ..layers import WGS84, centre_lonlat, crs_text, extent_metadata, extent_size_m, layer_date, parse_date


class GeneratePage(TaskPage):
    task = "generate"

    def __init__(self, dock, parent=None):
        super().__init__(dock, parent)
        self.canvas = self.iface.mapCanvas()
        self.tool: Optional[ExtentMapTool] = None
        self.previous_tool = None
        self.extent: Optional[QgsRectangle] = None
        self.crs = QgsCoordinateReferenceSystem()
        self.extent_m = (0.0, 0.0)
        self.height_px = 0
        self._linking = False

        intro = QLabel(tr("Draw an extent and generate an image for it."), self)
        intro.setWordWrap(True)
        self.form.addWidget(intro)

        row = QHBoxLayout()
        self.draw_button = QPushButton(tr("Draw extent"), self)
        self.draw_button.setObjectName("draw_extent")
        self.draw_button.setCheckable(True)
        self.draw_button.setToolTip(tr("Press, drag and release on the map to draw the extent to generate."))
        self.draw_button.toggled.connect(self._toggle_tool)
        self.clear_button = QPushButton(tr("Clear"), self)
        self.clear_button.setObjectName("clear_extent")
        self.clear_button.clicked.connect(self.clear_extent)
        row.addWidget(self.draw_button, 1)
        row.addWidget(self.clear_button)
        self.form.addLayout(row)
        self.extent_label = QLabel(tr("No extent drawn yet."), self)
        self.extent_label.setObjectName("extent_label")
        self.extent_label.setWordWrap(True)
        self.form.addWidget(self.extent_label)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.size_mode = QRadioButton(tr("Size (pixels)"), self)
        self.size_mode.setObjectName("mode_pixels")
        self.size_mode.setToolTip(
            tr("Keep the output width in pixels when the extent changes; the resolution follows."))
        self.res_mode = QRadioButton(tr("Resolution (m/pixel)"), self)
        self.res_mode.setObjectName("mode_resolution")
        self.res_mode.setToolTip(tr("Keep the resolution when the extent changes; the size in pixels follows."))
        self.size_mode.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.size_mode)
        group.addButton(self.res_mode)
        self.width_px = QSpinBox(self)
        self.width_px.setObjectName("width_px")
        self.width_px.setRange(8, 16384)
        self.width_px.setSingleStep(64)
        self.width_px.setValue(512)
        self.width_px.setSuffix(tr(" px wide"))
        self.gsd = QLineEdit(self)
        self.gsd.setObjectName("gsd")
        self.gsd.setPlaceholderText(tr("metres per pixel"))
        form.addRow(self.size_mode, self.width_px)
        form.addRow(self.res_mode, self.gsd)
        self.size_label = QLabel("", self)
        self.size_label.setObjectName("size_label")
        self.size_label.setWordWrap(True)
        form.addRow(tr("Output:"), self.size_label)

        self.lon = QLineEdit(self)
        self.lon.setObjectName("lon")
        self.lat = QLineEdit(self)
        self.lat.setObjectName("lat")
        self.date = QLineEdit(self)
        self.date.setObjectName("date")
        self.date.setPlaceholderText(tr("YYYY-MM-DD"))
        self.cloud = QLineEdit("0", self)
        self.cloud.setObjectName("cloud")
        self.prompt = QLineEdit(self)
        self.prompt.setObjectName("prompt")
        self.prompt.setPlaceholderText(tr("e.g. a satellite image of farmland"))
        form.addRow(tr("Centre longitude (°):"), self.lon)
        form.addRow(tr("Centre latitude (°):"), self.lat)
        form.addRow(tr("Date:"), self.date)
        form.addRow(tr("Cloud cover (%):"), self.cloud)
        form.addRow(tr("Prompt:"), self.prompt)
        self.form.addLayout(form)

        self.width_px.valueChanged.connect(self._pixels_edited)
        self.gsd.textEdited.connect(self._gsd_edited)
        for edit in (self.lon, self.lat, self.date, self.cloud):
            edit.textChanged.connect(self.revalidate)
        self.lon.editingFinished.connect(self._centre_edited)
        self.lat.editingFinished.connect(self._centre_edited)
        self.gsd.textChanged.connect(self.revalidate)
        self._update_size_label()
        self.revalidate()

    def title(self) -> str:
        return tr("Generate")

    # ------------------------------------------------------------------ map tool
    def _toggle_tool(self, checked: bool):
        def make():
            tool = ExtentMapTool(self.canvas)
            tool.extentDrawn.connect(self._extent_drawn)
            tool.extentRejected.connect(lambda: self.show_status(
                tr("That extent has no area, so it was not taken: press, drag to the opposite corner, release."),
                error=True))
            return tool

        self.switch_map_tool(checked, make)

    def _extent_drawn(self, rect: QgsRectangle):
        self.set_extent(rect, self.canvas.mapSettings().destinationCrs())
        self.draw_button.setChecked(False)

    def set_extent(self, rect: QgsRectangle, crs: QgsCoordinateReferenceSystem):
        """Fill the metadata for an extent: centre lon/lat, GSD (or size), date, cloud cover 0."""
        self.extent = QgsRectangle(rect)
        self.crs = QgsCoordinateReferenceSystem(crs)
        self.extent_m = extent_size_m(self.extent, self.crs)
        self._show_extent_label()
        if self.res_mode.isChecked() and self.gsd_value():
            self._set_pixels_from_gsd()
        lon, lat, gsd, self.height_px = extent_metadata(self.extent, self.crs, self.width_px.value())
        self.lon.setText(f"{lon:.6f}")
        self.lat.setText(f"{lat:.6f}")
        if not self.res_mode.isChecked() or not self.gsd_value():
            self._set_gsd(gsd)
        active = self.iface.activeLayer()
        date = layer_date(active) if isinstance(active, QgsRasterLayer) else None
        self.date.setText((date or _dt.date.today()).isoformat())
        self.cloud.setText("0")
        self._update_size_label()
        self.revalidate()

    def _centre_edited(self):
        """An edited centre moves the extent there (same size): the model is conditioned on the extent's centre."""
        lon, lat = float_or_none(self.lon.text()), float_or_none(self.lat.text())
        if self.extent is None or lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
            return
        old_lon, old_lat = centre_lonlat(self.extent, self.crs)
        if abs(lon - old_lon) < 1e-7 and abs(lat - old_lat) < 1e-7:
            return
        to_crs = QgsCoordinateTransform(QgsCoordinateReferenceSystem(WGS84), self.crs, QgsProject.instance())
        try:
            centre = to_crs.transform(QgsPointXY(lon, lat))
        except QgsCsException:
            mark(self.lon, tr("This position cannot be shown in the extent's CRS."))
            return
        half_w, half_h = self.extent.width() / 2.0, self.extent.height() / 2.0
        rect = QgsRectangle(centre.x() - half_w, centre.y() - half_h, centre.x() + half_w, centre.y() + half_h)
        self.extent = rect
        self.extent_m = extent_size_m(rect, self.crs)
        self._show_extent_label()
        if self.tool is not None and self.canvas.mapSettings().destinationCrs() == self.crs:
            self.tool.show_extent(rect)
        self._update_size_label()
        self.revalidate()

    def _show_extent_label(self):
        rect = self.extent
        digits = 5 if self.crs.isGeographic() else 1
        corners = ", ".join(f"{v:.{digits}f}" for v in (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(),
                                                          rect.yMaximum()))
        self.extent_label.setText(tr("Extent: {} ({})").format(corners, self.crs.authid() or self.crs.description()))

    def clear_extent(self):
        self.extent = None
        self.extent_m = (0.0, 0.0)
        if self.tool is not None:
            self.tool.clear()
        self.extent_label.setText(tr("No extent drawn yet."))
        self._update_size_label()
        self.revalidate()

    # ------------------------------------------------------------------ linked size / resolution
    def gsd_value(self) -> Optional[float]:
        value = float_or_none(self.gsd.text())
        return value if value is not None and value > 0 else None

    def _set_gsd(self, gsd: float):
        self._linking = True
        self.gsd.setText(f"{gsd:.4f}".rstrip("0").rstrip("."))
        self._linking = False

    def _set_pixels_from_gsd(self):
        gsd = self.gsd_value()
        if gsd and self.extent_m[0] > 0:
            self._linking = True
            self.width_px.setValue(max(self.width_px.minimum(), min(self.width_px.maximum(),
                                                                     int(round(self.extent_m[0] / gsd)))))
            self._linking = False

    def _pixels_edited(self, value: int):
        if self._linking:
            return
        if self.extent is not None and self.extent_m[0] > 0:
            self._set_gsd(self.extent_m[0] / value)
        self._update_size_label()
        self.revalidate()

    def _gsd_edited(self, _text: str):
        if self.extent is not None:
            self._set_pixels_from_gsd()
        self._update_size_label()

    def _update_size_label(self):
        if self.extent is None or self.extent_m[0] <= 0:
            self.size_label.setText(tr("draw an extent"))
            return
        width = self.width_px.value()
        height = max(1, int(round(width * self.extent_m[1] / self.extent_m[0])))
        self.height_px = height
        gsd = self.gsd_value() or self.extent_m[0] / width
        written = self.written_size(gsd)
        if written is not None:  # what the backend will write: exactly the extent, sizes multiples of 8 px
            width, height = written
        self.size_label.setText(tr("{} × {} px, {} × {} km").format(
            width, height, f"{self.extent_m[0] / 1000:.3g}", f"{self.extent_m[1] / 1000:.3g}"))

    def written_size(self, gsd: float) -> Optional[Tuple[int, int]]:
        """(width, height) in pixels of the image the backend will write for the extent at ``gsd``."""
        try:
            from ...backend.geo.grids import generation_grid

            rect = self.extent
            grid = generation_grid((rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum()),
                                   crs_text(self.crs), gsd)
        except (ImportError, ValueError):
            return None
        return grid.width, grid.height

    # ------------------------------------------------------------------ validation and job
    def field_errors(self) -> List[str]:
        errors = []

        def check(widget, error, hint=""):
            if self.extent is None and not widget.text().strip():
                error = None  # nothing to check before an extent is drawn
            if not mark(widget, error, hint):
                errors.append(error)

        lon = float_or_none(self.lon.text())
        lat = float_or_none(self.lat.text())
        cloud = float_or_none(self.cloud.text()) if self.cloud.text().strip() else 0.0
        date_text = self.date.text().strip()
        check(self.lon, None if lon is not None and -180 <= lon <= 180 else
              tr("Longitude must be a number between -180 and 180 degrees."),
              tr("Centre longitude, WGS84 degrees; editing it moves the extent"))
        check(self.lat, None if lat is not None and -90 <= lat <= 90 else
              tr("Latitude must be a number between -90 and 90 degrees."),
              tr("Centre latitude, WGS84 degrees; editing it moves the extent"))
        check(self.gsd, None if self.gsd_value() else
              tr("The resolution must be a number of metres per pixel above 0."), tr("Ground sample distance"))
        check(self.date, None if not date_text or parse_date(date_text) else
              tr("The date must be a real date written YYYY-MM-DD (or empty when unknown)."),
              tr("Acquisition date; empty when unknown"))
        check(self.cloud, None if cloud is not None and 0 <= cloud <= 100 else
              tr("Cloud cover must be a percentage between 0 and 100."), tr("Cloud cover of the image to generate"))
        if self.extent is None:
            errors.insert(0, tr("Draw an extent on the map first."))
        return errors

    def build_job(self):
        from ...backend.jobs import GenerateJob

        extent = self.extent
        date_text = self.date.text().strip()
        cloud_text = self.cloud.text().strip()
        values = dict(
            bbox=(extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum()),
            crs=crs_text(self.crs),
            gsd=self.gsd_value(),
            prompt=self.prompt.text().strip(),
            date=parse_date(date_text) if date_text else None,
            cloud_cover=(float_or_none(cloud_text) / 100.0) if cloud_text else 0.0,
        )
        return GenerateJob(**values)
