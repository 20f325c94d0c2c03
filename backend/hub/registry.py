"""The model catalogue and the model manager API used by the CLI ``models`` sub-command and the plugin.

Catalogue: the demonstration model ``diffusionsat-mini`` and the four official DiffusionSat
checkpoints published on Zenodo. diffusionsat-mini is in ``resources/models`` of a repository checkout
and a download (the project's release asset, with the size and SHA-256 that ``build.py package`` wrote
into the plugin zip: :mod:`backend.hub.release`) for the published plugin, which leaves it out. The
Zenodo record and file URLs are the ones listed in the samar-khanna/DiffusionSat README ("Model
checkpoint files" section); Zenodo publishes MD5 checksums, not SHA-256, and their sizes are not known
to this version: they are ``None``, so a download checks neither, and the sha256 computed while
downloading is recorded in the registry file.

API::

    list_models(home=None) -> list[ModelInfo]
    download_model(name, progress=None, cancel=None, *, url=None, sha256=None, home=None,
                   force=False, keep_archive=False, keep_original=True) -> ModelInfo
    add_model(path, name=None, *, home=None, replace=False) -> ModelInfo
    install_model_file(archive, name='diffusionsat-mini', *, home=None, force=False) -> ModelInfo
    remove_model(name, *, home=None) -> ModelInfo
    resolve_model(name_or_path, *, home=None) -> Path
    validate_folder(path) -> report of backend.checkpoints.inspect_folder, or None

Hooks into backend.checkpoints (imported lazily, optional): ``inspect_folder(root)`` validates a
folder strictly (an exception, or a report whose ``ok`` is false, rejects it);
``convert_to_diffusers(src, dst)`` converts .bin weights to safetensors into ``dst``, done once at
install time. Without them a basic layout check is made and .bin files are left as they are.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Callable, List, Optional, Union

from . import cache
from .cache import HubError
from .release import mini_release
from ..cancel import is_cancelled
from ..checksum import sha256_file
from .download import DownloadCancelled, download, filename_from_url

log = logging.getLogger(__name__)

BUNDLED_NAME = "diffusionsat-mini"

_REPO_ROOT = Path(__file__).resolve().parents[2]
GITHUB_README = "https://github.com/samar-khanna/DiffusionSat#model-checkpoint-files"
ZENODO_COMMUNITY = "https://zenodo.org/communities/diffusionsat"

CITATION = (
    "@inproceedings{khanna2024diffusionsat,\n"
    "  title={DiffusionSat: A Generative Foundation Model for Satellite Imagery},\n"
    "  author={Samar Khanna and Patrick Liu and Linqi Zhou and Chenlin Meng and Robin Rombach and "
    "Marshall Burke and David B. Lobell and Stefano Ermon},\n"
    "  booktitle={The Twelfth International Conference on Learning Representations},\n"
    "  year={2024},\n"
    "  url={https://openreview.net/forum?id=I5webNFDgQ}\n"
    "}"
)

_OFFICIAL_LICENCE = (
    "not stated in the DiffusionSat README: check the Zenodo record page before use. The weights are "
    "fine-tuned from Stable Diffusion 2.1, whose licence is CreativeML Open RAIL++-M."
)

_installing = set()               # names being installed by this process
_installing_lock = threading.Lock()
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ModelNotFoundError(HubError, LookupError):
    """A name that is neither a folder, nor a catalogue model, nor a registered model."""


class NotInstalledError(HubError):
    """A catalogue model that is known but not present on this computer."""


class InvalidModelFolderError(HubError, ValueError):
    """A folder that is not (or not a valid) DiffusionSat model folder."""


@dataclasses.dataclass(frozen=True)
class ModelEntry:
    """One catalogue model. ``None`` means unknown (never guessed)."""

    name: str
    title: str
    task: str
    resolution: Optional[int]     # output image size in pixels (square)
    size: Optional[int]           # archive size in bytes
    url: Optional[str]            # direct download URL of the archive
    page: Optional[str]           # the human page for the model (Zenodo record, or the README)
    sha256: Optional[str]         # of the archive
    licence: str
    citation: str
    source: str                   # where the URL and facts come from
    bundled: bool = False
    notes: str = ""


_MINI = mini_release()
CATALOG = {
    entry.name: entry
    for entry in (
        ModelEntry(
            name=BUNDLED_NAME,
            title="DiffusionSat mini (demonstration model)",
            task="small model for demonstrations and tests, all four tasks; not the paper's model",
            resolution=None,
            size=_MINI["size"],
            url=_MINI["url"],
            page="https://github.com/diffusionsat-qgis/diffusionsat-qgis/releases",
            sha256=_MINI["sha256"],
            licence="Apache-2.0 (as the plugin)",
            citation=CITATION,
            source=("resources/models/diffusionsat-mini/ in a repository checkout; otherwise the project's "
                    "release asset (size and SHA-256 from the plugin zip's mini_release.json)"),
            bundled=True,
        ),
        ModelEntry(
            name="diffusionsat-512",
            title="DiffusionSat single-image, 512 x 512",
            task="text + metadata (location, GSD, cloud cover, date) -> satellite image",
            resolution=512,
            size=None,
            url="https://zenodo.org/records/13751498/files/finetune_sd21_sn-satlas-fmow_snr5_md7norm_bs64.zip",
            page="https://zenodo.org/records/13751498",
            sha256=None,
            licence=_OFFICIAL_LICENCE,
            citation=CITATION,
            source="samar-khanna/DiffusionSat README, 'Single Image Generation' table",
        ),
        ModelEntry(
            name="diffusionsat-256",
            title="DiffusionSat single-image, 256 x 256",
            task="text + metadata (location, GSD, cloud cover, date) -> satellite image",
            resolution=256,
            size=None,
            url="https://zenodo.org/records/13756199/files/finetune_sd21_256_sn-satlas-fmow_snr5_md7norm_bs64.zip",
            page="https://zenodo.org/records/13756199",
            sha256=None,
            licence=_OFFICIAL_LICENCE,
            citation=CITATION,
            source="samar-khanna/DiffusionSat README, 'Single Image Generation' table",
        ),
        ModelEntry(
            name="diffusionsat-texas-controlnet3d",
            title="DiffusionSat 3-D ControlNet, Texas housing (multi-date super-resolution)",
            task=("multi-date super-resolution: from a low- and a high-resolution image at date T and a "
                  "low-resolution image at date T', generate the high-resolution image at T'"),
            resolution=256,
            size=None,
            url="https://zenodo.org/records/13756211/files/controlnet3d-mixattn_sd21_md7norm_texas.zip",
            page="https://zenodo.org/records/13756211",
            sha256=None,
            licence=_OFFICIAL_LICENCE,
            citation=CITATION,
            source="samar-khanna/DiffusionSat README, 'Conditional Image Generation' table",
            notes="a ControlNet: used together with a single-image DiffusionSat model",
        ),
        ModelEntry(
            name="diffusionsat-fmow-sentinel-sr",
            title="DiffusionSat ControlNet, fMoW Sentinel-2 -> RGB super-resolution",
            task="super-resolution: multi-spectral low-resolution Sentinel-2 image -> high-resolution RGB image",
            resolution=None,
            size=None,
            url="https://zenodo.org/records/13756246/files/controlnet_sd21_md7norm_fmow_condres256.zip",
            page="https://zenodo.org/records/13756246",
            sha256=None,
            licence=_OFFICIAL_LICENCE,
            citation=CITATION,
            source="samar-khanna/DiffusionSat README, 'Conditional Image Generation' table",
            notes=("a ControlNet: used together with a single-image DiffusionSat model; the file name says "
                   "the conditioning input is 256 px, the output size is not stated"),
        ),
    )
}


@dataclasses.dataclass
class ModelInfo:
    """A row of ``list_models()``: catalogue facts (when known) plus what is on this computer.

    status: 'bundled' | 'installed' | 'user-added' | 'not installed' | 'missing' (a registered
    folder that no longer exists).
    """

    name: str
    status: str
    path: Optional[Path] = None
    title: str = ""
    task: str = ""
    resolution: Optional[int] = None
    size: Optional[int] = None
    url: Optional[str] = None
    page: Optional[str] = None
    sha256: Optional[str] = None          # expected (catalogue) or recorded at install
    licence: str = ""
    citation: str = ""
    installed_at: Optional[str] = None
    converted: Optional[bool] = None
    notes: List[str] = dataclasses.field(default_factory=list)

    @property
    def available(self) -> bool:
        return self.status in ("bundled", "installed", "user-added")

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["path"] = str(self.path) if self.path is not None else None
        data["available"] = self.available
        return data


# --------------------------------------------------------------------------- helpers


def bundled_models_dir() -> Path:
    """Where bundled models live (``<plugin>/resources/models``)."""
    return _REPO_ROOT / "resources" / "models"


def bundled_model_path() -> Path:
    return bundled_models_dir() / BUNDLED_NAME


def bundled_present() -> bool:
    """True in a repository checkout (and a plugin built with the model); False in the published zip."""
    path = bundled_model_path()
    return path.is_dir() and bool(cache.model_folder_markers(path))


def get_entry(name: str) -> ModelEntry:
    """The catalogue entry for ``name``; raises ModelNotFoundError listing the known names."""
    try:
        return CATALOG[name]
    except KeyError:
        raise ModelNotFoundError(f"unknown model {name!r}; known models: {', '.join(CATALOG)}") from None


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise InvalidModelFolderError(
            f"invalid model name {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit"
        )
    return name


def _record_path(record: dict, home) -> Optional[Path]:
    """The folder a registry record points to (relative paths are relative to the cache root)."""
    rel = record.get("relpath")
    if rel:
        candidate = cache.cache_dir(home) / rel
        if candidate.exists() or not record.get("path"):
            return candidate
    raw = record.get("path")
    return Path(raw) if raw else None


# --------------------------------------------------------------------------- hooks


def _inspect_hook() -> Optional[Callable]:
    try:
        from ..checkpoints import inspect_folder
    except ImportError as exc:
        log.debug("strict checkpoint validation unavailable (%s): basic layout check only", exc)
        return None
    return inspect_folder


def _convert_hook() -> Optional[Callable]:
    try:
        from ..checkpoints import convert_to_diffusers
    except ImportError as exc:
        log.debug("checkpoint conversion unavailable (%s)", exc)
        return None
    return convert_to_diffusers


def _report_problems(report) -> Optional[str]:
    """A failure message from an inspect_folder report, or None when it does not say it failed."""
    if report is None:
        return None
    get = report.get if isinstance(report, dict) else (lambda key, default=None: getattr(report, key, default))
    ok = get("ok", None)
    if ok is None:
        ok = get("valid", None)
    problems = get("errors", None) or get("problems", None)
    if ok is None:
        ok = not problems
    if ok:
        return None
    if isinstance(problems, (list, tuple)) and problems:
        return "; ".join(str(p) for p in problems)
    return str(problems or report)


def validate_folder(path: Union[str, Path]):
    """Check that ``path`` is a model folder; raise :class:`InvalidModelFolderError` saying why not.

    Basic check: the folder exists and holds ``model_index.json``, ``unet/``, ``controlnet/`` or
    ``checkpoint-*/unet/``. Then, when ``backend.checkpoints.inspect_folder`` can be imported, its
    strict check: an exception or a report with ``ok``/``valid`` false rejects the folder. Returns the
    strict report (None when the strict check is unavailable).
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise InvalidModelFolderError(f"{path} does not exist")
    if not path.is_dir():
        raise InvalidModelFolderError(f"{path} is a file, not a model folder")
    if not cache.model_folder_markers(path):
        inner = cache.find_model_folder(path)
        hint = f" (the model seems to be in {inner}: give that folder)" if inner is not None else ""
        raise InvalidModelFolderError(
            f"{path} is not a DiffusionSat model folder: it has no model_index.json, unet/ or "
            f"controlnet/ folder (nor checkpoint-*/unet/){hint}"
        )
    inspect = _inspect_hook()
    if inspect is None:
        return None
    try:
        report = inspect(path)
    except Exception as exc:  # the strict loader says why
        raise InvalidModelFolderError(f"{path} is not a valid model folder: {exc}") from exc
    problem = _report_problems(report)
    if problem:
        raise InvalidModelFolderError(f"{path} is not a valid model folder: {problem}")
    return report


