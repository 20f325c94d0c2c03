"""The per-user model cache: where it lives, its registry file, safe unpacking, finding the model.

Location (first that applies):

1. ``$DIFFUSIONSAT_HOME``
2. ``$XDG_CACHE_HOME/diffusionsat``
3. on Windows, ``%LOCALAPPDATA%\\diffusionsat``
4. ``~/.cache/diffusionsat``

Layout::

    <home>/registry.json          what was installed or added (written atomically)
    <home>/downloads/<file>.part  partial downloads, resumed by the next attempt
    <home>/models/<name>/         one folder per downloaded model:
        original/                 the archive's content
        diffusers/                the .bin weights converted to safetensors (when converted)

Archives (.zip, .tar, .tar.gz/.tgz, .tar.bz2, .tar.xz) are checked member by member before anything
is written: absolute names, drive letters, ``..`` components, links and device files are refused
(:class:`UnsafeArchiveError`), then the content is written into a temporary folder next to the
destination and renamed into place, so a failed unpack leaves nothing behind.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import stat
import sys
import tarfile
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Sequence, Union

from ..model_layout import MARKER_FOLDERS, MODEL_INDEX
from .download import HubError

log = logging.getLogger(__name__)

REGISTRY_FILE = "registry.json"
REGISTRY_VERSION = 1
_lock = threading.RLock()


class UnsafeArchiveError(HubError):
    """The archive has a member that would land outside the destination, or a link or device."""


class RegistryError(HubError):
    """The registry file cannot be read or written."""


# --------------------------------------------------------------------------- locations


def cache_dir(home: Union[str, Path, None] = None) -> Path:
    """The cache root (see the module documentation); ``home`` overrides everything."""
    if home is not None:
        return Path(home).expanduser()
    explicit = os.environ.get("DIFFUSIONSAT_HOME", "").strip()
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    if xdg:
        return Path(xdg).expanduser() / "diffusionsat"
    if sys.platform.startswith("win"):
        local = os.environ.get("LOCALAPPDATA", "").strip()
        if local:
            return Path(local) / "diffusionsat"
    return Path.home() / ".cache" / "diffusionsat"


def models_dir(home=None) -> Path:
    return cache_dir(home) / "models"


def downloads_dir(home=None) -> Path:
    return cache_dir(home) / "downloads"


def registry_path(home=None) -> Path:
    return cache_dir(home) / REGISTRY_FILE


# --------------------------------------------------------------------------- registry file


def atomic_write_json(path: Union[str, Path], data) -> None:
    """Write ``data`` as JSON to a temporary file in the same folder, fsync it, rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _empty_registry() -> dict:
    return {"version": REGISTRY_VERSION, "models": {}}


def load_registry(home=None) -> dict:
    """The registry as ``{"version": 1, "models": {name: record}}``.

    A missing file is an empty registry. An unreadable one is logged, kept aside as
    ``registry.json.bad`` (so nothing is lost) and treated as empty.
    """
    path = registry_path(home)
    with _lock:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return _empty_registry()
        except OSError as exc:
            raise RegistryError(f"cannot read the model registry {path}: {exc}") from exc
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
                raise ValueError("expected an object with a 'models' object")
        except ValueError as exc:
            bad = path.with_name(path.name + ".bad")
            log.warning("the model registry %s is damaged (%s); it is kept as %s and ignored", path, exc, bad)
            try:
                os.replace(path, bad)
            except OSError:
                pass
            return _empty_registry()
        data.setdefault("version", REGISTRY_VERSION)
        return data


def update_registry(change: Callable[[dict], None], home=None) -> dict:
    """Load the registry, apply ``change(models_dict)`` in place, write it back atomically."""
    with _lock:
        data = load_registry(home)
        change(data["models"])
        data["version"] = REGISTRY_VERSION
        try:
            atomic_write_json(registry_path(home), data)
        except OSError as exc:
            raise RegistryError(f"cannot write the model registry {registry_path(home)}: {exc}") from exc
        return data


# --------------------------------------------------------------------------- archives


def archive_kind(path: Union[str, Path]) -> str:
    """'zip' or 'tar' (any compression tarfile reads); raises HubError for anything else."""
    path = Path(path)
    if zipfile.is_zipfile(path):
        return "zip"
    try:
        if tarfile.is_tarfile(path):
            return "tar"
    except OSError:
        pass
    raise HubError(f"{path.name} is not a .zip or .tar(.gz/.bz2/.xz) archive")


def _safe_parts(name: str) -> Optional[List[str]]:
    """Path components of an archive member name, or raise if it could escape; None for the root."""
    if "\x00" in name:
        raise UnsafeArchiveError(f"archive member name contains a NUL byte: {name!r}")
    text = name.replace("\\", "/")
    if text.startswith("/") or re.match(r"^[A-Za-z]:", text):
        raise UnsafeArchiveError(f"archive member has an absolute path: {name!r}")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchiveError(f"archive member goes outside the destination ('..'): {name!r}")
    return parts or None


