"""Inpaint: regenerate the masked pixels of a raster layer (clouds, shadows, any area)."""

from __future__ import annotations

from typing import List, Optional

from qgis.core import QgsApplication, QgsCoordinateReferenceSystem, QgsGeometry, QgsProject, QgsRasterLayer
from qgis.gui import QgsCheckableComboBox, QgsMapLayerComboBox
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                                 QPushButton, QVBoxLayout, QWidget)

from ..compat import LAYER_FILTER_POLYGON, LAYER_FILTER_RASTER
from ..i18n import tr
from ..map_tool import PolygonMapTool
from ..tasks import BackendTask
from .common import narrow, BandPicker, TaskPage, int_list, mark
from ..layers import LayerError, crs_text, raster_path, vector_source

SOURCE_POLYGONS, SOURCE_RASTER, SOURCE_DRAWN, SOURCE_PRODUCT = "polygons", "raster", "drawn", "product"
MODE_CLASSES, MODE_BITS, MODE_NONZERO = "classes", "bits", "nonzero"
RGB = (("R", ("B4", "red")), ("G", ("B3", "green")), ("B", ("B2", "blue")))


def presets():
    """(label, mode, values) of the mask presets."""
    return (
        (tr("Sentinel-2 SCL clouds/shadows: 3,8,9,10"), MODE_CLASSES, "3,8,9,10"),
        (tr("Landsat QA_PIXEL: 1,2,3,4"), MODE_BITS, "1,2,3,4"),
        (tr("Custom"), None, None),
    )


def check_line(check: dict) -> str:
    """The self-check sentence of an inpainting result, translated (backend.tasks.inpaint_check.CheckReport)."""
    share = 100.0 * float(check.get("fallback_share") or 0.0)
    if not check.get("enabled", True):
        return tr("Self-check off: the model fill is used everywhere, unchecked.")
    if check.get("model_psnr") is None:
        return tr("No nearby known pixels to check the model on: classical fill used for {} % of masked "
                  "pixels.").format(f"{share:.0f}")
    if check.get("one_date_psnr") is not None:  # other dates: checked against this date's own fill too
        one = 100.0 * float(check.get("one_date_share") or 0.0)
        line = tr("Model {} dB, other dates {} dB, this date alone {} dB on nearby known pixels; other dates "
                  "used for {} %, this date's own fill for {} % of masked pixels.").format(
            f"{check['model_psnr']:.1f}", f"{check['other_dates_psnr']:.1f}", f"{check['one_date_psnr']:.1f}",
            f"{share - one:.0f}", f"{one:.0f}")
        if check.get("ring_one_date_psnr") is not None:  # where a cloud of another date over the hole shows
            line += " " + tr("Around the holes: other dates {} dB, this date alone {} dB.").format(
                f"{check['ring_other_dates_psnr']:.1f}", f"{check['ring_one_date_psnr']:.1f}")
        return line
    return tr("Model {} dB, classical {} dB on nearby known pixels; classical fill used for {} % of masked "
              "pixels.").format(f"{check['model_psnr']:.1f}", f"{check['classical_psnr']:.1f}", f"{share:.0f}")


