"""The Processing provider: four algorithms, their parameters, and clear messages for bad input."""

import datetime as dt
import re
import shutil

import pytest
from qgis.core import (QgsApplication, QgsFeature, QgsGeometry, QgsProcessingContext, QgsProcessingFeedback,
                       QgsProcessingParameterDefinition, QgsProject, QgsVectorLayer)

from tests import qgis_desktop
from tests.conftest import DATA, ROOT, import_plugin_package

import_plugin_package()
from diffusionsat.plugin.processing.provider import DiffusionSatProvider  # noqa: E402

BUNDLED = ROOT / "resources" / "models" / "diffusionsat-mini"
LANDSAT = DATA / "landsat8_224078_20200518_rgb_edge.tif"
CLOUDS = DATA / "slovenia_s2_cloudmask_4dates.tif"
FAST = {"MODEL": str(BUNDLED), "STEPS": 2, "SEED": 3}

S2 = DATA / "slovenia_s2l1c_ref0.tif"
MASK = DATA / "slovenia_s2_cloudmask_4dates.tif"
HAITI = DATA / "haiti_rgbn_5m_crop.tif"


@pytest.fixture(scope="module")
def provider(qgis_app):
    provider = DiffusionSatProvider()
    assert QgsApplication.processingRegistry().addProvider(provider)
    yield provider
    QgsApplication.processingRegistry().removeProvider(provider)


@pytest.fixture
def context():
    ctx = QgsProcessingContext()
    ctx.setProject(QgsProject.instance())
    return ctx


def alg(name):
    algorithm = QgsApplication.processingRegistry().createAlgorithmById(f"diffusionsat:{name}")
    assert algorithm is not None, name
    return algorithm


def check(name, parameters, context):
    return alg(name).checkParameterValues({"OUTPUT": "TEMPORARY_OUTPUT", **parameters}, context)


def test_provider_lists_four_algorithms(provider):
    ids = sorted(a.id() for a in provider.algorithms())
    assert ids == ["diffusionsat:generate", "diffusionsat:inpaint", "diffusionsat:predict", "diffusionsat:superres"]
    for a in provider.algorithms():
        assert a.displayName() and a.shortHelpString()
        assert a.outputDefinition("OUTPUT") is not None and a.outputDefinition("SEED") is not None


def test_groups_and_help_urls(provider):
    """A group per task family; each help link is the repository's README section that explains the task."""
    groups = {a.name(): (a.groupId(), a.group()) for a in provider.algorithms()}
    assert groups == {"generate": ("synthesis", "Image synthesis"), "superres": ("enhancement", "Image enhancement"),
                      "inpaint": ("enhancement", "Image enhancement"), "predict": ("time", "Time series")}
    repository = re.search(r"^repository=(\S+)$", (ROOT / "metadata.txt").read_text(), re.M).group(1)
    headings = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
                for h in re.findall(r"^#+ (.+)$", (ROOT / "README.md").read_text(), re.M)}
    for a in provider.algorithms():
        url, _, anchor = a.helpUrl().partition("#")
        assert url == repository, a.helpUrl()
        assert anchor in headings, (a.name(), anchor)


@pytest.mark.parametrize("name, expected", [
    ("generate", {"EXTENT": "extent", "CRS": "crs", "GSD": "number", "PROMPT": "string", "DATE": "string",
                  "CLOUD": "number"}),
    ("superres", {"INPUT": "raster", "BANDS": "band"}),
    ("inpaint", {"INPUT": "raster", "BANDS": "band", "MASK_VECTOR": "vector", "MASK_RASTER": "raster",
                 "MASK_MODE": "enum", "MASK_VALUES": "string", "DILATE": "number", "PROMPT": "string",
                 "OTHER_DATES": "multilayer"}),
    ("predict", {"LAYERS": "multilayer", "DATES": "string", "TARGET_DATE": "string", "PROMPT": "string"}),
])
def test_parameter_definitions(provider, name, expected):
    a = alg(name)
    types = {p.name(): p.type() for p in a.parameterDefinitions()}
    for key, kind in expected.items():
        assert types.get(key) == kind, (name, key, types.get(key))
    common = {"MODEL": "file", "STEPS": "number", "SAMPLES": "number", "GUIDANCE": "number", "SCHEDULER": "enum",
              "SEED": "number", "DEVICE": "enum", "TILE_SIZE": "number", "OVERLAP": "number", "OUTPUT": "rasterDestination"}
    for key, kind in common.items():
        assert types.get(key) == kind, (name, key)
    assert a.parameterDefinition("MODEL").behavior() == a.parameterDefinition("MODEL").Folder
    assert a.parameterDefinition("MODEL").flags() & QgsProcessingParameterDefinition.FlagOptional
    assert a.parameterDefinition("SCHEDULER").options() == ["DDIM", "DPM-Solver++"]
    assert a.parameterDefinition("SEED").defaultValue() == -1
    # usable in batch mode and the model builder: no parameter hidden from them
    assert all(not p.flags() & QgsProcessingParameterDefinition.FlagHidden for p in a.parameterDefinitions())


