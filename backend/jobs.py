"""Job descriptions: everything one task run needs, as plain data.

The QGIS plugin fills a job on the main thread (file paths, extents, CRS, band lists, dates), the
worker runs it with :func:`backend.api.run_job`; the CLI and Python users build the same objects.
Jobs validate themselves so that bad input fails before any model is loaded.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

from . import choices
from .choices import DEVICES, PRECISIONS, SCHEDULERS
from .metadata import MetadataError, SatMetadata, _as_date

BandSelection = Optional[Sequence[Union[int, str]]]


class JobError(ValueError):
    """A job is incomplete or contradictory; the message says which field and why."""


class InputNotFoundError(JobError, FileNotFoundError):
    """An input file of a job does not exist."""


@dataclasses.dataclass
class SamplingOptions:
    """How to sample. ``seed=None`` draws a random seed, which is then recorded in the output."""

    # DDIM 25 (the official sampler, fewer steps): 36.7 dB mean / 33.7 min vs DDIM 100 at 4.0x its speed on the
    # bundled model; DPM-Solver++ was 15 % faster at 20 steps but diverged on 1 of 4 seeds at 10 and 25 steps
    # (8 dB from the reference: another image) -- bench_steps_quality, MODEL_CARD.md
    steps: int = 25
    guidance: Optional[float] = choices.RECOMMENDED_GUIDANCE  # the model's recommendation for the task
    scheduler: str = choices.DEFAULT_SCHEDULER
    seed: Optional[int] = None
    num_samples: int = 1  # > 1: mean image plus a per-pixel spread (uncertainty) image
    device: str = choices.DEFAULT_DEVICE
    precision: str = choices.DEFAULT_PRECISION
    threads: Optional[int] = None  # CPU threads; None: backend.cpu_threads chooses from the model's size

    def validate(self) -> None:
        if not 1 <= int(self.steps) <= 1000:
            raise JobError(f"steps must be between 1 and 1000, got {self.steps}")
        try:
            if self.guidance is not choices.RECOMMENDED_GUIDANCE:
                choices.check_guidance(self.guidance)
            if self.seed is not None:
                choices.check_seed(self.seed)
        except ValueError as exc:
            raise JobError(str(exc)) from None
        if self.scheduler not in SCHEDULERS:
            raise JobError(f"scheduler must be one of {SCHEDULERS}, got {self.scheduler!r}")
        if not 1 <= int(self.num_samples) <= 64:
            raise JobError(f"num_samples must be between 1 and 64, got {self.num_samples}")
        if self.device not in DEVICES:
            raise JobError(f"device must be one of {DEVICES}, got {self.device!r}")
        if self.precision not in PRECISIONS:
            raise JobError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if self.threads is not None and not 1 <= int(self.threads) <= 1024:
            raise JobError(f"threads must be between 1 and 1024 (or unset for automatic), got {self.threads}")


@dataclasses.dataclass
class TilingOptions:
    """Tiles in output pixels. ``tile_size=None`` uses the model's native size."""

    tile_size: Optional[int] = None
    overlap: int = 32
    batch_size: int = 1

    def validate(self) -> None:
        low, high, multiple = choices.TILE_SIZE_MIN, choices.TILE_SIZE_MAX, choices.TILE_SIZE_MULTIPLE
        if self.tile_size is not None and (self.tile_size < low or self.tile_size % multiple or self.tile_size > high):
            raise JobError(f"tile_size must be a multiple of {multiple} from {low} to {high} pixels, got {self.tile_size}")
        if self.overlap < 0 or (self.tile_size is not None and self.overlap * 2 >= self.tile_size):
            raise JobError(f"overlap must be >= 0 and less than half the tile size, got {self.overlap}")
        if self.batch_size < 1:
            raise JobError(f"batch_size must be >= 1, got {self.batch_size}")


