"""The setting "Run on a Dask cluster" (issue 16): off by default, dask untouched while off, a clear message
when dask is missing, and a Processing job that really runs on a loopback LocalCluster's worker process."""

import sys

import pytest
from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingFeedback, QgsProject

from tests.conftest import DATA, ROOT, import_plugin_package

import_plugin_package()
from diffusionsat.plugin import cluster_jobs  # noqa: E402
from diffusionsat.plugin import settings as settings_mod  # noqa: E402

BUNDLED = ROOT / "resources" / "models" / "diffusionsat-mini"
S2 = DATA / "slovenia_s2l1c_ref0.tif"


@pytest.fixture
def saved_settings(qgis_app):
    before = settings_mod.load()
    yield
    settings_mod.save(before)


def test_off_by_default_and_needs_an_address():
    s = settings_mod.Settings()
    assert not s.dask_enabled and s.dask_address == ""
    assert cluster_jobs.cluster_address(s) is None
    s.dask_address = "tcp://127.0.0.1:8786"
    assert cluster_jobs.cluster_address(s) is None  # an address alone does not turn it on
    s.dask_enabled, s.dask_address = True, "  "
    assert cluster_jobs.cluster_address(s) is None
    s.dask_address = " tcp://127.0.0.1:8786 "
    assert cluster_jobs.cluster_address(s) == "tcp://127.0.0.1:8786"


def test_off_runs_in_qgis_without_importing_dask(monkeypatch):
    import diffusionsat.backend.api as api

    for name in ("dask", "distributed"):
        monkeypatch.setitem(sys.modules, name, None)  # any import of dask now fails
    monkeypatch.setattr(api, "run_job", lambda job, model, progress=None, cancel=None: ("here", job, model))
    assert cluster_jobs.run_job("job", "model", settings=settings_mod.Settings()) == ("here", "job", "model")


def test_on_without_dask_says_what_to_do(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    s = settings_mod.Settings(dask_enabled=True, dask_address="tcp://127.0.0.1:8786")
    with pytest.raises(cluster_jobs.ClusterSettingError) as caught:
        cluster_jobs.run_job("job", "model", settings=s)
    message = str(caught.value)
    assert "dask[distributed]" in message and "pip install" in message and "turn the setting off" in message


def test_settings_page_box_round_trip(qgis_app):
    from diffusionsat.plugin.pages.cluster_box import ClusterBox

    box = ClusterBox()
    box.load(settings_mod.Settings(dask_enabled=True, dask_address="tcp://10.0.0.1:8786"))
    s = settings_mod.Settings()
    box.store(s)
    assert s.dask_enabled and s.dask_address == "tcp://10.0.0.1:8786"
    box.setChecked(False)
    box.store(s)
    assert not s.dask_enabled and "Off" in box.note.text()


@pytest.mark.slow
def test_processing_job_runs_on_a_loopback_cluster(qgis_app, saved_settings, monkeypatch, tmp_path):
    distributed = pytest.importorskip("distributed")
    import dask

    from diffusionsat.plugin.processing.provider import DiffusionSatProvider
    import diffusionsat.backend.api as api

    def not_here(*_args, **_kwargs):
        raise AssertionError("the job ran in QGIS, not on the cluster")

    monkeypatch.setattr(api, "run_job", not_here)
    monkeypatch.setattr(api, "estimate_job", not_here)
    provider = DiffusionSatProvider()
    assert QgsApplication.processingRegistry().addProvider(provider)
    env = {"OMP_NUM_THREADS": 1, "OMP_WAIT_POLICY": "PASSIVE"}
    try:
        with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
            with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                                          silence_logs=40) as cluster:
                settings_mod.save(settings_mod.Settings(dask_enabled=True, dask_address=cluster.scheduler_address))
                out = tmp_path / "sr.tif"
                algorithm = QgsApplication.processingRegistry().createAlgorithmById("diffusionsat:superres")
                context = QgsProcessingContext()
                context.setProject(QgsProject.instance())
                feedback = QgsProcessingFeedback()
                steps = []
                feedback.progressChanged.connect(steps.append)
                result, ok = algorithm.run({"INPUT": str(S2), "MODEL": str(BUNDLED), "STEPS": 1, "SEED": 3,
                                            "OUTPUT": str(out)}, context, feedback)
    finally:
        QgsApplication.processingRegistry().removeProvider(provider)
    assert ok and result["OUTPUT"] == str(out) and out.exists()
    assert result["SEED"] == 3 and steps and max(steps) == 100.0
    assert f"Running on the Dask cluster {cluster.scheduler_address}" in feedback.textLog()
