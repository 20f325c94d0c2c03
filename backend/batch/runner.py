"""A batch from start to finish: plan every input, skip finished ones, run the rest, report, mosaic.

In-process (the default, no Dask) the inputs run one after the other here; with ``workers`` or a
scheduler address every input (or every block of a huge input, then its merge) is a Dask task. Dask
retries the tasks of a worker that dies on another worker; outputs are atomic, so a killed task leaves
no half-written output, and its leftover temporary file is removed by the next run to that output.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from pathlib import Path
from typing import Callable, List, Optional

from ..cancel import Cancelled, is_cancelled
from .blocks import plan_blocks
from .fingerprint import finished_fingerprint, job_fingerprint, model_identity, seed_from
from .inputs import expand_inputs, output_names
from .job_specs import make_job, task_name
from .mosaic import write_report, write_vrt
from .work import InputSpec, entry, merge_input, one_line, run_block, run_input

DEFAULT_BLOCK_SIZE = 2048  # input pixels a side: a raster larger than this is split into blocks
REPORT_NAME = "batch_report.json"
MOSAIC_NAME = "mosaic.vrt"


@dataclasses.dataclass
class BatchReport:
    """What a batch did: one entry per input (status done / skipped / failed / cancelled)."""

    task: str
    output_dir: Path
    entries: List[dict]
    seconds: float
    report: Optional[Path] = None
    mosaic: Optional[Path] = None
    dashboard: Optional[str] = None
    where: str = "in-process"

    def count(self, status: str) -> int:
        return sum(1 for e in self.entries if e["status"] == status)

    @property
    def ok(self) -> bool:
        return all(e["status"] in ("done", "skipped") for e in self.entries)

    def to_dict(self) -> dict:
        return {"task": self.task, "output_dir": str(self.output_dir), "where": self.where,
                "dashboard": self.dashboard, "seconds": round(self.seconds, 3),
                "counts": {s: self.count(s) for s in ("done", "skipped", "failed", "cancelled")},
                "mosaic": None if self.mosaic is None else str(self.mosaic),
                "report": None if self.report is None else str(self.report), "inputs": self.entries}


class ClusterCancel:
    """A cancel source that tasks on Dask workers read: a named ``distributed.Event`` (checked at most
    twice a second), set by the client on Ctrl-C or when the caller's ``cancel`` fires."""

    def __init__(self, name: str):
        self.name = name
        self._checked = 0.0
        self._set = False

    def is_set(self) -> bool:
        now = time.monotonic()
        if not self._set and now - self._checked > 0.5:
            from distributed import Event

            self._checked = now
            self._set = Event(self.name).is_set()
        return self._set


def _raster_size(path: str):
    try:
        import rasterio

        with rasterio.open(path) as ds:
            return ds.height, ds.width
    except Exception:  # unreadable: the run itself reports it (one failed entry)
        return None


def plan_inputs(task: str, inputs, output_dir: Path, model, options: dict, *, block_size: int, quicklook: bool,
                cog: bool, resume: bool):
    """(specs to run, entries already decided: failed before any work, or finished earlier)."""
    from ..jobs import check_written_files

    items = expand_inputs(inputs)
    model_id = model_identity(model)
    specs, decided = [], {}
    for index, (item, name) in enumerate(zip(items, output_names(task, items))):
        started = time.perf_counter()
        spec = InputSpec(index, item.name, _Unbuilt(str(output_dir / name)), str(model), "", quicklook, cog)
        try:
            job = make_job(task, item, options, str(output_dir / name))
            job.validate()
            check_written_files(job, quicklook)
            spec.fingerprint = job_fingerprint(job, model_id, cog)
            if job.sampling.seed is None:
                job.sampling = dataclasses.replace(job.sampling, seed=seed_from(spec.fingerprint))
            spec.job = job
        except Exception as exc:  # a bad item is a failed entry; the others run
            decided[index] = entry(spec, "failed", started, error=one_line(exc))
            continue
        if resume and finished_fingerprint(job.output) == spec.fingerprint:
            decided[index] = entry(spec, "skipped", started, reason="finished earlier with the same job")
            continue
        size = _raster_size(item.name)
        if size is not None and max(size) > block_size and int(job.sampling.num_samples) == 1:
            spec.blocks = plan_blocks(size[0], size[1], block_size)
        specs.append(spec)
    return specs, decided


@dataclasses.dataclass
class _Unbuilt:
    """Stands in for the job of an item that could not become one (only its output name is known)."""

    output: str


