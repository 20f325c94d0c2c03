"""Missing dependencies: what is missing, a one-click install into a per-user folder, and diagnostics.

The packages are installed with pip into ``<QGIS profile>/python/diffusionsat-deps`` (outside the plugin
folder, so plugin upgrades keep them), which :func:`activate_deps_folder` appends to ``sys.path`` when the
plugin starts. It is appended, not prepended: QGIS's own numpy, GDAL and PyQt always win over what pip
brought along.

pip runs in a :class:`QProcess`, so QGIS stays responsive, with the Python interpreter QGIS itself runs.
That is not ``sys.executable`` inside QGIS (on Linux it is the ``qgis`` binary, on Windows
``qgis-bin.exe``): :func:`python_interpreter` looks for ``pythonX.Y`` / ``python3`` / ``python`` beside
``sys.prefix`` (``bin/`` on Linux and macOS, the prefix itself on Windows / OSGeo4W) and then on ``PATH``,
preferring the exact ``X.Y`` of the running Python.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
import sys
from pathlib import Path
from typing import List, Optional

from qgis.core import Qgis, QgsApplication
from qgis.PyQt.QtCore import QProcess
from qgis.PyQt.QtGui import QFontDatabase
from qgis.PyQt.QtWidgets import (QApplication, QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QPlainTextEdit,
                                 QPushButton, QVBoxLayout)

from . import settings as settings_mod
from .deps import REQUIRED, missing_dependencies
from .i18n import tr

PLUGIN_DIR = Path(__file__).resolve().parents[1]
#: Installed by the distribution with QGIS (same GDAL/PROJ as QGIS): never pip-installed by us.
SYSTEM_PACKAGES = {"rasterio", "pyproj", "shapely"}


def deps_folder() -> Path:
    """The per-user folder the plugin installs its Python packages into (outside the plugin folder)."""
    return Path(QgsApplication.qgisSettingsDirPath()) / "python" / "diffusionsat-deps"


def activate_deps_folder() -> bool:
    """Append the per-user packages folder to sys.path if it exists; True when it is on sys.path."""
    folder = deps_folder()
    if not folder.is_dir():
        return False
    if str(folder) not in sys.path:
        sys.path.append(str(folder))
        importlib.invalidate_caches()
    return True


def python_interpreter() -> Optional[str]:
    """The Python interpreter QGIS runs (not the qgis binary), or None when it cannot be found."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    windows = os.name == "nt"
    names = [f"python{version}", "python3", "python"]
    if windows:
        names = ["python.exe", "python3.exe"]
    candidates: List[Path] = []
    for exe in (sys.executable, getattr(sys, "_base_executable", "")):
        if exe and Path(exe).name.lower().startswith("python"):
            candidates.append(Path(exe))
    for prefix in dict.fromkeys((sys.prefix, sys.exec_prefix, sys.base_prefix)):
        for sub in (("",) if windows else ("bin",)):
            for name in names:
                candidates.append(Path(prefix) / sub / name)
    for name in names:
        found = shutil.which(name)
        if found:
            candidates.append(Path(found))
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return None


def pip_requirements() -> List[str]:
    """The pinned pip requirements of the missing packages (the distribution's packages excluded)."""
    missing = {m.module for m in missing_dependencies()}
    return [req for module, req, _ in REQUIRED if module in missing and module not in SYSTEM_PACKAGES]


def pip_arguments(requirements: List[str], target: Path) -> List[str]:
    return ["-m", "pip", "install", "--upgrade", "--target", str(target), "--no-warn-script-location",
            "--disable-pip-version-check", *requirements]


def _version(module: str) -> str:
    names = {"torch": "torch", "shapely": "shapely"}
    try:
        return importlib.metadata.version(names.get(module, module))
    except importlib.metadata.PackageNotFoundError:
        return tr("missing")


def _plugin_version() -> str:
    try:
        for line in (PLUGIN_DIR / "metadata.txt").read_text(encoding="utf-8").splitlines():
            if line.startswith("version="):
                return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return "?"


def device_report() -> str:
    """CUDA / MPS availability (imports torch: call it on demand only)."""
    try:
        import torch
    except Exception as exc:  # not installed or broken
        return tr("torch cannot be imported: {}").format(exc)
    lines = [f"torch {torch.__version__}, CUDA build {torch.version.cuda or '-'}"]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            lines.append(tr("CUDA device {}: {}").format(i, torch.cuda.get_device_name(i)))
    else:
        lines.append(tr("CUDA: not available, the CPU is used"))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        lines.append(tr("Apple MPS: available"))
    return "\n".join(lines)


