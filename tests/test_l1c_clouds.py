"""Level-1C cloud masks (issue 18): the optional detector (ukis-csmask) and its message when missing."""

import importlib.util
import sys

import numpy as np
import pytest
import rasterio

from backend.geo import l1c_clouds
from backend.geo import sentinel2_product as s2
from tests.test_sentinel2_product import NEW, _inpaint_job, level1c


def detector_installed() -> bool:
    return importlib.util.find_spec("ukis_csmask") is not None and importlib.util.find_spec("onnxruntime") is not None


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_missing_detector_says_what_to_do(tmp_path, monkeypatch):
    for name in ("ukis_csmask", "ukis_csmask.mask"):
        monkeypatch.setitem(sys.modules, name, None)  # as if not installed
    product = level1c(tmp_path)
    with pytest.raises(l1c_clouds.DetectorMissingError) as caught:
        s2.resolve_job(_inpaint_job(product, product))
    message = str(caught.value)
    for part in (product.name, "Level-1C product: it has no scene classification", "ukis-csmask",
                 "pip install 'ukis-csmask[cpu]'", "works offline", "Level-2A product of the same date"):
        assert part in message, (part, message)
    assert "\n" not in message


def test_level2a_keeps_its_scl():
    assert s2.cloud_classes_file(NEW) == s2.scl_file(NEW)


@pytest.mark.skipif(not detector_installed(), reason="the optional Level-1C cloud detector ukis-csmask "
                    "(pip install 'ukis-csmask[cpu]') is not installed")
def test_detected_clouds_agree_with_the_scl_of_the_same_scene(tmp_path):
    product = level1c(tmp_path)  # the L2A fixture's bands under Level-1C metadata: BOA standing in for TOA
    path = s2.cloud_classes_file(product)
    assert s2.cloud_classes_file(product) == path  # cached
    with rasterio.open(path) as ds, rasterio.open(s2.scl_file(NEW)) as scl:  # the fixture's SCL is at 20 m
        classes, truth = ds.read(1), scl.read(1, out_shape=ds.shape)  # nearest onto the 60 m grid
        assert ds.nodata == 0 and ds.res == (60.0, 60.0) and ds.bounds == scl.bounds
    assert set(np.unique(classes)) <= {0, 3, 7, 9}
    valid = (classes != 0) & (truth != 0)
    agree = np.mean((classes[valid] == 9) == np.isin(truth[valid], [8, 9, 10]))
    # 12 x 12 px at 60 m, under the detector's 256 px tile: a check of the plumbing (0.73 measured); its
    # quality on the whole tile is in tests/benchmarks/results/l1c_cloud_detectors.md (0.95 accuracy)
    assert agree > 0.6, agree


def test_dependency_dialog_names_the_detector_as_optional(monkeypatch):
    from tests.conftest import import_plugin_package

    import_plugin_package()
    from diffusionsat.plugin import deps

    monkeypatch.setitem(sys.modules, "ukis_csmask", None)
    missing = {m.module: m for m in deps.missing_dependencies(deps.OPTIONAL)}
    assert missing["ukis_csmask"].requirement == "ukis-csmask[cpu]"
    assert "Level-1C" in missing["ukis_csmask"].purpose
    assert "ukis_csmask" not in {m.module for m in deps.missing_dependencies()}  # never required
