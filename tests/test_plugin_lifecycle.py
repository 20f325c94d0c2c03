"""The packaged plugin in the real QGIS desktop: found, started, and unloaded without leftovers."""

import zipfile

import pytest

import build
from tests import qgis_desktop

pytestmark = pytest.mark.skipif(not qgis_desktop.available(), reason="needs the qgis binary and xvfb-run")

LIFECYCLE = """
import qgis.utils
from qgis.core import QgsApplication
from qgis.PyQt.QtCore import QCoreApplication, QEvent
from qgis.PyQt.QtWidgets import QDockWidget

def state():
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    win = iface.mainWindow()
    menu_titles = [a.text() for a in iface.rasterMenu().actions()]
    sub = [a.menu() for a in iface.rasterMenu().actions() if a.menu() and a.text() == "&DiffusionSat"]
    return {
        "toolbar": [a.objectName() for a in iface.pluginToolBar().actions()],
        "raster_menu": menu_titles,
        "raster_submenu_actions": [a.objectName() for m in sub for a in m.actions()],
        "docks": [d.objectName() for d in win.findChildren(QDockWidget) if d.objectName().startswith("diffusionsat")],
        "provider": QgsApplication.processingRegistry().providerById("diffusionsat") is not None,
        "messages": [w.text() for w in iface.messageBar().items()],
        "loaded": "diffusionsat" in qgis.utils.active_plugins,
    }

qgis.utils.updateAvailablePlugins()
available = "diffusionsat" in qgis.utils.available_plugins
ok_load = qgis.utils.loadPlugin("diffusionsat")
ok_start = qgis.utils.startPlugin("diffusionsat")
started = state()
module_file = __import__("diffusionsat").__file__
ok_unload = qgis.utils.unloadPlugin("diffusionsat")
after = state()
report({"available": available, "load": ok_load, "start": ok_start, "unload": ok_unload,
        "started": started, "after": after, "module_file": module_file})
"""


@pytest.fixture(scope="module")
def plugin_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("plugin")
    archive = build.package(tmp / "dist")
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(tmp / "plugins")
    return tmp / "plugins"


@pytest.mark.parametrize("with_venv", [True, False], ids=["deps-present", "deps-missing"])
def test_package_starts_and_unloads_cleanly(plugin_dir, tmp_path, with_venv):
    result = qgis_desktop.run_in_qgis(LIFECYCLE, tmp_path, plugin_path=plugin_dir, with_venv=with_venv)
    assert result["available"] and result["load"] and result["start"], result
    assert result["module_file"].startswith(str(plugin_dir)), "QGIS loaded the plugin from somewhere else"

    started = result["started"]
    assert "diffusionsat_show_dock" in started["toolbar"]
    assert "&DiffusionSat" in started["raster_menu"]
    assert started["raster_submenu_actions"] == ["diffusionsat_show_dock"]
    assert started["docks"] == ["diffusionsat_dock"]
    assert started["provider"] and started["loaded"]

    missing_messages = [m for m in started["messages"] if "DiffusionSat needs Python packages" in m]
    if with_venv:
        assert not missing_messages, started["messages"]
    else:
        # QGIS's own Python has no torch: the plugin still loads and names what is missing.
        assert missing_messages and "torch" in missing_messages[0]

    after = result["after"]
    assert result["unload"]
    assert "diffusionsat_show_dock" not in after["toolbar"]
    assert "&DiffusionSat" not in after["raster_menu"]
    assert after["docks"] == []
    assert not after["provider"]
    assert not after["loaded"]