def test_generate_checks(provider, context):
    ok, msg = check("generate", {"EXTENT": "600000,612000,7000000,7008000 [EPSG:32621]", "GSD": 10,
                                 "OUTPUT": "TEMPORARY_OUTPUT"}, context)
    assert ok, msg
    ok, msg = check("generate", {"EXTENT": "600000,612000,7000000,7008000", "GSD": 10}, context)
    assert not ok and "CRS" in msg
    ok, msg = check("generate", {"EXTENT": "600000,600000,7000000,7008000 [EPSG:32621]", "GSD": 10}, context)
    assert not ok and "empty" in msg
    ok, msg = check("generate", {"EXTENT": "600000,612000,7000000,7008000", "CRS": "EPSG:32621", "GSD": 0}, context)
    assert not ok and "gsd" in msg.lower()
    ok, msg = check("generate", {"EXTENT": "600000,612000,7000000,7008000 [EPSG:32621]", "GSD": 10,
                                 "DATE": "2023-02-30"}, context)
    assert not ok and "YYYY-MM-DD" in msg
    ok, msg = check("generate", {"EXTENT": "600000,612000,7000000,7008000 [EPSG:32621]", "GSD": 10,
                                 "CLOUD": 150}, context)
    assert not ok


def test_generate_job(provider, context):
    a = alg("generate")
    params = {"EXTENT": "14.0,14.3,45.5,45.7 [EPSG:4326]", "CRS": "EPSG:32633", "GSD": 5, "PROMPT": " farmland ",
              "DATE": "2020-06-01", "CLOUD": 20, "SEED": 7, "SCHEDULER": 0, "STEPS": 10}
    job = a.full_job(params, context, "/tmp/out.tif")
    assert job.crs == "EPSG:32633" and job.gsd == 5 and job.prompt == "farmland"
    assert job.date == dt.date(2020, 6, 1) and job.cloud_cover == pytest.approx(0.2)
    assert 400000 < job.bbox[0] < job.bbox[2] < 500000, "the extent is transformed to the chosen CRS"
    assert job.sampling.seed == 7 and job.sampling.scheduler == "ddim" and job.sampling.steps == 10
    assert job.output == "/tmp/out.tif"


def test_superres_checks(provider, context):
    ok, msg = check("superres", {"INPUT": str(S2)}, context)
    assert ok, msg
    job = alg("superres").full_job({"INPUT": str(S2), "BANDS": [4, 3, 2, 5, 6, 7, 8, 9, 12, 13]}, context, None)
    assert job.input == str(S2) and job.bands == [4, 3, 2, 5, 6, 7, 8, 9, 12, 13]
    ok, msg = check("superres", {"INPUT": str(S2), "BANDS": [4, 3, 2]}, context)
    assert not ok and "ten bands" in msg
    ok, msg = check("superres", {"INPUT": str(S2), "STEPS": 0}, context)
    assert not ok


