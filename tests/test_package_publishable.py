"""Issue 17: a plugin zip plugins.qgis.org accepts (<= 25 MB, no weights) and the model as a zip of its own,
downloaded (verified against the size and SHA-256 the plugin zip names) or installed from a file."""

import dataclasses
import json
import subprocess  # nosec B404 (test only: the packaged plugin in a fresh interpreter)
import sys
import zipfile

import pytest

import build
from backend import __version__, hub
from backend.hub import registry
from tests.hub_server import HubServer, model_folder


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dist")
    build.MODEL_DIR = model_folder(folder / "src")
    plugin_zip = build.package(folder)
    return plugin_zip, folder / f"diffusionsat-mini-{__version__}.zip"


@pytest.fixture
def published(tmp_path, monkeypatch):
    """As in a plugin installed from plugins.qgis.org: no resources/models, an empty model cache."""
    monkeypatch.setattr(registry, "bundled_models_dir", lambda: tmp_path / "no-models")
    monkeypatch.setenv("DIFFUSIONSAT_HOME", str(tmp_path / "cache"))
    return tmp_path


def test_plugin_zip_is_publishable(dist):
    plugin_zip, model_zip = dist
    assert plugin_zip.stat().st_size <= 25_000_000
    assert build.package_problems(plugin_zip) == []
    names = zipfile.ZipFile(plugin_zip).namelist()
    assert not [n for n in names if n.endswith((".safetensors", ".bin", ".pt", ".ckpt"))]
    release = json.loads(zipfile.ZipFile(plugin_zip).read("diffusionsat/backend/hub/mini_release.json"))
    assert release["size"] == model_zip.stat().st_size
    assert release["sha256"] == build._sha256(model_zip)
    assert release["url"].endswith(f"/v{__version__}/diffusionsat-mini-{__version__}.zip")
    model_names = zipfile.ZipFile(model_zip).namelist()
    assert "diffusionsat-mini/model_index.json" in model_names
    assert all(n.startswith("diffusionsat-mini/") for n in model_names)


def test_model_zip_is_reproducible(dist, tmp_path):
    again = build.package_model(tmp_path, __version__)
    assert build._sha256(again) == build._sha256(dist[1])


def test_scan_refuses_weights_and_size(tmp_path, monkeypatch):
    archive = tmp_path / "p.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("diffusionsat/resources/models/m/unet/diffusion_pytorch_model.safetensors", b"x")
        zf.writestr("diffusionsat/other.pt", b"x")
    problems = build.package_problems(archive)
    assert len(problems) == 2 and all("model zip" in p for p in problems)
    monkeypatch.setattr(build, "MAX_PLUGIN_ZIP", 10)
    assert any("over the 0 MB limit" in p for p in build.package_problems(archive))


def test_packaged_plugin_names_the_model_download(dist, tmp_path):
    plugin_zip, model_zip = dist
    with zipfile.ZipFile(plugin_zip) as zf:
        zf.extractall(tmp_path)
    probe = ("import json, sys; sys.path.insert(0, sys.argv[1]); from diffusionsat.backend import hub; "
             "e = hub.CATALOG['diffusionsat-mini']; row = hub.model_info('diffusionsat-mini'); "
             "print(json.dumps([e.size, e.sha256, hub.bundled_present(), row.status]))")
    out = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True,  # nosec B603
                         timeout=120, env={"DIFFUSIONSAT_HOME": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    size, sha256, present, status = json.loads(out.stdout)
    assert size == model_zip.stat().st_size and sha256 == build._sha256(model_zip)
    assert present is False and status == "not installed"


def test_download_the_model_as_the_published_plugin_does(dist, published, monkeypatch):
    _, model_zip = dist
    data = model_zip.read_bytes()
    with pytest.raises(hub.NotInstalledError, match="models download diffusionsat-mini"):
        hub.resolve_model("diffusionsat-mini")
    with HubServer({"/mini.zip": data}, validator="etag") as server:
        entry = dataclasses.replace(registry.CATALOG["diffusionsat-mini"], url=server.url("/mini.zip"),
                                    size=len(data), sha256=build._sha256(model_zip))
        monkeypatch.setitem(registry.CATALOG, "diffusionsat-mini", entry)
        info = hub.download_model("diffusionsat-mini")
    assert info.status == "installed" and info.sha256 == entry.sha256
    assert hub.load_registry()["models"]["diffusionsat-mini"]["sha256_verified"] is True
    folder = hub.resolve_model("diffusionsat-mini")
    assert (folder / "model_index.json").is_file() and str(folder).startswith(str(published / "cache"))


def test_install_the_model_from_a_file(dist, published):
    _, model_zip = dist
    info = hub.install_model_file(model_zip)
    assert info.status == "installed" and model_zip.exists()
    assert hub.resolve_model("diffusionsat-mini").joinpath("unet").is_dir()
    with pytest.raises(hub.HubError, match="already installed"):
        hub.install_model_file(model_zip)
    bad = published / "notes.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("readme.txt", "no model here")
    with pytest.raises(hub.InvalidModelFolderError, match="holds no model folder"):
        hub.install_model_file(bad, name="other")
    with pytest.raises(hub.HubError, match="not a .zip"):
        hub.install_model_file(published / "cache" / "registry.json", name="other")
    hub.remove_model("diffusionsat-mini")
    assert hub.model_info("diffusionsat-mini").status == "not installed"


@pytest.mark.skipif(not hub.bundled_present(), reason="the checkout's model is being replaced")
def test_checkout_keeps_using_the_bundled_folder():
    assert hub.bundled_present()
    assert hub.model_info("diffusionsat-mini").status == "bundled"
    with pytest.raises(hub.HubError, match="bundled"):
        hub.download_model("diffusionsat-mini")