def _target(root: Path, parts: Sequence[str]) -> Path:
    target = root.joinpath(*parts)
    resolved_root = root.resolve()
    resolved = target.resolve()
    if resolved != resolved_root and resolved_root not in resolved.parents:
        raise UnsafeArchiveError(f"archive member would be written outside the destination: {'/'.join(parts)}")
    return target


def _check_space(dest_parent: Path, needed: int) -> None:
    try:
        free = shutil.disk_usage(dest_parent).free
    except OSError:
        return
    if needed > free:
        raise HubError(
            f"not enough disk space in {dest_parent} to unpack: need {needed / 2**30:.2f} GiB, "
            f"{free / 2**30:.2f} GiB free"
        )


def _members_zip(archive: zipfile.ZipFile) -> Iterator:
    for info in archive.infolist():
        mode = (info.external_attr >> 16) & 0o170000
        if mode == stat.S_IFLNK:
            raise UnsafeArchiveError(f"archive member is a symbolic link: {info.filename!r}")
        if info.flag_bits & 0x1:
            raise HubError(f"archive member is encrypted: {info.filename!r}")
        yield info, _safe_parts(info.filename), info.is_dir()


def _members_tar(archive: tarfile.TarFile) -> Iterator:
    for member in archive.getmembers():
        if member.issym() or member.islnk():
            raise UnsafeArchiveError(f"archive member is a link: {member.name!r} -> {member.linkname!r}")
        if not (member.isfile() or member.isdir()):
            raise UnsafeArchiveError(f"archive member is a device, FIFO or other special file: {member.name!r}")
        yield member, _safe_parts(member.name), member.isdir()


def extract_archive(archive_path: Union[str, Path], dest: Union[str, Path]) -> Path:
    """Safely unpack ``archive_path`` into the new folder ``dest`` (which must not exist yet).

    Every member is checked before anything is written; the content goes to a temporary sibling
    folder that is renamed to ``dest`` at the end and removed on any error.
    """
    archive_path, dest = Path(archive_path), Path(dest)
    if dest.exists():
        raise HubError(f"cannot unpack into {dest}: it already exists")
    dest.parent.mkdir(parents=True, exist_ok=True)
    kind = archive_kind(archive_path)
    staging = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.unpack-"))
    try:
        if kind == "zip":
            with zipfile.ZipFile(archive_path) as archive:
                members = list(_members_zip(archive))
                _check_space(dest.parent, sum(info.file_size for info, _, _ in members))
                for info, parts, is_dir in members:
                    if parts is None:
                        continue
                    target = _target(staging, parts)
                    if is_dir:
                        target.mkdir(parents=True, exist_ok=True)
                        continue
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with archive.open(info) as source, open(target, "wb") as out:
                        shutil.copyfileobj(source, out, 1 << 20)
        else:
            with tarfile.open(archive_path, "r:*") as archive:
                members = list(_members_tar(archive))
                _check_space(dest.parent, sum(member.size for member, _, _ in members))
                for member, parts, is_dir in members:
                    if parts is None:
                        continue
                    target = _target(staging, parts)
                    if is_dir:
                        target.mkdir(parents=True, exist_ok=True)
                        continue
                    target.parent.mkdir(parents=True, exist_ok=True)
                    source = archive.extractfile(member)
                    if source is None:
                        raise UnsafeArchiveError(f"archive member cannot be read: {member.name!r}")
                    with source, open(target, "wb") as out:
                        shutil.copyfileobj(source, out, 1 << 20)
        os.replace(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return dest


# --------------------------------------------------------------------------- finding the model

_IGNORED_DIRS = {"__MACOSX", ".git", "__pycache__"}


def model_folder_markers(path: Union[str, Path]) -> List[str]:
    """What makes ``path`` look like a model folder: 'model_index.json', 'unet/', 'controlnet/',
    'checkpoint-*/unet/' or 'checkpoint-*/controlnet/' (empty list: not a model folder)."""
    path = Path(path)
    found = []
    if (path / MODEL_INDEX).is_file():
        found.append(MODEL_INDEX)
    for sub in MARKER_FOLDERS:
        if (path / sub).is_dir():
            found.append(f"{sub}/")
    try:
        checkpoints = sorted(p for p in path.glob("checkpoint-*") if p.is_dir())
    except OSError:
        checkpoints = []
    for checkpoint in checkpoints:
        for sub in MARKER_FOLDERS:
            if (checkpoint / sub).is_dir():
                found.append(f"{checkpoint.name}/{sub}/")
    return found


def find_model_folder(root: Union[str, Path], max_depth: int = 4) -> Optional[Path]:
    """The shallowest folder under ``root`` (``root`` included) that looks like a model folder."""
    level = [Path(root)]
    for _ in range(max_depth + 1):
        following = []
        for folder in level:
            if model_folder_markers(folder):
                return folder
            try:
                children = sorted(p for p in folder.iterdir() if p.is_dir() and p.name not in _IGNORED_DIRS)
            except OSError:
                continue
            following.extend(children)
        if not following:
            return None
        level = following
    return None


def bin_weights(folder: Union[str, Path]) -> List[Path]:
    """The PyTorch ``.bin`` weight files under ``folder``."""
    return sorted(p for p in Path(folder).rglob("*.bin") if p.is_file())
