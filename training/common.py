"""The shared training loop: config, accelerate, EMA, deterministic batches, checkpoint / resume, sample grids.

Determinism and resume
----------------------
The batch of step ``k`` is drawn from ``numpy.random.default_rng([seed, k, process_index])`` and the
diffusion noise / timesteps from a ``torch.Generator`` seeded with the same triple, so a step is a pure
function of (seed, step, process, weights, optimizer state). A checkpoint stores every trainable model's
weights, the EMA weights, the optimizer and LR-scheduler states, the step, and the global RNG states
(python, numpy, torch; restored too, though the loop does not draw from them). Resuming from a checkpoint
therefore gives the same parameters as an uninterrupted run (tested in ``tests/test_training.py``).

``data.fixed_batch: true`` (tests) repeats the batch and noise of step 0 at every step.

Checkpoints: ``<out>/checkpoints/step_<k>/`` (``<name>.safetensors``, ``ema.<name>.safetensors``,
``optimizer.pt``, ``lr_scheduler.pt``, ``rng.pt`` + ``rng.json``, ``state.json``); the newest ``keep_checkpoints`` are kept.
Final export: ``<out>/final/`` with diffusers/transformers folders (EMA weights when EMA is on).
Logs: ``<out>/log.jsonl`` (one JSON object per logged step), grids ``<out>/samples/step_<k>.png``.

Multi-GPU / mixed precision: everything goes through ``accelerate.Accelerator``; ``train.cpu`` false and
``train.mixed_precision`` 'fp16'/'bf16' (or ``accelerate launch``) need no code change.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import random
import shutil
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np
import torch

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
REPO_ROOT = Path(__file__).resolve().parents[1]

DEFAULT_TRAIN = {
    "seed": 0,
    "max_steps": 1000,
    "batch_size": 8,
    "grad_accum": 1,
    "lr": 1e-4,
    "lr_scheduler": "constant_with_warmup",
    "lr_warmup_steps": 0,
    "adam_betas": [0.9, 0.999],
    "adam_weight_decay": 1e-2,
    "adam_eps": 1e-8,
    "max_grad_norm": 1.0,
    "ema": True,
    "ema_decay": 0.999,
    "ema_warmup": True,
    "checkpoint_every": 500,
    "keep_checkpoints": 2,
    "sample_every": 500,
    "log_every": 10,
    "threads": 1,
    "cpu": True,
    "mixed_precision": "no",
    "save_dtype": "float32",
}


# ----------------------------------------------------------------------------- config
def load_config(path) -> dict:
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yaml", ".yml"):
        import yaml

        cfg = yaml.safe_load(text)
    else:
        cfg = json.loads(text)
    cfg["_config_path"] = str(path)
    return cfg


def resolve_path(value, base: Optional[Path] = None) -> Optional[Path]:
    """Config paths: absolute, or relative to the repository root; ``$VAR`` expanded; None stays None."""
    if value is None:
        return None
    p = Path(os.path.expandvars(str(value)))
    if not p.is_absolute():
        p = (base or REPO_ROOT) / p
    return p


def train_settings(cfg: dict) -> dict:
    out = dict(DEFAULT_TRAIN)
    out.update(cfg.get("train", {}))
    return out


def step_seed(seed: int, step: int, proc: int = 0) -> int:
    return int(np.random.SeedSequence([int(seed), int(step), int(proc)]).generate_state(1, dtype=np.uint32)[0])


# ----------------------------------------------------------------------------- EMA
class EMA:
    """Exponential moving average of trainable parameters (decay warm-up (1 + n) / (10 + n) optional)."""

    def __init__(self, modules: Dict[str, torch.nn.Module], decay: float = 0.999, warmup: bool = True):
        self.decay, self.warmup, self.updates = float(decay), bool(warmup), 0
        self.shadow = {name: {k: p.detach().clone().float() for k, p in m.named_parameters() if p.requires_grad}
                       for name, m in modules.items()}

    def current_decay(self) -> float:
        if not self.warmup:
            return self.decay
        return min(self.decay, (1.0 + self.updates) / (10.0 + self.updates))

    @torch.no_grad()
    def update(self, modules: Dict[str, torch.nn.Module]):
        d = self.current_decay()
        self.updates += 1
        for name, m in modules.items():
            sh = self.shadow[name]
            pairs = [(sh[k], p.detach().float()) for k, p in m.named_parameters() if k in sh]
            if not pairs:
                continue
            shadow, live = [a for a, _ in pairs], [b for _, b in pairs]
            if shadow[0].device != live[0].device:  # shadows follow the model to its device once
                for k in sh:
                    sh[k] = sh[k].to(live[0].device)
                shadow = [sh[k] for k, p in m.named_parameters() if k in sh]
            torch._foreach_mul_(shadow, d)  # one fused update per model instead of one per tensor
            torch._foreach_add_(shadow, live, alpha=1.0 - d)

    def copy_to(self, name: str, module: torch.nn.Module):
        with torch.no_grad():
            for k, p in module.named_parameters():
                if k in self.shadow[name]:
                    p.copy_(self.shadow[name][k].to(p.dtype))


# ----------------------------------------------------------------------------- task interface
class Task:
    """What a trainer provides to :func:`run`. Subclasses fill in the methods.

    ``build()`` -> (trainable: {name: module}, frozen: {name: module}); ``make_data(split)`` -> an object with
    ``batch(rng, n) -> dict``; ``loss(batch, generator)`` -> scalar tensor; ``samples(batch, generator)`` ->
    list of rows of (3, H, W) [0, 1] arrays for the grid; ``export(folder)`` writes the final folders.
    """

    name = "task"

    def __init__(self, cfg: dict):
        self.cfg = cfg
        self.trainable: Dict[str, torch.nn.Module] = {}
        self.frozen: Dict[str, torch.nn.Module] = {}
        self.accelerator = None

    def build(self):
        raise NotImplementedError

    def make_data(self, split: str = "train"):
        raise NotImplementedError

    def loss(self, batch: dict, generator: torch.Generator) -> torch.Tensor:
        raise NotImplementedError

    def samples(self, batch: dict, generator: torch.Generator) -> List[List[np.ndarray]]:
        return []

    def export(self, folder: Path):
        raise NotImplementedError

    # helpers
    def unwrap(self, name: str) -> torch.nn.Module:
        m = self.trainable.get(name) or self.frozen.get(name)
        return self.accelerator.unwrap_model(m) if self.accelerator is not None else m


# ----------------------------------------------------------------------------- checkpoints
def _save_checkpoint(folder: Path, task: Task, ema: Optional[EMA], optimizer, lr_scheduler, step: int, history):
    from safetensors.torch import save_file

    tmp = folder.with_name(folder.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    for name in task.trainable:
        sd = {k: v.detach().contiguous().cpu() for k, v in task.unwrap(name).state_dict().items()}
        save_file(sd, str(tmp / f"{name}.safetensors"))
        if ema is not None:
            save_file({k: v.contiguous().cpu() for k, v in ema.shadow[name].items()}, str(tmp / f"ema.{name}.safetensors"))
    torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
    torch.save(lr_scheduler.state_dict(), tmp / "lr_scheduler.pt")
    # RNG states as JSON + a plain tensor, so resuming never needs to unpickle anything but tensors
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    py_version, py_state, py_gauss = random.getstate()
    (tmp / "rng.json").write_text(json.dumps({
        "python": [py_version, list(py_state), py_gauss],
        "numpy": [kind, keys.tolist(), int(pos), int(has_gauss), float(cached)],
    }))
    torch.save({"torch": torch.get_rng_state()}, tmp / "rng.pt")
    state = {"step": step, "ema_updates": None if ema is None else ema.updates, "history_tail": history[-50:],
             "task": task.name}
    (tmp / "state.json").write_text(json.dumps(state, indent=1))
    if folder.exists():
        shutil.rmtree(folder)
    tmp.rename(folder)


def list_checkpoints(out_dir: Path) -> List[Path]:
    ck = Path(out_dir) / "checkpoints"
    if not ck.is_dir():
        return []
    return sorted((p for p in ck.iterdir() if p.is_dir() and p.name.startswith("step_") and not p.name.endswith(".tmp")),
                  key=lambda p: int(p.name.split("_")[1]))


def _load_checkpoint(folder: Path, task: Task, ema: Optional[EMA], optimizer, lr_scheduler) -> int:
    from safetensors.torch import load_file

    for name in task.trainable:
        task.unwrap(name).load_state_dict(load_file(str(folder / f"{name}.safetensors")), strict=True)
        if ema is not None:
            sh = load_file(str(folder / f"ema.{name}.safetensors"))
            if set(sh) != set(ema.shadow[name]):
                raise RuntimeError(f"EMA keys of {name} in {folder} do not match the model")
            ema.shadow[name] = {k: v.float() for k, v in sh.items()}
    optimizer.load_state_dict(torch.load(folder / "optimizer.pt", weights_only=True))
    lr_scheduler.load_state_dict(torch.load(folder / "lr_scheduler.pt", weights_only=True))
    if (folder / "rng.json").exists():
        rng = json.loads((folder / "rng.json").read_text())
        py_version, py_state, py_gauss = rng["python"]
        random.setstate((py_version, tuple(py_state), py_gauss))
        kind, keys, pos, has_gauss, cached = rng["numpy"]
        np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
        torch.set_rng_state(torch.load(folder / "rng.pt", weights_only=True)["torch"])
    else:  # an older checkpoint pickled these states together: never unpickled, the run goes on without them
        print(f"{folder.name}: no rng.json (older checkpoint); global RNG states not restored -- batches and "
              "diffusion noise are seeded per step, so only the global generators differ")
    state = json.loads((folder / "state.json").read_text())
    if ema is not None and state.get("ema_updates") is not None:
        ema.updates = int(state["ema_updates"])
    return int(state["step"])


# ----------------------------------------------------------------------------- sample grid
def write_grid(rows: List[List[np.ndarray]], path: Path, pad: int = 2):
    """Rows of (C, H, W) arrays in [0, 1] (C = 1 or 3, or more: first 3 used) -> one PNG."""
    from PIL import Image

    rows = [r for r in rows if r]
    if not rows:
        return
    h = max(im.shape[1] for r in rows for im in r)
    w = max(im.shape[2] for r in rows for im in r)
    ncol = max(len(r) for r in rows)
    canvas = np.ones((len(rows) * (h + pad) + pad, ncol * (w + pad) + pad, 3), dtype=np.float32)
    for i, r in enumerate(rows):
        for j, im in enumerate(r):
            im = np.asarray(im, dtype=np.float32)
            im = np.repeat(im[:1], 3, 0) if im.shape[0] < 3 else im[:3]
            if im.shape[1:] != (h, w):  # nearest up-sampling of smaller panels (controls)
                ys = (np.arange(h) * im.shape[1] // h)
                xs = (np.arange(w) * im.shape[2] // w)
                im = im[:, ys][:, :, xs]
            y, x = pad + i * (h + pad), pad + j * (w + pad)
            canvas[y:y + h, x:x + w] = np.clip(im.transpose(1, 2, 0), 0, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((canvas * 255 + 0.5).astype(np.uint8)).save(path)


# ----------------------------------------------------------------------------- the loop
def run(task: Task, out_dir=None, resume: bool = False, max_steps: Optional[int] = None,
        log: Callable[[str], None] = print) -> dict:
    """Train ``task`` per its config; returns {'losses', 'step', 'out_dir', 'task'}."""
    from accelerate import Accelerator, DistributedDataParallelKwargs
    from diffusers.optimization import get_scheduler

    cfg = task.cfg
    tr = train_settings(cfg)
    torch.set_num_threads(int(tr["threads"]))
    if not tr["cpu"] and torch.cuda.is_available():  # TF32 matmuls/convolutions: full speed, fp32 weights
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    out_dir = Path(out_dir) if out_dir is not None else resolve_path(cfg["output_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    total = int(max_steps if max_steps is not None else tr["max_steps"])
    seed = int(tr["seed"])

    # find_unused_parameters: the 3-D ControlNet keeps unused mixing parameters of its Identity slots
    ddp = DistributedDataParallelKwargs(find_unused_parameters=bool(tr.get("ddp_find_unused_parameters", True)))
    accelerator = Accelerator(cpu=bool(tr["cpu"]), mixed_precision=tr["mixed_precision"],
                              gradient_accumulation_steps=int(tr["grad_accum"]), kwargs_handlers=[ddp])
    task.accelerator = None
    task.out_dir = out_dir
    torch.manual_seed(seed)  # model init
    task.build()
    for m in task.frozen.values():
        m.requires_grad_(False)
        m.eval()
    params = [p for m in task.trainable.values() for p in m.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=float(tr["lr"]), betas=tuple(tr["adam_betas"]),
                                  weight_decay=float(tr["adam_weight_decay"]), eps=float(tr["adam_eps"]))
    lr_scheduler = get_scheduler(tr["lr_scheduler"], optimizer=optimizer, num_warmup_steps=int(tr["lr_warmup_steps"]),
                                 num_training_steps=total)
    ema = EMA(task.trainable, float(tr["ema_decay"]), bool(tr["ema_warmup"])) if tr["ema"] else None

    names = list(task.trainable)
    prepared = accelerator.prepare(*[task.trainable[n] for n in names], optimizer, lr_scheduler)
    for n, m in zip(names, prepared[: len(names)]):
        task.trainable[n] = m
    optimizer, lr_scheduler = prepared[len(names)], prepared[len(names) + 1]
    for n in task.frozen:
        task.frozen[n] = task.frozen[n].to(accelerator.device)
    task.accelerator = accelerator

    start = 0
    if resume:
        cks = list_checkpoints(out_dir)
        if cks:
            start = _load_checkpoint(cks[-1], task, ema, optimizer, lr_scheduler)
            log(f"resumed from {cks[-1]} at step {start}")
        else:
            log(f"no checkpoint in {out_dir / 'checkpoints'}; starting from scratch")

    data = task.make_data("train")
    if tr.get("latent_pool") and int(tr.get("pool_size", 0)) <= 0:
        raise ValueError("train.latent_pool encodes the sample pool once: it needs train.pool_size > 0")
    if int(tr.get("pool_size", 0)) > 0:  # GPU runs: samples drawn up front in parallel (training.pool)
        from .pool import SamplePool

        tp = time.time()
        data = SamplePool(data, int(tr["pool_size"]), int(tr.get("pool_workers", 4)), seed)
        if tr.get("latent_pool") and hasattr(task, "encode_pool"):  # the frozen VAE's work done once
            task.encode_pool(data, log=log)
        if tr.get("pool_on_device", True):  # batches gathered where the model runs (on a GPU: no copies)
            data.to(accelerator.device)
        log(f"sample pool: {data.size} samples in {time.time() - tp:.1f} s")
    max_seconds = float(tr.get("max_seconds") or 0)  # a time budget (a lent GPU's minutes) ends the run early
    fixed = bool(cfg.get("data", {}).get("fixed_batch", False))
    proc = accelerator.process_index
    history: List[float] = []
    pending: List[torch.Tensor] = []  # losses still on the device: reading each one back would stall every step
    log_path = out_dir / "log.jsonl"
    t0 = time.time()
    for m in task.trainable.values():
        m.train()
    step = start
    while step < total:
        if max_seconds and time.time() - t0 > max_seconds:
            log(f"time budget of {max_seconds:.0f} s reached at step {step}")
            total = step
            break
        key = 0 if fixed else step
        rng = np.random.default_rng([seed, key, proc])
        gen = torch.Generator().manual_seed(step_seed(seed, key, proc))
        batch = data.batch(rng, int(tr["batch_size"]))
        with accelerator.accumulate(*task.trainable.values()):
            loss = task.loss(batch, gen)
            accelerator.backward(loss)
            if accelerator.sync_gradients and tr["max_grad_norm"]:
                accelerator.clip_grad_norm_(params, float(tr["max_grad_norm"]))
            optimizer.step()
            lr_scheduler.step()
            optimizer.zero_grad(set_to_none=True)
        if accelerator.sync_gradients and ema is not None:
            ema.update({n: accelerator.unwrap_model(m) for n, m in task.trainable.items()})
        step += 1
        pending.append(loss.detach().reshape(1))
        due = step % int(tr["log_every"]) == 0 or step == total or (
            int(tr["sample_every"]) and step % int(tr["sample_every"]) == 0) or (
            int(tr["checkpoint_every"]) and step % int(tr["checkpoint_every"]) == 0)
        if due or len(pending) >= FLUSH_EVERY:
            _flush_losses(accelerator, pending, history, step)
        value = history[-1] if history else float("nan")
        if accelerator.is_main_process:
            if step % int(tr["log_every"]) == 0 or step == total:
                rec = {"step": step, "loss": value, "lr": lr_scheduler.get_last_lr()[0],
                       "elapsed_s": round(time.time() - t0, 2)}
                with open(log_path, "a") as fh:
                    fh.write(json.dumps(rec) + "\n")
                log(json.dumps(rec))
            if int(tr["sample_every"]) and (step % int(tr["sample_every"]) == 0 or step == total):
                _write_samples(task, ema, out_dir / "samples" / f"step_{step:07d}.png", seed)
            if int(tr["checkpoint_every"]) and (step % int(tr["checkpoint_every"]) == 0 or step == total):
                _save_checkpoint(out_dir / "checkpoints" / f"step_{step:07d}", task, ema, optimizer, lr_scheduler,
                                 step, history)
                for old in list_checkpoints(out_dir)[: -int(tr["keep_checkpoints"])]:
                    shutil.rmtree(old, ignore_errors=True)
    _flush_losses(accelerator, pending, history, step)
    accelerator.wait_for_everyone()
    if accelerator.is_main_process and step >= total and cfg.get("export", True):
        export_final(task, ema, out_dir / "final")
    return {"losses": history, "step": step, "out_dir": out_dir, "task": task, "ema": ema,
            "optimizer": optimizer, "lr_scheduler": lr_scheduler}


FLUSH_EVERY = 50  # steps between reading the losses back (a non-finite loss stops the run at the latest then)


def _flush_losses(accelerator, pending: List[torch.Tensor], history: List[float], step: int):
    """Move the losses of the last steps from the device into ``history`` in one transfer; a non-finite one
    stops the run, naming its step."""
    if not pending:
        return
    values = accelerator.gather(torch.cat(pending)).reshape(-1, len(pending)).mean(0).tolist()
    first = step - len(pending) + 1
    pending.clear()
    for i, value in enumerate(values):
        if not math.isfinite(value):
            raise FloatingPointError(f"loss is {value} at step {first + i}")
    history.extend(values)


def _ema_models(task: Task, ema: Optional[EMA]) -> Dict[str, torch.nn.Module]:
    out = {}
    for name in task.trainable:
        m = copy.deepcopy(task.unwrap(name))
        if ema is not None:
            ema.copy_to(name, m)
        m.eval()
        out[name] = m
    return out


def _write_samples(task: Task, ema: Optional[EMA], path: Path, seed: int):
    live = dict(task.trainable)
    try:
        task.trainable = _ema_models(task, ema)
        data = task.make_data("eval") if task.cfg.get("data", {}).get("sample_split", "eval") == "eval" else None
    except ValueError:
        data = None
    try:
        data = data or task.make_data("train")
        batch = data.batch(np.random.default_rng([seed, 10 ** 9]), int(task.cfg.get("sample", {}).get("n", 4)))
        with torch.no_grad():
            rows = task.samples(batch, torch.Generator().manual_seed(seed))
        write_grid(rows, path)
    finally:
        task.trainable = live


def export_final(task: Task, ema: Optional[EMA], folder: Path):
    live = dict(task.trainable)
    task.trainable = _ema_models(task, ema)
    try:
        task.export(Path(folder))
    finally:
        task.trainable = live


def main(task_cls, argv=None):
    parser = argparse.ArgumentParser(description=task_cls.__doc__.splitlines()[0] if task_cls.__doc__ else None)
    parser.add_argument("--config", required=True, help="JSON or YAML config (see training/configs/)")
    parser.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in output_dir")
    parser.add_argument("--output-dir", default=None, help="override the config's output_dir")
    parser.add_argument("--max-steps", type=int, default=None, help="override train.max_steps")
    args = parser.parse_args(argv)
    cfg = load_config(args.config)
    result = run(task_cls(cfg), out_dir=args.output_dir, resume=args.resume, max_steps=args.max_steps)
    print(json.dumps({"step": result["step"], "last_loss": result["losses"][-1] if result["losses"] else None,
                      "out_dir": str(result["out_dir"])}))
    return 0


__all__ = ["Task", "EMA", "run", "main", "load_config", "resolve_path", "train_settings", "write_grid",
           "list_checkpoints", "export_final", "step_seed"]
