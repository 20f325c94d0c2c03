"""DiffusionSat backend: models, pipelines, geo I/O, tiling, checkpoints and CLI.

Pure Python; never imports ``qgis``. Importing this package is cheap and needs
neither torch nor rasterio: heavy modules are imported by the submodules that
use them, so the QGIS plugin can load (and report what is missing) without them.
"""

from .version import __version__

__all__ = ["__version__"]
