"""Processing: super-resolve Sentinel-2 bands to high-resolution RGB on a grid aligned to the input."""

from __future__ import annotations

from qgis.core import QgsProcessingParameterBand, QgsProcessingParameterRasterLayer

from ..i18n import tr
from ..layers import raster_path
from .alg_common import DiffusionSatAlgorithm


class SuperResolveAlgorithm(DiffusionSatAlgorithm):
    TASK = "superres"
    GROUP_ID = "enhancement"
    PRODUCT_INPUTS = ("INPUT",)

    def displayName(self):  # noqa: N802 (QGIS API name)
        return tr("Super-resolve Sentinel-2")

    def shortHelpString(self):  # noqa: N802
        return tr("Super-resolves a Sentinel-2 raster to high-resolution RGB on a pixel grid aligned to the "
                  "input. The bands are B4 B3 B2 B5 B6 B7 B8 B8A B11 B12 in this order: chosen here, or, when "
                  "none are chosen, found by their band descriptions.")

    def init_inputs(self):
        self.addParameter(QgsProcessingParameterRasterLayer("INPUT", tr("Sentinel-2 raster")))
        self.addParameter(QgsProcessingParameterBand(
            "BANDS", tr("Bands B4 B3 B2 B5 B6 B7 B8 B8A B11 B12, in this order (empty: by band name)"),
            None, "INPUT", True, True))

    def build_job(self, parameters, context, output):
        from ...backend.jobs import JobError, SuperResolveJob

        layer = self.parameterAsRasterLayer(parameters, "INPUT", context)
        bands = self.parameterAsInts(parameters, "BANDS", context)
        if bands and len(bands) != 10:
            raise JobError(tr("Choose the ten bands B4 B3 B2 B5 B6 B7 B8 B8A B11 B12, or none; got {}.")
                           .format(len(bands)))
        return SuperResolveJob(input=raster_path(layer), bands=list(bands) or None, output=output)
