"""Issue 17: the dependency installer leaves a working plugin (pip command per machine, QGIS's numpy
kept, search order, size before installing, log, a checked result)."""

import json
import sys

import pytest

from tests.conftest import import_plugin_package

import_plugin_package()
from diffusionsat.plugin import deps  # noqa: E402

REQS = ["torch==2.13.0", "diffusers==0.42.1"]
SMI_NEW = "| NVIDIA-SMI 570.86.10   Driver Version: 570.86.10   CUDA Version: 12.8     |"
SMI_OLD = "| NVIDIA-SMI 470.223.02   Driver Version: 470.223.02   CUDA Version: 11.4     |"


def command(system, smi, report=None):
    return deps.pip_install_args(REQS, "/p/diffusionsat-deps", "/p/c.txt", system, deps.driver_cuda(smi), report)


@pytest.mark.parametrize("system, smi, torch_req, index", [
    ("Linux", "", "torch==2.13.0+cpu", "https://download.pytorch.org/whl/cpu"),            # no GPU
    ("Linux", SMI_OLD, "torch==2.13.0+cpu", "https://download.pytorch.org/whl/cpu"),       # driver too old
    ("Linux", SMI_NEW, "torch==2.13.0+cu128", "https://download.pytorch.org/whl/cu128"),   # current driver
    ("Linux", SMI_NEW.replace("12.8", "12.6"), "torch==2.13.0+cu126", "https://download.pytorch.org/whl/cu126"),
    ("Windows", "", "torch==2.13.0+cpu", "https://download.pytorch.org/whl/cpu"),
    ("Windows", SMI_NEW, "torch==2.13.0+cu128", "https://download.pytorch.org/whl/cu128"),
    ("Darwin", "", "torch==2.13.0", None),                                                 # MPS: PyPI's build
])
def test_command_per_machine(system, smi, torch_req, index):
    args = command(system, smi)
    assert args[:3] == ["-m", "pip", "install"] and torch_req in args and "diffusers==0.42.1" in args
    assert ["-c", "/p/c.txt"] == args[args.index("-c"):args.index("-c") + 2]
    if index:
        assert args[args.index("--index-url") + 1] == index and "https://pypi.org/simple" in args
    else:
        assert "--index-url" not in args
    assert "--target" in args and "--no-deps" in args and "--dry-run" not in args


def test_plan_is_a_dry_run_against_qgis_python():
    args = command("Linux", "", report="/tmp/r.json")
    assert "--dry-run" in args and args[args.index("--report") + 1] == "/tmp/r.json"
    assert "--target" not in args  # resolved against what QGIS's Python has: only what it lacks


def test_constraints_keep_qgis_numpy():
    assert deps.constraints_text({"numpy": "1.24.2", "sympy": "1.11.1"}) == "numpy==1.24.2\n"
    assert deps.constraints_text({}) == ""


def test_driver_cuda_parsing():
    assert deps.driver_cuda(SMI_NEW) == (12, 8) and deps.driver_cuda(SMI_OLD) == (11, 4)
    assert deps.driver_cuda("") is None and deps.driver_cuda("NVIDIA-SMI has failed") is None


def test_folder_goes_ahead_of_system_site_packages_only():
    path = ["/usr/share/qgis/python", "/home/u/profile/python", "/usr/lib/python311.zip",
            "/usr/lib/python3/dist-packages", "/usr/local/lib/python3.11/dist-packages"]
    ordered = deps.ordered_path(path, "/deps")
    assert ordered.index("/deps") == 3 and ordered[:3] == path[:3]
    assert deps.ordered_path(ordered, "/deps") == ordered  # idempotent


def test_planned_packages_and_size():
    report = {"install": [{"metadata": {"name": "torch", "version": "2.13.0+cpu"},
                           "download_info": {"url": "https://download.pytorch.org/whl/cpu/torch.whl"}},
                          {"metadata": {"name": "sympy", "version": "1.14.0"},
                           "download_info": {"url": "https://files.example/sympy.whl"}}]}
    plan = deps.planned_packages(report)
    assert [p[:2] for p in plan] == [("torch", "2.13.0+cpu"), ("sympy", "1.14.0")]
    sizes = {"https://download.pytorch.org/whl/cpu/torch.whl": 190_000_000, "https://files.example/sympy.whl": 6_000_000}
    assert deps.download_bytes([p[2] for p in plan], head=sizes.__getitem__) == 196_000_000


def test_dialog_plans_installs_logs_and_checks(qgis_app, qtbot, monkeypatch, tmp_path):
    from diffusionsat.plugin import deps_dialog

    target = tmp_path / "profile" / "python" / "diffusionsat-deps"
    monkeypatch.setattr(deps_dialog, "deps_folder", lambda: target)
    monkeypatch.setattr(deps_dialog, "pip_requirements", lambda: ["torch==2.13.0"])
    monkeypatch.setattr(sys, "path", list(sys.path))
    plan = {"install": [{"metadata": {"name": "sympy", "version": "1.14.0"}, "download_info": {"url": ""}}]}
    seen = []

    def stand_in(requirements, folder, report=None):  # pip stand-ins: the plan writes a report
        seen.append((list(requirements), report))
        if report is not None:
            return ["-c", f"import json; json.dump({plan!r}, open({str(report)!r}, 'w')); print('noise')"]
        return ["-c", "print('pip install output')"]

    monkeypatch.setattr(deps_dialog, "pip_arguments", stand_in)
    dialog = deps_dialog.DependenciesDialog()
    qtbot.addWidget(dialog)
    dialog.fetch_sizes = False
    dialog.install()
    qtbot.waitUntil(lambda: dialog.process is None, timeout=20000)
    assert dialog.outcome.text() == "To install (1 packages, 0 MB to download): sympy 1.14.0"
    assert dialog.install_button.text() == "Install (0 MB)" and dialog.install_button.isEnabled()
    dialog.install()
    qtbot.waitUntil(lambda: dialog.process is None and dialog.plan is None, timeout=120000)
    assert seen[1] == (["sympy==1.14.0"], None)
    assert dialog.outcome.text().startswith("Installed and checked"), dialog.outcome.text()
    log = deps_dialog.log_file().read_text()
    assert "noise" in log and "pip install output" in log and '"torch"' in log
    assert str(target) in sys.path
    dialog.close()


def test_failed_pip_says_one_thing(qgis_app, qtbot, monkeypatch, tmp_path):
    from diffusionsat.plugin import deps_dialog

    monkeypatch.setattr(deps_dialog, "deps_folder", lambda: tmp_path / "deps")
    monkeypatch.setattr(deps_dialog, "pip_requirements", lambda: ["torch==2.13.0"])
    monkeypatch.setattr(deps_dialog, "pip_arguments", lambda *a, **k: ["-c", "import sys; print('ERROR: x'); sys.exit(1)"])
    dialog = deps_dialog.DependenciesDialog()
    qtbot.addWidget(dialog)
    dialog.install()
    qtbot.waitUntil(lambda: dialog.process is None, timeout=20000)
    assert dialog.outcome.text() == "pip failed (exit code 1). Nothing was changed; the details are in the log."
    assert "ERROR: x" in deps_dialog.log_file().read_text() and "ERROR: x" not in dialog.outcome.text()
    json.dumps(dialog.log)
    dialog.close()