def _convert_once(model: Path, dst: Path, notes: List[str]) -> Optional[Path]:
    """Convert .bin weights in ``model`` to safetensors into ``dst``; the converted folder or None."""
    weights = cache.bin_weights(model)
    if not weights:
        return None
    convert = _convert_hook()
    if convert is None:
        notes.append(f"{len(weights)} .bin weight file(s) left as they are: the converter "
                     "(backend.checkpoints.convert_to_diffusers) is not available")
        return None
    try:
        convert(model, dst)
        validate_folder(dst)
    except Exception as exc:
        log.warning("converting %s to safetensors failed: %s", model, exc)
        shutil.rmtree(dst, ignore_errors=True)
        notes.append(f"conversion of the .bin weights to safetensors failed ({exc}); the .bin files are used")
        return None
    notes.append(f"{len(weights)} .bin weight file(s) converted to safetensors")
    return dst


# --------------------------------------------------------------------------- API


def _info_from_entry(entry: ModelEntry, status: str, path: Optional[Path] = None) -> ModelInfo:
    notes = [entry.notes] if entry.notes else []
    if entry.sha256 is None and not entry.bundled:
        notes.append("expected sha256 unknown: the download is not verified, its sha256 is recorded")
    return ModelInfo(
        name=entry.name, status=status, path=path, title=entry.title, task=entry.task,
        resolution=entry.resolution, size=entry.size, url=entry.url, page=entry.page, sha256=entry.sha256,
        licence=entry.licence, citation=entry.citation, notes=notes,
    )


