"""Missing dependencies: what is missing, a one-click install into a per-user folder, and diagnostics.

The packages are installed with pip into ``<QGIS profile>/python/diffusionsat-deps`` (outside the plugin
folder, so plugin upgrades keep them). Installing takes three steps, each in a :class:`QProcess`:

1. plan: pip resolves the pins against QGIS's own Python (``--dry-run --report``) with a constraints file
   that keeps QGIS's numpy, and the torch build that fits the machine (CUDA for a driver that supports
   it, else CPU: :func:`deps.torch_build`); the dialog shows what it would install and its download size;
2. install exactly that list (``--target --no-deps``); pip's output goes to a log file the dialog opens;
3. check: a fresh Python imports torch, diffusers and transformers with the search path the plugin uses
   (:func:`deps.ordered_path`: the folder ahead of the system's site folders, QGIS's numpy kept), and only
   then is the install called a success.

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

import json
import tempfile

from qgis.core import Qgis, QgsApplication
from qgis.PyQt.QtCore import QProcess, QUrl
from qgis.PyQt.QtGui import QDesktopServices, QFontDatabase
from qgis.PyQt.QtWidgets import (QApplication, QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QPlainTextEdit,
                                 QPushButton, QVBoxLayout)

from . import settings as settings_mod
from . import deps
from .deps import OPTIONAL, REQUIRED, missing_dependencies
from .i18n import tr

PLUGIN_DIR = Path(__file__).resolve().parents[1]
#: Installed by the distribution with QGIS (same GDAL/PROJ as QGIS): never pip-installed by us.
SYSTEM_PACKAGES = {"rasterio", "pyproj", "shapely"}


def deps_folder() -> Path:
    """The per-user folder the plugin installs its Python packages into (outside the plugin folder)."""
    return Path(QgsApplication.qgisSettingsDirPath()) / "python" / "diffusionsat-deps"


def log_file() -> Path:
    return deps_folder().with_name("diffusionsat-deps.log")


def activate_deps_folder() -> bool:
    """Put the per-user packages folder on sys.path (see deps.ordered_path); True when it is there."""
    folder = deps_folder()
    if not folder.is_dir():
        return False
    sys.path[:] = deps.ordered_path(sys.path, str(folder))
    importlib.invalidate_caches()
    return True


def stale_modules() -> List[str]:
    """Packages in the folder that this QGIS already imported from elsewhere: they need a restart."""
    folder = deps_folder()
    stale = []
    for name in ("sympy", "torch", "transformers", "diffusers", "safetensors", "huggingface_hub", "tokenizers"):
        module = sys.modules.get(name)
        where = getattr(module, "__file__", None) or ""
        if module is not None and (folder / name).is_dir() and not where.startswith(str(folder)):
            stale.append(name)
    return stale


def qgis_python_versions() -> dict:
    """Versions of what QGIS's Python already has and must keep (deps.KEEP_FROM_QGIS)."""
    out = {}
    for name in deps.KEEP_FROM_QGIS:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


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


