"""QGIS enum values spelled so that they work from QGIS 3.22 (Qt5) to QGIS 4 (Qt6).

QGIS 3.30-3.36 moved many enums into ``Qgis`` (``QgsProcessing.TypeRaster`` became
``Qgis.ProcessingSourceType.Raster``, ...) and deprecated the old names; QGIS 4 (PyQt6) also needs every enum
value scoped by its enum's name. Each constant is the new value where this QGIS has it, else the old enum's
scoped spelling (``QgsProcessing.SourceType.TypeRaster``), which QGIS 3.22 accepts. Enums that QGIS did not
move are written scoped where they are used (``QgsTask.Flag.CanCancel``, ``Qgis.MessageLevel.Warning``).
"""

from __future__ import annotations

from qgis import core, gui  # noqa: F401 (gui: paths below may name qgis.gui classes)


def qgis_enum(new: str, old: str):
    """The value at the dotted path ``new`` (e.g. "Qgis.ProcessingSourceType.Raster") where this QGIS has it,
    else the one at ``old``; both are looked up in qgis.core, then qgis.gui."""
    for path in (new, old):
        head, *rest = path.split(".")
        value = getattr(core, head, None) or getattr(gui, head, None)
        for name in rest:
            value = getattr(value, name, None)
        if value is not None:
            return value
    raise AttributeError(f"neither {new} nor {old} exists in this QGIS")


# Processing (the Qgis.Processing* enums came with QGIS 3.36)
SOURCE_RASTER = qgis_enum("Qgis.ProcessingSourceType.Raster", "QgsProcessing.SourceType.TypeRaster")
SOURCE_POLYGON = qgis_enum("Qgis.ProcessingSourceType.VectorPolygon", "QgsProcessing.SourceType.TypeVectorPolygon")
NUMBER_INTEGER = qgis_enum("Qgis.ProcessingNumberParameterType.Integer", "QgsProcessingParameterNumber.Type.Integer")
NUMBER_DOUBLE = qgis_enum("Qgis.ProcessingNumberParameterType.Double", "QgsProcessingParameterNumber.Type.Double")
FILE_FOLDER = qgis_enum("Qgis.ProcessingFileParameterBehavior.Folder", "QgsProcessingParameterFile.Behavior.Folder")
PARAMETER_ADVANCED = qgis_enum("Qgis.ProcessingParameterFlag.Advanced",
                               "QgsProcessingParameterDefinition.Flag.FlagAdvanced")

# Layers, geometry, units, CRS, statistics
LAYER_FILTER_RASTER = qgis_enum("Qgis.LayerFilter.RasterLayer", "QgsMapLayerProxyModel.Filter.RasterLayer")
LAYER_FILTER_POLYGON = qgis_enum("Qgis.LayerFilter.PolygonLayer", "QgsMapLayerProxyModel.Filter.PolygonLayer")
POLYGON_GEOMETRY = qgis_enum("Qgis.GeometryType.Polygon", "QgsWkbTypes.GeometryType.PolygonGeometry")
METERS = qgis_enum("Qgis.DistanceUnit.Meters", "QgsUnitTypes.DistanceUnit.DistanceMeters")
WKT_PREFERRED = qgis_enum("Qgis.CrsWktVariant.Preferred", "QgsCoordinateReferenceSystem.WktVariant.WKT_PREFERRED")
STAT_MIN = qgis_enum("Qgis.RasterBandStatistic.Min", "QgsRasterBandStats.Stats.Min")
STAT_MAX = qgis_enum("Qgis.RasterBandStatistic.Max", "QgsRasterBandStats.Stats.Max")
