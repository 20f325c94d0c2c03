"""Where the demonstration model diffusionsat-mini is published, with its size and SHA-256.

The plugin zip for plugins.qgis.org leaves the model out (25 MB limit); ``build.py package`` writes the
model zip beside it and puts ``mini_release.json`` (URL, size, SHA-256 of that model zip) into the plugin
zip, so an installed plugin downloads exactly the model it was built with and verifies it. A repository
checkout has no such file: it uses ``resources/models/diffusionsat-mini`` directly, and the URL below
(size and SHA-256 unknown) is only what a download would try.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Optional

from ..version import __version__

log = logging.getLogger(__name__)

MANIFEST = Path(__file__).with_name("mini_release.json")
RELEASES = "https://github.com/diffusionsat-qgis/diffusionsat-qgis/releases/download"


def asset_name(version: str = __version__) -> str:
    return f"diffusionsat-mini-{version}.zip"


def default_url(version: str = __version__) -> str:
    """The release asset of this version: build.py package writes it, the release uploads it."""
    return f"{RELEASES}/v{version}/{asset_name(version)}"


def mini_release(manifest: Optional[Path] = None) -> dict:
    """{"url", "size", "sha256", "version"} of the model zip; size and sha256 None when not known."""
    path = manifest or MANIFEST
    release = {"url": default_url(), "size": None, "sha256": None, "version": __version__}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return release
    except (OSError, ValueError) as exc:
        log.warning("ignoring the unreadable model release manifest %s: %s", path, exc)
        return release
    if isinstance(data, dict):
        size, sha256 = data.get("size"), data.get("sha256")
        release.update(
            url=str(data.get("url") or release["url"]),
            size=int(size) if isinstance(size, int) and size > 0 else None,
            sha256=sha256.lower() if isinstance(sha256, str) and len(sha256) == 64 else None,
            version=str(data.get("version") or __version__),
        )
    return release
