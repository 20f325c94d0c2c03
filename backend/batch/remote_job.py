"""One job (what the dock and Processing run) on a Dask cluster: the QGIS setting "Run on a Dask cluster".

The caller may know the backend under another package name than the workers: the QGIS plugin imports it as
``diffusionsat.backend``, a worker that installed the backend package as ``backend``. So the job travels as
a pickle whose class names are moved from the caller's package to the worker's on arrival (and the result
back), and the task reaches the worker as "import ``backend.batch.remote_job`` there", never as a
reference to the caller's module. Failures come back as one-line messages (the backend's exception
classes would not unpickle in the caller), progress through a named ``distributed.Variable`` (at most
twice a second), cancel through the batch's named ``distributed.Event``.

Workers need the backend, the model folder and the input and output folders at the same paths.
"""

from __future__ import annotations

import importlib
import io
import operator
import pickle  # nosec B403 -- jobs and results between this process and its own Dask cluster, as Dask does
import time
import uuid
from typing import Callable, Optional

WORKER_PACKAGE = "backend"  # the backend's name where the workers installed it (pyproject: package "backend")
_HERE = __name__.rsplit(".batch.", 1)[0]  # this process's name for it: "backend" or "diffusionsat.backend"
PUBLISH_EVERY = 0.5  # seconds between progress updates sent by a worker


class RemoteJobError(RuntimeError):
    """The job failed on the cluster; the message is the worker's one-line error."""


class _Renaming(pickle.Unpickler):  # nosec B301 -- see the module's pickle import
    def __init__(self, data: bytes, old: str, new: str):
        super().__init__(io.BytesIO(data))
        self.old, self.new = old, new

    def find_class(self, module, name):
        if module == self.old or module.startswith(self.old + "."):
            module = self.new + module[len(self.old):]
        return super().find_class(module, name)


def loads_renamed(data: bytes, old: str, new: str):
    """Unpickle ``data`` with classes of package ``old`` taken from package ``new``."""
    return _Renaming(data, old, new).load()


class _ModuleOnWorker:
    """Pickles as ``importlib.import_module(name)``: the worker imports its own copy."""

    def __init__(self, name: str):
        self.name = name

    def __reduce__(self):
        return importlib.import_module, (self.name,)


def run_pickled(payload: dict) -> tuple:
    """On the worker: ("done", pickled JobResult) | ("failed", message) | ("cancelled", "")."""
    from ..api import run_job
    from ..cancel import Cancelled
    from .runner import ClusterCancel
    from .work import one_line

    job = loads_renamed(payload["job"], payload["package"], _HERE)
    progress = _Publisher(payload["progress"])
    try:
        result = run_job(job, model=payload["model"], progress=progress, cancel=ClusterCancel(payload["cancel"]),
                         quicklook=payload["quicklook"])
    except Cancelled:
        return "cancelled", ""
    except Exception as exc:  # sent back as text: the caller may not have this exception's class
        return "failed", one_line(exc)
    return "done", pickle.dumps(result)


class _Publisher:
    def __init__(self, name: str):
        self.name, self.sent = name, 0.0

    def __call__(self, fraction: float, text: str = "") -> None:
        now = time.monotonic()
        if now - self.sent >= PUBLISH_EVERY or fraction >= 1.0:
            from distributed import Variable

            self.sent = now
            Variable(self.name).set((float(fraction), str(text)))


def run_job_on_cluster(job, address: str, model="diffusionsat-mini", progress: Optional[Callable] = None,
                       cancel=None, quicklook: bool = True, worker_package: str = WORKER_PACKAGE):
    """Run ``job`` as one task on the Dask scheduler at ``address``; returns the JobResult as
    :func:`backend.api.run_job` does. Raises Cancelled, RemoteJobError, or DaskMissingError."""
    from ..cancel import Cancelled, is_cancelled
    from .cluster import dask_client

    with dask_client(scheduler=address) as client:
        import distributed

        tag = uuid.uuid4().hex
        payload = {"job": pickle.dumps(job), "package": _HERE, "model": str(model), "quicklook": bool(quicklook),
                   "progress": f"diffusionsat-progress-{tag}", "cancel": f"diffusionsat-cancel-{tag}"}
        module = _ModuleOnWorker(f"{worker_package}.batch.remote_job")
        future = client.submit(operator.methodcaller("run_pickled", payload), module, key=f"job-{tag}", pure=False)
        shown = None
        variable = distributed.Variable(payload["progress"], client=client)
        while not future.done():
            if is_cancelled(cancel):
                distributed.Event(payload["cancel"], client=client).set()  # stops at the next tile or step
                distributed.wait(future, timeout=60)
                raise Cancelled("cancelled")
            time.sleep(0.25)
            state = _latest(variable, distributed) if progress is not None else None
            if state is not None and state != shown:
                shown = state
                progress(*state)
        try:
            status, value = future.result()
        except Exception as exc:  # the worker died, or lacks the backend: no result to unpickle
            from .work import one_line

            raise RemoteJobError(f"the job failed on the Dask cluster at {address}: {one_line(exc)}") from None
        finally:
            variable.delete()
    if status == "cancelled":
        raise Cancelled("cancelled on the cluster")
    if status == "failed":
        raise RemoteJobError(value)
    return loads_renamed(value, worker_package, _HERE)


def _latest(variable, distributed, wait: float = 0.05):
    """The last progress a worker published, or None (none yet)."""
    try:
        return variable.get(timeout=wait)
    except (distributed.TimeoutError, TimeoutError):
        return None
