"""A pool of pre-drawn training samples, drawn in parallel processes: what keeps a GPU busy.

The datasets build each sample in Python (crop, zoom, cloud shape, metadata), about a millisecond each: on
a CPU that is nothing next to the model, on a GPU it is most of the step. ``train.pool_size`` > 0 draws
that many samples once, in ``train.pool_workers`` forked processes (each chunk from its own seeded
generator, so the pool is a pure function of the seed), stores images in float16, and then serves
batches by random index. The pool trades the endless variety of random crops for speed: keep it large
(tens of thousands of samples) so that a short GPU run sees each sample only a few times.
"""

from __future__ import annotations

import multiprocessing as mp
from typing import Dict

import numpy as np

_DATA = None  # the dataset the forked workers draw from


def _draw(args):
    seed, chunk, n = args
    return _DATA.batch(np.random.default_rng([int(seed), 7919, int(chunk)]), int(n))


class SamplePool:
    def __init__(self, data, size: int, workers: int = 4, seed: int = 0, chunk: int = 512):
        global _DATA
        jobs = [(seed, i, min(chunk, size - i * chunk)) for i in range((size + chunk - 1) // chunk)]
        _DATA = data
        try:
            if workers > 1:
                with mp.get_context("fork").Pool(int(workers)) as pool:
                    parts = pool.map(_draw, jobs, chunksize=1)
            else:
                parts = [_draw(j) for j in jobs]
        finally:
            _DATA = None
        self.arrays: Dict[str, np.ndarray] = {}
        self.lists: Dict[str, list] = {}
        for key, value in parts[0].items():
            if isinstance(value, np.ndarray):
                dtype = np.float16 if key in ("image", "control") else value.dtype
                self.arrays[key] = np.concatenate([p[key] for p in parts]).astype(dtype)
            else:
                self.lists[key] = [v for p in parts for v in p[key]]
        self.size = len(next(iter(self.arrays.values())))

    def batch(self, rng: np.random.Generator, n: int) -> Dict:
        idx = rng.integers(0, self.size, int(n))
        out = {k: a[idx].astype(np.float32) for k, a in self.arrays.items()}
        out.update({k: [v[i] for i in idx] for k, v in self.lists.items()})
        return out


__all__ = ["SamplePool"]
