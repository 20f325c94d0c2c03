"""Make pyproj find PROJ's database when it runs from a virtual environment.

pyproj looks for ``proj.db`` under ``sys.prefix/share/proj``; inside a venv built with
``--system-site-packages`` that is the venv, not ``/usr``, so EPSG look-ups fail. We point pyproj at the
base interpreter's PROJ data (or the usual system folder) once, and only when it cannot find one itself.
"""

import os
import sys
import warnings

_DONE = False


def ensure_proj_data() -> None:
    global _DONE
    if _DONE:
        return
    _DONE = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pyproj.datadir

        try:
            found = bool(pyproj.datadir.get_data_dir())
        except Exception:
            found = False
        if found:
            return
        for base in (sys.base_prefix, "/usr", "/usr/local"):
            folder = os.path.join(base, "share", "proj")
            if os.path.isfile(os.path.join(folder, "proj.db")):
                pyproj.datadir.set_data_dir(folder)
                return


ensure_proj_data()
