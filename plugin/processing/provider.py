"""Processing provider: one algorithm per task, usable in batch mode, models and qgis_process."""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from ..i18n import tr

ICON = Path(__file__).resolve().parents[2] / "resources" / "icon.png"


class DiffusionSatProvider(QgsProcessingProvider):
    def id(self):
        return "diffusionsat"

    def name(self):
        return tr("DiffusionSat")

    def longName(self):  # noqa: N802 (QGIS API name)
        return tr("DiffusionSat generative satellite imagery")

    def icon(self):
        return QIcon(str(ICON))

    def loadAlgorithms(self):  # noqa: N802 (QGIS API name)
        from .algorithms import all_algorithms

        for algorithm in all_algorithms():
            self.addAlgorithm(algorithm)
