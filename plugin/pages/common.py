"""What every task page shares: field validation, band pickers, Run/Cancel/progress, results as layers."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from qgis.core import (Qgis, QgsApplication, QgsContrastEnhancement, QgsMultiBandColorRenderer, QgsProject,
                       QgsRasterLayer, QgsSingleBandGrayRenderer)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QMessageBox, QProgressBar,
                                 QPushButton, QSizePolicy, QVBoxLayout, QWidget)

from ..compat import STAT_MAX, STAT_MIN
from .. import settings as settings_mod
from ..i18n import tr
from ..tasks import BackendTask
from ..layers import LayerError, band_descriptions

INVALID_STYLE = "border: 1px solid #d62828; background-color: #fde8e8;"


def mark(widget: QWidget, error: Optional[str], hint: str = "") -> bool:
    """Red border and the reason as tooltip when ``error``; the normal look and ``hint`` otherwise."""
    widget.setProperty("invalid", bool(error))
    widget.setStyleSheet(INVALID_STYLE if error else "")
    widget.setToolTip(error or hint)
    return not error


def narrow(combo: QComboBox, chars: int = 8) -> QComboBox:
    """A combo box that does not widen the dock for long items (set before any size is computed)."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return combo


def float_or_none(text: str) -> Optional[float]:
    try:
        return float(str(text).strip().replace(",", "."))
    except ValueError:
        return None


def int_list(text: str) -> Optional[List[int]]:
    """'3, 8,9 10' -> [3, 8, 9, 10]; None when any item is not a non-negative integer or the list is empty."""
    items = [t for t in str(text).replace(";", ",").replace(" ", ",").split(",") if t.strip()]
    try:
        values = [int(t) for t in items]
    except ValueError:
        return None
    if not values or any(v < 0 for v in values):
        return None
    return values


def default_runner(job, model, progress, cancel):
    """Runs a job in the worker thread with the backend (here or on the Dask cluster of the settings);
    None when it was cancelled."""
    from ...backend.cancel import Cancelled
    from ..cluster_jobs import run_job

    try:
        return run_job(job, model, progress=progress, cancel=cancel)
    except Cancelled:
        return None


_MODEL_CHECKS: Dict[tuple, Optional[str]] = {}


def model_error(name_or_path: str) -> Optional[str]:
    """Why the task's model folder cannot be used, or None (the bundled model; checked once per folder
    state, as the check reads the weight files' headers)."""
    if not name_or_path or name_or_path == settings_mod.BUNDLED:
        return None
    path = Path(name_or_path)
    try:
        key = (str(path), path.stat().st_mtime_ns)
    except OSError:
        return tr("The model folder {} does not exist (Settings).").format(name_or_path)
    if key not in _MODEL_CHECKS:
        from .settings_page import check_model

        ok, report = check_model(str(path))
        first = next((line.strip() for line in str(report).splitlines() if line.strip()), "")
        _MODEL_CHECKS[key] = None if ok else tr("The model folder {} cannot be used (Settings): {}").format(
            name_or_path, first)
    return _MODEL_CHECKS[key]


def default_estimator(job, model):
    """How long the job will take (backend.estimate.Estimate): loads the model, times one model call.
    None for a job sent to a Dask cluster: this machine's speed says nothing about the cluster's."""
    from ...backend.api import estimate_job
    from ..cluster_jobs import cluster_address

    if cluster_address() is not None:
        return None

    return estimate_job(job, model=model)


