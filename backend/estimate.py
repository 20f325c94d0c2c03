"""How long a job will take, said before it starts: model calls x one measured call at the job's size.

The count comes from the same tile plan the task will run (windows x steps for generation); the time of
one denoising step is measured once per process, model, size and thread count (a UNet call on the
chosen device, scaled by the task ControlNet's share of the parameters), plus one VAE decode per tile.
Inpainting runs only the tiles that hold masked pixels (its estimate counts every tile -- of the window
around a small mask on a large raster, :mod:`.tasks.inpaint_area` -- and says "at most"),
each up to three times (the fill and the self-check's probes); the 3-D ControlNet runs once per frame.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Dict, Tuple

CONTROLNETS = {"superres": "controlnet", "inpaint": "inpaint_controlnet", "predict": "controlnet3d"}
_MEASURED: Dict[Tuple, float] = {}


@dataclasses.dataclass
class Estimate:
    seconds: float
    tiles: int  # model tiles (generation: windows, each run at every step)
    steps: int
    step_seconds: float  # one denoising step of one tile (UNet + ControlNet, guidance batch and views included)
    decode_seconds: float  # one VAE decode of one tile
    threads: int
    at_most: bool = False  # inpainting: only tiles with masked pixels run

    def text(self) -> str:
        bound = "at most " if self.at_most else ""
        return (f"{bound}{duration_text(self.seconds)} ({self.tiles} tile{'s' if self.tiles != 1 else ''} x "
                f"{self.steps} steps, {self.step_seconds:.2g} s a step, {self.threads} thread"
                f"{'s' if self.threads != 1 else ''})")

    def to_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in dataclasses.asdict(self).items()}


def duration_text(seconds: float) -> str:
    if seconds < 90:
        return f"about {max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60)} min"
    return f"about {seconds / 3600:.1f} h"


def _parameters(module) -> int:
    return 0 if module is None else sum(p.numel() for p in module.parameters())


def task_parameters(pipe, task: str) -> Tuple[int, int]:
    """(UNet parameters, the task ControlNet's parameters)."""
    return _parameters(pipe.unet), _parameters(getattr(pipe, CONTROLNETS.get(task, ""), None))


def model_tile(model, job) -> Tuple[int, int, int]:
    """(tiles, latent pixels of one model call, output pixels of one decoded tile) of ``job``, from the
    tile plan its task will run."""
    from .tasks.common import tile_and_overlap
    from .tiling import plan_tiles

    pipe = model.pipeline
    f = pipe.vae_scale_factor
    tile, overlap = tile_and_overlap(job, model.tile_size)
    if job.task == "generate":
        from .geo.grids import generation_grid
        from .tasks.generate import MAX_GENERATE_PIXELS, latent_windows

        grid = generation_grid(job.bbox, job.crs, job.gsd, f, max_pixels=MAX_GENERATE_PIXELS)
        window = 2 * tile // f
        windows = latent_windows(grid.height // f, grid.width // f, window, window // 2)
        side = min(window, grid.height // f) * min(window, grid.width // f)
        return len(windows), side, side * f * f
    from .geo.read import open_raster, require_georeferenced

    first = job.frames[0][0] if job.task == "predict" else job.input
    with open_raster(first) as ds:
        grid = require_georeferenced(ds)
    if job.task == "superres":
        from .tasks.superres import plan_factor

        factor, _ = plan_factor(model, job.factor)
        tiles = plan_tiles(grid, max(8, tile // factor), max(1, overlap // factor), factor)
    else:
        if job.task == "inpaint":  # a small mask on a large raster runs on the window around it
            from .tasks.inpaint_area import area_window, work_area

            area = work_area(job, grid, tile, job.output)
            grid = grid if area is None else grid.window_grid(area_window(area))
        tiles = plan_tiles(grid, tile, overlap)
    h, w = int(tiles[0].out_window.height), int(tiles[0].out_window.width)
    return len(tiles), (-(-h // f)) * (-(-w // f)), h * w


def measure_step(model, task: str, latent_pixels: int, batch: int) -> Tuple[float, float]:
    """(seconds of one denoising step, seconds of one VAE decode) at this size, measured once per process."""
    import math

    import torch

    pipe = model.pipeline
    side = max(1, int(math.ceil(math.sqrt(latent_pixels))))  # a square call of the same area
    key = (id(pipe.unet), str(pipe.device), str(pipe.dtype), task, side, batch, torch.get_num_threads())
    if key in _MEASURED:
        return _MEASURED[key]
    cfg = pipe.unet.config
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch, int(cfg.in_channels), side, side, generator=g).to(pipe.device, pipe.dtype)
    ehs = torch.zeros(batch, pipe._max_tokens(), int(cfg.cross_attention_dim), device=pipe.device, dtype=pipe.dtype)
    md = torch.zeros(batch, int(getattr(cfg, "num_metadata", 7) or 7), device=pipe.device)
    t = torch.tensor(500, device=pipe.device)

    def sync():
        if pipe.device.type == "cuda":
            torch.cuda.synchronize()

    with torch.no_grad():
        times = []
        for _ in range(2):  # the first call pays one-off costs (kernel selection, allocation)
            sync()
            t0 = time.perf_counter()
            pipe.unet(x, t, encoder_hidden_states=ehs, metadata=md)
            sync()
            times.append(time.perf_counter() - t0)
        unet_s = times[-1]
        lat = x[:1].float()
        t0 = time.perf_counter()
        pipe.decode_latents(lat)
        sync()
        decode_s = time.perf_counter() - t0
    unet_p, control_p = task_parameters(pipe, task)
    step_s = unet_s * (1.0 + control_p / max(1, unet_p))  # a ControlNet costs about its share of the weights
    _MEASURED[key] = (step_s, decode_s)
    return _MEASURED[key]


def estimate(model, job) -> Estimate:
    """Estimate ``job`` on ``model`` (a loaded :class:`backend.api.DiffusionSat`); the job is validated."""
    import torch

    from . import cpu_threads
    from .tasks.common import check_enabled

    tiles, latent_px, _ = model_tile(model, job)
    unet_p, control_p = task_parameters(model.pipeline, job.task)
    threads = cpu_threads.apply(job.sampling.threads, unet_p + control_p, latent_px)
    guidance = job.sampling.guidance if job.sampling.guidance is not None else model.recommended_guidance(job.task)
    samples = int(job.sampling.num_samples)
    views = 1
    if job.task == "superres":
        from .tasks.superres import model_views

        views = model_views(model)  # the views of a tile are one call, a batch of views (tasks/superres.py)
    batch = (2 if float(guidance) > 1.0 else 1) * (1 if job.task == "generate" else samples) * views
    step_s, decode_s = measure_step(model, job.task, latent_px, batch)
    if job.task == "predict":  # the 3-D ControlNet runs once per frame of the stack
        step_s += (step_s - step_s / (1.0 + control_p / max(1, unet_p))) * (len(job.frames) - 1)
    steps = int(job.sampling.steps)
    runs = 1
    if job.task == "inpaint" and check_enabled(job):
        from .tasks.inpaint_check import MAX_PROBES

        runs += MAX_PROBES  # the self-check fills up to this many probes of each tile, each a model run
    if job.task == "predict" and check_enabled(job) and len(job.frames) >= 2:
        runs += 1  # the backtest predicts the most recent frame of each tile once (tasks/predict_check.py)
    per_tile = runs * (steps * step_s * (samples if job.task == "generate" else 1) + decode_s * samples * views)
    if job.task == "generate":  # windows run at every step; decoding is in larger tiles, about the same area
        seconds = tiles * steps * step_s * samples + tiles * decode_s * samples
    else:
        seconds = tiles * per_tile
    return Estimate(seconds, tiles, steps, step_s, decode_s, threads or torch.get_num_threads(),
                    at_most=job.task in ("inpaint", "predict"))
