"""Run a Python script inside the real QGIS desktop application (under Xvfb) and get JSON back.

The script sees `iface` (the real QgisApp interface) and must call `report(dict)` once; the
application then exits. Used to test what pytest-qgis's stand-in interface cannot show: real
menus, toolbars, dock widgets, plugin loading from a plugin path and the Processing registry.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

PRELUDE = """
import json as _json, os as _os, traceback as _tb
from qgis.utils import iface
def report(data):
    with open({out!r}, "w") as fh:
        _json.dump(data, fh)
try:
{body}
except Exception:
    report({{"error": _tb.format_exc()}})
_os._exit(0)
"""


SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def system_env(**extra) -> dict:
    """The environment for QGIS's own binaries: no PYTHONPATH, and a PATH without pyenv or venv folders.

    QGIS's embedded Python finds its standard library through ``python3`` on PATH: a pyenv or venv
    ``python3`` first on PATH (as when build.py runs under pyenv) makes it load a foreign standard library
    and fail to import qgis.
    """
    env = {k: v for k, v in os.environ.items()
           if k not in {"QT_QPA_PLATFORM", "PYTHONPATH", "DISPLAY", "PYTHONHOME", "VIRTUAL_ENV"}
           and not k.startswith("PYENV")}
    env["PATH"] = SYSTEM_PATH
    env.update(extra)
    return env


def available() -> bool:
    return bool(shutil.which("qgis") and shutil.which("xvfb-run"))


def run_in_qgis(body: str, tmp_path: Path, plugin_path: Path | None = None, with_venv: bool = True,
                env: dict | None = None, timeout: int = 180) -> dict:
    out = tmp_path / "qgis_report.json"
    script = tmp_path / "qgis_script.py"
    script.write_text(PRELUDE.format(out=str(out), body=textwrap.indent(textwrap.dedent(body), "    ")))
    run_env = system_env()
    paths = []
    if with_venv:
        # QGIS runs the system Python: make the venv's packages (torch, diffusers, ...) visible to it.
        paths += [p for p in sys.path if p.endswith("site-packages") and ".venv" in p]
    run_env["PYTHONPATH"] = os.pathsep.join(paths)
    if plugin_path is not None:
        run_env["QGIS_PLUGINPATH"] = str(plugin_path)
    run_env.update(env or {})
    cmd = ["xvfb-run", "-a", "qgis", "--nologo", "--noversioncheck", "--noplugins",
           "--profiles-path", str(tmp_path / "profiles"), "--code", str(script)]
    # own process group: on a time-out (e.g. QGIS stuck on an error dialog) QGIS and Xvfb are killed too
    proc = subprocess.Popen(cmd, env=run_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        raise RuntimeError(f"QGIS did not finish within {timeout} s:\n{stdout}\n{stderr}") from None
    if not out.exists():
        raise RuntimeError(f"QGIS exited ({proc.returncode}) without a report:\n{stdout}\n{stderr}")
    data = json.loads(out.read_text())
    if "error" in data:
        raise RuntimeError("the script failed inside QGIS:\n" + data["error"])
    return data