def _info(name: str, record: Optional[dict], home) -> ModelInfo:
    entry = CATALOG.get(name)
    if entry is not None and entry.bundled and bundled_present():
        return _info_from_entry(entry, "bundled", bundled_model_path())
    if record is None:
        info = _info_from_entry(entry, "not installed")
        for part in sorted(cache.downloads_dir(home).glob(f"{name}--*.part")):
            info.notes.append(f"partial download of {part.stat().st_size} bytes in {part}: "
                              "downloading again resumes it")
        return info
    path = _record_path(record, home)
    kind = record.get("kind", "downloaded")
    status = "user-added" if kind == "user" else "installed"
    if path is None or not path.is_dir():
        status = "missing" if kind == "user" else "not installed"
    if entry is not None:
        info = _info_from_entry(entry, status, path if status != "not installed" else None)
    else:
        info = ModelInfo(name=name, status=status, path=path, title=record.get("title", name),
                         url=record.get("url"))
    if status == "not installed" and path is not None:
        info.notes.append(f"was installed in {path}, which no longer exists")
    info.installed_at = record.get("installed_at")
    info.converted = record.get("converted")
    if record.get("sha256"):
        info.sha256 = record["sha256"]
    if record.get("url"):
        info.url = record["url"]
    info.notes.extend(record.get("notes", []))
    return info


