"""Settings: model folder per task, device, precision, sampling, tiles, output folder (kept in QgsSettings)."""

from __future__ import annotations

from typing import Tuple

from qgis.gui import QgsFileWidget
from qgis.PyQt.QtCore import QRegularExpression, Qt
from qgis.PyQt.QtGui import QRegularExpressionValidator
from qgis.core import QgsApplication
from qgis.PyQt.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox,
                                 QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QScrollArea, QSpinBox,
                                 QVBoxLayout, QWidget)

from .. import settings as settings_mod
from ..i18n import tr
from .cluster_box import ClusterBox


def check_model(path: str) -> Tuple[bool, str]:
    """inspect_model() of the backend: (usable, human-readable report)."""
    try:
        from ...backend.api import inspect_model
    except ImportError as exc:
        return False, tr("The model cannot be checked because the backend cannot be loaded: {}").format(exc)
    try:
        return inspect_model(path)
    except Exception as exc:  # a broken folder must not break the settings page
        return False, str(exc) or type(exc).__name__


class SettingsPage(QScrollArea):
    def __init__(self, dock, parent=None):
        super().__init__(parent)
        self.dock = dock
        self.setObjectName("page_settings")
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget(self)
        outer = QVBoxLayout(body)
        outer.setContentsMargins(6, 6, 6, 6)
        s = settings_mod.load()

        # models
        box = QGroupBox(tr("Models"), body)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.models = {}
        for task, label in (("generate", tr("Generate:")), ("superres", tr("Super-resolve:")),
                            ("inpaint", tr("Inpaint:")), ("predict", tr("Multi-date predict:"))):
            widget = QgsFileWidget(box)
            widget.setObjectName(f"model_{task}")
            widget.setStorageMode(QgsFileWidget.StorageMode.GetDirectory)
            widget.setDialogTitle(tr("Model folder"))
            widget.lineEdit().setPlaceholderText(tr("bundled {}").format(settings_mod.BUNDLED))
            value = s.model_for(task)
            widget.setFilePath("" if value == settings_mod.BUNDLED else value)
            widget.fileChanged.connect(lambda path, task=task: self._model_chosen(task, path))
            form.addRow(label, widget)
            self.models[task] = widget
        self.model_report = QPlainTextEdit(box)
        self.model_report.setObjectName("model_report")
        self.model_report.setReadOnly(True)
        self.model_report.setPlaceholderText(tr("Choose a model folder to check it; empty uses the bundled model."))
        self.model_report.setMaximumHeight(90)
        form.addRow(self.model_report)
        self.install_file_button = QPushButton(tr("Install model from file…"), box)
        self.install_file_button.setObjectName("install_model_file")
        self.install_file_button.setToolTip(tr("For computers without internet: the demo model's zip "
                                               "(diffusionsat-mini-<version>.zip) from the project's releases."))
        self.install_file_button.clicked.connect(self.install_model_file)
        form.addRow(self.install_file_button)
        self.install_task = None
        self.ask_archive = lambda: QFileDialog.getOpenFileName(  # tests swap it (a modal dialog waits)
            self, tr("Model archive"), "", tr("Zip archives (*.zip)"))[0]
        outer.addWidget(box)

        # sampling
        box = QGroupBox(tr("Sampling"), body)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.device = QComboBox(box)
        self.device.setObjectName("device")
        for label, value in ((tr("Automatic"), "auto"), (tr("CPU"), "cpu"), (tr("CUDA (NVIDIA GPU)"), "cuda")):
            self.device.addItem(label, value)
        form.addRow(tr("Device:"), self.device)
        self.precision = QComboBox(box)
        self.precision.setObjectName("precision")
        for label, value in ((tr("float32 (exact)"), "float32"), (tr("bfloat16 (faster)"), "bfloat16"),
                             (tr("float16 (CUDA only)"), "float16")):
            self.precision.addItem(label, value)
        form.addRow(tr("Precision:"), self.precision)
        self.steps = QSpinBox(box)
        self.steps.setObjectName("steps")
        self.steps.setRange(1, 1000)
        form.addRow(tr("Steps:"), self.steps)
        self.scheduler = QComboBox(box)
        self.scheduler.setObjectName("scheduler")
        self.scheduler.addItem(tr("DDIM (as in the paper)"), "ddim")
        self.scheduler.addItem(tr("DPM-Solver++ (fewer steps)"), "dpm++")
        form.addRow(tr("Scheduler:"), self.scheduler)
        self.guidance = QDoubleSpinBox(box)
        self.guidance.setObjectName("guidance")
        self.guidance.setRange(settings_mod.choices.NO_GUIDANCE, settings_mod.choices.MAX_GUIDANCE)
        self.guidance.setDecimals(1)
        self.guidance.setSingleStep(0.5)
        self.guidance_auto = QCheckBox(tr("Model's recommendation"), box)
        self.guidance_auto.setObjectName("guidance_auto")
        self.guidance_auto.toggled.connect(lambda on: self.guidance.setEnabled(not on))
        guidance_row = QHBoxLayout()
        guidance_row.addWidget(self.guidance_auto)
        guidance_row.addWidget(self.guidance)
        form.addRow(tr("Guidance:"), guidance_row)
        row = QHBoxLayout()
        self.seed_mode = QComboBox(box)
        self.seed_mode.setObjectName("seed_mode")
        self.seed_mode.addItem(tr("Random"), "random")
        self.seed_mode.addItem(tr("Fixed"), "fixed")
        self.seed = QLineEdit(box)
        self.seed.setObjectName("seed")
        self.seed.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{1,18}"), self.seed))
        row.addWidget(self.seed_mode)
        row.addWidget(self.seed, 1)
        form.addRow(tr("Seed:"), row)
        self.last_seed = QLabel("", box)
        self.last_seed.setObjectName("last_seed")
        self.use_last = QPushButton(tr("Reuse"), box)
        self.use_last.setObjectName("reuse_seed")
        self.use_last.setToolTip(tr("Fix the seed to the one of the latest run, to reproduce it."))
        self.use_last.clicked.connect(self._reuse_seed)
        row = QHBoxLayout()
        row.addWidget(self.last_seed, 1)
        row.addWidget(self.use_last)
        form.addRow(tr("Latest seed:"), row)
        self.samples = QSpinBox(box)
        self.samples.setObjectName("samples")
        self.samples.setRange(1, 64)
        self.samples.setToolTip(tr("More than one: the output is the mean of the samples, and a second layer "
                                   "shows their spread (uncertainty)."))
        form.addRow(tr("Samples:"), self.samples)
        outer.addWidget(box)

        # tiles and output
        box = QGroupBox(tr("Tiles and output"), body)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.tile_size = QSpinBox(box)
        self.tile_size.setObjectName("tile_size")
        self.tile_size.setRange(0, 4096)
        self.tile_size.setSingleStep(64)
        self.tile_size.setSpecialValueText(tr("model's native size"))
        self.tile_size.setSuffix(tr(" px"))
        form.addRow(tr("Tile size:"), self.tile_size)
        self.overlap = QSpinBox(box)
        self.overlap.setObjectName("overlap")
        self.overlap.setRange(0, 1024)
        self.overlap.setSingleStep(8)
        self.overlap.setSuffix(tr(" px"))
        form.addRow(tr("Tile overlap:"), self.overlap)
        self.threads = QSpinBox(box)
        self.threads.setObjectName("threads")
        self.threads.setRange(0, 1024)
        self.threads.setSpecialValueText(tr("automatic"))
        self.threads.setToolTip(tr("CPU threads. Automatic: one for small models, all cores for large ones, "
                                   "waiting without spinning so that other programs keep their share."))
        form.addRow(tr("CPU threads:"), self.threads)
        self.confirm_minutes = QDoubleSpinBox(box)
        self.confirm_minutes.setObjectName("confirm_minutes")
        self.confirm_minutes.setRange(0.0, 10000.0)
        self.confirm_minutes.setDecimals(1)
        self.confirm_minutes.setSpecialValueText(tr("never ask"))
        self.confirm_minutes.setSuffix(tr(" min"))
        self.confirm_minutes.setToolTip(tr("Ask before starting a job estimated to take longer than this."))
        form.addRow(tr("Ask before jobs longer than:"), self.confirm_minutes)
        self.output = QgsFileWidget(box)
        self.output.setObjectName("output_folder")
        self.output.setStorageMode(QgsFileWidget.StorageMode.GetDirectory)
        self.output.setDialogTitle(tr("Output folder"))
        self.output.lineEdit().setPlaceholderText(str(settings_mod.default_output_folder()))
        form.addRow(tr("Output folder:"), self.output)
        outer.addWidget(box)

        self.cluster = ClusterBox(body)
        outer.addWidget(self.cluster)

        self.deps_button = QPushButton(tr("Dependencies and diagnostics…"), body)
        self.deps_button.setObjectName("deps_button")
        self.deps_button.clicked.connect(self.dock.show_dependencies)
        outer.addWidget(self.deps_button)
        outer.addStretch(1)
        self.setWidget(body)
        for combo in body.findChildren(QComboBox):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
        for form in body.findChildren(QFormLayout):
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)

        self.load(s)
        for combo in (self.device, self.precision, self.scheduler, self.seed_mode):
            combo.currentIndexChanged.connect(self.save)
        for spin in (self.steps, self.guidance, self.samples, self.tile_size, self.overlap, self.threads,
                     self.confirm_minutes):
            spin.valueChanged.connect(self.save)
        self.guidance_auto.toggled.connect(self.save)
        self.seed.textEdited.connect(self.save)
        self.output.fileChanged.connect(self.save)
        self.cluster.changed.connect(self.save)

    # ------------------------------------------------------------------ load / save
    def load(self, s: settings_mod.Settings):
        for combo, value in ((self.device, s.device), (self.precision, s.precision), (self.scheduler, s.scheduler),
                             (self.seed_mode, s.seed_mode)):
            index = combo.findData(value)
            combo.setCurrentIndex(max(0, index))
        self.steps.setValue(int(s.steps))
        self.guidance.setValue(float(s.guidance))
        self.guidance_auto.setChecked(bool(s.guidance_auto))
        self.guidance.setEnabled(not s.guidance_auto)
        self.seed.setText(str(int(s.seed)))
        self.tile_size.setValue(int(s.tile_size))
        self.samples.setValue(max(1, int(s.samples)))
        self.overlap.setValue(int(s.overlap))
        self.threads.setValue(int(s.threads))
        self.confirm_minutes.setValue(float(s.confirm_minutes))
        self.output.setFilePath(s.output_folder)
        self.cluster.load(s)
        self.show_last_seed(s.last_seed)
        self.seed.setEnabled(s.seed_mode == "fixed")

    def current(self) -> settings_mod.Settings:
        s = settings_mod.load()
        for task, widget in self.models.items():
            setattr(s, f"model_{task}", widget.filePath().strip() or settings_mod.BUNDLED)
        s.device = self.device.currentData()
        s.precision = self.precision.currentData()
        s.steps = self.steps.value()
        s.scheduler = self.scheduler.currentData()
        s.guidance = self.guidance.value()
        s.guidance_auto = self.guidance_auto.isChecked()
        s.seed_mode = self.seed_mode.currentData()
        s.seed = int(self.seed.text() or 0)
        s.tile_size = self.tile_size.value()
        s.samples = self.samples.value()
        s.overlap = self.overlap.value()
        s.threads = self.threads.value()
        s.confirm_minutes = self.confirm_minutes.value()
        s.output_folder = self.output.filePath().strip()
        self.cluster.store(s)
        return s

    def save(self, *_args):
        s = self.current()
        self.seed.setEnabled(s.seed_mode == "fixed")
        settings_mod.save(s)

    def show_last_seed(self, seed: int):
        self.last_seed.setText(str(seed) if seed is not None and int(seed) >= 0 else tr("none yet"))
        self.use_last.setEnabled(seed is not None and int(seed) >= 0)

    def _reuse_seed(self):
        seed = settings_mod.load().last_seed
        if seed >= 0:
            self.seed_mode.setCurrentIndex(self.seed_mode.findData("fixed"))
            self.seed.setText(str(int(seed)))
            self.save()

    def install_model_file(self):
        """Unpack, validate and register the demo model's zip in a background task (it takes seconds)."""
        from ...backend import hub
        from ..tasks import BackendTask

        archive = self.ask_archive()
        if not archive or self.install_task is not None:
            return

        def done(info):
            self.install_task = None
            self.install_file_button.setEnabled(True)
            self.model_report.setPlainText(tr("Installed {} in {}.").format(info.name, info.path))
            if hasattr(self.dock, "model_ready"):
                self.dock.model_ready()

        def failed(message, _details=None):
            self.install_task = None
            self.install_file_button.setEnabled(True)
            self.model_report.setPlainText(tr("The model was not installed: {}").format(message))

        self.install_task = BackendTask(tr("DiffusionSat: install a model from a file"),
                                        lambda progress, cancelled: hub.install_model_file(archive),
                                        on_done=done, on_error=failed,
                                        on_cancel=lambda: failed(tr("cancelled")))
        self.install_file_button.setEnabled(False)
        self.model_report.setPlainText(tr("Installing {}…").format(archive))
        QgsApplication.taskManager().addTask(self.install_task)

    def _model_chosen(self, task: str, path: str):
        path = path.strip()
        self.save()
        page = getattr(self.dock, "pages", {}).get(task)
        if page is not None:  # its Run button and status line say whether the folder can be used
            page.revalidate()
        if not path:
            self.model_report.setPlainText(tr("{}: the bundled model {}.").format(task, settings_mod.BUNDLED))
            return
        ok, report = check_model(path)
        head = tr("Model folder usable.") if ok else tr("This folder cannot be used as a model:")
        self.model_report.setPlainText(f"{head}\n{report}")
        self.models[task].setStyleSheet("" if ok else "QLineEdit { border: 1px solid #d62828; }")
