"""Qt6 (QGIS 4) readiness, the proof behind ``supportsQt6=True`` in metadata.txt.

QGIS 4 runs plugins on PyQt6, which drops the unscoped enum spellings (``Qt.LeftButton``), ``exec_()`` and the
classes Qt6 moved (``QAction`` went from QtWidgets to QtGui). The plugin's code is walked (AST) for every name
it imports from ``qgis.PyQt.*`` / ``PyQt5.*`` and every attribute chain on those names; a subprocess with
PyQt6 from the package registry (never PyQt5 in the same process) resolves each one against PyQt6's classes
and reports all that do not exist at once.

Every module of the plugin imports qgis (directly or through ``plugin.i18n``), so no widget of the plugin is
pure Qt. Without a QGIS 4 build, what PyQt6 can run is run offscreen: the scoped values the plugin passes, on
real widgets (``test_scoped_enums_work_in_pyqt6_widgets``), and the plugin's own dependencies dialog, whose
only QGIS needs (version, profile folder, settings) a small stand-in ``qgis`` package provides
(``test_dependencies_dialog_runs_on_pyqt6``). ``test_enums_are_scoped_on_this_qgis`` checks, in the QGIS 3
process, that QGIS's enums are scoped too.
"""

from __future__ import annotations

import ast
import enum
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

PYQT6 = ("PyQt6==6.7.1", "PyQt6-Qt6==6.7.3", "PyQt6-sip==13.8.0")
CACHE = ROOT / ".cache" / "pyqt6" / "6.7.1"  # .cache/ is ignored by git; a second run downloads nothing
QT_MODULE = re.compile(r"^(?:qgis\.PyQt|PyQt5)(?:\.(\w+))?$")


def plugin_sources() -> list[Path]:
    return sorted((ROOT / "plugin").rglob("*.py")) + [ROOT / "__init__.py"]


def _in_import_fallback(tree: ast.AST) -> set[int]:
    """ids of ImportFrom nodes inside ``try: ... except ImportError:`` (either branch): alternatives."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
                isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
                for h in node.handlers):
            for part in [*node.body, *(s for h in node.handlers for s in h.body)]:
                found.update(id(n) for n in ast.walk(part) if isinstance(n, ast.ImportFrom))
    return found


def qt_uses(path: Path, root: Path = ROOT) -> tuple[list[dict], list[dict]]:
    """(imports, chains) of one file: each Qt name imported, each attribute chain on such a name."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = str(path.relative_to(root))
    fallback = _in_import_fallback(tree)
    imports, local = [], set()
    for node in ast.walk(tree):
        match = isinstance(node, ast.ImportFrom) and node.module and QT_MODULE.match(node.module)
        if match:
            qt6 = f"PyQt6.{match.group(1)}" if match.group(1) else "PyQt6"
            for alias in node.names:
                local.add(alias.asname or alias.name)
                imports.append({"module": qt6, "name": alias.name, "as": alias.asname or alias.name,
                                "alternative": id(node) in fallback, "where": f"{where}:{node.lineno}"})
        if isinstance(node, ast.Import):
            assert not any(QT_MODULE.match(a.name) for a in node.names), f"{where}:{node.lineno}: use from-imports"
    chains = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            attrs, base = [], node
            while isinstance(base, ast.Attribute):
                attrs.append(base.attr)
                base = base.value
            if isinstance(base, ast.Name) and base.id in local:
                chains.append({"name": base.id, "attrs": attrs[::-1], "where": f"{where}:{node.lineno}"})
    return imports, chains


def all_qt_uses() -> tuple[list[dict], list[dict]]:
    imports, chains = [], []
    for path in plugin_sources():
        i, c = qt_uses(path)
        imports += i
        chains += c
    return imports, chains


