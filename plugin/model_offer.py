"""First run without a model: the dock offers the demo model's download, or a model folder.

The plugin zip on plugins.qgis.org leaves the demo model out (25 MB limit); the model manager
(backend.hub, standard library only) downloads it as a QGIS task with progress and cancel, verified
against the size and SHA-256 the plugin zip names. When it is done the pages are usable at once.
"""

from __future__ import annotations

from typing import Optional

from qgis.core import QgsApplication
from qgis.PyQt.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from . import settings as settings_mod
from .i18n import tr
from .tasks import BackendTask


def demo_model_missing() -> bool:
    """True when a task uses the demo model and it is neither bundled nor installed."""
    from ..backend import hub

    s = settings_mod.load()
    if all(s.model_for(task) != settings_mod.BUNDLED for task in settings_mod.TASKS):
        return False
    try:
        return not hub.model_info(settings_mod.BUNDLED).available
    except hub.HubError:
        return True


def download_label(size: Optional[int]) -> str:
    if size:
        return tr("Download the demo model ({} MB)").format(f"{size / 1e6:.0f}")
    return tr("Download the demo model")


class ModelOffer(QWidget):
    """The row shown above the pages while no model can be used."""

    def __init__(self, dock, parent=None):
        super().__init__(parent)
        from ..backend import hub

        self.dock = dock
        self.task: Optional[BackendTask] = None
        self.setObjectName("model_offer")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(tr("No model is installed yet. Download the small demo model, or choose a folder "
                               "with a DiffusionSat model."), self)
        self.label.setWordWrap(True)
        layout.addWidget(self.label)
        row = QHBoxLayout()
        self.download_button = QPushButton(download_label(hub.get_entry(settings_mod.BUNDLED).size), self)
        self.download_button.setObjectName("download_model_button")
        self.download_button.clicked.connect(self.download)
        self.folder_button = QPushButton(tr("Use a model folder…"), self)
        self.folder_button.setObjectName("model_folder_button")
        self.folder_button.clicked.connect(self.choose_folder)
        self.cancel_button = QPushButton(tr("Cancel"), self)
        self.cancel_button.setObjectName("cancel_download_button")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        for button in (self.download_button, self.folder_button, self.cancel_button):
            row.addWidget(button)
        layout.addLayout(row)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("download_progress")
        self.progress.setRange(0, 100)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.status = QLabel("", self)
        self.status.setObjectName("download_status")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.ask_folder = lambda: QFileDialog.getExistingDirectory(self, tr("Model folder"))  # tests swap it

    def download(self):
        from ..backend import hub

        if self.task is not None:
            return

        def work(progress, cancelled):
            def bytes_done(done, total):
                if total:
                    progress(done / total, tr("{} of {} MB").format(f"{done / 1e6:.1f}", f"{total / 1e6:.1f}"))

            return hub.download_model(settings_mod.BUNDLED, progress=bytes_done, cancel=cancelled)

        self.task = BackendTask(tr("DiffusionSat: download the demo model"), work, on_done=self._done,
                                on_error=self._failed, on_cancel=self._cancelled)
        self.task.progressChanged.connect(lambda value: self.progress.setValue(int(value)))
        self.task.message.connect(self.status.setText)
        self.download_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.progress.show()
        self.status.setText(tr("Downloading…"))
        QgsApplication.taskManager().addTask(self.task)

    def cancel(self):
        if self.task is not None:
            self.task.cancel()

    def _finish(self):
        self.task = None
        self.download_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.hide()

    def _done(self, _info):
        self._finish()
        self.status.setText(tr("The demo model is installed."))
        self.dock.model_ready()

    def _failed(self, message, _details):
        self._finish()
        self.status.setText(tr("The download failed: {}").format(message))

    def _cancelled(self):
        self._finish()
        self.status.setText(tr("Download cancelled; it resumes where it stopped next time."))

    def choose_folder(self):
        folder = self.ask_folder()
        if folder:
            for widget in self.dock.settings_page.models.values():
                widget.setFilePath(folder)  # saved, checked and shown by the settings page
            self.dock.model_ready()

    def stop(self):
        if self.task is not None:
            self.task.cancel()