@dataclasses.dataclass
class MaskSpec:
    """Where the inpainting mask comes from (exactly one source).

    - ``vector``: a polygon file (any OGR format; ``vector_layer`` picks a layer of a GeoPackage);
    - ``raster`` + ``classes``: pixels whose value is in ``classes`` (e.g. Sentinel-2 SCL 3, 8, 9, 10);
    - ``raster`` + ``bits``: pixels with any of these bits set (e.g. Landsat QA_PIXEL 1, 2, 3, 4);
    - ``raster`` alone: non-zero pixels;
    - ``geometries_wkt`` + ``geometries_crs``: shapes drawn on the map.
    ``dilate_m`` grows the mask by that many metres.
    """

    vector: Optional[str] = None
    vector_layer: Optional[str] = None
    raster: Optional[str] = None
    classes: Optional[Sequence[int]] = None
    bits: Optional[Sequence[int]] = None
    geometries_wkt: Optional[Sequence[str]] = None
    geometries_crs: Optional[str] = None
    dilate_m: float = 0.0

    def validate(self) -> None:
        sources = [self.vector is not None, self.raster is not None, bool(self.geometries_wkt)]
        if sum(sources) != 1:
            raise JobError("a mask needs exactly one source: a polygon file, a raster, or drawn shapes")
        if self.classes and self.bits:
            raise JobError("a raster mask uses either classes or bits, not both")
        if (self.classes or self.bits) and self.raster is None:
            raise JobError("mask classes/bits need a mask raster")
        if self.geometries_wkt and not self.geometries_crs:
            raise JobError("drawn mask shapes need their CRS")
        if self.dilate_m < 0 or not math.isfinite(self.dilate_m):
            raise JobError(f"mask dilation must be >= 0 metres, got {self.dilate_m}")
        for path in (self.vector, self.raster):
            if path is not None and not Path(path).exists():
                raise InputNotFoundError(f"mask source not found: {path}")


def _check_output(output: Optional[str], inputs: Sequence[str] = ()) -> None:
    if output is None:
        return
    out = Path(output)
    if out.suffix.lower() not in {".tif", ".tiff"}:
        raise JobError(f"the output must be a GeoTIFF (.tif), got {out.name}")
    for item in inputs:
        if item and Path(item).exists() and out.exists() and out.resolve() == Path(item).resolve():
            raise JobError(f"the output {out} is one of the inputs; inputs are never overwritten")


def _check_input(path: str, what: str) -> None:
    if not path:
        raise JobError(f"{what}: no raster given")
    if not Path(path).exists():
        raise InputNotFoundError(f"{what}: file not found: {path}")


def _check_extent_on_earth(bbox, crs) -> None:
    """Geographic extents must be real lon/lat; projected ones must map to finite lon/lat."""
    import numpy as np

    from .geo.grids import to_pyproj

    try:
        crs_obj = to_pyproj(crs)
    except Exception as exc:
        raise JobError(f"the CRS {crs!r} is not understood: {exc}") from None
    xmin, ymin, xmax, ymax = bbox
    if crs_obj.is_geographic:
        if ymin < -90 or ymax > 90:
            raise JobError(f"latitude {ymax if ymax > 90 else ymin} is outside [-90, 90] degrees")
        if xmin < -180 or xmax > 180:
            raise JobError(f"longitude {xmax if xmax > 180 else xmin} is outside [-180, 180] degrees")
        return
    from pyproj import Transformer

    to_wgs84 = Transformer.from_crs(crs_obj, "EPSG:4326", always_xy=True)
    lon, lat = to_wgs84.transform([xmin, xmax, xmin, xmax], [ymin, ymin, ymax, ymax])
    if not (np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))):
        raise JobError(f"the extent {tuple(bbox)} lies outside the area where {crs} is defined")