# Runs with PyQt6 only: resolves every import and chain, prints the failures as JSON.
RESOLVE = r"""
import importlib, json, sys
uses = json.load(sys.stdin)
failures, bound = [], {}

def module(name):
    return importlib.import_module(name)

def imported(item):
    try:
        return True, module(item["module"] + "." + item["name"])  # from qgis.PyQt import QtCore
    except ImportError:
        pass
    try:
        return True, getattr(module(item["module"]), item["name"])
    except (ImportError, AttributeError) as exc:
        return False, exc

by_file = {}
for item in uses["imports"]:
    by_file.setdefault((item["where"].split(":")[0], item["as"]), []).append(item)
for (path, local), items in by_file.items():
    found = [(item, *imported(item)) for item in items]
    good = [value for item, ok, value in found if ok]
    for item, ok, value in found:
        if not ok and (not item["alternative"] or not good):
            failures.append(f'{item["where"]}: from {item["module"]} import {item["name"]}: {value}')
    if good:
        bound[(path, local)] = good[0]
for chain in uses["chains"]:
    obj = bound.get((chain["where"].split(":")[0], chain["name"]))
    if obj is None:
        continue  # its import already failed
    text = chain["name"]
    for attr in chain["attrs"]:
        text += "." + attr
        if not hasattr(obj, attr):
            failures.append(f'{chain["where"]}: {text} does not exist in PyQt6')
            break
        obj = getattr(obj, attr)
assert "PyQt5" not in sys.modules and not any(m.startswith("PyQt5.") for m in sys.modules), "PyQt5 was loaded"
print(json.dumps(sorted(set(failures))))
"""

# The scoped values the plugin passes, used the way the plugin uses them, on real PyQt6 widgets.
WIDGETS = r"""
import sys
from PyQt6.QtCore import QProcess, Qt
from PyQt6.QtGui import QAction, QFontDatabase
from PyQt6.QtWidgets import (QAbstractItemView, QApplication, QComboBox, QDialog, QDialogButtonBox, QFormLayout,
                             QHeaderView, QLabel, QMessageBox, QPlainTextEdit, QPushButton, QScrollArea, QSizePolicy,
                             QTableWidget, QTableWidgetItem, QWidget)

app = QApplication(sys.argv)
dialog = QDialog()
form = QFormLayout(dialog)
form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
combo = QComboBox()
combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
combo.addItem("x", "data")
form.addRow("Combo", combo)
label = QLabel("status")
label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
form.addRow(label)
scroll = QScrollArea()
scroll.setFrameShape(QScrollArea.Shape.NoFrame)
scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
form.addRow(scroll)
table = QTableWidget(0, 2)
table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
table.insertRow(0)
item = QTableWidgetItem("layer")
item.setData(Qt.ItemDataRole.UserRole, "layer-id")
item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
table.setItem(0, 0, item)
assert table.item(0, 0).data(Qt.ItemDataRole.UserRole) == "layer-id"
assert not table.item(0, 0).flags() & Qt.ItemFlag.ItemIsEditable
form.addRow(table)
log = QPlainTextEdit()
log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
form.addRow(log)
buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
buttons.addButton(QPushButton("Install"), QDialogButtonBox.ButtonRole.ActionRole)
buttons.rejected.connect(dialog.reject)
form.addRow(buttons)
process = QProcess()
process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
action = QAction("DiffusionSat", dialog)
answer = QMessageBox.StandardButton.Yes
assert answer in (QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
assert Qt.MouseButton.LeftButton != Qt.MouseButton.RightButton and Qt.Key.Key_Escape != Qt.Key.Key_Backspace
dialog.setCursor(Qt.CursorShape.CrossCursor)
assert Qt.DockWidgetArea.RightDockWidgetArea
dialog.show()
app.processEvents()
QApplication.clipboard().setText("diagnostics")
buttons.button(QDialogButtonBox.StandardButton.Close).click()  # rejects: exec() below returns at once
from PyQt6.QtCore import QTimer
QTimer.singleShot(0, dialog.reject)
result = dialog.exec()  # exec(), not exec_()
assert result == QDialog.DialogCode.Rejected, result
assert "PyQt5" not in sys.modules
print("widgets ok")
"""


def _child_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(PYTHONPATH=str(CACHE), QT_QPA_PLATFORM="offscreen", PYTHONNOUSERSITE="1")
    return env


def _run_qt6(code: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], input=stdin, capture_output=True, text=True,
                          env=_child_env(), cwd=tempfile.gettempdir(), timeout=300)


