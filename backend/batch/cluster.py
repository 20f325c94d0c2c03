"""Where a batch runs: Dask distributed, imported only here and only when asked for.

- ``workers=N``: a ``LocalCluster`` of N worker processes, one task at a time each; each worker's torch
  threads are chosen by :mod:`backend.cpu_threads` within its share of the cores (:func:`worker_environ`), and
  with CUDA, N defaults to the number of GPUs and worker k is pinned to GPU k.
- ``scheduler="tcp://HOST:PORT"`` or ``DASK_SCHEDULER_ADDRESS``: an existing cluster, used as it is
  (dask-jobqueue, dask-gateway and Kubernetes clusters give such an address). Its workers need this
  package, the model folder and the input and output folders at the same paths (a shared file system).
"""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Optional

MISSING = ("running a batch on Dask (--workers / --scheduler) needs dask[distributed], which is not installed: "
           "pip install 'dask[distributed]' (or the backend's extra: pip install '.[dask]'); without --workers "
           "and --scheduler the batch runs in this process and needs nothing more")


class DaskMissingError(RuntimeError):
    pass


def require_distributed():
    try:
        import distributed
    except ImportError:
        raise DaskMissingError(MISSING) from None
    return distributed


def scheduler_address(scheduler: Optional[str] = None) -> Optional[str]:
    return scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None


def gpu_count() -> int:
    from ..cpu_threads import prepare

    prepare()  # torch may be first imported here: with the passive OpenMP wait policy, as everywhere
    try:
        import torch

        return torch.cuda.device_count() if torch.cuda.is_available() else 0
    except Exception:  # no usable torch here: CPU workers
        return 0


def worker_environ(share: int) -> dict:
    """Environment of a local worker given ``share`` cores: a cap on the automatic thread choice.

    Not OMP_NUM_THREADS: the thread policy takes it as the user's fixed choice, and a worker fixed at two
    threads ran the mini model's tiles 15-25 % slower than one thread, which in-process chooses for such
    small work (a part of the Dask overhead per input in bench_batch). The user's own OMP_NUM_THREADS,
    inherited by the workers, still wins."""
    from ..cpu_threads import CORES_ENV

    return {CORES_ENV: share, "OPENBLAS_NUM_THREADS": share, "OMP_WAIT_POLICY": "PASSIVE"}


def _pin_plugin(distributed, gpus: int):
    class PinGPU(distributed.WorkerPlugin):
        """Worker k sees only GPU k mod ``gpus`` (before it first touches CUDA)."""

        def setup(self, worker):
            name = str(worker.name)
            if name.isdigit():
                os.environ["CUDA_VISIBLE_DEVICES"] = str(int(name) % gpus)

    return PinGPU()


@contextlib.contextmanager
def dask_client(workers: Optional[int] = None, scheduler: Optional[str] = None, environ: Optional[dict] = None):
    """A ``distributed.Client``: to ``scheduler`` (or DASK_SCHEDULER_ADDRESS), else to a new LocalCluster
    (``environ``: its workers' environment instead of :func:`worker_environ`, for benchmarks)."""
    distributed = require_distributed()
    from ..cpu_threads import cpu_count

    address = scheduler_address(scheduler)
    cluster = None
    if address:
        client = distributed.Client(address)
    else:
        gpus = gpu_count()
        n = int(workers or gpus or 1)
        share = max(1, cpu_count() // n)
        environ = worker_environ(share) if environ is None else environ
        import dask

        with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
            cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                               dashboard_address=":0", silence_logs=logging.ERROR)
        client = distributed.Client(cluster)
        if gpus:
            client.register_plugin(_pin_plugin(distributed, gpus))
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def dashboard(client) -> Optional[str]:
    """The dashboard's address, when the scheduler has one (it needs bokeh)."""
    try:
        services = client.scheduler_info().get("services", {})
    except Exception:  # an older or unreachable scheduler: no address to show
        return None
    return client.dashboard_link if "dashboard" in services else None
