"""Resumable, verified HTTP(S) download with the standard library only (urllib).

``download(url, dest, sha256=None, progress=None, cancel=None)``:

* the body goes to ``<dest>.part``; a later call resumes it with ``Range: bytes=<n>-``.
  A ``206`` answer whose ``Content-Range`` starts at ``n`` is appended; a server that ignores
  ``Range`` (``200``) makes the download restart from byte 0; ``416`` with the part already
  complete is accepted;
* the server's validator of the file (a strong ``ETag``, else ``Last-Modified``) is kept beside the
  part file (``<dest>.part.json``) and sent as ``If-Range`` on resume: a server whose file changed
  answers ``200`` with the new file, which replaces the part. A ``206`` whose validator differs from
  the kept one (a server that ignores ``If-Range``) also starts over from byte 0;
* redirects are followed to ``http://`` and ``https://`` only: any other scheme (``ftp://``,
  ``file://``) is refused, as it is as a starting URL;
* connection errors, time-outs, truncated bodies and HTTP 408/425/429/5xx are retried with
  exponential back-off. The retry budget counts consecutive failures *without progress*, so a
  flaky link that delivers a little on every attempt still finishes, while a dead one fails after
  ``retries`` attempts (there is also a hard cap on the number of attempts);
* when the transfer is complete the size (if known) and the sha256 (if known) are checked. A
  mismatch deletes the ``.part`` file and raises :class:`ChecksumError` naming expected and actual
  values. The computed sha256 is always returned so the caller can record it;
* on success ``<dest>.part`` is renamed atomically onto ``dest``;
* ``progress(bytes_done, bytes_total_or_None)`` is called as bytes arrive;
* ``cancel`` is a ``threading.Event`` (or anything with ``is_set()``) or a no-argument callable
  returning true to stop. Cancelling raises :class:`DownloadCancelled` and keeps the ``.part``
  file, so the next call resumes.

Loopback hosts (127.0.0.1, ::1, localhost) never go through a proxy configured in the
environment; other hosts honour the usual ``*_proxy`` variables as urllib does.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import logging
import os
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable, Optional, Tuple, Union

from ..cancel import is_cancelled
from ..checksum import sha256_file

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, Optional[int]], None]

USER_AGENT = "diffusionsat-qgis-hub/1 (+https://github.com/diffusionsat-qgis/diffusionsat-qgis)"
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_MAX_BACKOFF_S = 30.0


class HubError(Exception):
    """Base class of every error the model manager raises (download, archive, registry)."""


class DownloadError(HubError):
    """The download failed for good (bad URL, HTTP error, retries exhausted, server inconsistency)."""


class DownloadCancelled(HubError):
    """The cancel flag was raised. The ``.part`` file is kept so that a later call resumes."""


class ChecksumError(DownloadError):
    """The downloaded file does not match its expected sha256 or size; it has been deleted."""

    def __init__(self, what: str, expected, actual, source: str = ""):
        self.what = what
        self.expected = expected
        self.actual = actual
        self.source = source
        where = f" for {source}" if source else ""
        super().__init__(
            f"{what} mismatch{where}: expected {expected}, got {actual}. "
            "The downloaded file was deleted; download it again (if it fails again the file on the "
            "server differs from the one this version knows)."
        )


@dataclasses.dataclass(frozen=True)
class DownloadResult:
    path: Path          # the final file
    url: str
    sha256: str         # computed over the whole file
    size: int
    resumed: bool       # at least one transfer continued a partial file
    attempts: int       # HTTP requests made


class _Transient(Exception):
    """A failure worth retrying; ``progressed`` tells whether bytes arrived before it."""

    def __init__(self, message: str, progressed: bool = False):
        super().__init__(message)
        self.progressed = progressed


class _Restart(Exception):
    """The partial file cannot be continued: start again from byte 0 (does not use a retry)."""


def filename_from_url(url: str) -> str:
    """The last path segment of ``url``, made safe as a file name ('download' if there is none)."""
    name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return name or "download"


def _part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def _validator_path(part: Path) -> Path:
    return part.with_name(part.name + ".json")


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """urllib follows redirects to ftp:// too; a download may only be redirected to http(s)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        target = urllib.parse.urljoin(req.full_url, newurl)
        scheme = urllib.parse.urlsplit(target).scheme.lower()
        if scheme not in ("http", "https"):
            raise DownloadError(f"{req.full_url} redirects to {target!r}: only http:// and https:// "
                                "redirects are followed")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener_for(url: str) -> urllib.request.OpenerDirector:
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    handlers = [_HttpOnlyRedirects()]
    if host in _LOOPBACK:
        handlers.append(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(*handlers)


def _validator_of(headers) -> Optional[dict]:
    """What identifies this version of the server's file: a strong ETag, else Last-Modified."""
    etag = (headers.get("ETag") or "").strip()
    if etag and not etag.startswith("W/"):  # If-Range needs a strong validator (RFC 9110 13.1.5)
        return {"etag": etag}
    modified = (headers.get("Last-Modified") or "").strip()
    return {"last_modified": modified} if modified else None


def _read_validator(part: Path) -> Optional[dict]:
    try:
        data = json.loads(_validator_path(part).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and (data.get("etag") or data.get("last_modified")) else None


def _write_validator(part: Path, validator: Optional[dict]) -> None:
    path = _validator_path(part)
    if validator is None:
        path.unlink(missing_ok=True)
    else:
        path.write_text(json.dumps(validator), encoding="utf-8")


def _parse_content_range(value: Optional[str]) -> Tuple[Optional[int], Optional[int], Optional[int]]:
    """'bytes a-b/total' -> (a, b, total); 'bytes */total' -> (None, None, total); total may be None."""
    if not value:
        return None, None, None
    match = re.fullmatch(r"\s*bytes\s+(?:(\d+)-(\d+)|\*)\s*/\s*(\d+|\*)\s*", value)
    if not match:
        return None, None, None
    start = int(match.group(1)) if match.group(1) is not None else None
    end = int(match.group(2)) if match.group(2) is not None else None
    total = int(match.group(3)) if match.group(3) != "*" else None
    return start, end, total


def _int_header(value: Optional[str]) -> Optional[int]:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def download(
    url: str,
    dest: Union[str, Path],
    sha256: Optional[str] = None,
    progress: Optional[ProgressCallback] = None,
    cancel=None,
    *,
    size: Optional[int] = None,
    retries: int = 5,
    backoff: float = 1.0,
    timeout: float = 60.0,
    chunk_size: int = 1 << 20,
) -> DownloadResult:
    """Download ``url`` to the file ``dest`` (a catalogue model by name: ``registry.download_model``).

    ``dest`` may be an existing folder: the file is then named after the URL. ``sha256`` and
    ``size`` are checked when given. Returns a
    :class:`DownloadResult` whose ``sha256`` is always the computed one. Raises
    :class:`ChecksumError`, :class:`DownloadCancelled` or :class:`DownloadError`.
    """
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise DownloadError(f"only http:// and https:// URLs can be downloaded, not {url!r}")
    if sha256 is not None:
        sha256 = sha256.strip().lower()
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise ValueError(f"sha256 must be 64 hexadecimal digits, got {sha256!r}")
    if retries < 0:
        raise ValueError("retries must be >= 0")
    dest = Path(dest).expanduser()
    if dest.is_dir():
        dest = dest / filename_from_url(url)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = _part_path(dest)

    if dest.is_file() and sha256 is not None and (size is None or dest.stat().st_size == size):
        actual = sha256_file(dest)
        if actual == sha256:
            log.info("%s is already downloaded and verified", dest)
            if progress is not None:
                progress(dest.stat().st_size, dest.stat().st_size)
            return DownloadResult(dest, url, actual, dest.stat().st_size, False, 0)

    opener = _opener_for(url)
    failures = 0          # consecutive failed attempts without progress
    restarts = 0
    attempts = 0
    max_attempts = 10 * (retries + 1) + 20
    resumed = False
    while True:
        if is_cancelled(cancel):
            raise DownloadCancelled(f"download of {url} cancelled; {part} is kept for resuming")
        if attempts >= max_attempts:
            raise DownloadError(f"download of {url} gave up after {attempts} attempts")
        attempts += 1
        offset = part.stat().st_size if part.exists() else 0
        if size is not None and offset > size:
            log.warning("%s is larger than the expected %d bytes: starting again", part, size)
            part.unlink()
            _write_validator(part, None)
            offset = 0
        resumed = resumed or offset > 0
        try:
            _transfer(opener, url, part, offset, size, progress, cancel, timeout, chunk_size)
            break
        except _Restart as exc:
            restarts += 1
            log.info("restarting download of %s from byte 0: %s", url, exc)
            if part.exists():
                part.unlink()
            _write_validator(part, None)
            if restarts > retries + 2:
                raise DownloadError(f"download of {url} kept restarting: {exc}") from None
        except _Transient as exc:
            failures = 0 if exc.progressed else failures + 1
            if failures > retries:
                raise DownloadError(
                    f"download of {url} failed after {retries} retries: {exc}; "
                    f"{part} is kept, run the download again to resume"
                ) from None
            delay = min(backoff * (2 ** max(failures - 1, 0)), _MAX_BACKOFF_S)
            log.warning("download of %s interrupted (%s); retrying in %.1f s", url, exc, delay)
            _sleep(delay, cancel)

    _write_validator(part, None)
    actual_size = part.stat().st_size
    if size is not None and actual_size != size:
        part.unlink()
        raise ChecksumError("size", f"{size} bytes", f"{actual_size} bytes", url)
    actual = sha256_file(part)
    if sha256 is not None and actual != sha256:
        part.unlink()
        raise ChecksumError("sha256", sha256, actual, url)
    os.replace(part, dest)
    log.info("downloaded %s (%d bytes, sha256 %s) to %s", url, actual_size, actual, dest)
    return DownloadResult(dest, url, actual, actual_size, resumed, attempts)


def _sleep(seconds: float, cancel) -> None:
    end = time.monotonic() + seconds
    while True:
        if is_cancelled(cancel):
            raise DownloadCancelled("download cancelled while waiting to retry")
        left = end - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.1))