@pytest.fixture(scope="module")
def pyqt6():
    """PyQt6 from the registry, installed once into .cache/pyqt6/<version> (outside the test process)."""
    marker = CACHE / ".complete"
    if not marker.exists():
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="pyqt6-", dir=CACHE.parent))
        try:
            done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-input",
                                   "--disable-pip-version-check", "--no-deps", "--target", str(scratch), *PYQT6],
                                  capture_output=True, text=True, timeout=900)
            if done.returncode != 0:
                text = done.stderr + done.stdout
                if re.search(r"(?i)connection|network|resolve|timed? ?out|temporary failure|unreachable|"
                             r"no matching distribution|could not find a version", text):
                    pytest.skip(f"the package registry is unreachable, PyQt6 cannot be installed: "
                                f"{text.strip().splitlines()[-1] if text.strip() else done.returncode}")
                pytest.fail(f"pip install {' '.join(PYQT6)} failed:\n{text}")
            (scratch / ".complete").write_text(" ".join(PYQT6))
            shutil.rmtree(CACHE, ignore_errors=True)
            scratch.rename(CACHE)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    probe = _run_qt6("import sys; from PyQt6 import QtCore; print(QtCore.PYQT_VERSION_STR); "
                     "assert 'PyQt5' not in sys.modules")
    assert probe.returncode == 0, probe.stderr
    return probe.stdout.strip()


def test_no_exec_underscore():
    calls = [f"{p.relative_to(ROOT)}:{n.lineno}" for p in plugin_sources()
             for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
             if isinstance(n, ast.Attribute) and n.attr in ("exec_", "print_")]
    assert not calls, f"exec_() is gone in PyQt6, use exec(): {calls}"


def test_qt_is_imported_through_qgis_pyqt():
    imports, chains = all_qt_uses()
    assert len(imports) > 30 and len(chains) > 30, "the walk found too little: is the AST walk broken?"
    pyqt5 = [f"{p.relative_to(ROOT)}" for p in plugin_sources() if re.search(r"^\s*(from|import) PyQt5",
                                                                               p.read_text(), re.M)]
    assert not pyqt5, f"import Qt through qgis.PyQt (QGIS maps it to PyQt5 or PyQt6): {pyqt5}"


def test_every_qt_name_the_plugin_uses_exists_in_pyqt6(pyqt6):
    imports, chains = all_qt_uses()
    done = _run_qt6(RESOLVE, json.dumps({"imports": imports, "chains": chains}))
    assert done.returncode == 0, done.stderr
    failures = json.loads(done.stdout.strip().splitlines()[-1])
    assert not failures, f"{len(failures)} Qt names do not exist in PyQt6 {pyqt6}:\n" + "\n".join(failures)


def test_the_check_catches_unscoped_enums(pyqt6, tmp_path):
    """The resolver is not vacuous: the spellings PyQt6 rejects are reported, the scoped ones are not."""
    probe = tmp_path / "probe.py"
    probe.write_text("from qgis.PyQt.QtCore import Qt\nfrom qgis.PyQt.QtWidgets import QAction, QMessageBox\n"
                     "a = Qt.LeftButton\nb = Qt.MouseButton.LeftButton\nc = QMessageBox.Yes\n"
                     "d = QMessageBox.StandardButton.Yes\n")
    imports, chains = qt_uses(probe, root=tmp_path)
    done = _run_qt6(RESOLVE, json.dumps({"imports": imports, "chains": chains}))
    assert done.returncode == 0, done.stderr
    failures = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(failures) == 3, failures
    assert any("import QAction" in f for f in failures)
    assert any("Qt.LeftButton" in f for f in failures) and any("QMessageBox.Yes" in f for f in failures)


def test_scoped_enums_work_in_pyqt6_widgets(pyqt6):
    done = _run_qt6(WIDGETS)
    assert done.returncode == 0, done.stderr
    assert "widgets ok" in done.stdout


def test_metadata_claims_qt6():
    """QGIS 4 loads a plugin only when qgisMaximumVersion is 4.0 or more (QGIS 3 plugins default to 3.99);
    supportsQt6 is what older Qt6 builds of QGIS 3 read."""
    text = (ROOT / "metadata.txt").read_text()
    assert re.search(r"^supportsQt6=True$", text, re.M)
    maximum = re.search(r"^qgisMaximumVersion=(\d+)\.(\d+)$", text, re.M)
    assert maximum and int(maximum.group(1)) >= 4, "set qgisMaximumVersion=4.99 so that QGIS 4 loads the plugin"


