"""CPU thread policy: how torch's threads wait, how many there are, and the foreign BLAS inside QGIS.

Measured on a 2-core machine (``tests/benchmarks/bench_under_load.py``; numbers in its results):

- torch's OpenMP threads spin while they wait for work. With one core taken by another program, the
  spinning thread and the one doing the work fight over the remaining core, and a mini-model UNet call
  takes 200x its quiet time. A passive wait policy (``OMP_WAIT_POLICY=PASSIVE``) removes almost all of it
  and costs little on a quiet machine. It must be in the environment before torch (libgomp) is first
  loaded, so :func:`prepare` runs at the entry points (CLI, API, plugin, training) before any torch import,
  and only where the user has not chosen a policy.
- Inside QGIS, GDAL has loaded the system OpenBLAS into the global symbol scope before torch, so torch's
  matrix products resolve ``sgemm_`` to that OpenBLAS, whose own thread pool then competes with torch's
  OpenMP threads. :func:`limit_foreign_blas` sets that OpenBLAS to one thread before the first product
  (found by looking its functions up in the global scope: only a BLAS there can take torch's calls).
- The best thread count depends on the work per call: a small model at 64 px is faster on one thread
  (the second thread costs more in synchronisation than it brings, and under load it is the one that
  waits), a released-size UNet is 1.5x faster on two. :func:`auto_threads` chooses from the model's
  size and the tile's latent pixels; the user's setting (``--threads``, the plugin's settings,
  ``OMP_NUM_THREADS``) always wins.
"""

from __future__ import annotations

import ctypes
import os
import sys
from typing import Optional

# Work per UNet call (parameters x latent pixels) above which all cores pay off; between the mini model at
# 64 px (2.4 M x 64 = 1.5e8, one thread 1.27x faster) and at 256 px (2.4e9, two threads 1.3x faster).
PARALLEL_WORK = 1.0e9
_USER_THREADS_ENV = "OMP_NUM_THREADS"
# Cores a process may use, set by whoever runs several of them side by side (the batch's local Dask workers):
# a cap on the automatic choice, unlike OMP_NUM_THREADS, which fixes the count as the user's choice.
CORES_ENV = "DIFFUSIONSAT_CORES"
_state = {"prepared": False, "blas_limited": None, "torch_was_loaded": False}


def prepare() -> bool:
    """Set a passive OpenMP wait policy for this process, unless the user set one or torch is loaded.

    Returns True when torch will start with the policy in the environment, False when torch was imported
    before the first call (libgomp has read its settings; its threads keep their policy).
    """
    if not _state["prepared"]:
        _state["prepared"] = True
        _state["torch_was_loaded"] = "torch" in sys.modules
        if not _state["torch_was_loaded"]:
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return not _state["torch_was_loaded"]


def cpu_count() -> int:
    """Cores this process may run on (the affinity mask, not the machine's total; at most ``CORES_ENV``)."""
    try:
        cores = max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        cores = max(1, os.cpu_count() or 1)
    cap = os.environ.get(CORES_ENV, "").strip()
    return min(cores, max(1, int(cap))) if cap.isdigit() else cores


def limit_foreign_blas(threads: int = 1) -> Optional[str]:
    """Limit an OpenBLAS in the process's global symbol scope to ``threads`` threads.

    Returns the name of the function called, or None when no such BLAS is there (the plain CLI: numpy's
    OpenBLAS is loaded privately and torch keeps its own ``sgemm_``). The user's ``OPENBLAS_NUM_THREADS``
    wins.
    """
    if os.environ.get("OPENBLAS_NUM_THREADS"):
        return None
    try:
        scope = ctypes.CDLL(None)
    except OSError:  # no dynamic loader scope to look in (not Linux/macOS)
        return None
    for name in ("openblas_set_num_threads", "openblas_set_num_threads64_"):
        fn = getattr(scope, name, None)
        if fn is not None:
            fn.argtypes = [ctypes.c_int]
            fn.restype = None
            fn(int(threads))
            _state["blas_limited"] = name
            return name
    return None


def reserve_cores(n: int) -> None:
    """Keep ``n`` cores out of the automatic choice (the QGIS plugin keeps one for the GUI thread)."""
    _state["reserved"] = max(0, int(n))


def auto_threads(parameters: int, latent_pixels: int, cores: Optional[int] = None) -> int:
    """Threads for a model call of this size: one for small work, else all cores but the reserved ones
    (all cores where fewer than two would be left: on a 2-core laptop both are worth 1.5x)."""
    cores = cpu_count() if cores is None else max(1, int(cores))
    if parameters * latent_pixels < PARALLEL_WORK:
        return 1
    left = cores - _state.get("reserved", 0)
    return left if left >= 2 else cores


def user_threads() -> Optional[int]:
    """The thread count the user set in the environment (``OMP_NUM_THREADS``), if any."""
    raw = os.environ.get(_USER_THREADS_ENV, "").split(",")[0].strip()
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value >= 1 else None


def apply(threads: Optional[int], parameters: int = 0, latent_pixels: int = 0) -> int:
    """Set torch's intra-op threads: ``threads`` if given (>= 1), else the user's environment, else
    :func:`auto_threads`. Also limits a foreign BLAS (see module doc). Returns the count in force."""
    import torch

    chosen = threads if threads else (user_threads() or auto_threads(parameters, latent_pixels))
    chosen = max(1, int(chosen))
    limit_foreign_blas(1)
    if not _state.get("interop_set"):  # inter-op parallelism is not used by the pipelines: one thread
        _state["interop_set"] = True
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:  # the inter-op pool has started already (set by the user or by torch itself)
            pass
    if torch.get_num_threads() != chosen:
        torch.set_num_threads(chosen)
    return chosen


def describe() -> dict:
    """What is in force, for diagnostics and benchmark records."""
    info = {"omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), "cores": cpu_count(),
            "foreign_blas_limited": _state["blas_limited"]}
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        info["torch_threads"] = torch.get_num_threads()
        info["torch_interop_threads"] = torch.get_num_interop_threads()
    return info
