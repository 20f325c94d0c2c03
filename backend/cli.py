"""Command-line interface: ``python -m backend`` or ``diffusionsat``.

    diffusionsat generate --bbox XMIN YMIN XMAX YMAX --crs EPSG:32633 --gsd 10 --date 2020-05-18 -o out.tif
    diffusionsat super-resolve S2_tile.tif -o sr.tif
    diffusionsat inpaint scene.tif --mask-raster SCL.tif --mask-classes 3 8 9 10 -o filled.tif
    diffusionsat predict a.tif:2020-05-01 b.tif:2020-06-01 --target-date 2020-07-01 -o pred.tif
    diffusionsat models [list | download NAME | add PATH | remove NAME]
    diffusionsat convert OFFICIAL_FOLDER CLEAN_FOLDER
    diffusionsat info RASTER
    diffusionsat batch super-resolve scenes/*.tif -o out/ [--workers N | --scheduler tcp://HOST:PORT]

Errors are one clear line on stderr (``--debug`` shows the traceback). Exit codes: 0 success,
1 unexpected internal error, 2 bad arguments or input, 3 file not found / not writable,
4 model missing or invalid, 130 cancelled (Ctrl-C), 143 terminated (SIGTERM; partial files are removed).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import time
from pathlib import Path
from typing import List, Optional

from . import choices
from .version import __version__

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_FILE, EXIT_MODEL, EXIT_CANCELLED = 0, 1, 2, 3, 4, 130
EXIT_TERMINATED = 143  # 128 + SIGTERM: what shells, `timeout` and service managers expect after a SIGTERM


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_INPUT):
        super().__init__(message)
        self.code = code


# ----------------------------------------------------------------------------------------- parsing
def _sampling_args(p: argparse.ArgumentParser) -> None:
    from .jobs import SamplingOptions, TilingOptions

    s, t = SamplingOptions(), TilingOptions()
    g = p.add_argument_group("sampling")
    g.add_argument("--model", default="diffusionsat-mini",
                   help="model folder or registered name (default: the bundled diffusionsat-mini)")
    g.add_argument("--steps", type=int, default=s.steps, help=f"denoising steps (default {s.steps})")
    g.add_argument("--guidance", type=float, default=choices.RECOMMENDED_GUIDANCE,
                   help="classifier-free guidance scale; 1 disables it (default: the model's recommendation for "
                        f"the task, {choices.DEFAULT_GUIDANCE} for the official models)")
    g.add_argument("--scheduler", choices=choices.SCHEDULERS, default=s.scheduler)
    g.add_argument("--seed", type=int, default=None, help="random seed (default: random, recorded in the output)")
    g.add_argument("--samples", type=int, default=s.num_samples,
                   help="number of samples; >1 writes the mean and a per-pixel spread (uncertainty) image")
    g.add_argument("--device", choices=choices.DEVICES, default=s.device)
    g.add_argument("--precision", choices=choices.PRECISIONS, default=s.precision)
    g.add_argument("--threads", type=int, default=None,
                   help="CPU threads (default: automatic from the model's size; OMP_NUM_THREADS is respected)")
    g.add_argument("--tile-size", type=int, default=None, help="tile size in output pixels (default: model size)")
    g.add_argument("--overlap", type=int, default=t.overlap, help=f"tile overlap in output pixels (default {t.overlap})")
    g.add_argument("--batch", type=int, default=t.batch_size, help="tiles per batch")


def _common_out(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("-o", "--output", required=required, help="output GeoTIFF (written atomically)")
    p.add_argument("--no-quicklook", action="store_true", help="do not write a PNG quick-look beside the output")


def _global_flags(default) -> argparse.ArgumentParser:
    # accepted before or after the sub-command (the sub-command's copy must not reset the main one)
    flags = argparse.ArgumentParser(add_help=False)
    flags.add_argument("--json", action="store_true", default=default, help="print a JSON summary on stdout")
    flags.add_argument("--debug", action="store_true", default=default, help="show tracebacks")
    flags.add_argument("--quiet", action="store_true", default=default, help="no progress bar")
    return flags


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="diffusionsat", parents=[_global_flags(False)],
                                     description="DiffusionSat: generative satellite imagery, locally.")
    parser.add_argument("--version", action="version", version=f"diffusionsat {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    flags = _global_flags(argparse.SUPPRESS)
    _add = sub.add_parser

    def add_parser(name, **kw):
        return _add(name, parents=[flags], **kw)

    sub.add_parser = add_parser

    p = sub.add_parser("generate", help="generate an image for an extent")
    p.add_argument("--bbox", nargs=4, type=float, metavar=("XMIN", "YMIN", "XMAX", "YMAX"), required=True)
    p.add_argument("--crs", required=True, help="CRS of the bbox, e.g. EPSG:32633 or a WKT string")
    p.add_argument("--gsd", type=float, required=True, help="ground sample distance of the output, metres/pixel")
    p.add_argument("--prompt", default="", help="text prompt, e.g. 'a satellite image of farmland'")
    p.add_argument("--date", default=None, help="acquisition date to condition on (YYYY-MM-DD; default unknown)")
    p.add_argument("--cloud-cover", type=float, default=0.0, help="cloud cover fraction 0..1 (default 0)")
    _common_out(p)
    _sampling_args(p)

    p = sub.add_parser("super-resolve", help="super-resolve a (Sentinel-2) raster onto an aligned finer grid")
    p.add_argument("input", help="a raster, or a Sentinel-2 product (.SAFE folder, its .zip or MTD_MSI*.xml; "
                   "append :20m or :60m for a coarser grid than 10 m)")
    p.add_argument("--bands", nargs="+", default=None,
                   help="bands by index (1-based) or name (default: the model's Sentinel-2 bands by name)")
    p.add_argument("--no-consistency", dest="consistency", action="store_false",
                   help="keep the network's raw output (default: the output averaged back onto the input grid "
                        "equals the input's RGB)")
    p.add_argument("--no-fallback", dest="fallback", action="store_false",
                   help="skip the self-check one scale down and keep the model's output everywhere (default: "
                        "bicubic plus the model's detail at the weight fitted on the input degraded once more, "
                        "bicubic alone where the detail does not help)")
    _common_out(p)
    _sampling_args(p)

    p = sub.add_parser("inpaint", help="fill masked pixels (clouds, or any mask)")
    p.add_argument("input")
    m = p.add_mutually_exclusive_group(required=True)
    m.add_argument("--mask-vector", help="polygon file (any OGR format)")
    m.add_argument("--mask-raster", help="raster whose values or bits give the mask; a Sentinel-2 Level-2A product "
                   "(.SAFE, .zip, MTD_MSIL2A.xml): its SCL, classes 3 8 9 10 unless --mask-classes")
    p.add_argument("--mask-layer", help="layer name inside --mask-vector (GeoPackage)")
    p.add_argument("--mask-classes", nargs="+", type=int, help="mask where the raster equals one of these (e.g. SCL 3 8 9 10)")
    p.add_argument("--mask-bits", nargs="+", type=int, help="mask where any of these bits is set (e.g. QA_PIXEL 1 2 3 4)")
    p.add_argument("--dilate", type=float, default=0.0, help="grow the mask by this many metres")
    p.add_argument("--bands", nargs="+", default=None, help="RGB bands by index or name (default: first three)")
    p.add_argument("--prompt", default="")
    p.add_argument("--other-date", action="append", metavar="RASTER[:YYYY-MM-DD]",
                   help="another date of the same place to fill the mask from (repeat for up to 4; the date may be "
                        "left out to read it from the file): the masked pixels come from the closest clear date, "
                        "matched to the input's radiometry, or from the temporal model where it checks better")
    p.add_argument("--no-fallback", dest="fallback", action="store_false",
                   help="skip the self-check on nearby known pixels and keep the model's (anchored) fill everywhere "
                        "(default: where the model scores lower than the classical fill, the classical fill is written)")
    _common_out(p)
    _sampling_args(p)

    p = sub.add_parser("predict", help="predict the image at a date from dated frames of the same place")
    p.add_argument("frames", nargs="+", help="FRAME.tif:YYYY-MM-DD (date may be empty to read it from the file)")
    p.add_argument("--target-date", required=True)
    p.add_argument("--bands", nargs="+", default=None)
    p.add_argument("--prompt", default="")
    p.add_argument("--no-fallback", dest="fallback", action="store_false",
                   help="skip the backtest (the most recent frame predicted from the older ones) and write the "
                        "model's prediction everywhere (default: unless the model clearly beats the recent-frames "
                        "composite -- the frames matched to the most recent one, recency-weighted -- the composite "
                        "is written)")
    _common_out(p)
    _sampling_args(p)

    p = sub.add_parser("models", help="list, download, add or remove models")
    p.add_argument("action", nargs="?", default="list", choices=["list", "download", "add", "remove"])
    p.add_argument("target", nargs="?", help="model name (download/remove) or folder (add)")
    p.add_argument("--name", help="name to register a folder under (add)")

    p = sub.add_parser("convert", help="convert an official checkpoint folder into a clean diffusers folder (safetensors)")
    p.add_argument("source")
    p.add_argument("destination")

    p = sub.add_parser("info", help="what the backend reads from a raster (CRS, bands, metadata) or a model folder")
    p.add_argument("path")

    from .batch.command import add_parser as add_batch_parser  # many inputs, huge rasters, Dask (issue 16)

    add_batch_parser(sub)
    return parser


def _bands(values: Optional[List[str]]):
    if not values:
        return None
    return [int(v) if v.isdigit() else v for v in values]


def _sampling(args):
    from .jobs import SamplingOptions, TilingOptions

    sampling = SamplingOptions(steps=args.steps, guidance=args.guidance, scheduler=args.scheduler, seed=args.seed,
                               num_samples=args.samples, device=args.device, precision=args.precision,
                               threads=args.threads)
    tiling = TilingOptions(tile_size=args.tile_size, overlap=args.overlap, batch_size=args.batch)
    return sampling, tiling


def build_job(args):
    """argparse namespace -> a validated backend job."""
    from . import jobs

    sampling, tiling = _sampling(args)
    if args.command == "generate":
        job = jobs.GenerateJob(bbox=tuple(args.bbox), crs=args.crs, gsd=args.gsd, prompt=args.prompt,
                               date=args.date, cloud_cover=args.cloud_cover, output=args.output,
                               sampling=sampling, tiling=tiling)
    elif args.command == "super-resolve":
        job = jobs.SuperResolveJob(input=args.input, bands=_bands(args.bands), output=args.output,
                                   consistency=args.consistency, fallback=args.fallback, sampling=sampling,
                                   tiling=tiling)
    elif args.command == "inpaint":
        mask = jobs.MaskSpec(vector=args.mask_vector, vector_layer=args.mask_layer, raster=args.mask_raster,
                             classes=args.mask_classes, bits=args.mask_bits, dilate_m=args.dilate)
        job = jobs.InpaintJob(input=args.input, mask=mask, bands=_bands(args.bands), prompt=args.prompt,
                              output=args.output, sampling=sampling, tiling=tiling, fallback=args.fallback,
                              other_dates=[_dated(item) for item in args.other_date or []])
    elif args.command == "predict":
        frames = [_dated(item) for item in args.frames]
        job = jobs.PredictJob(frames=frames, target_date=args.target_date, bands=_bands(args.bands),
                              prompt=args.prompt, output=args.output, sampling=sampling, tiling=tiling,
                              fallback=args.fallback)
    else:  # pragma: no cover - argparse guards this
        raise CliError(f"unknown command {args.command}")
    if args.output and not Path(args.output).parent.is_dir():
        raise CliError(f"the output folder does not exist: {Path(args.output).parent}", EXIT_FILE)
    from .geo.sentinel2_product import resolve_job

    job = resolve_job(job)  # Sentinel-2 products (.SAFE, .zip, MTD_MSI*.xml) -> reflectance VRT / SCL (issue 18)
    job.validate()
    jobs.check_written_files(job, quicklook=not args.no_quicklook)  # before loading the model
    return job


# ---------------------------------------------------------------------------------------- progress
class _Progress:
    """A tqdm bar over the job's progress fraction (steps x tiles), or nothing when quiet."""

    def __init__(self, enabled: bool, label: str):
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=1000, desc=label, unit="‰", file=sys.stderr, leave=False,
                            bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining} {postfix}")

    def __call__(self, fraction: float, message: str = "") -> None:
        if self.bar is None:
            return
        target = int(round(max(0.0, min(1.0, fraction)) * 1000))
        self.bar.update(target - self.bar.n)
        if message:
            self.bar.set_postfix_str(message, refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# ---------------------------------------------------------------------------------------- commands
def cmd_task(args) -> dict:
    from .api import get_model, run_job

    job = build_job(args)
    try:  # loaded first so that running out of memory says whose fault it is: the model's (4) or the input's (2)
        get_model(args.model, job.sampling.device, job.sampling.precision)
    except MemoryError as exc:
        raise CliError(f"not enough memory to load the model {args.model} ({exc or 'allocation failed'})",
                       EXIT_MODEL) from None
    estimate = None
    if not args.quiet:  # said before the work starts: one measured model call at the job's size
        from .api import estimate_job

        estimate = estimate_job(job, model=args.model)
        print(f"diffusionsat: {args.command} will take {estimate.text()}", file=sys.stderr, flush=True)
    progress = _Progress(not args.quiet, args.command)
    try:
        result = run_job(job, model=args.model, progress=progress, quicklook=not args.no_quicklook)
    finally:
        progress.close()
    for warning in result.warnings:
        print(f"diffusionsat: warning: {warning}", file=sys.stderr)
    if result.caveat:
        print(f"diffusionsat: about this model: {result.caveat}", file=sys.stderr)
    summary = result.to_dict()
    if estimate is not None:
        summary["estimate_seconds"] = round(estimate.seconds, 2)
    return summary


def cmd_models(args) -> dict:
    from . import hub

    if args.action == "list":
        entries = hub.list_models()
        return {"models": [e if isinstance(e, dict) else e.to_dict() for e in entries]}
    if not args.target:
        raise CliError(f"models {args.action} needs a {'folder' if args.action == 'add' else 'model name'}")
    if args.action == "download":
        progress = _Progress(not args.quiet, f"download {args.target}")
        try:
            path = hub.download_model(args.target, progress=lambda done, total: progress(done / total if total else 0.0))
        finally:
            progress.close()
        return {"downloaded": args.target, "path": str(path)}
    if args.action == "add":
        entry = hub.add_model(args.target, name=args.name)
        return {"added": entry if isinstance(entry, dict) else entry.to_dict()}
    hub.remove_model(args.target)
    return {"removed": args.target}


def cmd_convert(args) -> dict:
    from .checkpoints import convert_to_diffusers

    out = convert_to_diffusers(args.source, args.destination)
    return {"converted": str(args.source), "destination": str(out)}


def cmd_batch(args) -> dict:
    from .batch.command import cmd_batch as run

    return run(args)


def cmd_info(args) -> dict:
    from .api import describe_path

    return describe_path(args.path)


def _print_human(command: str, summary: dict) -> None:
    if command == "models" and "models" in summary:
        for entry in summary["models"]:
            print(f"{entry.get('name', '?'):32s} {entry.get('status', ''):16s} {entry.get('title', '')}")
        return
    for key, value in summary.items():
        if isinstance(value, (dict, list)):
            value = json.dumps(value, default=str)
        print(f"{key}: {value}")


def _classify(exc: BaseException) -> int:
    from .jobs import JobError
    from .metadata import MetadataError

    if isinstance(exc, CliError):
        return exc.code
    if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError)):
        return EXIT_FILE
    if type(exc).__module__.startswith("rasterio"):  # GDAL could not read an input (truncated, not a raster)
        return EXIT_INPUT
    name = type(exc).__name__
    module = type(exc).__module__ or ""
    if module.startswith(("backend.checkpoints", "backend.hub")) or "Checkpoint" in name or "Model" in name:
        return EXIT_MODEL
    if "OutputPath" in name:
        return EXIT_FILE
    if isinstance(exc, (JobError, MetadataError, ValueError)):
        return EXIT_INPUT
    return EXIT_INTERNAL


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that every clean-up (``finally``, the writers' exit) runs."""


def _on_sigterm(signum, frame):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not interrupt the clean-up
    raise _Terminated()


def _catch_sigterm():
    try:
        return signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError, AttributeError):  # main() called outside the main thread: leave signals alone
        return None


