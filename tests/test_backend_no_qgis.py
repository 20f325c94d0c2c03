"""backend/ never imports qgis (or Qt): it must import and work where QGIS is not installed."""

import subprocess
import sys

from tests.conftest import ROOT

BLOCKER = r"""
import importlib, pkgutil, sys

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"qgis", "PyQt5", "PyQt6", "sip"}:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)")
        return None

sys.meta_path.insert(0, Block())
import backend
names = ["backend"]
for info in pkgutil.walk_packages(backend.__path__, "backend."):
    if info.name.endswith("__main__"):
        continue
    importlib.import_module(info.name)
    names.append(info.name)
leaked = sorted(m for m in sys.modules if m.split(".")[0] in {"qgis", "PyQt5", "PyQt6"})
assert not leaked, leaked
from backend.metadata import SatMetadata
assert SatMetadata(lon=1, lat=2).to_vector().shape == (7,)
print(len(names), "modules imported")
"""


def test_every_backend_module_imports_without_qgis():
    proc = subprocess.run([sys.executable, "-c", BLOCKER], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "modules imported" in proc.stdout


def test_blocker_really_blocks_qgis():
    # The check above is only meaningful if importing qgis fails under the blocker.
    code = BLOCKER.split("import backend")[0] + "import qgis.core\n"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "blocked by the test" in proc.stderr
