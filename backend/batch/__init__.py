"""Large areas: many inputs and huge rasters, in this process or on a Dask cluster, resumable.

>>> from backend.batch import run_batch
>>> report = run_batch("super-resolve", ["scenes/*.tif"], "out/sr", steps=25, workers=2)
>>> report.count("done"), report.mosaic, report.report

- inputs (:mod:`.inputs`): files, globs, folders and text manifests (per-input options such as a mask);
  one output ``<stem>_<task>.tif`` per input, a ``mosaic.vrt`` over all outputs and ``batch_report.json``
  (per input: status, output, seconds, tiles, error);
- each input is the single-job path (:func:`backend.api.run_job`, :mod:`.work`); a raster larger than
  ``block_size`` input pixels is split into blocks of tiles merged by the tiling engine (:mod:`.blocks`:
  bit for bit the single-process output);
- where (:mod:`.cluster`): in this process by default; ``workers=N`` a Dask ``LocalCluster``;
  ``address="tcp://..."`` or ``DASK_SCHEDULER_ADDRESS`` an existing cluster. Dask is imported only then;
- resumable (:mod:`.fingerprint`): an input whose output carries the same job fingerprint is skipped,
  finished blocks are reused; one bad input is a failed entry, the others run; Ctrl-C or ``cancel``
  stops the running tasks, writes the report and raises :class:`backend.cancel.Cancelled`
  (KeyboardInterrupt for Ctrl-C).
"""

from .cluster import DaskMissingError
from .inputs import BatchInputError, BatchItem
from .runner import BatchReport, run_batch

__all__ = ["run_batch", "BatchReport", "BatchItem", "BatchInputError", "DaskMissingError"]
