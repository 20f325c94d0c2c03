#!/usr/bin/env python3
"""Task runner for DiffusionSat for QGIS. Standard library only, so it runs on a fresh machine.

    python3 build.py setup          install what is missing (Debian packages, .venv, pinned requirements)
    python3 build.py test [ARGS]    set up, then run the whole test suite in headless QGIS (ARGS go to pytest)
    python3 build.py demo           set up, then run every task on the bundled model and sample data
    python3 build.py package        write dist/diffusionsat-<version>.zip (QGIS "Install from ZIP", plugins.qgis.org)
                                    and dist/diffusionsat-mini-<version>.zip (the demo model, a release asset)
    python3 build.py scan           bandit + detect-secrets over the packaged plugin (what plugins.qgis.org runs),
                                    the zip's size (<= 25 MB) and no weight files in it
    python3 build.py translations   update i18n/*.ts from the sources and compile i18n/*.qm
    python3 build.py bench          run the benchmarks in tests/benchmarks (prints tables, writes JSON)
    python3 build.py eval [ARGS]    quality vs baselines (SR, inpainting, multi-date) on a folder of GeoTIFFs:
                                    tests/benchmarks/eval_table.py, e.g. --data DIR --guidance 1,7.5

Set-up is idempotent: with everything present it takes a second or two.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PY = VENV / "bin" / "python"
SYSTEM_PY = Path("/usr/bin/python3")
REQUIREMENTS = ROOT / "requirements.txt"
STAMP = VENV / ".diffusionsat-requirements"
PLUGIN_NAME = "diffusionsat"
PROCESSING_PLUGINS = Path("/usr/share/qgis/python/plugins")

# Debian packages the project needs (QGIS and the GDAL stack it is built on, Qt tools for i18n,
# Xvfb to start the real QGIS desktop in tests).
DEBIAN_PACKAGES = [
    "qgis",
    "python3-qgis",
    "qgis-providers",
    "python3-rasterio",
    "python3-pyproj",
    "python3-shapely",
    "python3-gdal",
    "python3-scipy",
    "proj-data",
    "python3-venv",
    "python3-pip",
    "pyqt5-dev-tools",
    "qttools5-dev-tools",
    "xvfb",
    "xauth",
]
# Packaged into the plugin zip (one top folder); nothing else goes in. The model is a zip of its own:
# plugins.qgis.org takes packages up to 25 MB and no binaries.
PACKAGE_ITEMS = ["metadata.txt", "__init__.py", "LICENSE", "plugin", "backend", "resources", "i18n"]
PACKAGE_EXCLUDE = re.compile(r"(__pycache__|\.pyc$|\.pyo$|\.ts$|\.pro$|~$|\.orig$|\.DS_Store"
                             r"|^resources/models/|^backend/hub/mini_release\.json$)")
MODEL_NAME = "diffusionsat-mini"
MODEL_DIR = ROOT / "resources" / "models" / MODEL_NAME
MAX_PLUGIN_ZIP = 25 * 1000 * 1000  # plugins.qgis.org's upload limit
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".onnx", ".h5", ".pkl", ".npz", ".gguf")
ZIP_DATE = (2024, 1, 1, 0, 0, 0)  # fixed member dates: the same files give the same zip and SHA-256


def say(msg: str) -> None:
    print(f"[build] {msg}", flush=True)


def fail(msg: str, code: int = 1) -> None:
    print(f"[build] error: {msg}", file=sys.stderr, flush=True)
    sys.exit(code)


def run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], **kw)


# --------------------------------------------------------------------------------------------- setup
def _missing_debian_packages() -> list[str]:
    if not shutil.which("dpkg-query"):
        fail("this set-up needs a Debian-based system (dpkg-query not found); install QGIS 3.22+ "
             "with its Python bindings, rasterio, pyproj and shapely by hand, then re-run")
    missing = []
    for pkg in DEBIAN_PACKAGES:
        res = run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
        if res.returncode != 0 or "install ok installed" not in res.stdout:
            missing.append(pkg)
    return missing


def _privileged(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return cmd
    if shutil.which("sudo"):
        return ["sudo", *cmd]
    fail(f"installing Debian packages needs root: run as root or install sudo, or install them by hand:\n"
         f"    apt-get install {' '.join(cmd[3:])}")
    return cmd


def ensure_debian_packages() -> None:
    missing = _missing_debian_packages()
    if not missing:
        return
    say(f"installing Debian packages: {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if run(_privileged(["apt-get", "update", "-qq"]), env=env).returncode != 0:
        fail("apt-get update failed (see above)")
    cmd = _privileged(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing])
    if run(cmd, env=env).returncode != 0:
        fail(f"apt-get install failed for: {' '.join(missing)}")


def _venv_works() -> bool:
    if not VENV_PY.exists():
        return False
    probe = "import sys, qgis.core, rasterio; sys.exit(0)"
    return run([VENV_PY, "-c", probe], capture_output=True).returncode == 0


def ensure_venv() -> None:
    if _venv_works():
        return
    if VENV.exists():
        say("rebuilding a .venv that cannot import QGIS")
        shutil.rmtree(VENV)
    say("creating .venv (with system site packages, so QGIS, PyQt5 and Debian's rasterio are visible)")
    if run([SYSTEM_PY, "-m", "venv", "--system-site-packages", VENV]).returncode != 0:
        fail("could not create .venv (is python3-venv installed?)")
    if not _venv_works():
        fail("the new .venv cannot import qgis.core and rasterio; check the Debian packages")


def _system_numpy() -> str:
    res = run([SYSTEM_PY, "-c", "import numpy; print(numpy.__version__)"], capture_output=True, text=True)
    return res.stdout.strip()


def ensure_requirements() -> None:
    # Debian's rasterio and QGIS are built against the system numpy: pin it so no wheel upgrades it.
    numpy_version = _system_numpy()
    pyproject = ROOT / "pyproject.toml"
    key = hashlib.sha256(REQUIREMENTS.read_bytes() + pyproject.read_bytes() + numpy_version.encode()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == key:
        return
    constraints = VENV / "constraints.txt"
    constraints.write_text(f"numpy=={numpy_version}\n" if numpy_version else "")
    say("installing pinned Python requirements into .venv")
    cmd = [VENV_PY, "-m", "pip", "install", "--disable-pip-version-check", "-q",
           "-r", REQUIREMENTS, "-c", constraints]
    if run(cmd).returncode != 0:
        fail("pip install of requirements.txt failed (see above)")
    # the backend itself, editable, for the `diffusionsat` console script
    cmd = [VENV_PY, "-m", "pip", "install", "--disable-pip-version-check", "-q", "--no-deps",
           "--no-build-isolation", "-e", ROOT]
    if run(cmd).returncode != 0:
        fail("pip install -e . (the diffusionsat command) failed (see above)")
    STAMP.write_text(key + "\n")


def setup() -> None:
    t0 = time.time()
    ensure_debian_packages()
    ensure_venv()
    ensure_requirements()
    compile_translations()
    say(f"set-up complete ({time.time() - t0:.1f} s)")


def venv_env() -> dict:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = env.get("QT_QPA_PLATFORM", "offscreen")
    paths = [str(ROOT), str(PROCESSING_PLUGINS)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    env.setdefault("GDAL_PAM_ENABLED", "NO")  # no .aux.xml files beside test data
    env.setdefault("HF_HUB_OFFLINE", "1")  # nothing is ever fetched from a model hub at run time
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    return env


# ---------------------------------------------------------------------------------------------- test
def test(args: list[str]) -> int:
    setup()
    cmd = [VENV_PY, "-m", "pytest", *args]
    say("running the tests: " + " ".join(str(c) for c in cmd[1:]))
    t0 = time.time()
    code = run(cmd, cwd=ROOT, env=venv_env()).returncode
    say(f"tests finished in {time.time() - t0:.0f} s with exit code {code}")
    return code


# ------------------------------------------------------------------------------------------- package
def plugin_version() -> str:
    text = (ROOT / "metadata.txt").read_text(encoding="utf-8")
    match = re.search(r"^version=(\S+)", text, re.M)
    if not match:
        fail("metadata.txt has no version= line")
    return match.group(1)


def compile_translations() -> None:
    lrelease = shutil.which("lrelease") or "/usr/lib/qt5/bin/lrelease"
    for ts in sorted((ROOT / "i18n").glob("*.ts")):
        qm = ts.with_suffix(".qm")
        if qm.exists() and qm.stat().st_mtime >= ts.stat().st_mtime:
            continue
        if not Path(lrelease).exists():
            fail("lrelease not found (Debian package qttools5-dev-tools)")
        if run([lrelease, "-silent", ts, "-qm", qm]).returncode != 0:
            fail(f"lrelease failed on {ts.name}")


def _add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, ZIP_DATE)
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_model(dist: Path, version: str) -> Path:
    """dist/diffusionsat-mini-<version>.zip: the model folder under one top folder, reproducible."""
    if not (MODEL_DIR / "model_index.json").is_file():
        fail(f"cannot package the model: {MODEL_DIR} has no model_index.json")
    out = dist / f"{MODEL_NAME}-{version}.zip"
    tmp = out.with_suffix(".zip.part")
    with zipfile.ZipFile(tmp, "w") as zf:
        for path in sorted(p for p in MODEL_DIR.rglob("*") if p.is_file()):
            if not PACKAGE_EXCLUDE.search(path.name):
                _add(zf, f"{MODEL_NAME}/{path.relative_to(MODEL_DIR).as_posix()}", path.read_bytes())
    os.replace(tmp, out)
    return out


def model_release(model_zip: Path, version: str) -> dict:
    """What the plugin needs to download and verify the model zip (backend/hub/release.py reads it)."""
    url = f"https://github.com/diffusionsat-qgis/diffusionsat-qgis/releases/download/v{version}/{model_zip.name}"
    return {"url": url, "size": model_zip.stat().st_size, "sha256": _sha256(model_zip), "version": version}


def package(dest: Path | None = None, with_model: bool = True) -> Path:
    """Write the model zip and the plugin zip (which names the model zip's size and SHA-256).

    ``with_model=False`` (the scan): the plugin zip alone, without the model's release manifest.
    """
    compile_translations()
    version = plugin_version()
    dist = dest or ROOT / "dist"
    dist.mkdir(parents=True, exist_ok=True)
    model_zip = package_model(dist, version) if with_model else None
    release = model_release(model_zip, version) if model_zip else None
    out = dist / f"{PLUGIN_NAME}-{version}.zip"
    tmp = out.with_suffix(".zip.part")
    with zipfile.ZipFile(tmp, "w") as zf:
        for item in PACKAGE_ITEMS:
            src = ROOT / item
            if not src.exists():
                fail(f"cannot package: {item} is missing")
            files = [src] if src.is_file() else sorted(p for p in src.rglob("*") if p.is_file())
            for path in files:
                rel = path.relative_to(ROOT).as_posix()
                if PACKAGE_EXCLUDE.search(rel):
                    continue
                _add(zf, f"{PLUGIN_NAME}/{rel}", path.read_bytes())
        if release:
            _add(zf, f"{PLUGIN_NAME}/backend/hub/mini_release.json", (json.dumps(release, indent=2) + "\n").encode())
    os.replace(tmp, out)
    for path in filter(None, (out, model_zip)):
        say(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, sha256 {_sha256(path)})")
    return out


def package_problems(archive: Path) -> list[str]:
    """Why plugins.qgis.org would refuse the plugin zip: its size, weight files, the model folder."""
    problems = []
    size = archive.stat().st_size
    if size > MAX_PLUGIN_ZIP:
        problems.append(f"{archive.name} is {size / 1e6:.1f} MB, over the {MAX_PLUGIN_ZIP / 1e6:.0f} MB limit")
    with zipfile.ZipFile(archive) as zf:
        for name in zf.namelist():
            if name.lower().endswith(WEIGHT_SUFFIXES) or "/resources/models/" in name:
                problems.append(f"{name}: model weights belong in the model zip, not the plugin zip")
    return problems


def scan() -> int:
    """Run what plugins.qgis.org runs on upload over the packaged plugin; any finding blocks an upload."""
    setup()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        archive = package(Path(tmp), with_model=False)  # what is uploaded to plugins.qgis.org
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(tmp)
        target = Path(tmp) / PLUGIN_NAME
        code = run([VENV_PY, "-m", "bandit", "-q", "-r", target]).returncode
        res = run([VENV_PY, "-m", "detect_secrets", "scan", "--all-files", target],
                  capture_output=True, text=True, cwd=tmp)
        findings = json.loads(res.stdout or "{}").get("results", {})
        for name, items in findings.items():
            for item in items:
                print(f"detect-secrets: {name}:{item.get('line_number')}: {item.get('type')}")
        if res.returncode != 0:
            print(res.stderr)
        problems = package_problems(archive)
        for problem in problems:
            print(f"package: {problem}")
        say(f"plugin zip: {archive.stat().st_size / 1e6:.1f} MB (limit {MAX_PLUGIN_ZIP / 1e6:.0f} MB)")
        ok = code == 0 and res.returncode == 0 and not findings and not problems
        say("security scan: " + ("clean" if ok else "FINDINGS (an upload would be blocked)"))
        return 0 if ok else 1


# -------------------------------------------------------------------------------------- translations
def translations() -> None:
    pylupdate = shutil.which("pylupdate5")
    if not pylupdate:
        fail("pylupdate5 not found (Debian package pyqt5-dev-tools)")
    sources = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "plugin").rglob("*.py"))
    for ts in sorted((ROOT / "i18n").glob("*.ts")):
        if run([pylupdate, "-noobsolete", *sources, "-ts", ts.relative_to(ROOT)], cwd=ROOT).returncode != 0:
            fail(f"pylupdate5 failed for {ts.name}")
    compile_translations()
    say("translations updated and compiled")


# ------------------------------------------------------------------------------------- demo / bench
def demo(args: list[str]) -> int:
    setup()
    return run([VENV_PY, "-m", "backend.demo", *args], cwd=ROOT, env=venv_env()).returncode


def bench(args: list[str]) -> int:
    setup()
    code = 0
    for script in sorted((ROOT / "tests" / "benchmarks").glob("bench_*.py")):
        say(f"benchmark {script.name}")
        code |= run([VENV_PY, script, *args], cwd=ROOT, env=venv_env()).returncode
    return code


def evaluate(args: list[str]) -> int:
    setup()
    script = ROOT / "tests" / "benchmarks" / "eval_table.py"
    return run([VENV_PY, script, *args], cwd=ROOT, env=venv_env()).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    cmd, rest = argv[0], argv[1:]
    if cmd == "setup":
        setup()
        return 0
    if cmd == "test":
        return test(rest)
    if cmd == "demo":
        return demo(rest)
    if cmd == "package":
        package()
        return 0
    if cmd == "scan":
        return scan()
    if cmd == "translations":
        translations()
        return 0
    if cmd == "bench":
        return bench(rest)
    if cmd == "eval":
        return evaluate(rest)
    fail(f"unknown command {cmd!r}; see 'python3 build.py --help'", code=2)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