class _GdalErrors(logging.Handler):
    """GDAL/PROJ failure messages. Inside a ``rasterio.Env`` rasterio hands them to logging (outside one GDAL
    prints raw ``ERROR 1:`` lines next to ours); on failure they are folded into the one-line message."""

    LOGGER = "rasterio._env"

    def __init__(self):
        super().__init__(logging.INFO)
        self.messages: List[str] = []
        self._level = logging.NOTSET

    def emit(self, record):
        args = record.args if isinstance(record.args, tuple) else ()
        if str(record.msg).startswith("GDAL signalled an error") and len(args) == 2:
            self.messages.append(" ".join(str(args[1]).split()))

    def __enter__(self):
        logger = logging.getLogger(self.LOGGER)
        self._level = logger.level
        logger.addHandler(self)
        if logger.getEffectiveLevel() > logging.INFO:  # rasterio logs them at INFO
            logger.setLevel(logging.INFO)
        return self

    def __exit__(self, *exc):
        logger = logging.getLogger(self.LOGGER)
        logger.removeHandler(self)
        logger.setLevel(self._level)
        return False

    def fold(self, message: str) -> str:
        extra = [m for m in dict.fromkeys(self.messages) if m and m not in message]
        return f"{message} (GDAL: {'; '.join(extra[-3:])})" if extra else message


