"""training.gpu_call: what a lent GPU's call carries, leaving tracked folders out and back, the pieces back."""

import io
import subprocess
import tarfile

import pytest

from training.gpu_call import (DEADLINE_S, LEFT_OUT, TIMEOUT_S, device_call, leave_out, pinned, restore,
                               travel_size, unpack_pieces)
from training.gpu_train_all import write_pieces


def _git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture()
def repo(tmp_path):
    root = tmp_path / "repo"
    (root / "big").mkdir(parents=True)
    (root / "big" / "w.bin").write_bytes(b"w" * 5000)
    (root / "code.py").write_text("x = 1\n")
    (root / ".gitignore").write_text("ignored/\ncarry/\n")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "c")
    (root / "new.txt").write_text("untracked, not ignored: travels\n")
    (root / "ignored").mkdir()
    (root / "ignored" / "x").write_bytes(b"i" * 7000)
    (root / "carry").mkdir()
    (root / "carry" / "pack").write_bytes(b"p" * 300)
    return root


def test_travel_size_counts_what_the_device_tool_copies(repo):
    base = len(b"x = 1\n") + len("ignored/\ncarry/\n") + len("untracked, not ignored: travels\n")
    assert travel_size(repo) == base + 5000
    assert travel_size(repo, ["carry"]) == base + 5000 + 300
    leave_out(repo, ["big"])
    assert not (repo / "big").exists() and travel_size(repo) == base
    restore(repo, ["big"])
    assert (repo / "big" / "w.bin").read_bytes() == b"w" * 5000


def test_leave_out_refuses_to_lose_changes(repo):
    (repo / "big" / "w.bin").write_bytes(b"changed")
    with pytest.raises(RuntimeError, match="would be lost"):
        leave_out(repo, ["big"])
    assert (repo / "big" / "w.bin").read_bytes() == b"changed"
    (repo / "big" / "w.bin").write_bytes(b"w" * 5000)
    (repo / "big" / "extra.txt").write_text("not in git")
    with pytest.raises(RuntimeError, match="extra.txt"):
        leave_out(repo, ["big"])
    assert (repo / "big" / "extra.txt").exists()


def test_unpack_joins_pieces_and_refuses_paths_outside(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    buf = io.BytesIO()
    payload = bytes(range(256)) * 200
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("runs/unet_mini/final/unet/w.safetensors")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    write_pieces(buf.getvalue(), out, "unet")
    assert unpack_pieces(out, tmp_path / "back") == ["unet"]
    assert (tmp_path / "back" / "runs/unet_mini/final/unet/w.safetensors").read_bytes() == payload

    bad = io.BytesIO()
    with tarfile.open(fileobj=bad, mode="w") as tar:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    (out / "unet.tar.part-00").write_bytes(bad.getvalue())
    with pytest.raises(ValueError, match="escape"):
        unpack_pieces(out, tmp_path / "back2")
    assert not (tmp_path / "escape.txt").exists()


def test_the_call_and_the_pin(tmp_path):
    call = device_call()
    assert call["timeout_s"] == TIMEOUT_S > DEADLINE_S and f"--deadline {DEADLINE_S}" in call["command"]
    assert call["carry"] == [".gpu/pack", ".whl"] and "--init" not in call["command"]
    cont = device_call(".gpu/model")
    assert ".gpu/model" in cont["carry"] and "--init .gpu/model --stages unet," in cont["command"]
    req = tmp_path / "requirements.txt"
    req.write_text("torch==2.13.0\ndiffusers==0.42.1  # pinned\n")
    assert pinned("diffusers", req) == "0.42.1"
    with pytest.raises(ValueError, match="accelerate"):
        pinned("accelerate", req)
    assert set(LEFT_OUT) == {"tests/data/parity", "resources/models/diffusionsat-mini"}