def test_inpaint_checks(provider, context, tmp_path):
    base = {"INPUT": str(HAITI)}
    ok, msg = check("inpaint", base, context)
    assert not ok and "exactly one mask" in msg
    ok, msg = check("inpaint", {**base, "MASK_RASTER": str(MASK), "MASK_VALUES": "3,8,9,10"}, context)
    assert ok, msg
    job = alg("inpaint").full_job({**base, "MASK_RASTER": str(MASK), "MASK_MODE": 1, "MASK_VALUES": "1, 2,3,4",
                                   "DILATE": 30}, context, None)
    assert job.mask.bits == [1, 2, 3, 4] and job.mask.classes is None and job.mask.dilate_m == 30
    ok, msg = check("inpaint", {**base, "MASK_RASTER": str(MASK), "MASK_VALUES": "clouds"}, context)
    assert not ok and "whole numbers" in msg
    ok, msg = check("inpaint", {**base, "MASK_RASTER": str(MASK), "MASK_MODE": 2}, context)
    assert ok, msg
    ok, msg = check("inpaint", {**base, "MASK_RASTER": str(MASK), "MASK_MODE": 2, "BANDS": [1, 2]}, context)
    assert not ok and "three" in msg

    memory = QgsVectorLayer("Polygon?crs=EPSG:32618", "clouds", "memory")
    feature = QgsFeature()
    triangle = "POLYGON((794000 2049500, 794300 2049500, 794300 2049200, 794000 2049500))"
    feature.setGeometry(QgsGeometry.fromWkt(triangle))
    memory.dataProvider().addFeatures([feature])
    QgsProject.instance().addMapLayer(memory)
    try:
        job = alg("inpaint").full_job({**base, "MASK_VECTOR": memory.id()}, context, None)
        assert job.mask.geometries_crs == "EPSG:32618" and len(job.mask.geometries_wkt) == 1
        ok, msg = check("inpaint", {**base, "MASK_VECTOR": memory.id(), "MASK_RASTER": str(MASK)}, context)
        assert not ok and "exactly one mask" in msg
    finally:
        QgsProject.instance().removeMapLayer(memory.id())


def test_predict_checks(provider, context, tmp_path):
    named = tmp_path / "S2B_MSIL1C_20180601T101029_N0206_R022_T33TVM_20180601T122500.tif"
    shutil.copyfile(S2, named)
    ok, msg = check("predict", {"LAYERS": [str(S2), str(named)], "DATES": "2017-05-27,",
                                "TARGET_DATE": "2019-01-01"}, context)
    assert ok, msg
    job = alg("predict").full_job({"LAYERS": [str(S2), str(named)], "DATES": "2017-05-27,",
                                   "TARGET_DATE": "2019-01-01"}, context, None)
    assert job.frames == [(str(S2), dt.date(2017, 5, 27)), (str(named), dt.date(2018, 6, 1))]
    assert job.target_date == dt.date(2019, 1, 1)
    ok, msg = check("predict", {"LAYERS": [str(S2)], "TARGET_DATE": "2019-01-01"}, context)
    assert not ok and "No date" in msg
    ok, msg = check("predict", {"LAYERS": [str(S2)], "DATES": "2017-02-30", "TARGET_DATE": "2019-01-01"}, context)
    assert not ok and "YYYY-MM-DD" in msg
    ok, msg = check("predict", {"LAYERS": [str(named)], "TARGET_DATE": "soon"}, context)
    assert not ok and "target date" in msg
    ok, msg = check("predict", {"LAYERS": [str(named)] * 5, "TARGET_DATE": "2019-01-01"}, context)
    assert not ok and "1 to 4" in msg


@pytest.mark.skipif(not shutil.which("qgis_process.bin"), reason="needs qgis_process.bin")
def test_qgis_process_lists_and_checks(tmp_path):
    """The packaged plugin in qgis_process: the algorithms are listed and bad input gets the clear message."""
    import subprocess  # nosec B404 (test only: runs the qgis_process binary)
    import zipfile

    import build

    archive = build.package(tmp_path / "dist")
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(tmp_path / "plugins")
    env = qgis_desktop.system_env(QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "config"),
                                  QGIS_PLUGINPATH=str(tmp_path / "plugins"), QT_QPA_PLATFORM="offscreen")

    def qgis_process(*args):
        return subprocess.run(["qgis_process.bin", *args], env=env, capture_output=True, text=True,  # nosec B603
                              timeout=120)

    assert qgis_process("plugins", "enable", "diffusionsat").returncode == 0
    listing = qgis_process("list").stdout
    for name in ("generate", "superres", "inpaint", "predict"):
        assert f"diffusionsat:{name}" in listing, listing[-2000:]
    help_text = qgis_process("help", "diffusionsat:predict").stdout
    assert "TARGET_DATE" in help_text and "LAYERS" in help_text
    run = qgis_process("run", "diffusionsat:generate", "--", "EXTENT=600000,612000,7000000,7008000", "GSD=10",
                       f"OUTPUT={tmp_path / 'g.tif'}")
    assert "The extent has no CRS" in run.stdout + run.stderr
    run = qgis_process("run", "diffusionsat:superres", "--", f"INPUT={S2}", "BANDS=4", "BANDS=3",
                       f"OUTPUT={tmp_path / 's.tif'}")
    assert "Choose the ten bands" in run.stdout + run.stderr
    assert not (tmp_path / "g.tif").exists() and not (tmp_path / "s.tif").exists()


