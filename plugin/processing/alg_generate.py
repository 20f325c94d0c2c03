"""Processing: generate an image for an extent, conditioned on location, GSD, date, cloud cover and a prompt."""

from __future__ import annotations

from qgis.core import (QgsCoordinateReferenceSystem, QgsProcessingParameterCrs, QgsProcessingParameterExtent,
                       QgsProcessingParameterNumber, QgsProcessingParameterString)

from ..compat import NUMBER_DOUBLE
from ..i18n import tr
from ..layers import crs_text, parse_date
from .alg_common import DiffusionSatAlgorithm


class GenerateAlgorithm(DiffusionSatAlgorithm):
    TASK = "generate"
    GROUP_ID = "synthesis"

    def displayName(self):  # noqa: N802 (QGIS API name)
        return tr("Generate image for extent")

    def shortHelpString(self):  # noqa: N802
        return tr("Generates a georeferenced image covering the extent at the given ground sample distance "
                  "(metres per pixel). The model is conditioned on the extent's centre longitude and latitude, "
                  "the GSD, the date, the cloud cover and the prompt. The CRS is the one chosen, else the "
                  "extent's own.")

    def init_inputs(self):
        self.addParameter(QgsProcessingParameterExtent("EXTENT", tr("Extent")))
        self.addParameter(QgsProcessingParameterCrs("CRS", tr("CRS of the output (empty: the extent's CRS)"),
                                                    optional=True))
        self.addParameter(QgsProcessingParameterNumber("GSD", tr("Ground sample distance (metres per pixel)"),
                                                       NUMBER_DOUBLE, 10.0, False, 0.0))
        self.addParameter(QgsProcessingParameterString("PROMPT", tr("Prompt"), "", False, True))
        self.addParameter(QgsProcessingParameterString("DATE", tr("Date (YYYY-MM-DD, empty: unknown)"), "",
                                                       False, True))
        self.addParameter(QgsProcessingParameterNumber("CLOUD", tr("Cloud cover (%)"),
                                                       NUMBER_DOUBLE, 0.0, False, 0.0, 100.0))

    def build_job(self, parameters, context, output):
        from ...backend.jobs import GenerateJob, JobError

        crs = self.parameterAsCrs(parameters, "CRS", context)
        if not crs.isValid():
            crs = self.parameterAsExtentCrs(parameters, "EXTENT", context)
        if not crs.isValid():
            raise JobError(tr("The extent has no CRS: choose one in the CRS parameter."))
        rect = self.parameterAsExtent(parameters, "EXTENT", context, QgsCoordinateReferenceSystem(crs))
        if rect.isNull() or rect.isEmpty():
            raise JobError(tr("The extent is empty: give one with a non-zero width and height."))
        text = (self.parameterAsString(parameters, "DATE", context) or "").strip()
        date = parse_date(text) if text else None
        if text and date is None:
            raise JobError(tr("The date must be a real date written YYYY-MM-DD, got {}.").format(text))
        gsd = self.parameterAsDouble(parameters, "GSD", context)
        return GenerateJob(bbox=(rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum()),
                           crs=crs_text(crs), gsd=gsd,
                           prompt=(self.parameterAsString(parameters, "PROMPT", context) or "").strip(),
                           date=date, cloud_cover=self.parameterAsDouble(parameters, "CLOUD", context) / 100.0,
                           output=output)
