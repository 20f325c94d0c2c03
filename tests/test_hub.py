"""Model manager (backend.hub): catalogue, cache, resumable verified downloads, safe unpacking.

Everything runs against tests/hub_server.py on 127.0.0.1; nothing leaves the machine.
"""

import hashlib
import io
import json
import os
import struct
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

from backend import hub
from backend.hub import cache, registry
from tests.hub_server import HubServer

FAST = {"backoff": 0.0}


# --------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """A private cache, no bundled model, and no strict-loader hooks (tests opt in to fakes)."""
    home = tmp_path / "home"
    monkeypatch.setenv("DIFFUSIONSAT_HOME", str(home))
    monkeypatch.setattr(registry, "bundled_models_dir", lambda: tmp_path / "bundled")
    monkeypatch.setattr(registry, "_inspect_hook", lambda: None)
    monkeypatch.setattr(registry, "_convert_hook", lambda: None)
    return home


def tiny_safetensors() -> bytes:
    header = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + struct.pack("<4f", 1, 2, 3, 4)


def model_files(top="mymodel", weights="diffusion_pytorch_model.safetensors", padding=200_000):
    blob = tiny_safetensors() if weights.endswith(".safetensors") else b"torch-pickle-stand-in"
    return {
        f"{top}/model_index.json": json.dumps({"_class_name": "DiffusionSatPipeline"}).encode(),
        f"{top}/unet/config.json": b"{}",
        f"{top}/unet/{weights}": blob,
        # incompressible padding so that the transfer spans several chunks and can be cut
        f"{top}/padding.bin.txt": os.urandom(padding),
    }