@pytest.mark.skipif(not shutil.which("qgis_process.bin"), reason="needs qgis_process.bin")
def test_qgis_process_runs_generate(tmp_path):
    import json
    import os
    import subprocess  # nosec B404 (test only: runs the qgis_process binary)
    import sys
    import zipfile

    import build

    archive = build.package(tmp_path / "dist")
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(tmp_path / "plugins")
    site = [p for p in sys.path if p.endswith("site-packages") and ".venv" in p]  # torch, diffusers
    env = qgis_desktop.system_env(QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "config"),
                                  QGIS_PLUGINPATH=str(tmp_path / "plugins"), QT_QPA_PLATFORM="offscreen",
                                  PYTHONPATH=os.pathsep.join(site), OMP_NUM_THREADS="2")
    enable = subprocess.run(["qgis_process.bin", "plugins", "enable", "diffusionsat"], env=env,  # nosec B603
                            capture_output=True, text=True, timeout=120)
    assert enable.returncode == 0, enable.stderr
    out = tmp_path / "gen.tif"
    run = subprocess.run(["qgis_process.bin", "run", "diffusionsat:generate", "--json", "--",  # nosec B603
                          "EXTENT=465181,465821,5079254,5079894 [EPSG:32633]", "GSD=10", f"MODEL={BUNDLED}",
                          "STEPS=2", "SEED=3", "TILE_SIZE=64", "OVERLAP=16", "THREADS=1", f"OUTPUT={out}"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads(run.stdout[run.stdout.index("{"):])["results"]
    assert results["OUTPUT"] == str(out) and results["SEED"] == 3 and out.exists()
    # the time estimate is said before the work starts (the thread count of the THREADS parameter)
    assert re.search(r"This will take about \d+ (s|min) \(\d+ tiles? x 2 steps, .* 1 thread\)", run.stdout), run.stdout




@pytest.fixture(scope="module")
def processing_ready():
    import sys

    if "/usr/share/qgis/python/plugins" not in sys.path:
        sys.path.append("/usr/share/qgis/python/plugins")
    from processing.core.Processing import Processing

    Processing.initialize()
    import processing

    return processing


def grid_of(path):
    import rasterio

    with rasterio.open(path) as ds:
        return ds.crs, ds.transform, ds.width, ds.height, ds.count


@pytest.mark.parametrize("name", ["generate", "superres", "inpaint", "predict"])
def test_processing_run_each_algorithm_with_the_bundled_model(provider, processing_ready, tmp_path, name):
    from affine import Affine

    out = tmp_path / f"{name}.tif"
    params = dict(FAST, OUTPUT=str(out))
    if name == "generate":
        params.update(EXTENT="465181,465821,5079254,5079894 [EPSG:32633]", GSD=10, DATE="2017-07-01",
                      PROMPT="a sentinel-2 satellite image")
    elif name == "superres":
        params.update(INPUT=str(S2))
    elif name == "inpaint":
        import rasterio

        clouds = tmp_path / "clouds.tif"  # the one cloudy date (band 4) as a one-band mask raster
        with rasterio.open(CLOUDS) as src, rasterio.open(clouds, "w", **dict(src.profile, count=1)) as dst:
            dst.write(src.read(4), 1)
        params.update(INPUT=str(S2), MASK_RASTER=str(clouds), MASK_MODE=0, MASK_VALUES="1")
    else:
        params.update(LAYERS=[str(LANDSAT), str(LANDSAT)], DATES="2020-05-18,2020-06-03", TARGET_DATE="2020-07-01")
    result = processing_ready.run(f"diffusionsat:{name}", params)
    assert result["OUTPUT"] == str(out) and out.exists()
    crs, transform, width, height, count = grid_of(out)
    assert count == 3
    if name == "generate":
        assert crs.to_epsg() == 32633 and transform == Affine(10, 0, 465181, 0, -10, 5079894) and (width, height) == (64, 64)
    elif name == "superres":
        s_crs, s_transform, s_w, s_h, _ = grid_of(S2)
        assert crs == s_crs and transform == s_transform * Affine.scale(0.25) and (width, height) == (s_w * 4, s_h * 4)
    elif name == "inpaint":
        assert grid_of(S2)[:4] == (crs, transform, width, height)
    else:
        assert grid_of(LANDSAT)[:4] == (crs, transform, width, height)


# ------------------------------------------------------------------ Sentinel-2 products as INPUT (issue 18)
PRODUCT = DATA / "s2_safe" / "S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE"


def product_forms(tmp_path):
    """The committed product as a .SAFE folder, its MTD_MSIL2A.xml and its .zip (one top folder, as delivered)."""
    import zipfile

    zipped = tmp_path / (PRODUCT.stem + ".zip")
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(PRODUCT.rglob("*")):
            if f.is_file():
                z.write(f, f"{PRODUCT.name}/{f.relative_to(PRODUCT)}")
    return {"folder": PRODUCT, "xml": PRODUCT / "MTD_MSIL2A.xml", "zip": zipped}


@pytest.mark.parametrize("form", ["folder", "xml", "zip"])
def test_a_sentinel2_product_is_accepted_as_input(provider, context, tmp_path, monkeypatch, form):
    """QGIS 3.22 loads no raster layer from a product (GDAL's SENTINEL2 driver: subdatasets only); the algorithms
    take it as its reflectance VRT, the layer 'Add Sentinel-2 product…' adds in the dock."""
    from qgis.core import QgsProcessingParameterRasterLayer

    from diffusionsat.backend.geo.sentinel2_product import product_of

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    source = str(product_forms(tmp_path)[form])
    assert not QgsProcessingParameterRasterLayer("INPUT", "x").checkValueIsAcceptable(source, context)
    ok, msg = check("superres", {"INPUT": source}, context)
    assert ok, msg
    job = alg("superres").full_job(alg("superres").with_products({"INPUT": source}), context, None)
    assert job.input.endswith(".vrt") and PRODUCT.stem in product_of(job.input)
    ok, msg = check("inpaint", {"INPUT": source, "MASK_RASTER": str(next(PRODUCT.rglob("*_SCL_20m.jp2"))),
                                "MASK_VALUES": "3,8,9,10", "OTHER_DATES": []}, context)
    assert ok, msg


def test_a_truncated_product_zip_is_one_clear_message(provider, context, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    whole = product_forms(tmp_path)["zip"].read_bytes()
    cut = tmp_path / PRODUCT.name.replace(".SAFE", ".SAFE.zip")
    cut.write_bytes(whole[: len(whole) // 2])
    ok, msg = check("superres", {"INPUT": str(cut)}, context)
    assert not ok and cut.name in msg and "truncated or corrupt" in msg


@pytest.mark.parametrize("name", ["superres", "inpaint"])
def test_processing_run_with_a_sentinel2_product(provider, processing_ready, tmp_path, monkeypatch, name):
    from affine import Affine

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = tmp_path / f"{name}.tif"
    params = dict(FAST, OUTPUT=str(out), INPUT=str(PRODUCT / "MTD_MSIL2A.xml"))
    if name == "inpaint":
        params.update(MASK_RASTER=str(next(PRODUCT.rglob("*_SCL_20m.jp2"))), MASK_MODE=0, MASK_VALUES="3,8,9,10")
    result = processing_ready.run(f"diffusionsat:{name}", params)
    assert result["OUTPUT"] == str(out) and out.exists()
    crs, transform, width, height, count = grid_of(out)
    b04 = next(PRODUCT.rglob("*_B04_10m.jp2"))  # the product's 10 m grid
    p_crs, p_transform, p_w, p_h, _ = grid_of(b04)
    scale = 4 if name == "superres" else 1
    assert count == 3 and crs == p_crs and (width, height) == (p_w * scale, p_h * scale)
    assert transform == p_transform * Affine.scale(1 / scale)