def list_models(home=None) -> List[ModelInfo]:
    """Every catalogue model (installed or not) followed by the other registered models."""
    records = cache.load_registry(home)["models"]
    rows = [_info(name, records.get(name), home) for name in CATALOG]
    rows.extend(_info(name, records[name], home) for name in sorted(records) if name not in CATALOG)
    return rows


def model_info(name: str, home=None) -> ModelInfo:
    records = cache.load_registry(home)["models"]
    if name not in CATALOG and name not in records:
        raise ModelNotFoundError(_unknown_message(name, records))
    return _info(name, records.get(name), home)


def _unknown_message(name: str, records: dict) -> str:
    known = list(CATALOG) + sorted(n for n in records if n not in CATALOG)
    return (f"unknown model {name!r} (and no such folder); known models: {', '.join(known)}. "
            "Give a model folder path, or register one with `models add PATH --name NAME`")


def resolve_model(name_or_path: Union[str, Path], *, home=None) -> Path:
    """The folder of a model: an existing folder path passes through, 'diffusionsat-mini' is the
    bundled folder, an installed or user-added name is its folder. Raises ModelNotFoundError (unknown
    name), NotInstalledError (known, not here) or InvalidModelFolderError (a path that is not a folder)."""
    text = str(name_or_path)
    candidate = Path(text).expanduser()
    if candidate.is_dir():
        return candidate.resolve()
    records = cache.load_registry(home)["models"]
    if text in CATALOG or text in records:
        info = _info(text, records.get(text), home)
        if info.available:
            return info.path
        if info.status == "missing":
            raise NotInstalledError(f"model {text!r} was added from {info.path}, which no longer exists; "
                                    f"run `models remove {text}` or add it again")
        if text == BUNDLED_NAME:
            raise NotInstalledError(f"the demonstration model {text!r} is not installed: run `models download "
                                    f"{text}`, or install its zip (diffusionsat-mini-<version>.zip) from a file")
        how = f"run `models download {text}`" if info.url else "download it by hand"
        raise NotInstalledError(f"model {text!r} is not installed: {how}, or `models add PATH --name {text}` "
                                f"for a copy downloaded by hand ({info.page or info.url or GITHUB_README})")
    if candidate.exists():
        raise InvalidModelFolderError(f"{candidate} is a file, not a model folder")
    if isinstance(name_or_path, Path) or os.sep in text or "/" in text or text.startswith(("~", ".")):
        raise InvalidModelFolderError(f"model folder {candidate} does not exist")
    raise ModelNotFoundError(_unknown_message(text, records))