def run_batch(task: str, inputs, output_dir, *, model="diffusionsat-mini", workers: Optional[int] = None,
              address: Optional[str] = None, block_size: int = DEFAULT_BLOCK_SIZE, quicklook: bool = True,
              cog: bool = False, vrt: bool = True, resume: bool = True, progress: Optional[Callable] = None,
              cancel=None, on_dashboard: Optional[Callable[[str], None]] = None, **options) -> BatchReport:
    """Run ``task`` (super-resolve, inpaint, predict) on every input; see :mod:`backend.batch`.

    progress(done_units, total_units, entry_or_None): after every input and block. Raises Cancelled (after
    writing the report of what finished) when ``cancel`` fires or on Ctrl-C (KeyboardInterrupt).
    ``address``: a Dask scheduler's (``tcp://host:8786``); ``scheduler=`` is the sampler, as for single jobs."""
    from .cluster import dashboard, dask_client, scheduler_address

    task = task_name(task)
    started = time.perf_counter()
    out_dir = Path(output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    specs, decided = plan_inputs(task, inputs, out_dir, model, options, block_size=int(block_size),
                                 quicklook=quicklook, cog=cog, resume=resume)
    report = BatchReport(task, out_dir, [], 0.0)
    finished = dict(decided)
    total = sum(len(s.blocks) + 1 if s.blocks else 1 for s in specs)
    tracker = _Tracker(progress, total)
    try:
        if workers is None and scheduler_address(address) is None:
            _run_here(specs, finished, tracker, cancel)
        else:
            with dask_client(workers, address) as client:
                report.where = f"dask {client.scheduler.address} ({len(client.scheduler_info()['workers'])} workers)"
                report.dashboard = dashboard(client)
                if report.dashboard and on_dashboard is not None:
                    on_dashboard(report.dashboard)
                _run_on_dask(client, specs, finished, tracker, cancel)
    except (KeyboardInterrupt, Cancelled):
        _finish(report, specs, finished, started, vrt)
        raise
    _finish(report, specs, finished, started, vrt)
    return report


class _Tracker:
    def __init__(self, progress, total: int):
        self.progress, self.total, self.done = progress, total, 0

    def step(self, item=None):
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total, item)


def _run_here(specs, finished, tracker, cancel):
    for spec in specs:
        if is_cancelled(cancel):
            raise Cancelled("batch cancelled")
        spec.cancel = cancel
        if spec.blocks:
            parts = []
            for block in spec.blocks:
                parts.append(run_block(spec, block))
                tracker.step()
            finished[spec.index] = merge_input(spec, parts)
        else:
            finished[spec.index] = run_input(spec)
        tracker.step(finished[spec.index])


def _run_on_dask(client, specs, finished, tracker, cancel):
    import distributed

    flag = ClusterCancel(f"diffusionsat-cancel-{uuid.uuid4().hex}")
    final, blocks = {}, set()
    for spec in specs:
        spec.cancel = flag
        tag = f"{Path(spec.output).stem}-{spec.fingerprint[:8]}"
        if spec.blocks:
            parts = [client.submit(run_block, spec, b, key=f"block-{tag}-{b.index}", pure=False) for b in spec.blocks]
            blocks.update(parts)
            final[client.submit(merge_input, spec, parts, key=f"merge-{tag}", pure=False)] = spec
        else:
            final[client.submit(run_input, spec, key=f"input-{tag}", pure=False)] = spec
    pending = set(final) | blocks
    try:
        while pending:
            if is_cancelled(cancel):
                raise Cancelled("batch cancelled")
            try:
                done, pending = distributed.wait(pending, timeout=0.5, return_when="FIRST_COMPLETED")
            except distributed.TimeoutError:
                continue
            for future in done:
                if future in final:
                    spec = final[future]
                    finished[spec.index] = _collect(future, spec)
                    tracker.step(finished[spec.index])
                else:
                    tracker.step()
    except BaseException:
        distributed.Event(flag.name, client=client).set()  # running tasks stop at their next tile or step
        client.cancel(list(pending))
        raise


def _collect(future, spec) -> dict:
    try:
        return future.result()
    except Exception as exc:  # the task itself failed (e.g. lost more workers than Dask allows)
        if isinstance(exc, Cancelled):
            return entry(spec, "cancelled", time.perf_counter())
        return entry(spec, "failed", time.perf_counter(), error=one_line(exc))


def _finish(report: BatchReport, specs, finished, started, vrt: bool) -> None:
    by_index = {s.index: s for s in specs}
    for index, spec in by_index.items():
        if index not in finished:
            finished[index] = entry(spec, "cancelled", time.perf_counter())
            finished[index]["seconds"] = 0.0
    report.entries = [finished[i] for i in sorted(finished)]
    report.seconds = time.perf_counter() - started
    outputs = [Path(e["output"]) for e in report.entries if e["output"]]
    if vrt and outputs:
        report.mosaic = write_vrt(outputs, report.output_dir / MOSAIC_NAME)
    report.report = write_report(report.to_dict(), report.output_dir / REPORT_NAME)
