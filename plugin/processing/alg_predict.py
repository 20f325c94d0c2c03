"""Processing: predict the image at a target date from 1 to 4 dated rasters of the same place."""

from __future__ import annotations

from qgis.core import QgsProcessingParameterMultipleLayers, QgsProcessingParameterString

from ..compat import SOURCE_RASTER
from ..i18n import tr
from ..layers import layer_date, parse_date, raster_path
from .alg_common import DiffusionSatAlgorithm


class PredictAlgorithm(DiffusionSatAlgorithm):
    TASK = "predict"
    GROUP_ID = "time"

    def displayName(self):  # noqa: N802 (QGIS API name)
        return tr("Predict image at another date")

    def shortHelpString(self):  # noqa: N802
        return tr("Predicts the image of a place at the target date from 1 to 4 dated rasters of that place on "
                  "the same grid. The dates are given in the same order as the rasters, separated by commas "
                  "(YYYY-MM-DD); an empty entry is read from the raster (product name or GeoTIFF tags).")

    def init_inputs(self):
        self.addParameter(QgsProcessingParameterMultipleLayers("LAYERS", tr("Dated rasters (1 to 4)"),
                                                               SOURCE_RASTER))
        self.addParameter(QgsProcessingParameterString(
            "DATES", tr("Their dates, comma-separated YYYY-MM-DD (empty: read from the rasters)"), "", False, True))
        self.addParameter(QgsProcessingParameterString("TARGET_DATE", tr("Date to predict (YYYY-MM-DD)")))
        self.addParameter(QgsProcessingParameterString("PROMPT", tr("Prompt"), "", False, True))

    def build_job(self, parameters, context, output):
        from ...backend.jobs import JobError, PredictJob

        layers = self.parameterAsLayerList(parameters, "LAYERS", context)
        text = (self.parameterAsString(parameters, "DATES", context) or "").strip()
        dates = [d.strip() for d in text.split(",")] if text else []
        if len(dates) > len(layers):
            raise JobError(tr("{} dates for {} rasters.").format(len(dates), len(layers)))
        frames = []
        for i, layer in enumerate(layers):
            given = dates[i] if i < len(dates) else ""
            date = parse_date(given) if given else layer_date(layer)
            if given and date is None:
                raise JobError(tr("The date must be a real date written YYYY-MM-DD, got {}.").format(given))
            if date is None:
                raise JobError(tr("No date for {}: give it in the dates parameter.").format(layer.name()))
            frames.append((raster_path(layer), date))
        target_text = (self.parameterAsString(parameters, "TARGET_DATE", context) or "").strip()
        target = parse_date(target_text)
        if target is None:
            raise JobError(tr("The target date must be a real date written YYYY-MM-DD."))
        return PredictJob(frames=frames, target_date=target,
                          prompt=(self.parameterAsString(parameters, "PROMPT", context) or "").strip(), output=output)
