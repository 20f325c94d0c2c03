"""Model manager: the catalogue of known models, the per-user cache, verified resumable downloads.

Standard library only (urllib, zipfile, tarfile, json); never imports torch or qgis. See
:mod:`backend.hub.registry` for the API, :mod:`backend.hub.cache` for where files go and
:mod:`backend.hub.download` for the download rules.
"""

from .cache import (
    RegistryError,
    UnsafeArchiveError,
    cache_dir,
    extract_archive,
    find_model_folder,
    load_registry,
    registry_path,
)
from .download import (
    ChecksumError,
    DownloadCancelled,
    DownloadError,
    DownloadResult,
    HubError,
    download,
)
from ..checksum import sha256_file
from .registry import (
    BUNDLED_NAME,
    CATALOG,
    InvalidModelFolderError,
    ModelEntry,
    ModelInfo,
    ModelNotFoundError,
    NotInstalledError,
    add_model,
    download_model,
    bundled_present,
    get_entry,
    install_model_file,
    list_models,
    model_info,
    remove_model,
    resolve_model,
    validate_folder,
)

__all__ = [
    "BUNDLED_NAME", "CATALOG", "ChecksumError", "DownloadCancelled", "DownloadError", "DownloadResult",
    "HubError", "InvalidModelFolderError", "bundled_present", "ModelEntry", "ModelInfo", "ModelNotFoundError",
    "NotInstalledError", "RegistryError", "UnsafeArchiveError", "add_model", "cache_dir", "download",
    "download_model", "extract_archive", "find_model_folder", "get_entry", "install_model_file", "list_models",
    "load_registry", "model_info", "registry_path", "remove_model", "resolve_model", "sha256_file",
    "validate_folder",
]
