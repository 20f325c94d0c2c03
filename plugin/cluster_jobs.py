"""Where the dock's and Processing's jobs run: here, or on a Dask cluster ("Run on a Dask cluster", issue 16).

Dask is imported only when the setting is on with an address; without it the plugin never touches it, and
with it on but dask missing the job stops with a message saying what to install.
"""

from __future__ import annotations

from typing import Optional

from . import settings as settings_mod
from .i18n import tr


class ClusterSettingError(RuntimeError):
    """The cluster setting cannot be honoured (dask missing); the message says what to do."""


def cluster_address(settings: Optional[settings_mod.Settings] = None) -> Optional[str]:
    """The scheduler address when the setting is on and has one, else None (run in QGIS)."""
    s = settings if settings is not None else settings_mod.load()
    address = str(s.dask_address or "").strip()
    return address if s.dask_enabled and address else None


def dask_missing() -> Optional[str]:
    """Why jobs cannot go to a cluster from this QGIS (dask not importable), or None. Imports dask."""
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        return tr("Run on a Dask cluster is on, but the Python of QGIS has no dask[distributed] ({}). "
                  "Install it (pip install 'dask[distributed]') or turn the setting off in Settings.").format(exc)
    return None


def run_job(job, model, progress=None, cancel=None, settings: Optional[settings_mod.Settings] = None):
    """backend.api.run_job here, or the same job as one task on the cluster of the setting."""
    address = cluster_address(settings)
    if address is None:
        from ..backend.api import run_job as run_here

        return run_here(job, model=model, progress=progress, cancel=cancel)
    missing = dask_missing()
    if missing:
        raise ClusterSettingError(missing)
    from ..backend.batch.remote_job import run_job_on_cluster

    return run_job_on_cluster(job, address, model=model, progress=progress, cancel=cancel)