def make_zip(files) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def make_tar(files, mode="w:gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_model_dir(root: Path) -> Path:
    (root / "unet").mkdir(parents=True)
    (root / "model_index.json").write_text("{}")
    return root


# --------------------------------------------------------------------------- catalogue and cache


def test_catalogue_entries_are_complete_and_honest():
    assert list(hub.CATALOG) == ["diffusionsat-mini", "diffusionsat-512", "diffusionsat-256",
                                 "diffusionsat-texas-controlnet3d", "diffusionsat-fmow-sentinel-sr"]
    for entry in hub.CATALOG.values():
        assert entry.title and entry.task and entry.licence and "khanna2024diffusionsat" in entry.citation
        assert entry.sha256 is None  # unknown here: never invented
        if not entry.bundled:
            assert entry.url.startswith("https://zenodo.org/records/") and entry.url.endswith(".zip")
            assert entry.url.startswith(entry.page + "/files/")
    assert hub.CATALOG["diffusionsat-512"].resolution == 512
    assert hub.CATALOG["diffusionsat-256"].resolution == 256


def test_cache_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("DIFFUSIONSAT_HOME", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub.cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("DIFFUSIONSAT_HOME")
    assert hub.cache_dir() == tmp_path / "xdg" / "diffusionsat"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.setattr(cache.sys, "platform", "linux")
    assert hub.cache_dir() == tmp_path / "user" / ".cache" / "diffusionsat"
    assert hub.cache_dir(tmp_path / "given") == tmp_path / "given"


def test_list_models_fresh_cache(tmp_path):
    rows = {row.name: row for row in hub.list_models()}
    assert rows["diffusionsat-mini"].status == "not installed"
    assert all(row.status == "not installed" for row in rows.values())
    make_model_dir(tmp_path / "bundled" / "diffusionsat-mini")
    rows = {row.name: row for row in hub.list_models()}
    assert rows["diffusionsat-mini"].status == "bundled"
    assert rows["diffusionsat-mini"].path == tmp_path / "bundled" / "diffusionsat-mini"
    json.dumps([row.to_dict() for row in rows.values()])  # serialisable for the CLI


def test_damaged_registry_is_kept_aside(isolated):
    isolated.mkdir(parents=True)
    (isolated / "registry.json").write_text("{not json")
    assert [row.status for row in hub.list_models()] == ["not installed"] * 5
    assert (isolated / "registry.json.bad").read_text() == "{not json"


# --------------------------------------------------------------------------- downloads


def test_download_install_register(isolated, monkeypatch):
    archive = make_zip(model_files())
    with HubServer({"/m.zip": archive}) as server:
        entry = registry.ModelEntry(
            name="diffusionsat-256", title="test", task="t", resolution=256, size=len(archive),
            url=server.url("/m.zip"), page=server.url("/"), sha256=sha(archive), licence="x",
            citation=registry.CITATION, source="test")
        monkeypatch.setitem(registry.CATALOG, "diffusionsat-256", entry)
        seen = []
        info = hub.download_model("diffusionsat-256", progress=lambda done, total: seen.append((done, total)))
    assert info.status == "installed"
    assert info.path == isolated / "models" / "diffusionsat-256" / "original" / "mymodel"
    assert (info.path / "model_index.json").is_file()
    assert seen[-1] == (len(archive), len(archive))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert hub.resolve_model("diffusionsat-256") == info.path
    record = json.loads((isolated / "registry.json").read_text())["models"]["diffusionsat-256"]
    assert record["sha256"] == sha(archive) and record["sha256_verified"] is True
    assert record["url"] == entry.url and record["installed_at"] and record["path"] == str(info.path)
    assert not list((isolated / "downloads").iterdir())  # the archive is removed after install
    assert not [p for p in (isolated / "models").iterdir() if p.name.startswith(".")]
    with pytest.raises(hub.HubError, match="already installed"):
        hub.download_model("diffusionsat-256")
    removed = hub.remove_model("diffusionsat-256")
    assert removed.status == "installed" and not (isolated / "models" / "diffusionsat-256").exists()
    assert {row.name: row.status for row in hub.list_models()}["diffusionsat-256"] == "not installed"


def test_custom_url_tar_gz_records_computed_sha(isolated):
    archive = make_tar(model_files(top="a/b", padding=1000))
    with HubServer({"/x.tar.gz": archive}) as server:
        info = hub.download_model("my-model", url=server.url("/x.tar.gz"))
    assert info.status == "installed" and info.path.name == "b"
    assert info.sha256 == sha(archive)
    record = hub.load_registry()["models"]["my-model"]
    assert record["sha256_verified"] is False and record["converted"] is False


def test_interrupted_transfer_resumes_with_range(tmp_path):
    data = os.urandom(300_000)
    with HubServer({"/f.bin": data}, drop_after=70_000) as server:
        result = hub.download(server.url("/f.bin"), tmp_path / "f.bin", sha256=sha(data), chunk_size=16_384, **FAST)
        requests = list(server.requests)
    assert len(requests) == 2
    assert "Range" not in requests[0]["headers"] and requests[0]["sent"] == 70_000
    assert requests[1]["headers"]["Range"] == "bytes=70000-" and requests[1]["status"] == 206
    assert result.resumed and result.sha256 == sha(data)
    assert hub.sha256_file(tmp_path / "f.bin") == sha(data)
    assert not (tmp_path / "f.bin.part").exists()


def test_resume_through_redirect_keeps_range(tmp_path):
    data = os.urandom(120_000)
    with HubServer({"/files/f.bin": data}, redirects={"/f.bin": "/files/f.bin"}, drop_after=30_000,
                   drop_times=1) as server:
        result = hub.download(server.url("/f.bin"), tmp_path / "f.bin", sha256=sha(data), **FAST)
        statuses = [(r["path"], r["status"], r["headers"].get("Range")) for r in server.requests]
    assert statuses == [("/f.bin", 302, None), ("/files/f.bin", 200, None),
                        ("/f.bin", 302, "bytes=30000-"), ("/files/f.bin", 206, "bytes=30000-")]
    assert result.sha256 == sha(data)


def test_flaky_link_that_progresses_is_not_counted_against_retries(tmp_path):
    data = os.urandom(100_000)
    with HubServer({"/f.bin": data}, drop_after=20_000, drop_times=4) as server:
        result = hub.download(server.url("/f.bin"), tmp_path / "f.bin", retries=1, chunk_size=8192, **FAST)
        assert [r["status"] for r in server.requests] == [200, 206, 206, 206, 206]
    assert result.sha256 == sha(data) and result.attempts == 5


def test_partial_download_is_listed(isolated):
    (isolated / "downloads").mkdir(parents=True)
    (isolated / "downloads" / "diffusionsat-512--x.zip.part").write_bytes(b"1234")
    row = hub.model_info("diffusionsat-512")
    assert row.status == "not installed" and any("partial download of 4 bytes" in n for n in row.notes)


def test_cancel_keeps_part_and_next_call_resumes(tmp_path):
    data = os.urandom(200_000)
    cancel = threading.Event()

    def progress(done, total):
        if done >= 50_000:
            cancel.set()

    with HubServer({"/f.bin": data}) as server:
        with pytest.raises(hub.DownloadCancelled):
            hub.download(server.url("/f.bin"), tmp_path, progress=progress, cancel=cancel, chunk_size=16_384)
        part = tmp_path / "f.bin.part"
        kept = part.stat().st_size
        assert 50_000 <= kept < len(data)
        result = hub.download(server.url("/f.bin"), tmp_path, sha256=sha(data))
        assert server.requests[-1]["headers"]["Range"] == f"bytes={kept}-"
    assert result.path == tmp_path / "f.bin" and result.sha256 == sha(data) and not part.exists()


def test_server_ignoring_range_restarts_from_zero(tmp_path):
    data = os.urandom(100_000)
    (tmp_path / "f.bin.part").write_bytes(b"stale bytes from another file")
    with HubServer({"/f.bin": data}, ignore_range=True) as server:
        result = hub.download(server.url("/f.bin"), tmp_path / "f.bin", sha256=sha(data), **FAST)
        assert server.requests[0]["headers"]["Range"] == "bytes=29-" and server.requests[0]["status"] == 200
    assert result.sha256 == sha(data) and (tmp_path / "f.bin").read_bytes() == data


def test_complete_part_file_and_416(tmp_path):
    data = os.urandom(5000)
    (tmp_path / "f.bin.part").write_bytes(data)
    with HubServer({"/f.bin": data}) as server:
        result = hub.download(server.url("/f.bin"), tmp_path / "f.bin", sha256=sha(data))
        assert server.requests[0]["status"] == 416
    assert result.sha256 == sha(data)


def test_wrong_checksum_is_rejected_and_leaves_no_file(tmp_path):
    data = os.urandom(50_000)
    wrong = "0" * 64
    with HubServer({"/f.bin": data}) as server:
        with pytest.raises(hub.ChecksumError) as caught:
            hub.download(server.url("/f.bin"), tmp_path / "f.bin", sha256=wrong)
    message = str(caught.value)
    assert wrong in message and sha(data) in message and "sha256 mismatch" in message
    assert caught.value.expected == wrong and caught.value.actual == sha(data)
    assert list(tmp_path.iterdir()) == []


def test_wrong_checksum_installs_nothing(isolated):
    archive = make_zip(model_files(padding=10))
    with HubServer({"/m.zip": archive}) as server:
        with pytest.raises(hub.ChecksumError):
            hub.download_model("bad", url=server.url("/m.zip"), sha256="f" * 64)
    assert not (isolated / "models" / "bad").exists()
    assert list((isolated / "downloads").iterdir()) == []
    assert "bad" not in hub.load_registry()["models"]


def test_retries_then_gives_up(tmp_path):
    data = b"x" * 1000
    with HubServer({"/f.bin": data}, fail_first=2) as server:
        assert hub.download(server.url("/f.bin"), tmp_path / "ok", retries=2, **FAST).size == 1000
    with HubServer({"/f.bin": data}, fail_first=10) as server:
        with pytest.raises(hub.DownloadError, match="after 2 retries"):
            hub.download(server.url("/f.bin"), tmp_path / "no", retries=2, **FAST)
        assert len(server.requests) == 3
    with HubServer({"/f.bin": data}) as server:
        with pytest.raises(hub.DownloadError, match="HTTP 404"):
            hub.download(server.url("/missing"), tmp_path / "no", **FAST)
        assert len(server.requests) == 1  # a 404 is not retried
    with pytest.raises(hub.DownloadError, match="only http"):
        hub.download("ftp://127.0.0.1/x", tmp_path / "no")


# --------------------------------------------------------------------------- archives


def test_zip_slip_and_absolute_members_rejected(tmp_path):
    for name in ["../evil.txt", "ok/../../evil.txt", "/abs/evil.txt", "C:/evil.txt", "..\\evil.txt"]:
        bad = tmp_path / "bad.zip"
        bad.write_bytes(make_zip({"good/model_index.json": b"{}", name: b"owned"}))
        with pytest.raises(hub.UnsafeArchiveError):
            hub.extract_archive(bad, tmp_path / "out" / "dest")
        assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "out" / "evil.txt").exists()
        assert list((tmp_path / "out").iterdir()) == []  # the staging folder is gone too


def test_tar_links_and_traversal_rejected(tmp_path):
    bad = tmp_path / "bad.tar"
    bad.write_bytes(make_tar({"../evil.txt": b"owned"}, mode="w"))
    with pytest.raises(hub.UnsafeArchiveError, match=r"\.\."):
        hub.extract_archive(bad, tmp_path / "dest")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        link = tarfile.TarInfo("model/unet")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc"
        archive.addfile(link)
    bad.write_bytes(buffer.getvalue())
    with pytest.raises(hub.UnsafeArchiveError, match="link"):
        hub.extract_archive(bad, tmp_path / "dest")
    assert not (tmp_path / "dest").exists()


def test_zip_slip_download_leaves_nothing(isolated):
    archive = make_zip({"m/model_index.json": b"{}", "m/unet/x": b"", "../../escape.txt": b"owned"})
    with HubServer({"/m.zip": archive}) as server:
        with pytest.raises(hub.UnsafeArchiveError):
            hub.download_model("slip", url=server.url("/m.zip"))
    assert not (isolated.parent / "escape.txt").exists()
    assert list((isolated / "models").iterdir()) == []
    assert list((isolated / "downloads").iterdir()) == []  # the unsafe archive is deleted
    assert "slip" not in hub.load_registry()["models"]


def test_archive_without_model_folder(isolated):
    archive = make_zip({"readme.txt": b"hello"})
    with HubServer({"/m.zip": archive}) as server:
        with pytest.raises(hub.InvalidModelFolderError, match="holds no model folder"):
            hub.download_model("empty", url=server.url("/m.zip"))
    assert list((isolated / "models").iterdir()) == []


def test_bin_weights_converted_once_through_hook(isolated, monkeypatch):
    calls = []

    def fake_convert(src, dst):
        calls.append((Path(src), Path(dst)))
        make_model_dir(Path(dst))
        (Path(dst) / "unet" / "diffusion_pytorch_model.safetensors").write_bytes(tiny_safetensors())

    archive = make_zip(model_files(top="ckpt", weights="diffusion_pytorch_model.bin", padding=10))
    with HubServer({"/m.zip": archive, "/n.zip": archive}) as server:
        hub.download_model("plain", url=server.url("/n.zip"))
        monkeypatch.setattr(registry, "_convert_hook", lambda: fake_convert)
        info = hub.download_model("conv", url=server.url("/m.zip"))
    plain = hub.model_info("plain")
    assert plain.converted is False and any(".bin weight file(s) left" in note for note in plain.notes)
    assert len(calls) == 1 and calls[0][0].name == "ckpt"
    assert info.converted is True and info.path == isolated / "models" / "conv" / "diffusers"
    assert (info.path / "unet" / "diffusion_pytorch_model.safetensors").is_file()
    assert (isolated / "models" / "conv" / "original" / "ckpt").is_dir()  # keep_original defaults to True


# --------------------------------------------------------------------------- add / resolve / remove


def test_add_model_validation_errors_are_clear(tmp_path):
    with pytest.raises(hub.InvalidModelFolderError, match="does not exist"):
        hub.add_model(tmp_path / "nowhere")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(hub.InvalidModelFolderError, match="is a file"):
        hub.add_model(tmp_path / "file.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(hub.InvalidModelFolderError, match="no model_index.json, unet/ or controlnet/"):
        hub.add_model(tmp_path / "empty")
    make_model_dir(tmp_path / "outer" / "inner")
    with pytest.raises(hub.InvalidModelFolderError, match="seems to be in .*inner"):
        hub.add_model(tmp_path / "outer")
    good = make_model_dir(tmp_path / "My Model")
    with pytest.raises(hub.InvalidModelFolderError, match="invalid model name"):
        hub.add_model(good, name="../x")
    with pytest.raises(hub.InvalidModelFolderError, match="bundled"):
        hub.add_model(good, name="diffusionsat-mini")
    info = hub.add_model(good)
    assert info.name == "My-Model" and info.status == "user-added" and info.path == good.resolve()
    with pytest.raises(hub.InvalidModelFolderError, match="already registered"):
        hub.add_model(good, name="My-Model")


def test_add_model_uses_strict_hook(tmp_path, monkeypatch):
    good = make_model_dir(tmp_path / "m")

    def strict(path):
        raise ValueError("unet/config.json lacks num_metadata")

    monkeypatch.setattr(registry, "_inspect_hook", lambda: strict)
    with pytest.raises(hub.InvalidModelFolderError, match="lacks num_metadata"):
        hub.add_model(good)
    monkeypatch.setattr(registry, "_inspect_hook", lambda: lambda path: {"ok": False, "errors": ["no vae"]})
    with pytest.raises(hub.InvalidModelFolderError, match="no vae"):
        hub.add_model(good)
    monkeypatch.setattr(registry, "_inspect_hook", lambda: lambda path: type("R", (), {"errors": ["bad vae"]})())
    with pytest.raises(hub.InvalidModelFolderError, match="bad vae"):
        hub.add_model(good)
    monkeypatch.setattr(registry, "_inspect_hook", lambda: lambda path: {"ok": True})
    assert hub.add_model(good, name="diffusionsat-512").status == "user-added"  # a hand-downloaded official model
    assert {row.name: row.status for row in hub.list_models()}["diffusionsat-512"] == "user-added"


def test_resolve_model(tmp_path):
    folder = make_model_dir(tmp_path / "somewhere")
    assert hub.resolve_model(str(folder)) == folder.resolve()
    assert hub.resolve_model(folder) == folder.resolve()
    with pytest.raises(hub.NotInstalledError, match="demonstration model .* not installed: run .models download diffusionsat-mini"):
        hub.resolve_model("diffusionsat-mini")
    bundled = make_model_dir(tmp_path / "bundled" / "diffusionsat-mini")
    assert hub.resolve_model("diffusionsat-mini") == bundled
    with pytest.raises(hub.NotInstalledError, match="models download diffusionsat-512"):
        hub.resolve_model("diffusionsat-512")
    hub.add_model(folder, name="mine")
    assert hub.resolve_model("mine") == folder.resolve()
    with pytest.raises(hub.ModelNotFoundError) as caught:
        hub.resolve_model("no-such-model")
    for known in ["diffusionsat-mini", "diffusionsat-512", "diffusionsat-256", "mine"]:
        assert known in str(caught.value)
    with pytest.raises(hub.InvalidModelFolderError, match="does not exist"):
        hub.resolve_model(str(tmp_path / "gone"))


def test_remove_user_model_keeps_folder(tmp_path):
    folder = make_model_dir(tmp_path / "keep")
    hub.add_model(folder, name="keep")
    assert hub.remove_model("keep").status == "user-added"
    assert folder.is_dir() and "keep" not in hub.load_registry()["models"]
    with pytest.raises(hub.ModelNotFoundError):
        hub.remove_model("keep")
    with pytest.raises(hub.NotInstalledError):
        hub.remove_model("diffusionsat-256")
    with pytest.raises(hub.NotInstalledError):  # not bundled here, not downloaded
        hub.remove_model("diffusionsat-mini")


def test_moved_user_folder_reports_missing(tmp_path):
    folder = make_model_dir(tmp_path / "m")
    hub.add_model(folder, name="m")
    folder.rename(tmp_path / "moved")
    assert hub.model_info("m").status == "missing"
    with pytest.raises(hub.NotInstalledError, match="no longer exists"):
        hub.resolve_model("m")