def ask_to_continue(parent, text: str) -> bool:
    """The question before a long job (tests swap in a stand-in: a modal box would wait for a click)."""
    answer = QMessageBox.question(parent, tr("DiffusionSat"), tr("{}. Start it?").format(text),
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def timestamp() -> str:
    return _dt.datetime.now().strftime("%Y-%m-%d %H:%M")


def output_path(task: str, settings: settings_mod.Settings) -> Path:
    """<output folder>/<task>_<YYYYmmdd_HHMMSS>.tif, created if needed, never overwriting a file."""
    folder = settings_mod.output_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{task}_{_dt.datetime.now().strftime('%Y%m%d_%H%M%S')}"
    path = folder / f"{stem}.tif"
    n = 2
    while path.exists():
        path = folder / f"{stem}_{n}.tif"
        n += 1
    return path


def stretch_rgb(layer: QgsRasterLayer) -> None:
    """Bands 1-3 as RGB (one band as grey), each stretched to its min/max."""
    provider = layer.dataProvider()
    count = layer.bandCount()
    if count == 0:
        return

    def enhancement(band: int) -> QgsContrastEnhancement:
        stats = provider.bandStatistics(band, STAT_MIN | STAT_MAX)
        ce = QgsContrastEnhancement(provider.dataType(band))
        ce.setContrastEnhancementAlgorithm(QgsContrastEnhancement.ContrastEnhancementAlgorithm.StretchToMinimumMaximum)
        ce.setMinimumValue(stats.minimumValue)
        ce.setMaximumValue(stats.maximumValue if stats.maximumValue > stats.minimumValue else stats.minimumValue + 1)
        return ce

    if count >= 3:
        renderer = QgsMultiBandColorRenderer(provider, 1, 2, 3)
        renderer.setRedContrastEnhancement(enhancement(1))
        renderer.setGreenContrastEnhancement(enhancement(2))
        renderer.setBlueContrastEnhancement(enhancement(3))
    else:
        renderer = QgsSingleBandGrayRenderer(provider, 1)
        renderer.setContrastEnhancement(enhancement(1))
    layer.setRenderer(renderer)
    layer.triggerRepaint()


class BandPicker(QWidget):
    """One combo box per wanted band, pre-selected from the band descriptions when recognised."""

    def __init__(self, wanted: Sequence[Tuple[str, Tuple[str, ...]]], columns: int = 2, parent=None, chars: int = 4):
        """``wanted``: (label, names to look for) per band, e.g. ("B8A", ("B8A",))."""
        super().__init__(parent)
        self.wanted = list(wanted)
        self.combos: Dict[str, QComboBox] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        for i, (label, _) in enumerate(self.wanted):
            row, col = divmod(i, columns)
            name = QLabel(label, self)
            combo = narrow(QComboBox(self), chars)
            combo.setObjectName(f"band_{label}")
            grid.addWidget(name, row, col * 2)
            grid.addWidget(combo, row, col * 2 + 1)
            self.combos[label] = combo
        for col in range(columns):
            grid.setColumnStretch(col * 2 + 1, 1)
        self.matched: Dict[str, bool] = {}

    def set_layer(self, layer: Optional[QgsRasterLayer], fallback_first: bool = False) -> None:
        from ..layers import find_band

        descriptions = band_descriptions(layer) if layer is not None else []
        for i, (label, names) in enumerate(self.wanted):
            combo = self.combos[label]
            combo.blockSignals(True)
            combo.clear()
            for b, description in enumerate(descriptions, start=1):
                combo.addItem(f"{b}: {description}" if description else tr("Band {}").format(b), b)
            index = find_band(descriptions, names)
            self.matched[label] = index is not None
            if index is None and fallback_first and i < len(descriptions):
                index = i + 1
            combo.setCurrentIndex(index - 1 if index else -1)
            combo.blockSignals(False)

    def bands(self) -> List[Optional[int]]:
        return [self.combos[label].currentData() for label, _ in self.wanted]

    def complete(self) -> bool:
        return all(b is not None for b in self.bands())


class TaskPage(QWidget):
    """A task page: form fields (subclass), then Run, Cancel, a progress bar and a status line."""

    task = ""  # generate / superres / inpaint / predict

    def __init__(self, dock, parent=None):
        super().__init__(parent)
        self.dock = dock
        self.iface = dock.iface
        self.runner: Callable = default_runner  # tests swap in a stand-in
        self.estimator: Optional[Callable] = default_estimator  # None: start without an estimate
        self.confirm: Callable = ask_to_continue
        self.status_is_hint = False
        self.run_input: Optional[Tuple[str, str]] = None  # (id, name) of the running job's input layer
        self.running: Optional[BackendTask] = None
        self.last_result = None
        self.closed = False
        self.setObjectName(f"page_{self.task}")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        self.form = QVBoxLayout()
        outer.addLayout(self.form)
        outer.addStretch(1)

        self.status = QLabel("", self)
        self.status.setObjectName("status_label")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.status)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("progress")
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        outer.addWidget(self.progress)
        buttons = QHBoxLayout()
        self.run_button = QPushButton(tr("Run"), self)
        self.run_button.setObjectName("run_button")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton(tr("Cancel"), self)
        self.cancel_button.setObjectName("cancel_button")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        buttons.addStretch(1)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        outer.addLayout(buttons)

    # ------------------------------------------------------------------ for subclasses
    def title(self) -> str:
        raise NotImplementedError

    def field_errors(self) -> List[str]:
        """Validate (and mark) every field; the reasons, empty when the form can run."""
        return []

    def build_job(self):
        """A backend job from the fields (no output path yet); raises JobError/LayerError/ValueError."""
        raise NotImplementedError

    # ------------------------------------------------------------------ shared
    def settings(self) -> settings_mod.Settings:
        return settings_mod.load()

    def revalidate(self, *_args) -> bool:
        """Run is enabled only when every field and the task's model folder are usable; the first reason
        replaces the status line (an old "Done in …" must not stay next to a form that cannot run)."""
        errors = self.field_errors()
        problem = model_error(self.settings().model_for(self.task))
        if problem:
            errors.append(problem)
        self.run_button.setEnabled(not errors and self.running is None)
        self.run_button.setToolTip("\n".join(errors))
        if self.running is None:
            if errors:
                self.show_status(errors[0], hint=True)
            elif self.status_is_hint:
                self.show_status("")
        return not errors

    def sampling(self):
        from ...backend import choices
        from ...backend.jobs import SamplingOptions, TilingOptions

        s = self.settings()
        guidance = choices.RECOMMENDED_GUIDANCE if s.guidance_auto else s.guidance
        sampling = SamplingOptions(steps=s.steps, guidance=guidance, scheduler=s.scheduler,
                                   seed=s.seed if s.seed_mode == "fixed" else None, num_samples=max(1, s.samples),
                                   device=s.device, precision=s.precision, threads=s.threads or None)
        tiling = TilingOptions(tile_size=s.tile_size or None, overlap=s.overlap)
        return sampling, tiling

    def prepare(self):
        """The validated job with its output path and sampling settings; shows the reason and returns None."""
        from ...backend.jobs import JobError

        errors = self.field_errors()
        if errors:
            self.show_status(errors[0], error=True)
            return None
        try:
            job = self.build_job()
            job.sampling, job.tiling = self.sampling()
            job.output = str(output_path(self.task, self.settings()))
            job.validate()  # once, with everything set (the backend trusts a job validated here)
        except (JobError, LayerError, ValueError, OSError) as exc:
            self.show_status(str(exc), error=True)
            return None
        return job

    def run(self):
        """Estimate the time (in a background task), ask above the settings' threshold, then run."""
        if self.running is not None:
            return
        job = self.prepare()
        if job is None:
            return
        model = self.settings().model_for(self.task) or settings_mod.BUNDLED
        layer = self.input_layer()  # now: the user may pick another layer while the task runs
        self.run_input = (layer.id(), layer.name()) if layer is not None else None
        estimator = self.estimator
        if estimator is None:
            self._launch(job, model, tr("Running…"))
            return
        # an estimate that fails (a bad model, an unreadable input) is not reported here: the run says why
        self._start(tr("DiffusionSat: estimating {}").format(self.title().lower()),
                    lambda progress, cancelled: estimator(job, model),
                    on_done=lambda estimate: self._estimated(job, model, estimate),
                    on_error=lambda message, details: self._estimated(job, model, None),
                    status=tr("Estimating the time…"))

    def _estimated(self, job, model, estimate):
        if self.closed:
            return
        self.running = None
        if estimate is None:
            self._launch(job, model, tr("Running…"))
            return
        text = tr("This will take {}").format(estimate.text())
        limit = float(self.settings().confirm_minutes or 0)
        if limit > 0 and estimate.seconds > 60.0 * limit and not self.confirm(self, text):
            self._finish()
            self.show_status(tr("Not started. {}.").format(text))
            return
        self._launch(job, model, tr("Running: {}…").format(estimate.text()))

    def _launch(self, job, model, status: str):
        runner = self.runner
        self.job = job
        self._start(tr("DiffusionSat: {}").format(self.title()), lambda progress, cancelled:
                    runner(job, model, progress, cancelled), on_done=self._done, on_error=self._error, status=status)

    def _start(self, description: str, work: Callable, on_done: Callable, on_error: Callable, status: str):
        task = BackendTask(description, work, on_done=on_done, on_error=on_error, on_cancel=self._cancelled)
        task.progressChanged.connect(self._progress)
        task.message.connect(self._message)
        self.running = task
        self.progress.setValue(0)
        self.show_status(status)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        QgsApplication.taskManager().addTask(task)

    def cancel(self):
        if self.running is not None:
            self.show_status(tr("Cancelling…"))
            self.running.cancel()

    # ------------------------------------------------------------------ map tools (pages that draw)
    def switch_map_tool(self, checked: bool, make_tool: Callable):
        """The draw button's toggle: activate the page's tool (made once by ``make_tool()``) or give the
        canvas back the tool it had before."""
        canvas = self.canvas
        if checked:
            if self.tool is None:
                self.tool = make_tool()
                self.tool.deactivated.connect(lambda: self.draw_button.setChecked(False))
            if canvas.mapTool() is not self.tool:
                self.previous_tool = canvas.mapTool()
                canvas.setMapTool(self.tool)
        elif self.tool is not None and canvas.mapTool() is self.tool:
            if self.previous_tool is not None:
                canvas.setMapTool(self.previous_tool)
            else:
                canvas.unsetMapTool(self.tool)

    def release(self):
        """Stop the page's task and remove its map tool (and what it drew) from the canvas."""
        self.stop()
        tool = getattr(self, "tool", None)
        if tool is not None:
            if self.canvas.mapTool() is tool:
                self.canvas.unsetMapTool(tool)
            tool.release()
            self.tool = None

    def stop(self):
        """The dock goes away: cancel a running task and ignore what it reports later."""
        self.closed = True
        if self.running is not None:
            self.running.cancel()
            self.running = None

    # ------------------------------------------------------------------ task callbacks (main thread)
    def _progress(self, value: float):
        if not self.closed:
            self.progress.setValue(int(value))

    def _message(self, text: str):
        if not self.closed and text:
            self.show_status(text)

    def _finish(self):
        self.running = None
        self.cancel_button.setEnabled(False)
        self.revalidate()

    def _done(self, result):
        if self.closed:
            return
        self._finish()
        if result is None:  # the backend stopped on cancel
            self._cancelled()
            return
        self.last_result = result
        self.progress.setValue(100)
        s = self.settings()
        seed = getattr(result, "seed", None)
        if seed is not None:
            s.last_seed = int(seed)
            settings_mod.save(s)
            if hasattr(self.dock, "seed_used"):
                self.dock.seed_used(int(seed))
        source_id, source_name = self.run_input or (None, None)
        if source_name:
            name = tr("DiffusionSat {} – {} – {}").format(self.title().lower(), source_name, timestamp())
        else:
            name = tr("DiffusionSat {} {}").format(self.title().lower(), timestamp())
        layer = self.add_layer(str(result.output), name, above=source_id)
        uncertainty = getattr(result, "uncertainty", None)
        if uncertainty:  # between the result and its input
            self.add_layer(str(uncertainty), tr("{} uncertainty").format(name), stretch=False, above=source_id)
        seconds = float(getattr(result, "seconds", 0.0) or 0.0)
        status = tr("Done in {} s (seed {}): {}").format(f"{seconds:.1f}", seed, result.output)
        caveat = getattr(result, "caveat", None)  # the model folder's own word on what it cannot do
        if caveat:
            status += "\n" + tr("About this model: {}").format(caveat)
        self.show_status(status)
        return layer

    def _error(self, message: str, details: Optional[str]):
        if self.closed:
            return
        self._finish()
        self.progress.setValue(0)
        self.show_status(message, error=True)
        bar = self.iface.messageBar()
        widget = bar.createMessage(tr("DiffusionSat {}").format(self.title().lower()), message)
        if details:
            button = QPushButton(tr("Details…"), widget)
            button.clicked.connect(lambda: QMessageBox.critical(self, tr("DiffusionSat error"),
                                                                message + "\n\n" + details))
            widget.layout().addWidget(button)
        bar.pushWidget(widget, Qgis.MessageLevel.Critical)

    def _cancelled(self):
        if self.closed:
            return
        self._finish()
        self.progress.setValue(0)
        self.show_status(tr("Cancelled: nothing was written."))

    # ------------------------------------------------------------------ helpers
    def input_layer(self):
        """The layer the result is made from (results are named after it and placed above it), if any."""
        return None

    def add_layer(self, path: str, name: str, stretch: bool = True, above: Optional[str] = None
                  ) -> Optional[QgsRasterLayer]:
        """Add ``path`` as a layer directly above the layer with id ``above`` in its group, else at the top of
        the layer tree: never under its input (QGIS's default places it above whichever layer is selected)."""
        layer = QgsRasterLayer(path, name, "gdal")
        if not layer.isValid():
            self.show_status(tr("The output {} could not be opened as a layer.").format(path), error=True)
            return None
        if stretch:
            stretch_rgb(layer)
        project = QgsProject.instance()
        project.addMapLayer(layer, False)
        root = project.layerTreeRoot()
        node = root.findLayer(above) if above else None
        group = node.parent() if node is not None else root
        index = group.children().index(node) if node is not None else 0
        group.insertLayer(index, layer)
        return layer

    def show_status(self, text: str, error: bool = False, hint: bool = False):
        """``hint``: why Run is disabled (replaced as soon as the form changes)."""
        self.status_is_hint = hint
        self.status.setText(text)
        self.status.setStyleSheet("color: #b00020;" if error else ("color: #6c6c6c;" if hint else ""))