def pip_arguments(requirements: List[str], target: Path, report: Optional[Path] = None) -> List[str]:
    """pip's arguments for this machine (OS, NVIDIA driver): a dry run with ``report``, else the install."""
    constraints = target.with_name("diffusionsat-constraints.txt")
    constraints.parent.mkdir(parents=True, exist_ok=True)
    constraints.write_text(deps.constraints_text(qgis_python_versions()), encoding="utf-8")
    cuda = deps.driver_cuda(deps.probe_nvidia_smi())
    return deps.pip_install_args(requirements, target, constraints, platform.system(), cuda, report)


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
        self.outcome = QLabel("", self)
        self.outcome.setObjectName("install_outcome")
        self.outcome.setWordWrap(True)
        layout.addWidget(self.outcome)
        self.plan = None
        self.report: Optional[Path] = None
        self.fetch_sizes = True  # tests turn the HEAD requests off
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
        self.log_button = buttons.addButton(tr("Open log"), QDialogButtonBox.ButtonRole.ActionRole)
        self.log_button.setObjectName("log_button")
        self.log_button.clicked.connect(self.open_log)
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
        optional = missing_dependencies(OPTIONAL)
        if optional:
            lines = "\n".join(f"• {m.requirement}: {m.purpose}" for m in optional)
            label = tr("Optional, not installed (pip install …):")
            self.missing_label.setText(self.missing_label.text() + "\n" + label + "\n" + lines)
        self.install_button.setEnabled(bool(pip_requirements() or self.plan) and self.process is None)
        report = diagnostics(probe_device=probe_device)
        self.text.setPlainText(report + ("\n\n" + tr("Log: {}").format(log_file()) if self.log else ""))

    def copy(self):
        QApplication.clipboard().setText(self.text.toPlainText())

    def install(self):
        """First click: plan (what pip would install, its size). Second click: install it, then check."""
        python = python_interpreter()
        if python is None:
            self._say(tr("No Python interpreter was found next to {}.").format(sys.prefix))
            return
        if self.process is not None:
            return
        if self.plan is None:
            requirements = pip_requirements()
            if not requirements:
                return
            self.report = Path(tempfile.mkdtemp(prefix="diffusionsat-plan-")) / "report.json"
            self._run(python, pip_arguments(requirements, deps_folder(), self.report), self._planned,
                      tr("Working out what to install…"))
        else:
            target = deps_folder()
            target.mkdir(parents=True, exist_ok=True)
            pins = [f"{name}=={version}" for name, version, _url in self.plan]
            self._run(python, pip_arguments(pins, target), self._installed, tr("Installing…"))

    def _run(self, python: str, arguments: List[str], then, status: str):
        # QProcess, not subprocess: asynchronous, QGIS stays responsive; a fixed argument list, no shell
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        folder = deps_folder()
        env = self.process.processEnvironment()
        if env.isEmpty():
            from qgis.PyQt.QtCore import QProcessEnvironment

            env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONPATH", str(folder))  # what an earlier install put there counts as installed
        self.process.setProcessEnvironment(env)
        self.process.readyReadStandardOutput.connect(self._read)
        self.process.finished.connect(lambda code, _status=None: self._step_done(code, then))
        self._log("$ " + " ".join([python, *arguments]) + "\n")
        self._say(status)
        self.install_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.process.start(python, arguments)

    def _step_done(self, code: int, then):
        self.process = None
        self.stop_button.setEnabled(False)
        if code != 0:
            self.plan = None
            self._say(tr("pip failed (exit code {}). Nothing was changed; the details are in the log.").format(code))
            self.install_button.setText(tr("Install the missing packages"))
            self.refresh()
            return
        then()

    def _planned(self):
        try:
            report = json.loads(self.report.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            report = {}
        self.plan = deps.planned_packages(report)
        size = deps.download_bytes([url for _n, _v, url in self.plan]) if self.fetch_sizes else 0
        names = ", ".join(f"{name} {version}" for name, version, _url in self.plan)
        self._say(tr("To install ({} packages, {} MB to download): {}").format(len(self.plan), f"{size / 1e6:.0f}",
                                                                              names))
        self.install_button.setText(tr("Install ({} MB)").format(f"{size / 1e6:.0f}"))
        self.install_button.setEnabled(bool(self.plan))

    def _installed(self):
        import subprocess  # nosec B404 (a fixed command: this Python importing the installed packages)

        self.plan = None
        self.install_button.setText(tr("Install the missing packages"))
        path = deps.ordered_path([p for p in sys.path if p], str(deps_folder()))
        try:
            check = subprocess.run([python_interpreter(), "-c", deps.VERIFY_SCRIPT, json.dumps(path)],  # nosec B603
                                   capture_output=True, text=True, timeout=300)
            ok, detail = check.returncode == 0, (check.stdout + check.stderr).strip()
        except (OSError, subprocess.SubprocessError) as exc:
            ok, detail = False, str(exc)
        self._log(detail + "\n")
        if not ok:
            self._say(tr("Installed, but torch, diffusers or transformers cannot be imported: {}").format(
                detail.splitlines()[-1] if detail else "?"))
        else:
            activate_deps_folder()
            stale = stale_modules()
            if stale:
                self._say(tr("Installed and checked. Restart QGIS to use DiffusionSat ({} already loaded).")
                          .format(", ".join(stale)))
            else:
                self._say(tr("Installed and checked: DiffusionSat can be used now (reopen the dock)."))
        self.refresh()

    def _say(self, text: str):
        """The one line the user reads; pip's own output is in the log file."""
        self.outcome.setText(text)
        self._log(text + "\n")

    def _log(self, text: str):
        self.log += text
        try:
            log_file().parent.mkdir(parents=True, exist_ok=True)
            with open(log_file(), "a", encoding="utf-8") as handle:
                handle.write(text)
        except OSError:
            pass

    def _read(self):
        if self.process is not None:
            self._log(bytes(self.process.readAllStandardOutput()).decode("utf-8", errors="replace"))

    def open_log(self):
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_file())))

    def stop(self):
        if self.process is not None:
            self.process.kill()
            self.process.waitForFinished(3000)
            self.process = None
            self.stop_button.setEnabled(False)
