"""Plugin settings in QgsSettings (per user profile), with the defaults the backend uses too."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from qgis.core import QgsApplication, QgsProject, QgsSettings

try:  # the plugin in its package (QGIS, the zip) ...
    from ..backend import choices
except ImportError:  # ... or its folder imported on its own beside backend/ (tests)
    from backend import choices

PREFIX = "diffusionsat/"
TASKS = choices.TASKS
BUNDLED = "diffusionsat-mini"


@dataclass
class Settings:
    model_generate: str = BUNDLED
    model_superres: str = BUNDLED
    model_inpaint: str = BUNDLED
    model_predict: str = BUNDLED
    device: str = choices.DEFAULT_DEVICE  # auto / cpu / cuda
    precision: str = choices.DEFAULT_PRECISION  # float32 / bfloat16 / float16 (CUDA)
    steps: int = 25  # the backend default (backend.jobs.SamplingOptions), set from bench_steps_quality
    scheduler: str = choices.DEFAULT_SCHEDULER
    guidance_auto: bool = True  # the model's recommendation per task (its diffusionsat.json), else `guidance`
    guidance: float = choices.DEFAULT_GUIDANCE
    seed_mode: str = "random"  # random / fixed: the seed used is always stored in the output
    seed: int = 0
    samples: int = 1  # > 1: the mean of several samples plus a per-pixel spread (uncertainty) layer
    last_seed: int = -1  # the seed of the latest run (-1: none yet)
    tile_size: int = 0  # 0 = the model's native size
    overlap: int = 32
    threads: int = 0  # CPU threads; 0 = automatic (backend.cpu_threads: from the model's size, passive waiting)
    confirm_minutes: float = 10.0  # ask before starting a job estimated to take longer than this (0 = never ask)
    output_folder: str = ""  # empty = default_output_folder()
    dask_enabled: bool = False  # "Run on a Dask cluster" (issue 16): dock and Processing jobs sent to dask_address
    dask_address: str = ""  # a Dask scheduler, tcp://host:8786; dask is imported only when enabled and set
    extra: dict = field(default_factory=dict)

    def model_for(self, task: str) -> str:
        return getattr(self, f"model_{task}")


def load() -> Settings:
    store = QgsSettings()
    values = {}
    for f in fields(Settings):
        if f.name == "extra":
            continue
        if isinstance(f.default, int) and not isinstance(f.default, bool):
            # read as text: seeds go up to 2**63, beyond what QVariant's int conversion keeps
            raw = store.value(PREFIX + f.name, str(f.default), type=str)
            try:
                values[f.name] = int(float(raw)) if "." in str(raw) else int(raw)
            except (TypeError, ValueError):
                values[f.name] = f.default
        else:
            values[f.name] = store.value(PREFIX + f.name, f.default, type=type(f.default))
    return Settings(**values)


def save(settings: Settings) -> None:
    store = QgsSettings()
    for name, value in asdict(settings).items():
        if name != "extra":
            as_text = isinstance(value, int) and not isinstance(value, bool)
            store.setValue(PREFIX + name, str(value) if as_text else value)


def default_output_folder() -> Path:
    """Beside the saved project, else in the QGIS profile: never a temporary folder that vanishes."""
    home = QgsProject.instance().homePath()
    if home:
        return Path(home) / "diffusionsat_outputs"
    return Path(QgsApplication.qgisSettingsDirPath()) / "diffusionsat" / "outputs"


def output_folder(settings: Settings) -> Path:
    return Path(settings.output_folder) if settings.output_folder else default_output_folder()
