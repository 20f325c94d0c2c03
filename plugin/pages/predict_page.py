"""Multi-date predict: an ordered list of dated layers of one place and the date to predict."""

from __future__ import annotations

import datetime as _dt
from typing import List, Optional, Tuple

from qgis.core import QgsProject
from qgis.gui import QgsMapLayerComboBox
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QBrush, QColor
from qgis.PyQt.QtWidgets import (QAbstractItemView, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                                 QPushButton, QTableWidget, QTableWidgetItem)

from ..compat import LAYER_FILTER_RASTER
from ..i18n import tr
from .common import narrow, TaskPage, mark
from ..layers import LayerError, layer_date, parse_date, raster_path

MAX_FRAMES = 4
LAYER_ID = Qt.ItemDataRole.UserRole


class PredictPage(TaskPage):
    task = "predict"

    def __init__(self, dock, parent=None):
        super().__init__(dock, parent)
        intro = QLabel(tr("Predict an image at another date from dated layers."), self)
        intro.setWordWrap(True)
        self.form.addWidget(intro)
        # a forecast cannot know the target date's colours; a cloudy image of that date can (MODEL_CARD.md)
        hint = QLabel(tr("Have a cloudy image of that date? Inpaint it with 'Use other dates of this place': "
                         "its clear pixels set the colours, which no forecast can know."), self)
        hint.setObjectName("cloudy_target_hint")
        hint.setWordWrap(True)
        self.form.addWidget(hint)

        row = QHBoxLayout()
        self.layer = narrow(QgsMapLayerComboBox(self))
        self.layer.setObjectName("frame_layer")
        self.layer.setFilters(LAYER_FILTER_RASTER)
        self.add_button = QPushButton(tr("Add"), self)
        self.add_button.setObjectName("add_frame")
        self.add_button.setToolTip(tr("Add the layer with the date read from it (file name or GeoTIFF tags)."))
        self.add_button.clicked.connect(lambda: self.add_frame(self.layer.currentLayer()))
        row.addWidget(self.layer, 1)
        row.addWidget(self.add_button)
        self.form.addLayout(row)

        self.table = QTableWidget(0, 2, self)
        self.table.setObjectName("frames")
        self.table.setHorizontalHeaderLabels([tr("Layer"), tr("Date (YYYY-MM-DD)")])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setMinimumHeight(140)
        self.table.setMaximumHeight(170)
        self.form.addWidget(self.table)

        row = QHBoxLayout()
        self.up_button = QPushButton(tr("Up"), self)
        self.up_button.setObjectName("frame_up")
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button = QPushButton(tr("Down"), self)
        self.down_button.setObjectName("frame_down")
        self.down_button.clicked.connect(lambda: self.move_selected(1))
        self.remove_button = QPushButton(tr("Remove"), self)
        self.remove_button.setObjectName("frame_remove")
        self.remove_button.clicked.connect(self.remove_selected)
        row.addWidget(self.up_button)
        row.addWidget(self.down_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        self.form.addLayout(row)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.target = QLineEdit(_dt.date.today().isoformat(), self)
        self.target.setObjectName("target_date")
        self.target.setPlaceholderText(tr("YYYY-MM-DD"))
        form.addRow(tr("Predict the date:"), self.target)
        self.prompt = QLineEdit(self)
        self.prompt.setObjectName("prompt")
        self.prompt.setPlaceholderText(tr("optional"))
        form.addRow(tr("Prompt:"), self.prompt)
        self.form.addLayout(form)

        self.table.itemChanged.connect(self.revalidate)
        self.target.textChanged.connect(self.revalidate)
        self.revalidate()

    def title(self) -> str:
        return tr("Multi-date predict")

    # ------------------------------------------------------------------ the list
    def add_frame(self, layer, date: Optional[_dt.date] = None) -> bool:
        if layer is None:
            return False
        if self.table.rowCount() >= MAX_FRAMES:
            self.show_status(tr("At most {} dated layers.").format(MAX_FRAMES), error=True)
            return False
        date = date or layer_date(layer)
        self.table.blockSignals(True)
        row = self.table.rowCount()
        self.table.insertRow(row)
        name = QTableWidgetItem(layer.name())
        name.setData(LAYER_ID, layer.id())
        name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
        name.setToolTip(layer.source())
        self.table.setItem(row, 0, name)
        self.table.setItem(row, 1, QTableWidgetItem(date.isoformat() if date else ""))
        self.table.blockSignals(False)
        self.show_status("")
        self.revalidate()
        return True

    def move_selected(self, step: int):
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        if not rows:
            return
        row = rows[0]
        other = row + step
        if not 0 <= other < self.table.rowCount():
            return
        self.table.blockSignals(True)
        for col in range(2):
            a, b = self.table.takeItem(row, col), self.table.takeItem(other, col)
            self.table.setItem(row, col, b)
            self.table.setItem(other, col, a)
        self.table.blockSignals(False)
        self.table.selectRow(other)
        self.revalidate()

    def remove_selected(self):
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        for row in rows:
            self.table.removeRow(row)
        self.revalidate()

    def frames(self) -> List[Tuple[object, str]]:
        """(layer or None, date text) per row, in order."""
        out = []
        for row in range(self.table.rowCount()):
            layer_id = self.table.item(row, 0).data(LAYER_ID)
            date_item = self.table.item(row, 1)
            out.append((QgsProject.instance().mapLayer(layer_id), date_item.text().strip() if date_item else ""))
        return out

    # ------------------------------------------------------------------ validation and job
    def field_errors(self) -> List[str]:
        errors = []
        if self.table.rowCount() == 0:
            errors.append(tr("Add 1 to 4 dated layers of the same place."))
        self.table.blockSignals(True)
        for row, (layer, text) in enumerate(self.frames()):
            item = self.table.item(row, 1)
            error = None
            if layer is None:
                error = tr("The layer of row {} was removed from the project.").format(row + 1)
            elif parse_date(text) is None:
                error = tr("Row {}: the date must be a real date written YYYY-MM-DD.").format(row + 1)
            if item is not None:
                item.setBackground(QBrush(QColor("#fde8e8")) if error else QBrush())
                item.setToolTip(error or "")
            if error:
                errors.append(error)
        self.table.blockSignals(False)
        if not mark(self.target, None if parse_date(self.target.text()) else
                    tr("The target date must be a real date written YYYY-MM-DD."), tr("The date to predict")):
            errors.append(tr("The target date must be a real date written YYYY-MM-DD."))
        return errors

    def build_job(self):
        from ...backend.jobs import PredictJob

        frames = []
        for layer, text in self.frames():
            if layer is None:
                raise LayerError(tr("A layer of the list was removed from the project."))
            frames.append((raster_path(layer), parse_date(text)))
        return PredictJob(frames=frames, target_date=parse_date(self.target.text()),
                          prompt=self.prompt.text().strip())
