"""Issue 17, first run of the published plugin: no model installed, the dock offers the demo model's
download (a QGIS task with progress and cancel, from a loopback server) or a folder; settings install
the model from its zip file."""

import dataclasses
import hashlib
import threading

import pytest

import build
from backend import __version__
from tests.conftest import import_plugin_package
from tests.hub_server import HubServer, model_folder

import_plugin_package()
from diffusionsat.backend import hub  # noqa: E402 (the plugin's copy of the backend, as the dock uses it)
from diffusionsat.backend.hub import registry  # noqa: E402
from diffusionsat.plugin import settings as settings_mod  # noqa: E402
from diffusionsat.plugin.dock import DiffusionSatDock  # noqa: E402


@pytest.fixture(scope="module")
def model_zip(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dist")
    build.MODEL_DIR = model_folder(tmp)
    return build.package_model(tmp, __version__)


@pytest.fixture
def published(tmp_path, monkeypatch, model_zip):
    """No resources/models, an empty model cache, the catalogue pointing at a loopback server."""
    monkeypatch.setattr(registry, "bundled_models_dir", lambda: tmp_path / "no-models")
    monkeypatch.setenv("DIFFUSIONSAT_HOME", str(tmp_path / "cache"))
    old = settings_mod.load()
    settings_mod.save(settings_mod.Settings(output_folder=str(tmp_path / "outputs")))
    data = model_zip.read_bytes()
    with HubServer({"/mini.zip": data}, validator="etag", max_requests=50) as server:
        entry = dataclasses.replace(registry.CATALOG["diffusionsat-mini"], url=server.url("/mini.zip"),
                                    size=len(data), sha256=hashlib.sha256(data).hexdigest())
        monkeypatch.setitem(registry.CATALOG, "diffusionsat-mini", entry)
        yield server
    settings_mod.save(old)


def make_dock(qgis_iface, qtbot):
    dock = DiffusionSatDock(qgis_iface)
    qtbot.addWidget(dock)
    return dock


def test_download_offer_installs_the_model_without_restart(published, qgis_iface, qtbot):
    dock = make_dock(qgis_iface, qtbot)
    offer = dock.model_offer
    assert offer is not None and not offer.isHidden()
    size_mb = f"{registry.CATALOG['diffusionsat-mini'].size / 1e6:.0f}"
    assert offer.download_button.text() == f"Download the demo model ({size_mb} MB)"
    offer.download_button.click()
    assert not offer.download_button.isEnabled() and offer.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: offer.task is None, timeout=120000)
    assert offer.status.text() == "The demo model is installed.", offer.status.text()
    assert offer.isHidden() and hub.model_info("diffusionsat-mini").status == "installed"
    assert all(page.run_button.isEnabled() or page.field_errors() for page in dock.pages.values())
    dock.close_tools()
    assert make_dock(qgis_iface, qtbot).model_offer is None  # the next start offers nothing


def test_download_can_be_cancelled_and_resumes(published, qgis_iface, qtbot, monkeypatch):
    gate = threading.Event()
    real = hub.download_model

    def slow(name, progress=None, cancel=None, **kw):
        def held(done, total):
            progress(done, total)
            gate.wait(5)  # hold the transfer until the test has pressed Cancel
        return real(name, progress=held, cancel=cancel, **kw)

    monkeypatch.setattr(hub, "download_model", slow)
    dock = make_dock(qgis_iface, qtbot)
    offer = dock.model_offer
    offer.download_button.click()
    offer.cancel_button.click()
    gate.set()
    qtbot.waitUntil(lambda: offer.task is None, timeout=60000)
    assert offer.status.text().startswith("Download cancelled"), offer.status.text()
    assert not offer.isHidden() and offer.download_button.isEnabled()
    assert hub.model_info("diffusionsat-mini").status == "not installed"
    dock.close_tools()


def test_use_a_model_folder(published, qgis_iface, qtbot):
    dock = make_dock(qgis_iface, qtbot)
    folder = str(build.MODEL_DIR)
    dock.model_offer.ask_folder = lambda: folder
    dock.model_offer.folder_button.click()
    assert all(settings_mod.load().model_for(task) == folder for task in settings_mod.TASKS)
    assert dock.model_offer.isHidden()
    dock.close_tools()


def test_settings_install_model_from_file(published, qgis_iface, qtbot, model_zip):
    dock = make_dock(qgis_iface, qtbot)
    page = dock.settings_page
    page.ask_archive = lambda: str(model_zip)
    page.install_file_button.click()
    qtbot.waitUntil(lambda: page.install_task is None, timeout=120000)
    assert page.model_report.toPlainText().startswith("Installed diffusionsat-mini in "), \
        page.model_report.toPlainText()
    assert dock.model_offer.isHidden() and hub.model_info("diffusionsat-mini").available
    page.install_file_button.click()  # a second time: said, not raised
    qtbot.waitUntil(lambda: page.install_task is None, timeout=60000)
    assert "already installed" in page.model_report.toPlainText()
    dock.close_tools()
