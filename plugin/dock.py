"""The DiffusionSat dock: one page per task, and a settings page.

Module-level imports stay light (no backend): the pages import the backend when a job is built.
"""

from __future__ import annotations

from qgis.core import QgsApplication
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import (QDockWidget, QFormLayout, QHBoxLayout, QLabel, QPushButton, QScrollArea, QToolBox,
                                 QVBoxLayout, QWidget)

from .i18n import tr


def task_pages():
    """(object name, tab title, one-line description) of the four task pages."""
    return (
        ("generate", tr("Generate"), tr("Draw an extent and generate an image for it.")),
        ("superres", tr("Super-resolve"), tr("Sentinel-2 bands to high-resolution RGB, aligned to the input grid.")),
        ("inpaint", tr("Inpaint"), tr("Fill clouds or any masked area of a raster layer.")),
        ("predict", tr("Multi-date predict"), tr("Predict an image at another date from dated layers.")),
    )


def _page_classes():
    from .pages.generate_page import GeneratePage
    from .pages.inpaint_page import InpaintPage
    from .pages.predict_page import PredictPage
    from .pages.superres_page import SuperResolvePage

    return {"generate": GeneratePage, "superres": SuperResolvePage, "inpaint": InpaintPage, "predict": PredictPage}


class DiffusionSatDock(QDockWidget):
    def __init__(self, iface, missing=(), parent=None):
        super().__init__(tr("DiffusionSat"), parent)
        self.iface = iface
        self.missing = list(missing)
        self.deps_dialog = None
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        if self.missing:
            row = QHBoxLayout()
            names = ", ".join(m.module for m in self.missing)
            warning = QLabel(tr("Missing Python packages: {}. The tasks are disabled until they are installed.")
                             .format(names), body)
            warning.setWordWrap(True)
            warning.setObjectName("missing_label")
            install = QPushButton(tr("Install…"), body)
            install.setObjectName("install_button")
            install.clicked.connect(self.show_dependencies)
            row.addWidget(warning, 1)
            row.addWidget(install)
            layout.addLayout(row)
        self.model_offer = None
        if not self.missing:
            from .model_offer import ModelOffer, demo_model_missing

            if demo_model_missing():  # first run of the published plugin: the demo model is a download
                self.model_offer = ModelOffer(self, body)
                layout.addWidget(self.model_offer)
        add_s2 = QPushButton(tr("Add Sentinel-2 product…"), body)
        add_s2.setObjectName("add_sentinel2_product")
        add_s2.setToolTip(tr("Open a downloaded .SAFE folder (its manifest.safe), its .zip or MTD_MSIL1C/2A.xml as a "
                             "reflectance layer: offsets applied, bands named, date and cloud cover read."))
        add_s2.clicked.connect(self.add_sentinel2_product)
        layout.addWidget(add_s2)
        # a tool box rather than tabs: the five titles stay readable in a narrow dock
        self.tabs = QToolBox(body)
        self.tabs.setObjectName("task_tabs")
        self.pages = {}
        classes = _page_classes()
        for name, title, _description in task_pages():
            page = classes[name](self)
            page.setEnabled(not self.missing)
            self.pages[name] = page
            self.tabs.addItem(self._scrolled(page), title)
        for page in self.pages.values():
            for form in page.findChildren(QFormLayout):
                # long (translated) labels go above their field
                form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        from .pages.settings_page import SettingsPage

        self.settings_page = SettingsPage(self)
        self.tabs.addItem(self.settings_page, QgsApplication.getThemeIcon("/mActionOptions.svg"), tr("Settings"))
        layout.addWidget(self.tabs)
        body.setMinimumWidth(330)  # room for the forms; narrower docks would squeeze every field
        self.setWidget(body)

    def _scrolled(self, page: QWidget) -> QScrollArea:
        area = QScrollArea(self.tabs)
        area.setObjectName(f"scroll_{page.task}")
        area.setWidgetResizable(True)
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        area.setWidget(page)
        return area

    def add_sentinel2_product(self):
        from .sentinel2_layers import choose_and_add_product

        return choose_and_add_product(self)

    def page(self, name: str):
        return self.pages[name]

    def model_ready(self):
        """A model was downloaded or chosen: the offer goes, the pages check their model again."""
        from .model_offer import demo_model_missing

        if self.model_offer is not None and not demo_model_missing():
            self.model_offer.hide()
        for page in self.pages.values():
            page.revalidate()

    def seed_used(self, seed: int):
        self.settings_page.show_last_seed(seed)

    def show_dependencies(self):
        from .deps_dialog import DependenciesDialog

        if self.deps_dialog is None:
            self.deps_dialog = DependenciesDialog(self.iface.mainWindow() if self.iface else self)
        self.deps_dialog.refresh()
        self.deps_dialog.show()
        self.deps_dialog.raise_()

    def close_tools(self):
        """Release map tools and running tasks before the dock goes away."""
        for page in self.pages.values():
            page.release()
        if self.model_offer is not None:
            self.model_offer.stop()
        if self.deps_dialog is not None:
            self.deps_dialog.stop()
            self.deps_dialog.close()
            self.deps_dialog.deleteLater()
            self.deps_dialog = None
