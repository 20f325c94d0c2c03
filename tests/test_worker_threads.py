"""Local Dask workers cap the automatic thread choice instead of fixing it (issue 16: the Dask overhead)."""

from backend import cpu_threads
from backend.batch.cluster import worker_environ


def test_cores_cap_limits_the_automatic_choice_only(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(cpu_threads, "_state", dict(cpu_threads._state, reserved=0))
    monkeypatch.setenv(cpu_threads.CORES_ENV, "1")
    assert cpu_threads.cpu_count() == 1
    assert cpu_threads.auto_threads(10**9, 10**3) == 1  # large work: all the worker's cores, here 1
    monkeypatch.setenv(cpu_threads.CORES_ENV, "64")
    assert cpu_threads.cpu_count() == len(__import__("os").sched_getaffinity(0))  # a cap, never more cores
    assert cpu_threads.user_threads() is None  # small work still gets its one thread (no OMP_NUM_THREADS)


def test_local_workers_get_a_cap_not_a_fixed_count():
    env = worker_environ(2)
    assert env[cpu_threads.CORES_ENV] == 2 and "OMP_NUM_THREADS" not in env
    assert env["OMP_WAIT_POLICY"] == "PASSIVE"