_NETWORK_ERRORS = (
    urllib.error.URLError,
    http.client.HTTPException,
    ConnectionError,
    socket.timeout,
    TimeoutError,
)


def _transfer(opener, url, part: Path, offset: int, size, progress, cancel, timeout, chunk_size) -> None:
    """One HTTP request; returns when ``part`` holds the complete body, else raises."""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    kept = _read_validator(part) if offset > 0 else None
    if offset > 0:
        headers["Range"] = f"bytes={offset}-"
        if kept is not None:  # the server sends the whole new file (200) if its file has changed
            headers["If-Range"] = kept.get("etag") or kept["last_modified"]
    request = urllib.request.Request(url, headers=headers)
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        with exc:
            if exc.code == 416 and offset > 0:
                _, _, total = _parse_content_range(exc.headers.get("Content-Range"))
                if total is not None and total == offset and (size is None or size == total):
                    return  # the part file was already complete
                raise _Restart(f"server refused the range {offset}- (HTTP 416)") from None
            if exc.code in _RETRY_STATUS:
                raise _Transient(f"HTTP {exc.code} {exc.reason}") from None
            raise DownloadError(f"HTTP {exc.code} {exc.reason} for {url}") from None
    except _NETWORK_ERRORS as exc:
        raise _Transient(f"cannot connect: {exc}") from None

    with response:
        status = response.status
        body_length = _int_header(response.headers.get("Content-Length"))
        validator = _validator_of(response.headers)
        if status == 206:
            start, _, total = _parse_content_range(response.headers.get("Content-Range"))
            if start != offset:
                raise _Restart(f"server answered a range starting at {start}, asked for {offset}")
            if kept is not None and validator is not None and validator != kept:
                raise _Restart(f"the file on the server changed since the partial download ({kept} -> {validator})")
            mode, done = "ab", offset
        elif status == 200:
            if offset > 0:
                log.info("server sent the whole file for %s (Range ignored, or the file changed): "
                         "downloading from byte 0", url)
            mode, done, total = "wb", 0, body_length
            _write_validator(part, validator)
        else:
            raise DownloadError(f"unexpected HTTP status {status} for {url}")
        if total is not None and size is not None and total != size:
            raise DownloadError(
                f"the server says {url} is {total} bytes but {size} bytes were expected; "
                "the file on the server has changed"
            )
        if progress is not None:
            progress(done, total)
        received = 0
        with open(part, mode) as handle:
            while True:
                if is_cancelled(cancel):
                    raise DownloadCancelled(f"download of {url} cancelled; {part} is kept for resuming")
                try:
                    chunk = response.read(chunk_size)
                except http.client.IncompleteRead as exc:
                    handle.write(exc.partial)
                    received += len(exc.partial)
                    raise _Transient(f"connection closed after {offset + received} bytes",
                                     progressed=received > 0) from None
                except _NETWORK_ERRORS + (OSError,) as exc:
                    raise _Transient(f"connection lost: {exc}", progressed=received > 0) from None
                if not chunk:
                    break
                handle.write(chunk)
                received += len(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
    if body_length is not None and received < body_length:
        raise _Transient(f"connection closed after {received} of {body_length} bytes",
                         progressed=received > 0)
    if total is not None and done != total:
        if done < total:
            raise _Transient(f"got {done} of {total} bytes", progressed=received > 0)
        raise _Restart(f"got {done} bytes, more than the {total} announced")