def add_model(path: Union[str, Path], name: Optional[str] = None, *, home=None, replace: bool = False) -> ModelInfo:
    """Register a model folder downloaded by hand under ``name`` (default: the folder's name).

    The folder is validated (see :func:`validate_folder`) and never copied, moved or deleted.
    A catalogue name (e.g. 'diffusionsat-512') may be used for a hand-downloaded official model.
    """
    folder = Path(path).expanduser()
    validate_folder(folder)
    folder = folder.resolve()
    if name is None:
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", folder.name).strip(".-_") or "model"
    _check_name(name)
    if name == BUNDLED_NAME:
        raise InvalidModelFolderError(f"{name!r} is the bundled model's name; choose another name")
    records = cache.load_registry(home)["models"]
    if name in records and not replace:
        existing = _record_path(records[name], home)
        raise InvalidModelFolderError(f"a model named {name!r} is already registered ({existing}); "
                                      "choose another name or remove it first")

    def change(models: dict) -> None:
        models[name] = {"name": name, "kind": "user", "path": str(folder), "installed_at": _now(),
                        "url": None, "sha256": None}

    cache.update_registry(change, home)
    return model_info(name, home)


def remove_model(name: str, *, home=None) -> ModelInfo:
    """Forget a registered model. Downloaded models have their cache folder deleted; user-added
    folders are only unregistered (never deleted). Returns the model's row as it was."""
    if name == BUNDLED_NAME and bundled_present():
        raise HubError(f"{name!r} is bundled with the plugin and cannot be removed")
    records = cache.load_registry(home)["models"]
    if name not in records:
        if name in CATALOG:
            raise NotInstalledError(f"model {name!r} is not installed")
        raise ModelNotFoundError(_unknown_message(name, records))
    info = _info(name, records[name], home)
    record = records[name]

    def change(models: dict) -> None:
        models.pop(name, None)

    cache.update_registry(change, home)
    if record.get("kind") != "user":
        folder = cache.models_dir(home) / name
        if folder.is_dir():
            shutil.rmtree(folder)
    return info


def _remove_leftovers(models_root: Path, name: str) -> None:
    """Staging folders an interrupted (killed) installation of ``name`` left behind."""
    for pattern in (f".{name}.installing-*", f".{name}.old-*"):
        for stale in models_root.glob(pattern):
            log.info("removing the leftover %s", stale)
            shutil.rmtree(stale, ignore_errors=True)


def download_model(
    name: str,
    progress: Optional[Callable[[int, Optional[int]], None]] = None,
    cancel=None,
    *,
    url: Optional[str] = None,
    sha256: Optional[str] = None,
    home=None,
    force: bool = False,
    keep_archive: bool = False,
    keep_original: bool = True,
    retries: int = 5,
    backoff: float = 1.0,
) -> ModelInfo:
    """Download, verify, unpack, validate, convert and register a model.

    ``name`` is a catalogue name, or any new name together with ``url`` (a custom archive).
    ``url``/``sha256`` override the catalogue's. The archive goes to ``<home>/downloads`` (a
    partial one is resumed), is unpacked into ``<home>/models/<name>/original``; .bin weights are
    converted once into ``<home>/models/<name>/diffusers`` when the converter is available (the
    original is then removed unless ``keep_original``). The archive is deleted afterwards unless
    ``keep_archive``. An already installed model raises HubError unless ``force``.
    """
    _check_name(name)
    entry = CATALOG.get(name)
    if entry is not None and entry.bundled and bundled_present() and not force:
        raise HubError(f"{name!r} is bundled with the plugin; there is nothing to download")
    if entry is None and url is None:
        records = cache.load_registry(home)["models"]
        raise ModelNotFoundError(_unknown_message(name, records) + "; or give a URL to download")
    url = url or entry.url
    if not url:
        raise HubError(f"no download URL is known for {name!r}; get it from {entry.page or GITHUB_README} "
                       f"and register it with `models add PATH --name {name}`")
    expected_sha = sha256 or (entry.sha256 if entry is not None and url == entry.url else None)
    expected_size = entry.size if entry is not None and url == entry.url else None

    records = cache.load_registry(home)["models"]
    if name in records and not force:
        info = _info(name, records[name], home)
        if info.available:
            raise HubError(f"model {name!r} is already installed in {info.path}; use force to reinstall")
    with _installing_lock:
        if name in _installing:
            raise HubError(f"model {name!r} is already being downloaded")
        _installing.add(name)
    try:
        return _install(name, url, expected_sha, expected_size, progress, cancel, home,
                        keep_archive, keep_original, retries, backoff)
    finally:
        with _installing_lock:
            _installing.discard(name)