@dataclasses.dataclass
class GenerateJob:
    """Generate an image covering ``bbox`` (xmin, ymin, xmax, ymax in ``crs``) at ``gsd`` metres/pixel."""

    bbox: Tuple[float, float, float, float]
    crs: str
    gsd: float
    prompt: str = ""
    date: Optional[_dt.date] = None
    cloud_cover: Optional[float] = 0.0
    output: Optional[str] = None
    sampling: SamplingOptions = dataclasses.field(default_factory=SamplingOptions)
    tiling: TilingOptions = dataclasses.field(default_factory=TilingOptions)
    task = "generate"

    def validate(self) -> None:
        xmin, ymin, xmax, ymax = (float(v) for v in self.bbox)
        if not all(math.isfinite(v) for v in (xmin, ymin, xmax, ymax)):
            raise JobError("the extent has non-finite coordinates")
        if xmax <= xmin or ymax <= ymin:
            raise JobError(f"the extent is empty: {self.bbox}")
        if not self.crs:
            raise JobError("the extent needs a CRS")
        _check_extent_on_earth((xmin, ymin, xmax, ymax), self.crs)
        if not (self.gsd and self.gsd > 0):
            raise JobError(f"gsd must be > 0 metres per pixel, got {self.gsd}")
        try:
            SatMetadata(gsd=self.gsd, cloud_cover=self.cloud_cover, date=self.date)
        except MetadataError as exc:
            raise JobError(str(exc)) from None
        _check_output(self.output)
        self.sampling.validate()
        self.tiling.validate()


@dataclasses.dataclass
class SuperResolveJob:
    """Super-resolve ``input`` by the model's factor onto an aligned grid (pixel size / factor)."""

    input: str
    bands: BandSelection = None  # None: the model's bands by name (Sentinel-2 B4 B3 B2 B5 ... B12)
    factor: Optional[int] = None  # None: the model's own factor; else a multiple of its ControlNet's scale
    prompt: str = ""
    consistency: bool = True  # the output averaged back onto the input grid equals the input (tasks/superres.py)
    # self-check one scale down (the input degraded once more, super-resolved, compared with the input); tiles
    # where bicubic scores higher get the bicubic output (False: the model everywhere -- tasks/superres_check.py)
    fallback: bool = True
    output: Optional[str] = None
    sampling: SamplingOptions = dataclasses.field(default_factory=SamplingOptions)
    tiling: TilingOptions = dataclasses.field(default_factory=TilingOptions)
    task = "superres"

    def validate(self) -> None:
        _check_input(self.input, "super-resolution input")
        if self.factor is not None and not 1 <= int(self.factor) <= 32:
            raise JobError(f"the super-resolution factor must be between 1 and 32, got {self.factor}")
        if self.bands is not None:
            seen = [str(b).strip().upper() for b in self.bands]
            repeated = sorted({b for b in seen if seen.count(b) > 1})
            if repeated:  # a 3-band scene with bands picked twice is not a Sentinel-2 tile
                raise JobError(f"each super-resolution band must be a different band of the input; "
                               f"{', '.join(repeated)} {'is' if len(repeated) == 1 else 'are'} chosen more than once")
        _check_output(self.output, [self.input])
        self.sampling.validate()
        self.tiling.validate()


@dataclasses.dataclass
class InpaintJob:
    """Regenerate the masked pixels of ``input``; unmasked pixels are kept."""

    input: str
    mask: MaskSpec
    bands: BandSelection = None  # None: the first three bands as RGB (or by name R/G/B, B4/B3/B2)
    prompt: str = ""
    output: Optional[str] = None
    sampling: SamplingOptions = dataclasses.field(default_factory=SamplingOptions)
    tiling: TilingOptions = dataclasses.field(default_factory=TilingOptions)
    # self-check against the classical fill on nearby known pixels; where the model scores lower, the
    # classical fill is written (False: the anchored model fill everywhere, unchecked -- for experts)
    fallback: bool = True
    # other dates of the same place (path, date or None) to fill from (tasks/inpaint_dates.py); empty: one date
    other_dates: List[Tuple[str, Optional[_dt.date]]] = dataclasses.field(default_factory=list)
    task = "inpaint"

    def __post_init__(self):
        self.other_dates = [(str(path), _as_date(date)) for path, date in self.other_dates or []]

    def validate(self) -> None:
        _check_input(self.input, "inpainting input")
        self.mask.validate()
        if len(self.other_dates) > 4:
            raise JobError(f"cloud removal takes 1 to 4 other dates of the place (the temporal model's frames), "
                           f"got {len(self.other_dates)}")
        for path, _ in self.other_dates:
            _check_input(path, "other date")
            if Path(path).resolve() == Path(self.input).resolve():
                raise JobError(f"the other date {path} is the inpainting input itself")
        _check_output(self.output, [self.input, self.mask.raster or "", self.mask.vector or ""]
                      + [p for p, _ in self.other_dates])
        self.sampling.validate()
        self.tiling.validate()


