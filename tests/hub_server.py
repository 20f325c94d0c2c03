"""A loopback HTTP server for the model-manager tests (127.0.0.1, a free port, a daemon thread).

    with HubServer({"/model.zip": data}, drop_after=50_000) as server:
        url = server.url("/model.zip")
        ...
        server.requests  # [{"path", "headers", "status", "sent"}, ...]

Modes (combinable):

* ``drop_after=N``: the first ``drop_times`` file answers send their headers (with the full
  Content-Length) and only N body bytes, then close the connection;
* ``ignore_range=True``: ``Range`` headers are ignored, the whole file is sent with ``200``;
* ``fail_first=K``: the first K requests get ``503 Service Unavailable``;
* ``redirects={"/old": "/new"}``: ``302`` to another path (as file hosts do), or to any URL;
* ``validator="etag"`` or ``"last-modified"``: answers carry a strong ETag (from the content) or a
  Last-Modified date (``modified[path]``, default a fixed date) and honour ``If-Range`` (a validator
  that does not match gets the whole file, ``200``) unless ``ignore_if_range=True``. Replace
  ``server.files[path]`` (and ``server.modified[path]``) to change the file between requests.

It is bounded: after ``max_requests`` requests every further one gets ``503``, each connection has a
short socket time-out, and leaving the ``with`` block shuts it down.
"""

from __future__ import annotations

import hashlib
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Optional


class HubServer:
    def __init__(self, files: Dict[str, bytes], *, drop_after: Optional[int] = None, drop_times: int = 1,
                 ignore_range: bool = False, fail_first: int = 0, max_requests: int = 20,
                 redirects: Optional[Dict[str, str]] = None, validator: Optional[str] = None,
                 ignore_if_range: bool = False):
        self.files = dict(files)
        self.drop_after = drop_after
        self.drop_times = drop_times
        self.ignore_range = ignore_range
        self.fail_first = fail_first
        self.redirects = dict(redirects or {})
        self.validator = validator
        self.ignore_if_range = ignore_if_range
        self.modified: Dict[str, str] = {}
        self.drops = 0
        self.max_requests = max_requests
        self.requests = []
        self._lock = threading.Lock()
        self._httpd = None
        self._thread = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> "HubServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        server = self
        handler = type("Handler", (_Handler,), {"hub": server})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="hub-test-server", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=5)
            self._httpd = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    # ------------------------------------------------------------------ bookkeeping

    def _register(self, path: str, headers) -> dict:
        with self._lock:
            record = {"path": path, "headers": dict(headers.items()), "status": None, "sent": 0,
                      "index": len(self.requests)}
            self.requests.append(record)
            return record


class _Handler(BaseHTTPRequestHandler):
    hub: HubServer = None
    protocol_version = "HTTP/1.1"
    timeout = 10

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass

    def do_GET(self) -> None:
        hub = self.hub
        record = hub._register(self.path, self.headers)
        index = record["index"]
        self.close_connection = True
        if index >= hub.max_requests or index < hub.fail_first:
            return self._simple(record, 503, b"busy")
        if self.path in hub.redirects:
            record["status"] = 302
            self.send_response(302)
            self.send_header("Location", hub.redirects[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = hub.files.get(self.path)
        if data is None:
            return self._simple(record, 404, b"not found")
        total = len(data)
        start, status = 0, 200
        wanted = self.headers.get("Range")
        validators = self._validators(data)
        if_range = self.headers.get("If-Range")
        if wanted and if_range and not hub.ignore_if_range and if_range not in validators.values():
            wanted = None  # the file changed since the client's partial copy: send all of it
        if wanted and not hub.ignore_range:
            match = re.fullmatch(r"bytes=(\d+)-(\d*)", wanted.strip())
            if match:
                start = int(match.group(1))
                end = int(match.group(2)) if match.group(2) else total - 1
                if start >= total:
                    record["status"] = 416
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{total}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = data[start:min(end, total - 1) + 1]
                status = 206
        body = data[start:] if status == 200 else body
        record["status"] = status
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "none" if hub.ignore_range else "bytes")
        for name, value in validators.items():
            self.send_header(name, value)
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{start + len(body) - 1}/{total}")
        self.end_headers()
        with hub._lock:
            drop = hub.drop_after is not None and hub.drops < hub.drop_times
            hub.drops += drop
        if drop:
            body = body[:hub.drop_after]
        self.wfile.write(body)
        record["sent"] = len(body)
        self.wfile.flush()
        if drop:
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _validators(self, data: bytes) -> Dict[str, str]:
        if self.hub.validator == "etag":
            return {"ETag": '"' + hashlib.sha256(data).hexdigest()[:16] + '"'}
        if self.hub.validator == "last-modified":
            return {"Last-Modified": self.hub.modified.get(self.path, "Mon, 01 Jan 2024 00:00:00 GMT")}
        return {}

    def _simple(self, record: dict, status: int, body: bytes) -> None:
        record["status"] = status
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def model_folder(tmp) -> "Path":
    """The demo model folder to package in tests: the checkout's, or HEAD's copy while it is being replaced."""
    import subprocess  # nosec B404 (test only: git archive of the committed model)
    import tarfile
    from pathlib import Path

    import build

    if (build.MODEL_DIR / "model_index.json").is_file():
        return build.MODEL_DIR
    archive = Path(tmp) / "model.tar"
    subprocess.run(["git", "archive", "-o", str(archive), "HEAD", "resources/models/diffusionsat-mini"],  # nosec
                   cwd=build.ROOT, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(tmp)  # nosec B202 (our own repository's files)
    return Path(tmp) / "resources" / "models" / "diffusionsat-mini"
