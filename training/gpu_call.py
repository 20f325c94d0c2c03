"""Make a lent GPU's training call ready from a fresh checkout, and take its weights back.

    python -m training.gpu_call prepare [--data ../shared/data] [--init MODEL_DIR]
    (the device tool's run, with the command, carry and timeout_s that prepare prints)
    python -m training.gpu_call restore
    python -m training.gpu_call unpack FILES_AT [--into .gpu] [--out .gpu/bundle]

Every session starts from a fresh clone of main: what earlier sessions kept in ignored folders (``.gpu/``,
``.whl/``) is gone. Session 10's 0.3 weights were lost that way, so a call trains anew unless a model to
continue was committed. ``prepare`` rebuilds what the call carries (the scene pack, from ``../shared/data``;
the ``diffusers`` wheel the GPU image lacks, from the package registry), takes the tracked folders that the
call must not carry out of the working tree (they come back from git: ``restore``), checks that what travels
fits the device tool's 64 MiB and prints the call. ``unpack`` puts the float16 tar pieces that came back
into ``runs/`` and assembles the bundle (``training.assemble``).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: tracked folders the call does not need; together over the device tool's 64 MiB
LEFT_OUT = ("tests/data/parity", "resources/models/diffusionsat-mini")
PACK, WHEELS = ".gpu/pack", ".whl"
TRAVEL_LIMIT = 64 * 1024 * 1024
TIMEOUT_S, DEADLINE_S = 600, 570  # the device tool's longest call; the script's own end, with 30 s to spare


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def pinned(name: str, requirements: Path) -> str:
    for line in requirements.read_text().splitlines():
        m = re.fullmatch(rf"\s*{re.escape(name)}==([\w.]+)\s*(#.*)?", line)
        if m:
            return m.group(1)
    raise ValueError(f"{requirements} pins no {name}")


def travel_size(root: Path, carry=()) -> int:
    """Bytes the device tool copies: tracked and untracked-not-ignored files present here, plus ``carry``."""
    names = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    files = {root / n for n in names if n}
    for c in carry:
        p = root / c
        files |= set(p.rglob("*")) if p.is_dir() else {p}
    return sum(f.stat().st_size for f in files if f.is_file())


def leave_out(root: Path, paths=LEFT_OUT) -> None:
    """Remove tracked folders from the working tree; refuses when they hold changes git could not restore."""
    changed = _git(root, "status", "--porcelain", "--untracked-files=all", "--", *paths)
    if changed.strip():
        raise RuntimeError("these would be lost (commit or move them first):\n" + changed)
    for p in paths:
        if (root / p).exists():
            shutil.rmtree(root / p)


def restore(root: Path, paths=LEFT_OUT) -> None:
    _git(root, "checkout", "HEAD", "--", *paths)


def unpack_pieces(pieces: Path, dest: Path) -> list:
    """Join every ``NAME.tar.part-NN`` series in ``pieces`` and extract it under ``dest``; returns the names.
    Only plain files with relative paths are taken (Python 3.11.2 has no ``tarfile`` ``filter=``)."""
    names = []
    for first in sorted(Path(pieces).glob("*.tar.part-00")):
        stem = first.name[: -len("00")]
        parts = sorted(Path(pieces).glob(stem + "*"))
        dest.mkdir(parents=True, exist_ok=True)
        joined = dest / f".{stem}join"
        with open(joined, "wb") as fh:
            for p in parts:
                fh.write(p.read_bytes())
        try:
            with tarfile.open(joined) as tar:
                for member in tar.getmembers():
                    if not member.isfile() or Path(member.name).is_absolute() or ".." in Path(member.name).parts:
                        raise ValueError(f"{first}: unexpected tar member {member.name!r}")
                    target = dest / member.name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(tar.extractfile(member).read())
        finally:
            joined.unlink()
        names.append(stem[: -len(".tar.part-")])
    return names


def device_call(init=None) -> dict:
    """The device tool's ``run`` arguments for ``training.gpu_train_all``."""
    train = f"python3 -m training.gpu_train_all --out $OUT --deadline {DEADLINE_S}"
    carry = [PACK, WHEELS]
    if init:
        train += f" --init {init} --stages unet,controlnet_sr,controlnet_inpaint,controlnet3d"
        carry.append(str(init))
    command = (f"python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "
               f"/tmp/site {WHEELS}/*.whl && export PYTHONPATH=/tmp/site || exit; nvidia-smi -L; {train}")
    return {"command": command, "carry": carry, "timeout_s": TIMEOUT_S}


def prepare(args) -> int:
    root = REPO
    if args.init and not (root / args.init / "unet").is_dir():
        raise SystemExit(f"--init {args.init}: no unet/ there")
    if not (root / PACK / "index.json").is_file():  # index.json is written last: its absence means unfinished
        print(f"making the scene pack {PACK} from {args.data} ...", flush=True)
        subprocess.run([sys.executable, "-m", "training.make_pack", "--out", PACK, "--root", str(args.data)],
                       cwd=root, check=True)
    version = pinned("diffusers", root / "requirements.txt")
    if not list((root / WHEELS).glob(f"diffusers-{version}-*.whl")):
        print(f"downloading the diffusers {version} wheel into {WHEELS}/ ...", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                        "--dest", WHEELS, f"diffusers=={version}"], cwd=root, check=True)
    call = device_call(args.init)
    leave_out(root)
    size = travel_size(root, call["carry"])
    if size > TRAVEL_LIMIT:
        restore(root)
        raise SystemExit(f"the call would carry {size / 2**20:.1f} MiB, over the device tool's 64 MiB")
    print(f"ready: {size / 2**20:.1f} MiB travel; {', '.join(LEFT_OUT)} are out of the working tree until "
          f"`python -m training.gpu_call restore`.\nthe device tool's run:")
    print(json.dumps(call, indent=1))
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare", help="pack, wheel, working tree and size check; prints the call")
    p.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    p.add_argument("--init", default=None, help="a committed model folder whose UNet the call continues")
    sub.add_parser("restore", help="put the folders prepare took out back from git")
    u = sub.add_parser("unpack", help="join and extract the pieces that came back, then assemble the bundle")
    u.add_argument("pieces", help="the folder the device tool put the call's files in (files_at)")
    u.add_argument("--into", default=".gpu", help="the pieces hold runs/...: they are extracted here")
    u.add_argument("--out", default=".gpu/bundle")
    args = ap.parse_args(argv)
    if args.cmd == "prepare":
        return prepare(args)
    if args.cmd == "restore":
        restore(REPO)
        print("restored: " + ", ".join(LEFT_OUT))
        return 0
    from .assemble import assemble

    print("unpacked:", ", ".join(unpack_pieces(Path(args.pieces), Path(args.into))))
    report = assemble(Path(args.into) / "runs", Path(args.out))
    print(json.dumps(report, indent=1, default=str))
    settings = Path(args.out) / "diffusionsat.json"
    if not settings.exists():  # the product settings (the stretch it was trained on, tile size, guidance)
        settings.write_text(_git(REPO, "show", f"HEAD:{LEFT_OUT[1]}/diffusionsat.json"))  # also before restore
        print(f"{settings}: the bundled model's product settings (its caveat names that model: edit it to ship)")
    log = Path(args.pieces) / "train_log.txt"
    if log.is_file():
        print(log.read_text()[:3000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