@dataclasses.dataclass
class PredictJob:
    """Predict the image at ``target_date`` from dated frames of the same place (same grid)."""

    frames: List[Tuple[str, Optional[_dt.date]]]
    target_date: _dt.date
    bands: BandSelection = None
    prompt: str = ""
    output: Optional[str] = None
    sampling: SamplingOptions = dataclasses.field(default_factory=SamplingOptions)
    tiling: TilingOptions = dataclasses.field(default_factory=TilingOptions)
    # backtest per tile (the most recent frame predicted from the older ones vs the recent-frames composite);
    # unless the model wins clearly, the composite is written (False: the model everywhere -- tasks/predict_check.py)
    fallback: bool = True
    task = "predict"

    def __post_init__(self):
        self.frames = [(str(path), _as_date(date)) for path, date in self.frames]
        self.target_date = _as_date(self.target_date)

    def validate(self) -> None:
        if not 1 <= len(self.frames) <= 4:
            raise JobError(f"multi-date prediction takes 1 to 4 dated frames, got {len(self.frames)}")
        if self.target_date is None:
            raise JobError("multi-date prediction needs a target date")
        for path, _ in self.frames:
            _check_input(path, "multi-date frame")
        _check_output(self.output, [p for p, _ in self.frames])
        self.sampling.validate()
        self.tiling.validate()


Job = Union[GenerateJob, SuperResolveJob, InpaintJob, PredictJob]


def input_paths(job) -> List[str]:
    """The files a job reads, as given: rasters and mask sources."""
    if job.task == "superres":
        paths = [job.input]
    elif job.task == "inpaint":
        paths = [job.input, job.mask.raster, job.mask.vector] + [p for p, _ in getattr(job, "other_dates", [])]
    elif job.task == "predict":
        paths = [p for p, _ in job.frames]
    else:
        paths = []
    return [str(p) for p in paths if p]


def written_paths(job, quicklook: bool = True) -> List[Tuple[str, Path]]:
    """(what, path) of every file a run of ``job`` leaves (hidden temporary files aside)."""
    from .quicklook import quicklook_path
    from .tasks.common import uncertainty_path

    if not job.output:
        return []
    out = Path(job.output)
    paths = [("the output", out)]
    if quicklook:
        paths.append(("the quick-look", quicklook_path(out)))
    if int(job.sampling.num_samples) > 1:
        paths.append(("the uncertainty layer", uncertainty_path(out)))
    return paths


def _files_read(path: str) -> List[Path]:
    """``path`` and every file GDAL reads with it (a PNG's .aux.xml or world file, a VRT's sources)."""
    files = [Path(path)]
    try:
        import rasterio

        with rasterio.open(path) as ds:
            return files + [Path(f) for f in ds.files]
    except Exception:  # not a raster (a vector mask): the path itself is what is protected
        return files


def check_written_files(job, quicklook: bool = True) -> None:
    """Refuse, before any work, a run that would overwrite a file it reads: the output, its quick-look and
    its uncertainty layer are each checked against every input file (same path or same file)."""
    from .geo.write import _same_file

    read = [f for p in input_paths(job) for f in _files_read(p)]
    for what, target in written_paths(job, quicklook):
        for source in read:
            if _same_file(target, source):
                hint = " or turn the quick-look off (--no-quicklook)" if what == "the quick-look" else ""
                raise JobError(f"{what} {target} would overwrite the input {source}; inputs are never overwritten: "
                               f"choose another output name{hint}")
