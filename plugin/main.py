"""The plugin object QGIS creates: toolbar action, Raster menu entry, dock widget, Processing provider.

Everything added in initGui/initProcessing is remembered and removed again in unload, so reloading
the plugin (Plugin Reloader, upgrades) leaves nothing behind.
"""

from __future__ import annotations

from pathlib import Path

from qgis.core import Qgis, QgsApplication
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QPushButton

try:  # Qt6 (QGIS 4): QAction is in QtGui
    from qgis.PyQt.QtGui import QAction
except ImportError:  # Qt5 (QGIS 3)
    from qgis.PyQt.QtWidgets import QAction

from .deps import missing_dependencies
from .i18n import install_translator, remove_translator, tr

ICON = Path(__file__).resolve().parents[1] / "resources" / "icon.png"
MENU = "&DiffusionSat"


class DiffusionSatPlugin:
    def __init__(self, iface):
        from .deps_dialog import activate_deps_folder

        # packages installed by the dependencies dialog live outside the plugin folder (upgrades delete
        # it); make them importable before initGui or initProcessing (qgis_process) needs them
        activate_deps_folder()
        # before anything loads torch: passive OpenMP waiting (backend/cpu_threads.py; QGIS's GUI thread and
        # the user's other programs keep their share of the cores)
        from ..backend import cpu_threads

        cpu_threads.prepare()
        cpu_threads.reserve_cores(1)  # where there are cores to spare, QGIS's GUI thread keeps one
        self.iface = iface
        self.translator = None
        self.actions: list[QAction] = []
        self.dock = None
        self.provider = None
        self.missing = []

    # ------------------------------------------------------------------ QGIS hooks
    def initProcessing(self):  # noqa: N802 (QGIS API name)
        from .processing.provider import DiffusionSatProvider

        if self.provider is None:
            self.provider = DiffusionSatProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802 (QGIS API name)
        self.translator = install_translator()
        self.missing = missing_dependencies()

        action = QAction(QIcon(str(ICON)), tr("DiffusionSat"), self.iface.mainWindow())
        action.setObjectName("diffusionsat_show_dock")
        action.setToolTip(tr("Generate, super-resolve, inpaint or predict satellite imagery with DiffusionSat"))
        action.setCheckable(True)
        action.toggled.connect(self._toggle_dock)
        self.iface.addToolBarIcon(action)
        self.iface.addPluginToRasterMenu(MENU, action)
        self.actions.append(action)

        from .dock import DiffusionSatDock

        self.dock = DiffusionSatDock(self.iface, missing=self.missing, parent=self.iface.mainWindow())
        self.dock.setObjectName("diffusionsat_dock")
        self.dock.visibilityChanged.connect(action.setChecked)
        self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()

        self.initProcessing()
        if self.missing:
            self._report_missing()

    def unload(self):
        for action in self.actions:
            self.iface.removePluginRasterMenu(MENU, action)
            self.iface.removeToolBarIcon(action)
            action.deleteLater()
        self.actions = []
        if self.dock is not None:
            self.dock.close_tools()
            self.iface.removeDockWidget(self.dock)
            self.dock.setParent(None)
            self.dock.deleteLater()
            self.dock = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        remove_translator(self.translator)
        self.translator = None

    # ------------------------------------------------------------------ helpers
    def _toggle_dock(self, checked: bool):
        if self.dock is not None:
            self.dock.setVisible(checked)

    def _report_missing(self):
        # short enough for the message bar (a full list was cut off): three names, the rest in Details…
        modules = [m.module for m in self.missing]
        names = ", ".join(modules[:3]) + (tr(" and {} more").format(len(modules) - 3) if len(modules) > 3 else "")
        text = tr("DiffusionSat needs Python packages that this QGIS cannot import: {}").format(names)
        bar = self.iface.messageBar()
        widget = bar.createMessage(tr("DiffusionSat"), text)
        button = QPushButton(tr("Details…"), widget)
        button.clicked.connect(self.show_missing_details)
        widget.layout().addWidget(button)
        bar.pushWidget(widget, Qgis.MessageLevel.Warning)

    def show_missing_details(self):
        """The dependencies dialog: what is missing, one-click install, diagnostics to copy."""
        from .deps_dialog import DependenciesDialog

        DependenciesDialog(self.iface.mainWindow()).exec()