# A stand-in for QGIS 4's ``qgis`` package: qgis.PyQt.* is PyQt6 (as QGIS 4 maps it), qgis.core holds only what
# the dependencies dialog reads (when the dialog imports more from qgis.core, add it here).
QGIS_STUB = {
    "qgis/__init__.py": "",
    "qgis/PyQt/__init__.py": "",
    "qgis/PyQt/QtCore.py": "from PyQt6.QtCore import *  # noqa: F401,F403\n",
    "qgis/PyQt/QtGui.py": "from PyQt6.QtGui import *  # noqa: F401,F403\n",
    "qgis/PyQt/QtWidgets.py": "from PyQt6.QtWidgets import *  # noqa: F401,F403\n",
    "qgis/core.py": """
import enum, os
from PyQt6.QtCore import QSettings

class Qgis:
    QGIS_VERSION = "4.0.0-stub"
    class MessageLevel(enum.IntEnum):
        Info = 0
        Warning = 1
        Critical = 2
        Success = 3

class QgsApplication:
    @staticmethod
    def qgisSettingsDirPath():
        return os.environ["STUB_PROFILE"]

class QgsSettings(QSettings):
    def __init__(self):
        super().__init__(os.path.join(os.environ["STUB_PROFILE"], "QGIS.ini"), QSettings.Format.IniFormat)

class _Project:
    def homePath(self):
        return ""
    def fileName(self):
        return ""

class QgsProject:
    @staticmethod
    def instance():
        return _Project()
""",
}

DEPS_DIALOG = r"""
import sys
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QPushButton
import qgis.core
assert qgis.core.Qgis.QGIS_VERSION == "4.0.0-stub"  # the stand-in, not this machine's QGIS
app = QApplication(sys.argv)
from plugin.deps_dialog import DependenciesDialog
dialog = DependenciesDialog()
dialog.show()
app.processEvents()
assert "QGIS 4.0.0-stub" in dialog.text.toPlainText(), dialog.text.toPlainText()
dialog.copy_button.click()
assert QApplication.clipboard().text() == dialog.text.toPlainText()
dialog.refresh()
dialog._step_done(1, lambda: None)  # how a failed pip run is reported
assert "pip failed" in dialog.log and "pip failed" in dialog.outcome.text()
QTimer.singleShot(0, dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Close).click)
assert dialog.exec() == QDialog.DialogCode.Rejected
assert "PyQt5" not in sys.modules and not any(m.startswith("PyQt5.") for m in sys.modules)
print("deps dialog ok")
"""


def test_dependencies_dialog_runs_on_pyqt6(pyqt6, tmp_path):
    """The plugin's own dialog, built, shown, used and closed with exec() on PyQt6 (offscreen)."""
    for name, text in QGIS_STUB.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    profile = tmp_path / "profile"
    profile.mkdir()
    env = _child_env()
    env.update(PYTHONPATH=os.pathsep.join([str(tmp_path), str(CACHE), str(ROOT)]), STUB_PROFILE=str(profile),
               LANG="C")
    done = subprocess.run([sys.executable, "-c", DEPS_DIALOG], capture_output=True, text=True, env=env,
                          cwd=str(tmp_path), timeout=300)
    assert done.returncode == 0, done.stderr
    assert "deps dialog ok" in done.stdout


def _is_enum_type(obj) -> bool:
    return type(obj).__name__ == "enumtype" or isinstance(obj, enum.EnumMeta)  # sip (PyQt5), Python enum (PyQt6)


def _is_enum_value(obj) -> bool:
    return _is_enum_type(type(obj))


def test_enums_are_scoped_on_this_qgis(qgis_app):
    """In this QGIS 3 / PyQt5 process: every enum value the plugin reads from Qt or QGIS classes is spelled
    ``Class.Enum.Value`` (the only spelling PyQt6 has, and QGIS 4's), never ``Class.Value``."""
    import importlib

    failures = []
    for path in plugin_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bound = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and re.match(r"^(qgis\.(core|gui|PyQt\.\w+))$",
                                                                             node.module):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    if hasattr(module, alias.name):  # the other branch of a try/except ImportError may not
                        bound.setdefault(alias.asname or alias.name, getattr(module, alias.name))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute):
                continue
            attrs, base = [], node
            while isinstance(base, ast.Attribute):
                attrs.append(base.attr)
                base = base.value
            if not (isinstance(base, ast.Name) and base.id in bound):
                continue
            parent, text = bound[base.id], base.id
            for attr in reversed(attrs):
                text += "." + attr
                value = getattr(parent, attr, None)
                if value is None:
                    failures.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text} does not exist in this QGIS")
                    break
                if _is_enum_value(value) and not _is_enum_type(parent):
                    failures.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text} is unscoped, write "
                                    f"{text[:-len(attr)]}{type(value).__name__}.{attr}")
                    break
                parent = value
    assert not failures, "\n".join(sorted(set(failures)))