class InpaintPage(TaskPage):
    task = "inpaint"

    def __init__(self, dock, parent=None):
        super().__init__(dock, parent)
        self.canvas = self.iface.mapCanvas()
        self.tool: Optional[PolygonMapTool] = None
        self.previous_tool = None
        self.drawn: Optional[QgsGeometry] = None
        self.drawn_crs = QgsCoordinateReferenceSystem()

        intro = QLabel(tr("Fill clouds or any masked area of a raster layer."), self)
        intro.setWordWrap(True)
        self.form.addWidget(intro)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.layer = narrow(QgsMapLayerComboBox(self))
        self.layer.setObjectName("input_layer")
        self.layer.setFilters(LAYER_FILTER_RASTER)
        self.layer.setAllowEmptyLayer(True)
        form.addRow(tr("Raster layer:"), self.layer)
        self.form.addLayout(form)
        self.form.addWidget(QLabel(tr("RGB bands:"), self))
        self.rgb = BandPicker(RGB, columns=3, parent=self, chars=3)
        self.form.addWidget(self.rgb)

        box = QGroupBox(tr("Mask"), self)
        box_layout = QVBoxLayout(box)
        self.source = narrow(QComboBox(box))
        self.source.setObjectName("mask_source")
        self.source.addItem(tr("Polygon layer"), SOURCE_POLYGONS)
        self.source.addItem(tr("Raster values"), SOURCE_RASTER)
        self.source.addItem(tr("Shape drawn on the map"), SOURCE_DRAWN)
        self.source.addItem(tr("Clouds from the Sentinel-2 product"), SOURCE_PRODUCT)
        box_layout.addWidget(self.source)
        self.stack = QWidget(box)  # one panel per mask source; only the chosen one is shown
        self.stack.setLayout(QVBoxLayout())
        self.stack.layout().setContentsMargins(0, 0, 0, 0)
        self.panels = []
        box_layout.addWidget(self.stack)

        # polygons
        page = QWidget(self.stack)
        lay = QFormLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        self.mask_vector = narrow(QgsMapLayerComboBox(page))
        self.mask_vector.setObjectName("mask_vector")
        self.mask_vector.setFilters(LAYER_FILTER_POLYGON)
        self.mask_vector.setAllowEmptyLayer(True)
        lay.addRow(tr("Polygons:"), self.mask_vector)
        self.stack.layout().addWidget(page)
        self.panels.append(page)

        # raster values
        page = QWidget(self.stack)
        lay = QFormLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.mask_raster = narrow(QgsMapLayerComboBox(page))
        self.mask_raster.setObjectName("mask_raster")
        self.mask_raster.setFilters(LAYER_FILTER_RASTER)
        self.mask_raster.setAllowEmptyLayer(True)
        lay.addRow(tr("Mask layer:"), self.mask_raster)
        self.preset = narrow(QComboBox(page))
        self.preset.setObjectName("mask_preset")
        for label, mode, values in presets():
            self.preset.addItem(label, (mode, values))
        lay.addRow(tr("Preset:"), self.preset)
        self.mode = narrow(QComboBox(page))
        self.mode.setObjectName("mask_mode")
        self.mode.addItem(tr("Classes (pixel values)"), MODE_CLASSES)
        self.mode.addItem(tr("Bits set"), MODE_BITS)
        self.mode.addItem(tr("Any non-zero pixel"), MODE_NONZERO)
        lay.addRow(tr("Values are:"), self.mode)
        self.values = QLineEdit(page)
        self.values.setObjectName("mask_values")
        self.values.setPlaceholderText(tr("comma-separated integers"))
        lay.addRow(tr("Values:"), self.values)
        self.stack.layout().addWidget(page)
        self.panels.append(page)

        # drawn shape
        page = QWidget(self.stack)
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.draw_button = QPushButton(tr("Draw shape"), page)
        self.draw_button.setObjectName("draw_shape")
        self.draw_button.setCheckable(True)
        self.draw_button.setToolTip(tr("Click the corners on the map; right-click to finish."))
        self.draw_button.toggled.connect(self._toggle_tool)
        self.clear_button = QPushButton(tr("Clear"), page)
        self.clear_button.setObjectName("clear_shape")
        self.clear_button.clicked.connect(self.clear_shape)
        row.addWidget(self.draw_button, 1)
        row.addWidget(self.clear_button)
        lay.addLayout(row)
        self.shape_label = QLabel(tr("No shape drawn yet."), page)
        self.shape_label.setWordWrap(True)
        lay.addWidget(self.shape_label)
        self.stack.layout().addWidget(page)
        self.panels.append(page)

        # clouds from the product (issue 18): its SCL classes, previewed as a temporary layer
        page = QWidget(self.stack)
        lay = QFormLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        self.scl_classes = QLineEdit("3,8,9,10", page)
        self.scl_classes.setObjectName("scl_classes")
        self.scl_classes.setToolTip(tr("Scene classification (SCL) classes: 3 cloud shadow, 8 cloud medium "
                                       "probability, 9 cloud high probability, 10 thin cirrus, 11 snow."))
        lay.addRow(tr("SCL classes:"), self.scl_classes)
        self.previewing = None  # the preview's BackendTask while it runs
        self.preview_button = QPushButton(tr("Preview mask"), page)
        self.preview_button.setObjectName("preview_product_mask")
        self.preview_button.clicked.connect(self.preview_product_mask)
        lay.addRow(self.preview_button)
        self.stack.layout().addWidget(page)
        self.panels.append(page)
        self.scl_classes.textChanged.connect(self.revalidate)

        extra = QFormLayout()
        self.dilate = QDoubleSpinBox(box)
        self.dilate.setObjectName("dilate_m")
        self.dilate.setRange(0.0, 10000.0)
        self.dilate.setDecimals(1)
        self.dilate.setSingleStep(10.0)
        self.dilate.setSuffix(tr(" m"))
        self.dilate.setToolTip(tr("Grow the mask by this distance, to cover cloud edges and thin haze."))
        extra.addRow(tr("Grow mask by:"), self.dilate)
        box_layout.addLayout(extra)
        self.form.addWidget(box)

        # cloud removal with a time series: the masked pixels from other dates of the place (inpaint_dates)
        self.dates_box = QGroupBox(tr("Use other dates of this place"), self)
        self.dates_box.setObjectName("other_dates_box")
        self.dates_box.setCheckable(True)
        self.dates_box.setChecked(False)
        self.dates_box.setToolTip(tr("Fill the mask from up to four other rasters of the same place: each is "
                                     "matched to this raster's colours, the closest date in time is used, and "
                                     "the temporal model replaces it where it checks better on known pixels."))
        dates_form = QFormLayout(self.dates_box)
        self.other_dates = QgsCheckableComboBox(self.dates_box)
        self.other_dates.setObjectName("other_dates")
        dates_form.addRow(tr("Other dates:"), self.other_dates)
        self.form.addWidget(self.dates_box)
        self.dates_box.toggled.connect(self._fill_other_dates)
        self.dates_box.toggled.connect(self.revalidate)
        self.other_dates.checkedItemsChanged.connect(self.revalidate)
        # a check set from code changes the model without checkedItemsChanged (QGIS 3.22)
        self.other_dates.model().dataChanged.connect(lambda *_: self.revalidate())

        form2 = QFormLayout()
        form2.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.prompt = QLineEdit(self)
        self.prompt.setObjectName("prompt")
        self.prompt.setPlaceholderText(tr("optional"))
        form2.addRow(tr("Prompt:"), self.prompt)
        self.form.addLayout(form2)

        self.source.currentIndexChanged.connect(self._source_changed)
        self.source.currentIndexChanged.connect(self.revalidate)
        self.preset.currentIndexChanged.connect(self._preset_chosen)
        self.values.textEdited.connect(self._values_edited)
        self.layer.layerChanged.connect(self._layer_changed)
        for w in (self.mask_vector, self.mask_raster):
            w.layerChanged.connect(self.revalidate)
        self.mode.currentIndexChanged.connect(self.revalidate)
        self.values.textChanged.connect(self.revalidate)
        self._preset_chosen(0)
        self._source_changed(0)
        self._layer_changed(self.layer.currentLayer())

    def input_layer(self):
        return self.layer.currentLayer()

    def _fill_other_dates(self, *_args) -> None:
        """The project's raster layers other than the input, as choices (checked ones stay checked)."""
        checked = set(self.other_dates.checkedItemsData())
        current = self.layer.currentLayer()
        self.other_dates.clear()
        for layer in QgsProject.instance().mapLayers().values():
            if isinstance(layer, QgsRasterLayer) and layer is not current and layer.isValid():
                self.other_dates.addItemWithCheckState(
                    layer.name(), Qt.CheckState.Checked if layer.id() in checked else Qt.CheckState.Unchecked, layer.id())

    def other_date_layers(self) -> list:
        if not self.dates_box.isChecked():
            return []
        project = QgsProject.instance()
        return [project.mapLayer(i) for i in self.other_dates.checkedItemsData() if project.mapLayer(i) is not None]

    def title(self) -> str:
        return tr("Inpaint")

    def _done(self, result):
        """The common 'Done in …' line, followed by the self-check's verdict (scores on nearby known pixels
        and the share filled classically), so nobody gets a fill worse than the obvious one untold."""
        layer = super()._done(result)
        check = getattr(result, "check", None) if result is not None and not self.closed else None
        if check and check.get("summary"):
            self.show_status(self.status.text() + "\n" + check_line(check))
        return layer

    def _source_changed(self, index: int):
        for i, panel in enumerate(self.panels):
            panel.setVisible(i == index)

    def _layer_changed(self, layer):
        self.rgb.set_layer(layer, fallback_first=True)
        self.revalidate()

    def _preset_chosen(self, index: int):
        mode, values = self.preset.itemData(index) or (None, None)
        if mode is None:
            return
        self.mode.setCurrentIndex(self.mode.findData(mode))
        self.values.setText(values)

    def _values_edited(self, _text):
        custom = self.preset.count() - 1
        self.preset.blockSignals(True)
        self.preset.setCurrentIndex(custom)
        self.preset.blockSignals(False)

    # ------------------------------------------------------------------ drawn shape
    def _toggle_tool(self, checked: bool):
        def make():
            tool = PolygonMapTool(self.canvas)
            tool.polygonDrawn.connect(self._shape_drawn)
            return tool

        self.switch_map_tool(checked, make)

    def _shape_drawn(self, geometry: QgsGeometry):
        self.set_shape(geometry, self.canvas.mapSettings().destinationCrs())
        self.draw_button.setChecked(False)

    def set_shape(self, geometry: QgsGeometry, crs: QgsCoordinateReferenceSystem):
        self.drawn = QgsGeometry(geometry)
        self.drawn_crs = QgsCoordinateReferenceSystem(crs)
        self.shape_label.setText(tr("A shape with {} corners ({}).").format(
            max(0, len(geometry.asPolygon()[0]) - 1) if not geometry.isMultipart() else "…",
            crs.authid() or crs.description()))
        self.revalidate()

    def clear_shape(self):
        self.drawn = None
        if self.tool is not None:
            self.tool.clear()
        self.shape_label.setText(tr("No shape drawn yet."))
        self.revalidate()

    # ------------------------------------------------------------------ validation and job
    def field_errors(self) -> List[str]:
        errors = []
        if self.layer.currentLayer() is None:
            errors.append(tr("Choose a raster layer."))
        if self.dates_box.isChecked() and not 1 <= len(self.other_dates.checkedItemsData()) <= 4:
            errors.append(tr("Check one to four other dates of this place, or turn 'Use other dates' off."))
        source = self.source.currentData()
        mark(self.mask_vector, None)
        mark(self.mask_raster, None)
        mark(self.values, None)
        if source == SOURCE_POLYGONS and self.mask_vector.currentLayer() is None:
            errors.append(tr("Choose a polygon layer for the mask."))
        elif source == SOURCE_RASTER:
            if self.mask_raster.currentLayer() is None:
                errors.append(tr("Choose a mask raster layer."))
            if self.mode.currentData() != MODE_NONZERO and int_list(self.values.text()) is None:
                error = tr("The mask values must be comma-separated whole numbers, e.g. 3,8,9,10.")
                mark(self.values, error)
                errors.append(error)
        elif source == SOURCE_DRAWN and self.drawn is None:
            errors.append(tr("Draw a shape on the map for the mask."))
        elif source == SOURCE_PRODUCT:
            mark(self.scl_classes, None)
            if self.layer.currentLayer() is not None and self._product() is None:
                errors.append(tr("The layer is not a Sentinel-2 product: add it with 'Add Sentinel-2 product…'."))
            if int_list(self.scl_classes.text()) is None:
                error = tr("The SCL classes must be comma-separated whole numbers, e.g. 3,8,9,10.")
                mark(self.scl_classes, error)
                errors.append(error)
        return errors

    def _product(self):
        from ..sentinel2_layers import product_of_layer

        return product_of_layer(self.layer.currentLayer())

    def preview_product_mask(self):
        """The product's cloud mask on the layer's grid, computed in a background task (a Level-1C product's
        detector takes minutes on a whole tile), then shown as a temporary layer. Returns the task, or None."""
        from ..sentinel2_layers import add_preview_layer, preview_mask_file

        if self.previewing is not None:
            return None
        layer, product = self.layer.currentLayer(), self._product()
        if layer is None or product is None:
            self.show_status(tr("The layer is not a Sentinel-2 product: add it with 'Add Sentinel-2 product…'."),
                             error=True)
            return None
        source, classes = layer.source().split("|")[0], int_list(self.scl_classes.text()) or []
        computing = tr("Computing the cloud mask preview…")

        def ended():
            self.previewing = None
            self.preview_button.setEnabled(True)
            if self.status.text() == computing:
                self.show_status("")
            self.revalidate()

        def done(path):
            if self.closed:
                return
            ended()
            if path:
                add_preview_layer(path)

        def failed(message, details):
            if self.closed:
                return
            ended()
            self.show_status(message, error=True)

        task = BackendTask(tr("DiffusionSat: cloud mask preview"),
                           lambda progress, cancelled: preview_mask_file(source, product, classes, cancelled),
                           on_done=done, on_error=failed, on_cancel=lambda: None if self.closed else ended())
        self.previewing = task
        self.preview_button.setEnabled(False)
        self.show_status(computing)
        QgsApplication.taskManager().addTask(task)
        return task

    def stop(self):
        super().stop()
        if self.previewing is not None:
            self.previewing.cancel()
            self.previewing = None

    def mask_spec(self):
        from ...backend.jobs import MaskSpec

        source = self.source.currentData()
        dilate = float(self.dilate.value())
        if source == SOURCE_POLYGONS:
            layer = self.mask_vector.currentLayer()
            if layer is None:
                raise LayerError(tr("Choose a polygon layer for the mask."))
            path, name = vector_source(layer)
            if path:
                return MaskSpec(vector=path, vector_layer=name, dilate_m=dilate)
            wkts = [f.geometry().asWkt() for f in layer.getFeatures() if f.hasGeometry()]
            if not wkts:
                raise LayerError(tr("The polygon layer '{}' has no polygons.").format(layer.name()))
            return MaskSpec(geometries_wkt=wkts, geometries_crs=crs_text(layer.crs()), dilate_m=dilate)
        if source == SOURCE_RASTER:
            path = raster_path(self.mask_raster.currentLayer())
            mode = self.mode.currentData()
            values = int_list(self.values.text()) if mode != MODE_NONZERO else None
            return MaskSpec(raster=path, classes=values if mode == MODE_CLASSES else None,
                            bits=values if mode == MODE_BITS else None, dilate_m=dilate)
        if source == SOURCE_PRODUCT:
            product = self._product()
            if product is None:
                raise LayerError(tr("The layer is not a Sentinel-2 product: add it with 'Add Sentinel-2 product…'."))
            return MaskSpec(raster=product, classes=int_list(self.scl_classes.text()), dilate_m=dilate)
        if self.drawn is None:
            raise LayerError(tr("Draw a shape on the map for the mask."))
        return MaskSpec(geometries_wkt=[self.drawn.asWkt()], geometries_crs=crs_text(self.drawn_crs), dilate_m=dilate)

    def build_job(self):
        from ...backend.jobs import InpaintJob

        path = raster_path(self.layer.currentLayer())
        bands = self.rgb.bands()
        return InpaintJob(input=path, mask=self.mask_spec(),
                          bands=[int(b) for b in bands] if all(b is not None for b in bands) else None,
                          prompt=self.prompt.text().strip(),
                          other_dates=[(raster_path(layer), None) for layer in self.other_date_layers()])
