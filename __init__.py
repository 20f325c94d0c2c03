"""QGIS entry point of the DiffusionSat plugin."""


def classFactory(iface):  # noqa: N802 (QGIS API name)
    """Called by QGIS to create the plugin. Keep this import light: heavy libraries load lazily."""
    from .plugin.main import DiffusionSatPlugin

    return DiffusionSatPlugin(iface)
