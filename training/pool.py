"""A pool of pre-drawn training samples, drawn in parallel processes: what keeps a GPU busy.

The datasets build each sample in Python (crop, zoom, cloud shape, metadata), about a millisecond each: on
a CPU that is nothing next to the model, on a GPU it is most of the step. ``train.pool_size`` > 0 draws
that many samples once, in ``train.pool_workers`` forked processes (each chunk from its own seeded
generator, so the pool is a pure function of the seed), stores images in float16, and then serves
batches by random index -- from the GPU's memory once the trainer has moved it there
(:meth:`SamplePool.to`). The pool trades the endless variety of random crops for speed: keep it large
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

        self.tensors = None  # the arrays as torch tensors on a device, once :meth:`to` is called

    def to(self, device) -> "SamplePool":
        """Keep the arrays on ``device`` (a GPU: a batch is then gathered there, with no per-step copy of the
        images from this machine's memory); batches become float32 torch tensors on it."""
        import torch

        self.tensors = {k: torch.as_tensor(a).to(device) for k, a in self.arrays.items()}
        return self

    def batch(self, rng: np.random.Generator, n: int) -> Dict:
        idx = rng.integers(0, self.size, int(n))  # the same draw either way: a pure function of the step
        if self.tensors is None:
            out = {k: a[idx].astype(np.float32) for k, a in self.arrays.items()}
        else:
            import torch

            from .diffusion import to_device

            at = to_device(torch.as_tensor(idx), next(iter(self.tensors.values())).device)
            out = {k: t.index_select(0, at).float() for k, t in self.tensors.items()}
        out.update({k: [v[i] for i in idx] for k, v in self.lists.items()})
        return out


__all__ = ["SamplePool"]
