"""What the four DiffusionSat Processing algorithms share: sampling parameters, checks, running a job."""

from __future__ import annotations

import traceback
from pathlib import Path

from qgis.core import (QgsProcessingAlgorithm, QgsProcessingException, QgsProcessingOutputNumber,
                       QgsProcessingOutputRasterLayer, QgsProcessingParameterEnum,
                       QgsProcessingParameterFile, QgsProcessingParameterNumber,
                       QgsProcessingParameterRasterDestination)
from qgis.PyQt.QtGui import QIcon

from ..compat import FILE_FOLDER, NUMBER_DOUBLE, NUMBER_INTEGER, PARAMETER_ADVANCED, SOURCE_RASTER
from .. import settings as settings_mod
from ..i18n import tr

ICON = Path(__file__).resolve().parents[2] / "resources" / "icon.png"
REPOSITORY_URL = "https://github.com/diffusionsat-qgis/diffusionsat-qgis"  # as `repository` in metadata.txt
choices = settings_mod.choices  # backend/choices.py, wherever settings.py found it
SCHEDULERS, DEVICES = choices.SCHEDULERS, choices.DEVICES  # in the order of the enum parameters below


class DiffusionSatAlgorithm(QgsProcessingAlgorithm):
    """Subclasses set TASK, add their inputs in ``init_inputs`` and build the job in ``build_job``."""

    TASK = ""
    OUTPUT = "OUTPUT"
    GROUP_ID = ""  # "synthesis", "enhancement" or "time"
    HELP_ANCHOR = "five-minutes-in-qgis"  # the README section that explains the task
    PRODUCT_INPUTS = ()  # raster parameters that also take a Sentinel-2 product (.SAFE folder, .zip, MTD_MSI*.xml)

    # ------------------------------------------------------------------ QGIS API
    def createInstance(self):  # noqa: N802 (QGIS API name)
        return type(self)()

    def name(self):
        return self.TASK

    def group(self):
        groups = {"synthesis": tr("Image synthesis"), "enhancement": tr("Image enhancement"),
                  "time": tr("Time series")}
        return groups.get(self.GROUP_ID, "")

    def groupId(self):  # noqa: N802
        return self.GROUP_ID

    def helpUrl(self):  # noqa: N802
        return f"{REPOSITORY_URL}#{self.HELP_ANCHOR}"

    def icon(self):
        return QIcon(str(ICON))

    def initAlgorithm(self, config=None):  # noqa: N802
        self.init_inputs()
        self.add_sampling_parameters()
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, tr("Output GeoTIFF")))
        self.addOutput(QgsProcessingOutputNumber("SEED", tr("Seed used")))
        self.addOutput(QgsProcessingOutputRasterLayer("UNCERTAINTY", tr("Uncertainty (spread of the samples)")))

    def with_products(self, parameters):
        """``parameters`` with a Sentinel-2 product given to a PRODUCT_INPUTS parameter replaced by the product's
        reflectance VRT (the layer 'Add Sentinel-2 product…' adds): QGIS 3.22 loads no raster layer from the
        product itself (GDAL's SENTINEL2 driver opens it as subdatasets only), so its own check refuses it."""
        changes = {}
        for name in self.PRODUCT_INPUTS:
            value = parameters.get(name)
            if isinstance(value, str) and value:
                from ...backend.geo.sentinel2_product import as_raster, is_product

                if is_product(value):
                    changes[name] = as_raster(value)
        return {**parameters, **changes} if changes else parameters

    def checkParameterValues(self, parameters, context):  # noqa: N802
        try:
            parameters = self.with_products(parameters)
        except (ValueError, OSError) as exc:  # ProductError: one sentence naming the product
            return False, str(exc)
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        try:
            self.full_job(parameters, context, None).validate()
        except ValueError as exc:  # JobError, GeoError, LayerError, MetadataError are ValueErrors
            return False, str(exc)
        return True, ""

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        try:
            job = self.full_job(self.with_products(parameters), context, output)
            job.validate()
        except (ValueError, OSError) as exc:
            raise QgsProcessingException(str(exc)) from None
        model = self.parameterAsFile(parameters, "MODEL", context) or settings_mod.BUNDLED
        try:
            from ...backend.api import estimate_job
            from ...backend.cancel import Cancelled
            from ..cluster_jobs import cluster_address, run_job
        except ImportError as exc:
            raise QgsProcessingException(tr("The DiffusionSat backend cannot be loaded: {}").format(exc)) from None

        def progress(fraction, message=""):
            feedback.setProgress(100.0 * float(fraction))
            if message:
                feedback.setProgressText(message)

        try:
            address = cluster_address()  # the setting "Run on a Dask cluster"
            if address:
                feedback.pushInfo(tr("Running on the Dask cluster {}.").format(address))
            else:
                feedback.pushInfo(tr("This will take {}.").format(estimate_job(job, model=model).text()))
            result = run_job(job, model, progress=progress, cancel=feedback.isCanceled)
        except Cancelled:
            feedback.reportError(tr("Cancelled: nothing was written."))
            return {}
        except Exception as exc:  # the backend's one-line message; the traceback goes to the log
            feedback.pushDebugInfo(traceback.format_exc())
            raise QgsProcessingException(str(exc) or type(exc).__name__) from None
        feedback.pushInfo(tr("Seed {}, {} s: {}").format(result.seed, f"{result.seconds:.1f}", result.output))
        check = getattr(result, "check", None)  # inpainting: the self-check's verdict, never silent
        if check and check.get("summary"):
            feedback.pushInfo(check["summary"])
        caveat = getattr(result, "caveat", None)  # the model folder's own word on what it cannot do
        if caveat:
            feedback.pushWarning(tr("About this model: {}").format(caveat))
        outputs = {self.OUTPUT: str(result.output), "SEED": result.seed}
        uncertainty = getattr(result, "uncertainty", None)
        if uncertainty:
            outputs["UNCERTAINTY"] = str(uncertainty)
        return outputs

    # ------------------------------------------------------------------ shared parameters
    def init_inputs(self):
        raise NotImplementedError

    def build_job(self, parameters, context, output):
        raise NotImplementedError

    def add_sampling_parameters(self):
        advanced = []
        model = QgsProcessingParameterFile("MODEL", tr("Model folder (empty: the bundled model)"),
                                           behavior=FILE_FOLDER, optional=True)
        self.addParameter(model)
        advanced.append(QgsProcessingParameterNumber("STEPS", tr("Sampling steps"),
                                                     NUMBER_INTEGER, 25, False, 1, 1000))
        advanced.append(QgsProcessingParameterNumber(
            "GUIDANCE", tr("Guidance scale (1 = off, 0 = the model's recommendation)"),
            NUMBER_DOUBLE, 0.0, False, 0.0, 100.0))
        advanced.append(QgsProcessingParameterEnum("SCHEDULER", tr("Scheduler"), ["DDIM", "DPM-Solver++"],
                                                   defaultValue=0))
        advanced.append(QgsProcessingParameterNumber("SEED", tr("Seed (-1: random)"),
                                                     NUMBER_INTEGER, -1, False, -1))
        advanced.append(QgsProcessingParameterNumber("SAMPLES", tr("Samples (more than 1: mean and uncertainty)"),
                                                     NUMBER_INTEGER, 1, False, 1, 64))
        advanced.append(QgsProcessingParameterEnum("DEVICE", tr("Device"), [tr("Automatic"), tr("CPU"), tr("CUDA")],
                                                   defaultValue=0))
        advanced.append(QgsProcessingParameterNumber("THREADS", tr("CPU threads (0: automatic)"),
                                                     NUMBER_INTEGER, 0, False, 0, 1024))
        advanced.append(QgsProcessingParameterNumber("TILE_SIZE", tr("Tile size in pixels (0: the model's own)"),
                                                     NUMBER_INTEGER, 0, False, 0, 8192))
        advanced.append(QgsProcessingParameterNumber("OVERLAP", tr("Tile overlap in pixels"),
                                                     NUMBER_INTEGER, 32, False, 0, 4096))
        for parameter in advanced:
            parameter.setFlags(parameter.flags() | PARAMETER_ADVANCED)
            self.addParameter(parameter)

    @staticmethod
    def _threads(value: int):
        """0 (the default): the plugin's setting, itself 0 for automatic (backend.cpu_threads)."""
        return (value or settings_mod.load().threads) or None

    @staticmethod
    def _guidance(value: float):
        """Below 1 (the default 0): the model's recommended guidance for the task."""
        return choices.RECOMMENDED_GUIDANCE if value < choices.NO_GUIDANCE else float(value)

    def full_job(self, parameters, context, output):
        from ...backend.jobs import SamplingOptions, TilingOptions

        job = self.build_job(parameters, context, output)
        seed = self.parameterAsInt(parameters, "SEED", context)
        tile = self.parameterAsInt(parameters, "TILE_SIZE", context)
        job.sampling = SamplingOptions(
            steps=self.parameterAsInt(parameters, "STEPS", context),
            guidance=self._guidance(self.parameterAsDouble(parameters, "GUIDANCE", context)),
            scheduler=SCHEDULERS[self.parameterAsEnum(parameters, "SCHEDULER", context)],
            seed=None if seed < 0 else seed,
            num_samples=self.parameterAsInt(parameters, "SAMPLES", context),
            device=DEVICES[self.parameterAsEnum(parameters, "DEVICE", context)],
            threads=self._threads(self.parameterAsInt(parameters, "THREADS", context)),
        )
        job.tiling = TilingOptions(tile_size=tile or None, overlap=self.parameterAsInt(parameters, "OVERLAP", context))
        job.output = output or None
        return job


RASTER = SOURCE_RASTER