def diagnostics(probe_device: bool = False) -> str:
    """A plain-text report to paste into a bug report."""
    s = settings_mod.load()
    folder = deps_folder()
    lines = [
        f"DiffusionSat {_plugin_version()}: {PLUGIN_DIR}",
        f"QGIS {Qgis.QGIS_VERSION}",
        f"Python {platform.python_version()} ({sys.executable})",
        tr("Python interpreter for pip: {}").format(python_interpreter() or tr("not found")),
        f"{platform.platform()}",
        tr("Packages folder: {} ({})").format(
            folder, tr("on sys.path") if str(folder) in sys.path else tr("not used")),
        "",
    ]
    for module, requirement, _purpose in REQUIRED:
        lines.append(f"{module}: {_version(module)} ({tr('wanted')} {requirement})")
    lines.append("")
    if probe_device:
        lines.append(device_report())
    elif "torch" in sys.modules:
        lines.append(device_report())
    else:
        lines.append(tr("Device: not checked (press Check device)"))
    lines += [
        "",
        tr("Device setting: {}, precision {}").format(s.device, s.precision),
    ]
    for task in settings_mod.TASKS:
        lines.append(tr("Model for {}: {}").format(task, s.model_for(task)))
    lines.append(tr("Output folder: {}").format(settings_mod.output_folder(s)))
    return "\n".join(lines)


class DependenciesDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("diffusionsat_deps_dialog")
        self.setWindowTitle(tr("DiffusionSat: dependencies and diagnostics"))
        self.resize(640, 520)
        self.process: Optional[QProcess] = None
        layout = QVBoxLayout(self)
        self.missing_label = QLabel(self)
        self.missing_label.setObjectName("missing_list")
        self.missing_label.setWordWrap(True)
        layout.addWidget(self.missing_label)
        row = QHBoxLayout()
        self.install_button = QPushButton(tr("Install the missing packages"), self)
        self.install_button.setObjectName("install_button")
        self.install_button.clicked.connect(self.install)
        self.stop_button = QPushButton(tr("Stop"), self)
        self.stop_button.setObjectName("stop_button")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        row.addWidget(self.install_button)
        row.addWidget(self.stop_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.where = QLabel(tr("Packages are installed into {} with {}.").format(
            deps_folder(), python_interpreter() or tr("(no Python interpreter found)")), self)
        self.where.setWordWrap(True)
        layout.addWidget(self.where)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("diagnostics")
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        layout.addWidget(self.text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = buttons.addButton(tr("Copy"), QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setObjectName("copy_button")
        self.copy_button.clicked.connect(self.copy)
        self.device_button = buttons.addButton(tr("Check device"), QDialogButtonBox.ButtonRole.ActionRole)
        self.device_button.setObjectName("device_button")
        self.device_button.clicked.connect(lambda: self.refresh(probe_device=True))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.log = ""
        self.refresh()

    def refresh(self, probe_device: bool = False):
        missing = missing_dependencies()
        if missing:
            lines = "\n".join(f"• {m.module} ({m.requirement}): {m.purpose}" for m in missing)
            self.missing_label.setText(tr("These packages are missing:") + "\n" + lines)
        else:
            self.missing_label.setText(tr("All the packages DiffusionSat needs are installed."))
        self.install_button.setEnabled(bool(pip_requirements()) and self.process is None)
        report = diagnostics(probe_device=probe_device)
        self.text.setPlainText(report + ("\n\n" + self.log if self.log else ""))

    def copy(self):
        QApplication.clipboard().setText(self.text.toPlainText())

    def install(self):
        python = python_interpreter()
        requirements = pip_requirements()
        if python is None or not requirements or self.process is not None:
            if python is None:
                self._append(tr("No Python interpreter was found next to {}.").format(sys.prefix))
            return
        target = deps_folder()
        target.mkdir(parents=True, exist_ok=True)
        # QProcess, not subprocess: asynchronous, QGIS stays responsive; a fixed argument list, no shell.
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        self.process.readyReadStandardOutput.connect(self._read)
        self.process.finished.connect(self._finished)
        arguments = pip_arguments(requirements, target)
        self.log = "$ " + " ".join([python, *arguments]) + "\n"
        self.text.setPlainText(self.log)
        self.install_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.process.start(python, arguments)

    def _append(self, text: str):
        self.log += text
        self.text.appendPlainText(text.rstrip("\n"))

    def _read(self):
        if self.process is not None:
            self._append(bytes(self.process.readAllStandardOutput()).decode("utf-8", errors="replace"))

    def _finished(self, code: int, _status=None):
        self.process = None
        self.stop_button.setEnabled(False)
        if code == 0:
            activate_deps_folder()
            self.log += "\n" + tr("Installed. Restart QGIS to use DiffusionSat.") + "\n"
        else:
            self.log += "\n" + tr("pip failed (exit code {}): see the messages above.").format(code) + "\n"
        self.refresh()

    def stop(self):
        if self.process is not None:
            self.process.kill()
            self.process.waitForFinished(3000)
            self.process = None
            self.stop_button.setEnabled(False)
