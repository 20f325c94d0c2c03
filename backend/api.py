"""The Python API: load a model set once, then run the four tasks on files.

>>> from backend.api import DiffusionSat
>>> ds = DiffusionSat.from_pretrained("diffusionsat-mini")            # or an official checkpoint folder
>>> res = ds.generate(bbox=(500000, 4100000, 501280, 4101280), crs="EPSG:32633", gsd=10,
...                   date="2020-06-01", prompt="a sentinel-2 satellite image", output="gen.tif")
>>> res.output, res.seed
>>> ds.super_resolve("S2_tile.tif", output="sr.tif")
>>> ds.inpaint("scene.tif", mask={"raster": "SCL.tif", "classes": [3, 8, 9, 10]}, output="filled.tif")
>>> ds.predict([("a.tif", "2020-05-01"), ("b.tif", "2020-06-01")], target_date="2020-07-01", output="p.tif")

Every call takes ``progress(fraction, message)`` and ``cancel`` (an Event, a callable or a QgsFeedback;
raises :class:`backend.cancel.Cancelled`), writes its GeoTIFF atomically (or, with ``output=None``,
returns the arrays and grid), a PNG quick-look beside it, and returns a :class:`JobResult`. The QGIS
plugin and the CLI call :func:`run_job` with the same job objects (:mod:`backend.jobs`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Dict, Optional, Tuple

import numpy as np

from . import choices, cpu_threads, model_layout
from .checksum import remembered_sha256_file
from . import jobs as _jobs
from .cancel import CancelSource
from .metadata import SatMetadata

cpu_threads.prepare()  # passive OpenMP waiting, if torch is not loaded yet and the user chose nothing

DEFAULT_MODEL = "diffusionsat-mini"
PRODUCT_CONFIG = "diffusionsat.json"  # optional per-model settings of this product (bands, factors)


@dataclasses.dataclass
class JobResult:
    """What one task run produced."""

    task: str
    output: Optional[Path]
    seed: int
    seconds: float
    tiles: int
    model: str
    uncertainty: Optional[Path] = None
    quicklook: Optional[Path] = None
    grid: object = None
    metadata: Optional[SatMetadata] = None
    array: Optional[np.ndarray] = None  # (bands, H, W) when no output file was asked for
    spread: Optional[np.ndarray] = None
    check: Optional[dict] = None  # inpainting / super-resolution: self-check scores, fallback share, a sentence ("summary")
    warnings: list = dataclasses.field(default_factory=list)  # what went wrong without spoiling the output
    caveat: Optional[str] = None  # the model folder's word on this task's outputs (diffusionsat.json), if any

    def to_dict(self) -> dict:
        grid = self.grid
        out = {
            "task": self.task,
            "output": None if self.output is None else str(self.output),
            "uncertainty": None if self.uncertainty is None else str(self.uncertainty),
            "quicklook": None if self.quicklook is None else str(self.quicklook),
            "seed": self.seed,
            "seconds": round(self.seconds, 3),
            "tiles": self.tiles,
            "model": self.model,
        }
        if grid is not None:
            out["grid"] = {"crs": grid.crs.to_string() if grid.crs else None, "width": grid.width,
                           "height": grid.height, "transform": list(grid.transform)[:6]}
        if self.check is not None:
            out["quality"] = self.check.get("summary")
            out["check"] = self.check
        out["warnings"] = list(self.warnings)
        if self.caveat:
            out["caveat"] = self.caveat
        return out


def _weights(folder: Path):
    for pattern in ("*.safetensors", "*.bin"):
        found = sorted(folder.glob(pattern))
        if found:
            return found
    return []


class DiffusionSat:
    """A loaded model set (VAE, text encoder, SatUNet and whichever ControlNets the folder has)."""

    def __init__(self, pipeline, source: Path, name: str, device: str, precision: str):
        self.pipeline = pipeline
        self.source = Path(source)
        self.name = name
        self.device = device
        self.precision = precision
        config = self.source / PRODUCT_CONFIG
        self.config = json.loads(config.read_text(encoding="utf-8")) if config.exists() else {}
        if "tile_size" in self.config:
            from .checkpoints.limits import check_tile_size

            check_tile_size(self.config["tile_size"], str(config))

    # ------------------------------------------------------------------------------------ loading
    @classmethod
    def from_pretrained(cls, name_or_path=DEFAULT_MODEL, *, device: str = "auto", precision: str = "float32"):
        from .hub import resolve_model
        from .pipelines import SatDiffusionPipeline

        path = resolve_model(str(name_or_path))
        dev = resolve_device(device)
        pipeline = SatDiffusionPipeline.from_pretrained(path, device=dev, dtype=precision)
        name = str(name_or_path) if not Path(str(name_or_path)).exists() else Path(path).name
        return cls(pipeline, Path(path), name, dev, precision)

    def task_config(self, task: str) -> dict:
        return dict(self.config.get(task, {}))

    def caveat(self, task: str) -> Optional[str]:
        """What the model folder says its outputs for ``task`` cannot be trusted for (``diffusionsat.json``
        ``<task>.caveat``; e.g. the demo model's generated images show no recognisable land cover): shown with
        every result and written into the output's tags. None when the folder says nothing."""
        text = self.task_config(task).get("caveat")
        return (str(text).strip() or None) if text else None

    def recommended_guidance(self, task: str) -> float:
        """Guidance for ``task`` when the job leaves it open: the model folder's ``diffusionsat.json``
        ``<task>.guidance`` (set from its evaluation), else 7.5, the official pipelines' default."""
        value = self.task_config(task).get("guidance", choices.DEFAULT_GUIDANCE)
        return float(value)

    @property
    def tile_size(self) -> int:
        """Default tile side in output pixels: the model folder's ``tile_size`` setting, else its native size."""
        return int(self.config.get("tile_size") or self.pipeline.default_size)

    @property
    def tasks(self) -> tuple:
        return self.pipeline.tasks

    def checkpoint_sha256(self, task: str) -> str:
        """SHA-256 over the weight files a task uses (UNet, plus its ControlNet), taken from the folders
        the pipeline loaded them from (an inpainting ControlNet may come from ``controlnet/``)."""
        loaded = getattr(self.pipeline, "component_paths", None) or {}
        digest = hashlib.sha256()
        for component in model_layout.TASK_COMPONENTS[task]:
            folder = loaded.get(component, self.source / model_layout.folder_of(component))
            for f in _weights(Path(folder)):
                digest.update(remembered_sha256_file(f).encode())
        return digest.hexdigest()

    # ---------------------------------------------------------------------------------- running
    def run(self, job, progress=None, cancel: CancelSource = None, quicklook: bool = True, cog: bool = False,
            extra_tags: Optional[dict] = None) -> JobResult:
        """Run a job from :mod:`backend.jobs` (validated first: bad input fails before any work).
        ``extra_tags``: more ``DIFFUSIONSAT_*`` tags for the output (a batch's job fingerprint)."""
        return self._run_checked(checked_job(job), progress, cancel, quicklook, cog, extra_tags)

    def _run_checked(self, job, progress=None, cancel: CancelSource = None, quicklook: bool = True, cog: bool = False,
                     extra_tags: Optional[dict] = None) -> JobResult:
        """:meth:`run` for a job that :func:`checked_job` returned (resolved and validated once)."""
        from .tasks import generate, inpaint, predict, superres
        from .choices import choose_seed
        from .tasks.common import TaskContext

        _jobs.check_written_files(job, quicklook)  # quick-look and uncertainty layer never replace an input
        if job.sampling.guidance is None:  # the model folder's recommendation for this task
            job = dataclasses.replace(job, sampling=dataclasses.replace(job.sampling,
                                                                        guidance=self.recommended_guidance(job.task)))
        runners = {"generate": generate.run, "superres": superres.run, "inpaint": inpaint.run, "predict": predict.run}
        self.apply_threads(job)
        seed = choose_seed(job.sampling.seed)
        output = Path(job.output) if job.output else None
        if output is not None and not output.parent.is_dir():
            raise FileNotFoundError(f"the output folder does not exist: {output.parent}")
        started = time.perf_counter()
        tags = self._tags(job, seed)
        tags.update(extra_tags or {})
        caveat = self.caveat(job.task)
        if caveat:  # travels with the file: whoever opens it later reads what the model cannot do
            tags["DIFFUSIONSAT_MODEL_CAVEAT"] = caveat
        ctx = TaskContext(self, job, seed, progress, cancel, output, tags, cog)
        result = runners[job.task](ctx)
        look, warnings = None, []
        if quicklook and result.output is not None:
            from .quicklook import quicklook_path, write_quicklook

            try:
                look = write_quicklook(result.output)
            except Exception as exc:  # the GeoTIFF is the product and is complete: a missing preview is a warning
                reason = getattr(exc, "strerror", None) or exc
                warnings.append(f"the quick-look {quicklook_path(result.output)} was not written ({reason}); "
                                f"the GeoTIFF {result.output} is complete")
        if progress is not None:
            progress(1.0, "done")
        return JobResult(job.task, result.output, seed, time.perf_counter() - started, result.tiles, self.name,
                         result.uncertainty, look, result.grid, result.metadata, result.array, result.spread,
                         getattr(result, "check", None), warnings, caveat)

    def apply_threads(self, job) -> int:
        """Set torch's CPU threads for ``job``: its ``threads``, else the user's environment, else chosen from
        the model's size at the job's tile size (:mod:`backend.cpu_threads`). Returns the count in force."""
        from .estimate import model_tile, task_parameters

        if job.sampling.threads:
            return cpu_threads.apply(job.sampling.threads)
        unet_p, control_p = task_parameters(self.pipeline, job.task)
        try:
            latent_px = model_tile(self, job)[1]
        except Exception:  # an unreadable input fails in the task itself, with the task's message
            latent_px = (self.tile_size // self.pipeline.vae_scale_factor) ** 2
        return cpu_threads.apply(None, unet_p + control_p, latent_px)

    def estimate(self, job):
        """How long ``job`` will take here (:class:`backend.estimate.Estimate`), from one measured model call."""
        from .estimate import estimate

        return estimate(self, checked_job(job))

    def _tags(self, job, seed: int) -> dict:
        from .geo.write import provenance_tags

        s = job.sampling
        extra = {"SOURCE": str(self.source), "DEVICE": self.device, "PRECISION": self.precision,
                 "NUM_SAMPLES": str(s.num_samples)}
        md = None
        if job.task == "generate":
            md = SatMetadata(gsd=job.gsd, cloud_cover=job.cloud_cover, date=job.date)
        if job.task == "predict":
            extra["TARGET_DATE"] = job.target_date.isoformat()
            extra["FRAMES"] = json.dumps([[p, None if d is None else d.isoformat()] for p, d in job.frames])
        return provenance_tags(model=self.name, checkpoint_sha256=self.checkpoint_sha256(job.task), seed=seed,
                               steps=s.steps, scheduler=s.scheduler, guidance=s.guidance,
                               prompt=getattr(job, "prompt", ""), metadata=md, task=job.task, extra=extra)

    # ---------------------------------------------------------------------- convenience wrappers
    def generate(self, bbox, crs, gsd, *, date=None, prompt: str = "", cloud_cover: float = 0.0, output=None,
                 progress=None, cancel=None, quicklook: bool = True, **options) -> JobResult:
        job = _jobs.GenerateJob(bbox=tuple(bbox), crs=str(crs), gsd=gsd, prompt=prompt, date=date,
                                cloud_cover=cloud_cover, output=_str(output), **_options(options))
        return self.run(job, progress, cancel, quicklook)

    def super_resolve(self, path, *, bands=None, factor=None, prompt: str = "", output=None, progress=None,
                      cancel=None, quicklook: bool = True, consistency: bool = True, fallback: bool = True,
                      **options) -> JobResult:
        job = _jobs.SuperResolveJob(input=str(path), bands=bands, factor=factor, prompt=prompt, output=_str(output),
                                    consistency=bool(consistency), fallback=bool(fallback), **_options(options))
        return self.run(job, progress, cancel, quicklook)

    def inpaint(self, path, mask, *, bands=None, prompt: str = "", output=None, progress=None, cancel=None,
                quicklook: bool = True, fallback: bool = True, other_dates=(), **options) -> JobResult:
        """``other_dates``: rasters of the same place (paths, or (path, date)) to fill the mask from
        (cloud removal with a time series, :mod:`backend.tasks.inpaint_dates`)."""
        spec = mask if isinstance(mask, _jobs.MaskSpec) else _jobs.MaskSpec(**mask)
        others = [(f, None) if isinstance(f, (str, Path)) else (f[0], f[1]) for f in other_dates or ()]
        job = _jobs.InpaintJob(input=str(path), mask=spec, bands=bands, prompt=prompt, output=_str(output),
                               fallback=bool(fallback), other_dates=[(str(p), d) for p, d in others],
                               **_options(options))
        return self.run(job, progress, cancel, quicklook)

    def predict(self, frames, target_date, *, bands=None, prompt: str = "", output=None, progress=None, cancel=None,
                quicklook: bool = True, fallback: bool = True, **options) -> JobResult:
        items = [(f, None) if isinstance(f, (str, Path)) else (f[0], f[1]) for f in frames]
        job = _jobs.PredictJob(frames=[(str(p), d) for p, d in items], target_date=target_date, bands=bands,
                               prompt=prompt, output=_str(output), fallback=bool(fallback), **_options(options))
        return self.run(job, progress, cancel, quicklook)


def resolve_job(job):
    """Sentinel-2 products named by ``job`` replaced by their rasters (:mod:`backend.geo.sentinel2_product`)."""
    from .geo.sentinel2_product import resolve_job as resolve

    return resolve(job)


def checked_job(job):
    """``job`` with its Sentinel-2 products resolved (issue 18), validated: the one check of every entry point."""
    job = resolve_job(job)
    job.validate()
    return job


def _str(path):
    return None if path is None else str(path)


def _options(options: dict) -> dict:
    """steps=, guidance=, scheduler=, seed=, num_samples=, tile_size=, overlap=, batch_size= -> job fields."""
    sampling_fields = {f.name for f in dataclasses.fields(_jobs.SamplingOptions)}
    tiling_fields = {f.name for f in dataclasses.fields(_jobs.TilingOptions)}
    unknown = set(options) - sampling_fields - tiling_fields
    if unknown:
        raise TypeError(f"unknown options {sorted(unknown)}; known: {sorted(sampling_fields | tiling_fields)}")
    sampling = _jobs.SamplingOptions(**{k: v for k, v in options.items() if k in sampling_fields})
    tiling = _jobs.TilingOptions(**{k: v for k, v in options.items() if k in tiling_fields})
    return {"sampling": sampling, "tiling": tiling}


def resolve_device(device: str = "auto") -> str:
    import torch

    if device in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("CUDA was asked for but this PyTorch has no usable CUDA device; choose 'cpu' or 'auto'")
    return device


# --------------------------------------------------------------------------------- cached entry point
_LOADED: Dict[Tuple[str, str, str], DiffusionSat] = {}
_LOCK = threading.Lock()


def get_model(model=DEFAULT_MODEL, device: str = "auto", precision: str = "float32") -> DiffusionSat:
    """A loaded model set, kept for the process (the plugin runs many jobs on one model)."""
    from .hub import resolve_model

    if isinstance(model, DiffusionSat):
        return model
    path = str(Path(resolve_model(str(model))).resolve())
    key = (path, resolve_device(device), precision)
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = DiffusionSat.from_pretrained(model, device=device, precision=precision)
        return _LOADED[key]


def clear_cache() -> None:
    with _LOCK:
        _LOADED.clear()


def estimate_job(job, model=DEFAULT_MODEL):
    """How long ``job`` will take with a (cached) model: :class:`backend.estimate.Estimate`."""
    from .estimate import estimate

    job = checked_job(job)
    return estimate(get_model(model, job.sampling.device, job.sampling.precision), job)


def run_job(job, model=DEFAULT_MODEL, progress=None, cancel: CancelSource = None, quicklook: bool = True,
            cog: bool = False, extra_tags: Optional[dict] = None) -> JobResult:
    """Validate and run one job with a (cached) model: what the plugin's tasks and the CLI call."""
    job = checked_job(job)  # before loading anything
    loaded = get_model(model, job.sampling.device, job.sampling.precision)
    return loaded._run_checked(job, progress, cancel, quicklook, cog, extra_tags)


def run_batch(task: str, inputs, output_dir, **options):
    """Many inputs (files, globs, folders, manifests) and huge rasters, in-process or on Dask:
    :func:`backend.batch.run_batch` (the same single-job path per input; Dask only when asked for)."""
    from .batch import run_batch as _run_batch

    return _run_batch(task, inputs, output_dir, **options)


def inspect_model(path) -> Tuple[bool, str]:
    """Check a model folder without loading weights into memory: (ok, human-readable report)."""
    try:
        from .checkpoints import inspect_folder

        report = inspect_folder(path)
    except Exception as exc:  # a report for the user, not a crash
        return False, f"{path}: {exc}"
    ok = bool(getattr(report, "ok", True))
    return ok, str(report)


def describe_path(path) -> dict:
    """What the backend reads from a raster (CRS, size, bands, metadata) or finds in a model folder."""
    from .geo.sentinel2_product import is_product, resolve_raster

    product = str(path) if is_product(path) else None
    p = Path(resolve_raster(path))
    if not p.exists():
        raise FileNotFoundError(f"not found: {path}")
    if p.is_dir() and not any(p.glob("*_MTL.txt")):
        ok, report = inspect_model(p)
        return {"kind": "model", "path": str(p), "ok": ok, "report": report}
    from .geo.raster_metadata import read_raster_metadata
    from .geo.read import open_raster

    info = {"kind": "raster", "path": str(p)}
    if product:
        info.update(kind="sentinel-2 product", product=product)
    if p.is_file():
        with open_raster(p) as ds:
            info.update(width=ds.width, height=ds.height, count=ds.count, dtypes=sorted(set(ds.dtypes)),
                        crs=ds.crs.to_string() if ds.crs else None, nodata=ds.nodata,
                        bands=[d or f"band {i}" for i, d in enumerate(ds.descriptions, 1)])
    md, sources = read_raster_metadata(p)
    info["metadata"] = md.to_dict()
    info["unknown"] = list(md.unknown_fields)
    info["metadata_sources"] = dataclasses.asdict(sources) if dataclasses.is_dataclass(sources) else str(sources)
    return info
