"""``diffusionsat batch TASK INPUTS... -o OUT_DIR``: the command-line face of :func:`backend.batch.run_batch`.

    diffusionsat batch super-resolve scenes/*.tif -o out/sr --steps 25                   # in this process
    diffusionsat batch super-resolve scenes/ -o out/sr --workers 2                       # a local Dask cluster
    diffusionsat batch inpaint manifest.txt -o out/filled --scheduler tcp://head:8786    # an existing cluster

Exit code 0 when every input is done or was finished earlier, 2 when some failed (the report names them;
the others are done), 130 on Ctrl-C (the report says what finished; the next run continues).
"""

from __future__ import annotations

import argparse
import sys


def add_parser(sub) -> None:
    from ..cli import _sampling_args
    from .runner import DEFAULT_BLOCK_SIZE

    p = sub.add_parser("batch", help="run a task on many inputs or huge rasters, here or on a Dask cluster",
                       conflict_handler="resolve")  # --scheduler is the Dask scheduler here (see --sampler)
    _sampling_args(p)
    p.add_argument("--sampler", choices=["ddim", "dpm++"], default="ddim",
                   help="the denoising scheduler (what --scheduler sets for single jobs)")
    p.add_argument("task", choices=["super-resolve", "inpaint", "predict"])
    p.add_argument("inputs", nargs="+", help="rasters, globs, folders or manifests (.txt: one input per line, "
                                             "then key=value options such as mask=... or target_date=...)")
    p.add_argument("-o", "--output-dir", required=True, help="folder for the outputs, mosaic.vrt and batch_report.json")
    g = p.add_argument_group("where it runs")
    g.add_argument("--workers", type=int, default=None,
                   help="run on a local Dask cluster of N worker processes (default: in this process)")
    g.add_argument("--scheduler", default=None,
                   help="address of an existing Dask scheduler, e.g. tcp://host:8786 (default: DASK_SCHEDULER_ADDRESS)")
    g.add_argument("--block-size", type=int, default=DEFAULT_BLOCK_SIZE,
                   help=f"rasters larger than this many input pixels a side are split into blocks of tiles that "
                        f"run on different workers (default {DEFAULT_BLOCK_SIZE})")
    g.add_argument("--no-resume", dest="resume", action="store_false",
                   help="redo inputs whose output already carries the same job fingerprint")
    g.add_argument("--no-vrt", dest="vrt", action="store_false", help="do not write mosaic.vrt")
    g.add_argument("--cog", action="store_true", help="write Cloud-Optimised GeoTIFFs")
    g.add_argument("--no-quicklook", action="store_true", help="no PNG quick-look beside each output")
    t = p.add_argument_group("task options (a manifest line's key=value options override them)")
    t.add_argument("--bands", nargs="+", default=None)
    t.add_argument("--prompt", default="")
    t.add_argument("--no-consistency", dest="consistency", action="store_false", help="super-resolve: raw output")
    t.add_argument("--no-fallback", dest="fallback", action="store_false", help="no self-check fallback")
    t.add_argument("--mask-raster", help="inpaint: mask raster for every input; {stem} is the input's file stem")
    t.add_argument("--mask-vector", help="inpaint: polygon file; {stem} as above")
    t.add_argument("--mask-layer")
    t.add_argument("--mask-classes", nargs="+", type=int)
    t.add_argument("--mask-bits", nargs="+", type=int)
    t.add_argument("--dilate", type=float, default=0.0)
    t.add_argument("--target-date", help="predict: the date to predict")


def _options(args) -> dict:
    from ..cli import _bands

    options = dict(steps=args.steps, guidance=args.guidance, scheduler=args.sampler, seed=args.seed,
                   num_samples=args.samples, device=args.device, precision=args.precision, threads=args.threads,
                   tile_size=args.tile_size, overlap=args.overlap, batch_size=args.batch,
                   bands=_bands(args.bands), prompt=args.prompt)
    if args.task == "super-resolve":
        options.update(consistency=args.consistency, fallback=args.fallback)
    elif args.task == "inpaint":
        options.update(fallback=args.fallback, mask_raster=args.mask_raster, mask_vector=args.mask_vector,
                       mask_layer=args.mask_layer, mask_classes=args.mask_classes, mask_bits=args.mask_bits,
                       dilate=args.dilate)
    else:
        options.update(target_date=args.target_date)
    return options


class _Bar:
    def __init__(self, enabled: bool):
        self.bar = None
        self.enabled = enabled
        self.failed = 0

    def __call__(self, done: int, total: int, item) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc="batch", unit="part", file=sys.stderr, leave=False)
        self.failed += bool(item and item["status"] == "failed")
        self.bar.update(done - self.bar.n)
        if item:
            self.bar.set_postfix_str(f"{item['input']}: {item['status']}, {self.failed} failed", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def cmd_batch(args) -> dict:
    from ..cli import EXIT_INPUT, CliError
    from .cluster import DaskMissingError
    from .runner import run_batch

    bar = _Bar(not args.quiet)

    def say_dashboard(link: str) -> None:
        print(f"diffusionsat: Dask dashboard: {link}", file=sys.stderr, flush=True)

    try:
        report = run_batch(args.task, args.inputs, args.output_dir, model=args.model, workers=args.workers,
                           address=args.scheduler, block_size=args.block_size, quicklook=not args.no_quicklook,
                           cog=args.cog, vrt=args.vrt, resume=args.resume, progress=bar,
                           on_dashboard=say_dashboard, **_options(args))
    except DaskMissingError as exc:
        raise CliError(str(exc), EXIT_INPUT) from None
    finally:
        bar.close()
    summary = report.to_dict()
    failed = [e for e in report.entries if e["status"] == "failed"]
    for e in failed:
        print(f"diffusionsat: warning: {e['input']} failed: {e['error']}", file=sys.stderr)
    if failed:
        raise CliError(f"{len(failed)} of {len(report.entries)} inputs failed; the others are done "
                       f"(report: {report.report})", EXIT_INPUT)
    if not args.json:  # the per-input list is in the report file
        summary.pop("inputs")
    return summary

