"""Shared test set-up: the repository root on sys.path, Qt headless, small thread count."""

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# QGIS/GDAL would write *.aux.xml statistics beside the committed test crops
os.environ["GDAL_PAM_ENABLED"] = "NO"

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def import_plugin_package(name: str = "diffusionsat"):
    """Import the repository as the plugin package QGIS would see (``diffusionsat.plugin``...).

    plugin/ reaches the backend with relative imports (``from ..backend import ...``), which need the
    repository root to be a package, as it is once installed in a QGIS plugin folder.
    """
    import importlib.util

    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "__init__.py", submodule_search_locations=[str(ROOT)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
