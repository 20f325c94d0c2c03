"""Issue 20 item 12: a cancelled run ends as cancelled in the QGIS desktop too, not as "Task failed"."""

import pytest

from tests import qgis_desktop
from tests.conftest import ROOT

CANCEL_IN_DESKTOP = """
import time
import qgis.utils
from qgis.core import QgsCoordinateReferenceSystem, QgsRectangle, QgsSettings
from qgis.PyQt.QtCore import QCoreApplication

def wait(seconds, until=lambda: False):
    end = time.time() + seconds
    while time.time() < end and not until():
        QCoreApplication.processEvents()
        time.sleep(0.01)

# QGIS announces terminated tasks only past a minimum duration: announce every one here
QgsSettings().setValue("minTaskLengthForSystemNotification", 0, QgsSettings.App)
qgis.utils.updateAvailablePlugins()
qgis.utils.loadPlugin("diffusionsat")
qgis.utils.startPlugin("diffusionsat")
dock = qgis.utils.plugins["diffusionsat"].dock
page = dock.page("generate")
page.set_extent(QgsRectangle(465000.0, 5079000.0, 465640.0, 5079640.0), QgsCoordinateReferenceSystem("EPSG:32633"))
started = []

def slow_runner(job, model, progress, cancelled):
    started.append(True)
    while not cancelled():
        time.sleep(0.02)
    return None

page.runner, page.estimator = slow_runner, None
page.run_button.click()
wait(10, lambda: bool(started))
wait(0.3)
page.cancel_button.click()
wait(10, lambda: page.running is None)
wait(0.5)
items = [(item.title(), item.text()) for item in iface.messageBar().items()]
report({"started": bool(started), "status": page.status.text(), "items": items,
        "unload": qgis.utils.unloadPlugin("diffusionsat")})
"""


def test_cancel_says_cancelled_in_dock_and_message_bar(tmp_path):
    if not qgis_desktop.available():
        pytest.skip("needs the qgis binary and xvfb-run")
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "diffusionsat").symlink_to(ROOT)
    result = qgis_desktop.run_in_qgis(CANCEL_IN_DESKTOP, tmp_path, plugin_path=plugins)
    assert result["started"] and result["unload"], result
    assert result["status"] == "Cancelled: nothing was written.", result
    titles = [title for title, _text in result["items"]]
    assert "Task failed" not in titles, result
    assert ("Task cancelled", "DiffusionSat: Generate") in [tuple(i) for i in result["items"]], result