def _gdal_env():
    try:
        import rasterio
    except ImportError:  # pragma: no cover - rasterio is a requirement
        import contextlib

        return contextlib.nullcontext()
    return rasterio.Env()


def _out_of_memory(args, exc: MemoryError) -> str:
    files = [getattr(args, k, None) for k in ("input", "mask_raster", "mask_vector")]
    files += [f.rpartition(":")[0] or f for f in getattr(args, "frames", None) or []]
    what = ", ".join(str(f) for f in files if f) or "this extent"
    return (f"not enough memory to process {what} ({exc or 'allocation failed'}); try a smaller raster or "
            "extent, --tile-size or --batch")


def _dated(item: str):
    """``RASTER[:YYYY-MM-DD]`` -> (path, date or None); the date may be empty."""
    path, sep, date = item.rpartition(":")
    if not sep:
        path, date = item, ""
    return path, date or None


def main(argv: Optional[List[str]] = None) -> int:
    from . import cpu_threads

    cpu_threads.prepare()  # before anything imports torch (see backend/cpu_threads.py)
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {"generate": cmd_task, "super-resolve": cmd_task, "inpaint": cmd_task, "predict": cmd_task,
                "models": cmd_models, "convert": cmd_convert, "info": cmd_info, "batch": cmd_batch}
    started = time.time()
    previous_sigterm = _catch_sigterm()
    gdal_errors = _GdalErrors()
    try:
        with gdal_errors, _gdal_env():  # GDAL's errors reach rasterio's handler, not stderr (see _GdalErrors)
            summary = handlers[args.command](args)
    except KeyboardInterrupt:
        print("diffusionsat: cancelled", file=sys.stderr)
        return EXIT_CANCELLED
    except _Terminated:
        print("diffusionsat: terminated (SIGTERM); partial files were removed", file=sys.stderr)
        return EXIT_TERMINATED
    except Exception as exc:  # one clear line, unless --debug
        from .cancel import Cancelled

        if isinstance(exc, Cancelled):
            print("diffusionsat: cancelled", file=sys.stderr)
            return EXIT_CANCELLED
        if args.debug:
            raise
        code = _classify(exc)
        message = " ".join(str(exc).split()) or type(exc).__name__
        if isinstance(exc, MemoryError):
            code, message = EXIT_INPUT, _out_of_memory(args, exc)
        message = gdal_errors.fold(message)
        print(f"diffusionsat: error: {message}", file=sys.stderr)
        if args.json:
            print(json.dumps({"ok": False, "error": message, "exit_code": code}))
        return code
    finally:
        if previous_sigterm is not None:
            signal.signal(signal.SIGTERM, previous_sigterm)
    summary = {"ok": True, "command": args.command, "seconds": round(time.time() - started, 2), **summary}
    if args.json:
        print(json.dumps(summary, default=str))
    else:
        _print_human(args.command, summary)
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
