"""The plugin zip that QGIS's "Install from ZIP" takes, and metadata.txt as plugins.qgis.org wants it."""

import configparser
import zipfile

import build
from backend import __version__
from tests.conftest import ROOT

REQUIRED_METADATA = [
    "name", "qgisMinimumVersion", "description", "about", "version", "author", "email", "repository",
    "tracker", "homepage", "category", "icon", "tags", "license", "hasProcessingProvider", "supportsQt6",
]


def read_metadata():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "metadata.txt", encoding="utf-8")
    return parser["general"]


def test_metadata_complete_and_consistent():
    meta = read_metadata()
    missing = [key for key in REQUIRED_METADATA if not meta.get(key, "").strip()]
    assert not missing, f"metadata.txt lacks {missing}"
    assert meta["qgisMinimumVersion"] == "3.22"
    assert meta["hasProcessingProvider"] == "yes"
    assert meta["supportsQt6"] == "True"
    assert meta["license"] == "Apache-2.0"
    assert meta["version"] == __version__, "metadata.txt and backend/version.py disagree"
    assert (ROOT / meta["icon"]).is_file()


def test_zip_layout(tmp_path):
    archive = build.package(tmp_path)
    assert archive.name == f"diffusionsat-{__version__}.zip"
    names = zipfile.ZipFile(archive).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"diffusionsat"}, "the zip must hold exactly one top folder"
    for required in ["metadata.txt", "__init__.py", "LICENSE", "plugin/main.py", "backend/__init__.py",
                     "resources/icon.png"]:
        assert f"diffusionsat/{required}" in names, required
    for name in names:
        parts = name.split("/")
        assert parts[1] not in {"training", "tests", ".venv", "dist", ".ci", "build.py"}, name
        assert "__pycache__" not in parts and not name.endswith((".pyc", ".ts")), name
    qm = [n for n in names if n.endswith(".qm")]
    assert {"diffusionsat/i18n/diffusionsat_fr.qm", "diffusionsat/i18n/diffusionsat_de.qm"} <= set(qm)


def test_no_qt5_only_imports_in_plugin():
    """supportsQt6=True: the plugin imports Qt through qgis.PyQt only."""
    offenders = []
    for path in list((ROOT / "plugin").rglob("*.py")) + [ROOT / "__init__.py"]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith(("from PyQt5", "import PyQt5", "from PyQt6", "import PyQt6")):
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert not offenders, offenders
