"""Issue 20 item 10: a resumed download continues only the same server file; redirects stay on http(s)."""

import hashlib
import os
import threading

import pytest

from backend import hub
from tests.hub_server import HubServer

FAST = {"backoff": 0.01}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def interrupted(server, path, dest, after=60_000):
    """A first transfer cancelled once ``after`` bytes arrived; returns the part file."""
    cancel = threading.Event()

    def progress(done, total):
        if done >= after:
            cancel.set()

    with pytest.raises(hub.DownloadCancelled):
        hub.download(server.url(path), dest, progress=progress, cancel=cancel, chunk_size=10_000, **FAST)
    return dest.with_name(dest.name + ".part")


@pytest.mark.parametrize("validator", ["etag", "last-modified"])
def test_unchanged_file_resumes_with_if_range(tmp_path, validator):
    data = os.urandom(200_000)
    with HubServer({"/f.bin": data}, validator=validator) as server:
        part = interrupted(server, "/f.bin", tmp_path / "f.bin")
        assert part.stat().st_size == 60_000
        result = hub.download(server.url("/f.bin"), tmp_path / "f.bin", sha256=sha(data), **FAST)
        second = server.requests[-1]
    sent = second["headers"]
    assert sent["Range"] == "bytes=60000-" and second["status"] == 206
    assert sent["If-Range"] == (f'"{sha(data)[:16]}"' if validator == "etag" else "Mon, 01 Jan 2024 00:00:00 GMT")
    assert result.resumed and result.sha256 == sha(data)
    assert not part.exists() and not (tmp_path / "f.bin.part.json").exists()


@pytest.mark.parametrize("validator", ["etag", "last-modified"])
def test_changed_file_starts_over(tmp_path, validator):
    old, new = os.urandom(150_000), os.urandom(180_000)
    with HubServer({"/f.bin": old}, validator=validator) as server:
        interrupted(server, "/f.bin", tmp_path / "f.bin")
        server.files["/f.bin"] = new
        server.modified["/f.bin"] = "Tue, 02 Jan 2024 00:00:00 GMT"
        result = hub.download(server.url("/f.bin"), tmp_path / "f.bin", **FAST)
        assert server.requests[-1]["status"] == 200  # If-Range did not match: the whole new file
    assert (tmp_path / "f.bin").read_bytes() == new and result.sha256 == sha(new)


def test_server_ignoring_if_range_is_caught_by_the_validator(tmp_path):
    old, new = os.urandom(150_000), os.urandom(150_000)
    with HubServer({"/f.bin": old}, validator="etag", ignore_if_range=True) as server:
        interrupted(server, "/f.bin", tmp_path / "f.bin")
        server.files["/f.bin"] = new
        result = hub.download(server.url("/f.bin"), tmp_path / "f.bin", **FAST)
        statuses = [r["status"] for r in server.requests]
    # the 206 carried another ETag: its bytes were not appended, the download started over
    assert statuses[-2:] == [206, 200]
    assert (tmp_path / "f.bin").read_bytes() == new and result.sha256 == sha(new)


def test_part_without_validator_resumes_as_before(tmp_path):
    data = os.urandom(100_000)
    (tmp_path / "f.bin.part").write_bytes(data[:30_000])
    with HubServer({"/f.bin": data}) as server:
        result = hub.download(server.url("/f.bin"), tmp_path / "f.bin", sha256=sha(data), **FAST)
        assert "If-Range" not in server.requests[0]["headers"]
    assert result.resumed and result.sha256 == sha(data)


@pytest.mark.parametrize("target", ["ftp://127.0.0.1/model.zip", "file:///etc/passwd"])
def test_redirect_to_another_scheme_is_refused(tmp_path, target):
    with HubServer({}, redirects={"/model.zip": target}) as server:
        with pytest.raises(hub.DownloadError, match=r"(?i)redirect"):
            hub.download(server.url("/model.zip"), tmp_path / "m.zip", **FAST)
        assert len(server.requests) == 1  # refused, not retried
    assert not list(tmp_path.iterdir())


def test_ftp_start_url_is_refused_too(tmp_path):
    with pytest.raises(hub.DownloadError, match="only http:// and https://"):
        hub.download("ftp://127.0.0.1/model.zip", tmp_path / "m.zip")