def _install(name, url, expected_sha, expected_size, progress, cancel, home, keep_archive, keep_original,
             retries, backoff) -> ModelInfo:
    """download_model's work once the arguments are checked and the name is reserved."""
    archive = cache.downloads_dir(home) / f"{name}--{filename_from_url(url)}"
    result = download(url, archive, sha256=expected_sha, progress=progress, cancel=cancel,
                      size=expected_size, retries=retries, backoff=backoff)
    if is_cancelled(cancel):
        raise DownloadCancelled(f"installation of {name!r} cancelled; the archive {archive} is kept")
    record = {"url": url, "sha256": result.sha256, "size": result.size, "sha256_verified": expected_sha is not None}
    return _unpack_and_register(name, archive, record, home, keep_archive, keep_original)


def install_model_file(archive: Union[str, Path], name: str = BUNDLED_NAME, *, home=None,
                       force: bool = False) -> ModelInfo:
    """Install a model from a local archive (offline machines): e.g. diffusionsat-mini-<version>.zip.

    The archive is unpacked, validated strictly and registered like a download; it is never moved or
    deleted. Its SHA-256 is recorded, and marked verified when it matches the catalogue's.
    """
    _check_name(name)
    source = Path(archive).expanduser()
    if not source.is_file():
        raise InvalidModelFolderError(f"{source} is not a file: choose the model's .zip archive")
    cache.archive_kind(source)  # refuses what is not a zip or tar archive, before anything is written
    entry = CATALOG.get(name)
    if entry is not None and entry.bundled and bundled_present() and not force:
        raise HubError(f"{name!r} is bundled with the plugin; there is nothing to install")
    records = cache.load_registry(home)["models"]
    if name in records and not force and _info(name, records[name], home).available:
        raise HubError(f"model {name!r} is already installed; use force to reinstall")
    with _installing_lock:
        if name in _installing:
            raise HubError(f"model {name!r} is already being installed")
        _installing.add(name)
    try:
        digest = sha256_file(source)
        expected = entry.sha256 if entry is not None else None
        record = {"url": None, "source_file": str(source.resolve()), "sha256": digest,
                  "size": source.stat().st_size, "sha256_verified": expected is not None and digest == expected}
        return _unpack_and_register(name, source, record, home, keep_archive=True, keep_original=True)
    finally:
        with _installing_lock:
            _installing.discard(name)


def _unpack_and_register(name, archive: Path, record: dict, home, keep_archive, keep_original) -> ModelInfo:
    """Unpack ``archive`` into the cache, validate, convert once, swap into place and register."""
    models_root = cache.models_dir(home)
    models_root.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(models_root, name)
    staging = Path(tempfile.mkdtemp(dir=models_root, prefix=f".{name}.installing-"))
    notes: List[str] = []
    try:
        original = cache.extract_archive(archive, staging / "original")
        found = cache.find_model_folder(original)
        if found is None:
            raise InvalidModelFolderError(
                f"the archive {archive.name} holds no model folder (no model_index.json, unet/, "
                "controlnet/ or checkpoint-*/unet/ inside)")
        validate_folder(found)
        model_path = found
        converted = _convert_once(found, staging / "diffusers", notes)
        if converted is not None:
            model_path = converted
            if not keep_original:
                shutil.rmtree(original)
        final = models_root / name
        if final.exists():
            trash = Path(tempfile.mkdtemp(dir=models_root, prefix=f".{name}.old-"))
            os.replace(final, trash / name)
            shutil.rmtree(trash, ignore_errors=True)
        os.replace(staging, final)
    except HubError:
        # an unusable archive (not an archive, unsafe, no valid model inside): nothing to resume
        shutil.rmtree(staging, ignore_errors=True)
        if not keep_archive:
            archive.unlink(missing_ok=True)
        raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    model_path = final / model_path.relative_to(staging)
    relpath = model_path.relative_to(cache.cache_dir(home)).as_posix()

    def change(models: dict) -> None:
        models[name] = {
            "name": name, "kind": "downloaded", **record, "installed_at": _now(),
            "path": str(model_path), "relpath": relpath, "converted": converted is not None, "notes": notes,
        }

    cache.update_registry(change, home)
    if not keep_archive:
        archive.unlink(missing_ok=True)
    return model_info(name, home)
