"""The DiffusionSat dock: one page per task."""

from __future__ import annotations

from qgis.PyQt.QtWidgets import QDockWidget, QLabel, QTabWidget, QVBoxLayout, QWidget

from .i18n import tr


def task_pages():
    """(object name, tab title, one-line description) of the four task pages."""
    return (
        ("generate", tr("Generate"), tr("Draw an extent and generate an image for it.")),
        ("superres", tr("Super-resolve"), tr("Sentinel-2 bands to high-resolution RGB, aligned to the input grid.")),
        ("inpaint", tr("Inpaint"), tr("Fill clouds or any masked area of a raster layer.")),
        ("predict", tr("Multi-date predict"), tr("Predict an image at another date from dated layers.")),
    )


class DiffusionSatDock(QDockWidget):
    def __init__(self, iface, missing=(), parent=None):
        super().__init__(tr("DiffusionSat"), parent)
        self.iface = iface
        self.missing = list(missing)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        if self.missing:
            names = ", ".join(m.module for m in self.missing)
            warning = QLabel(tr("Missing Python packages: {}. The tasks are disabled until they are installed.")
                             .format(names), body)
            warning.setWordWrap(True)
            warning.setObjectName("missing_label")
            layout.addWidget(warning)
        self.tabs = QTabWidget(body)
        self.tabs.setObjectName("task_tabs")
        for name, title, description in task_pages():
            page = QWidget(self.tabs)
            page.setObjectName(f"page_{name}")
            page_layout = QVBoxLayout(page)
            label = QLabel(description, page)
            label.setWordWrap(True)
            page_layout.addWidget(label)
            page_layout.addStretch(1)
            page.setEnabled(not self.missing)
            self.tabs.addTab(page, title)
        layout.addWidget(self.tabs)
        self.setWidget(body)

    def close_tools(self):
        """Release map tools and running tasks before the dock goes away."""
