"""Processing: inpaint the masked pixels of a raster (mask from polygons or from raster classes / bits)."""

from __future__ import annotations

from qgis.core import (QgsProcessingParameterBand, QgsProcessingParameterEnum, QgsProcessingParameterMultipleLayers,
                       QgsProcessingParameterNumber, QgsProcessingParameterRasterLayer, QgsProcessingParameterString,
                       QgsProcessingParameterVectorLayer)

from ..compat import NUMBER_DOUBLE, SOURCE_POLYGON, SOURCE_RASTER
from ..i18n import tr
from ..pages.common import int_list
from ..layers import crs_text, raster_path, vector_source
from .alg_common import DiffusionSatAlgorithm

MODES = ("classes", "bits", "nonzero")


class InpaintAlgorithm(DiffusionSatAlgorithm):
    TASK = "inpaint"
    GROUP_ID = "enhancement"
    PRODUCT_INPUTS = ("INPUT",)

    def displayName(self):  # noqa: N802 (QGIS API name)
        return tr("Inpaint masked area")

    def shortHelpString(self):  # noqa: N802
        return tr("Regenerates the masked pixels of a raster and keeps the others. The mask is a polygon layer, "
                  "or a mask raster with class values (Sentinel-2 SCL clouds and shadows: 3,8,9,10), bits "
                  "(Landsat QA_PIXEL: 1,2,3,4) or any non-zero pixel; it can be grown by a distance in metres. "
                  "With other dates of the same place, the masked pixels come from the closest clear date, matched "
                  "to this raster's colours, or from the temporal model where it checks better on known pixels.")

    def init_inputs(self):
        self.addParameter(QgsProcessingParameterRasterLayer("INPUT", tr("Raster to inpaint")))
        self.addParameter(QgsProcessingParameterBand("BANDS", tr("RGB bands (empty: the first three)"),
                                                     None, "INPUT", True, True))
        self.addParameter(QgsProcessingParameterVectorLayer("MASK_VECTOR", tr("Mask polygons"),
                                                            [SOURCE_POLYGON], None, True))
        self.addParameter(QgsProcessingParameterRasterLayer("MASK_RASTER", tr("Mask raster"), None, True))
        self.addParameter(QgsProcessingParameterEnum(
            "MASK_MODE", tr("Mask raster values are"),
            [tr("Classes (pixel values)"), tr("Bits set"), tr("Any non-zero pixel")], defaultValue=0))
        self.addParameter(QgsProcessingParameterString("MASK_VALUES", tr("Mask values, e.g. 3,8,9,10"), "", False,
                                                       True))
        self.addParameter(QgsProcessingParameterNumber("DILATE", tr("Grow the mask by (metres)"),
                                                       NUMBER_DOUBLE, 0.0, False, 0.0))
        self.addParameter(QgsProcessingParameterMultipleLayers(
            "OTHER_DATES", tr("Other dates of this place to fill from (optional, up to 4)"), SOURCE_RASTER, None, True))
        self.addParameter(QgsProcessingParameterString("PROMPT", tr("Prompt"), "", False, True))

    def build_job(self, parameters, context, output):
        from ...backend.jobs import InpaintJob, JobError, MaskSpec

        layer = self.parameterAsRasterLayer(parameters, "INPUT", context)
        vector = self.parameterAsVectorLayer(parameters, "MASK_VECTOR", context)
        mask_raster = self.parameterAsRasterLayer(parameters, "MASK_RASTER", context)
        dilate = self.parameterAsDouble(parameters, "DILATE", context)
        if (vector is None) == (mask_raster is None):
            raise JobError(tr("Give exactly one mask: polygons or a mask raster."))
        if vector is not None:
            path, name = vector_source(vector)
            if path:
                mask = MaskSpec(vector=path, vector_layer=name, dilate_m=dilate)
            else:
                wkts = [f.geometry().asWkt() for f in vector.getFeatures() if f.hasGeometry()]
                mask = MaskSpec(geometries_wkt=wkts, geometries_crs=crs_text(vector.crs()), dilate_m=dilate)
        else:
            mode = MODES[self.parameterAsEnum(parameters, "MASK_MODE", context)]
            text = (self.parameterAsString(parameters, "MASK_VALUES", context) or "").strip()
            values = None
            if mode != "nonzero":
                values = int_list(text)
                if values is None:
                    raise JobError(tr("The mask values must be comma-separated whole numbers, e.g. 3,8,9,10."))
            mask = MaskSpec(raster=raster_path(mask_raster), classes=values if mode == "classes" else None,
                            bits=values if mode == "bits" else None, dilate_m=dilate)
        bands = self.parameterAsInts(parameters, "BANDS", context)
        if bands and len(bands) != 3:
            raise JobError(tr("Choose three RGB bands, or none; got {}.").format(len(bands)))
        others = self.parameterAsLayerList(parameters, "OTHER_DATES", context) or []
        return InpaintJob(input=raster_path(layer), mask=mask, bands=list(bands) or None,
                          prompt=(self.parameterAsString(parameters, "PROMPT", context) or "").strip(), output=output,
                          other_dates=[(raster_path(o), None) for o in others])
