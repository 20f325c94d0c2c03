"""The settings' "Run on a Dask cluster" box: on/off and the scheduler address (issue 16)."""

from __future__ import annotations

from qgis.PyQt.QtCore import pyqtSignal
from qgis.PyQt.QtWidgets import QFormLayout, QGroupBox, QLabel, QLineEdit

from .. import settings as settings_mod
from ..i18n import tr


class ClusterBox(QGroupBox):
    """Checkable group: checked with an address, dock and Processing jobs run on that Dask scheduler."""

    changed = pyqtSignal()

    def __init__(self, parent=None):
        super().__init__(tr("Run on a Dask cluster"), parent)
        self.setObjectName("dask_cluster")
        self.setCheckable(True)
        self.setChecked(False)
        self.setToolTip(tr("Send the dock's and Processing's jobs to a Dask scheduler instead of running them "
                           "in QGIS. Its workers need the DiffusionSat backend, the model folder and the input "
                           "and output folders at the same paths (a shared file system)."))
        form = QFormLayout(self)
        self.address = QLineEdit(self)
        self.address.setObjectName("dask_address")
        self.address.setPlaceholderText("tcp://host:8786")
        form.addRow(tr("Scheduler address:"), self.address)
        self.note = QLabel(self)
        self.note.setObjectName("dask_note")
        self.note.setWordWrap(True)
        form.addRow(self.note)
        self.toggled.connect(self._edited)
        self.address.editingFinished.connect(self._edited)

    def load(self, s: settings_mod.Settings) -> None:
        self.blockSignals(True)
        self.setChecked(bool(s.dask_enabled))
        self.blockSignals(False)
        self.address.setText(str(s.dask_address or ""))
        self._show_state()

    def store(self, s: settings_mod.Settings) -> None:
        s.dask_enabled = self.isChecked()
        s.dask_address = self.address.text().strip()

    def _edited(self, *_args) -> None:
        self._show_state()
        self.changed.emit()

    def _show_state(self) -> None:
        """What the setting does now; dask is looked for only when it is on with an address."""
        from ..cluster_jobs import dask_missing

        if not self.isChecked():
            text = tr("Off: jobs run in QGIS.")
        elif not self.address.text().strip():
            text = tr("Type the scheduler's address; until then jobs run in QGIS.")
        else:
            text = dask_missing() or tr("Jobs run on {}.").format(self.address.text().strip())
        self.note.setText(text)
