"""Shared helpers of the benchmark scripts in this folder (not collected by pytest).

* where things are: :data:`ROOT`, :data:`RESULTS` (``tests/benchmarks/results``), :func:`default_model`
  (the bundled ``resources/models/diffusionsat-mini`` once it holds weights, else the random-weight parity
  model ``tests/data/parity``: same code paths, meaningless image quality);
* :func:`parser`: the arguments every script takes (``--model``, ``--threads``, ``--repeats``, ``--out``);
* timing: :func:`time_call` (warm-up calls, then the median of N) and :func:`time_side_by_side` (several
  variants called in turn, order alternating, so machine noise hits all of them alike);
* memory: :func:`run_child` runs Python code in a fresh interpreter that prints one JSON line;
  :func:`peak_rss_mib` (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) is what such a child reports. The
  parent stays lean on purpose: Linux carries a parent's peak RSS into a forked and exec'd child, so this
  module imports neither torch nor numpy at import time;
* output: :func:`table` (markdown), :func:`write_results` (prints the markdown, writes ``<out>.json`` and
  the same markdown as ``<out>.md``), :func:`tee_markdown` (for scripts that print their own report).

Every result carries :func:`machine_info` (CPU, cores, torch version, threads, load average, and whether a
training run shared the CPU, in which case absolute times are not representative).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import io
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "tests" / "benchmarks" / "results"
BUNDLED = ROOT / "resources" / "models" / "diffusionsat-mini"
PARITY = ROOT / "tests" / "data" / "parity"
SAMPLES = ROOT / "resources" / "samples"
OFFICIAL_UNET_CONFIG = PARITY / "official" / "satunet_sd21.config.json"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# ------------------------------------------------------------------------------------------ models
def has_weights(folder: Path) -> bool:
    return any(folder.glob("*.safetensors")) or any(folder.glob("*.bin"))


def bundled_model_ready() -> bool:
    """The bundled model counts once its ``unet/`` folder holds weights (it is assembled after training)."""
    return (BUNDLED / "unet").is_dir() and has_weights(BUNDLED / "unet")


def default_model() -> str:
    return str(BUNDLED if bundled_model_ready() else PARITY)


def model_label(path) -> str:
    p = Path(path).resolve()
    if p == BUNDLED.resolve():
        return "diffusionsat-mini (bundled)"
    if p == PARITY.resolve():
        return "parity (random weights)"
    return p.name


# ------------------------------------------------------------------------------------------ arguments
def parser(name: str, doc: str, threads: int = 2, repeats: int = 5) -> argparse.ArgumentParser:
    """Arguments shared by the scripts; ``--out`` defaults to ``results/<name>.json`` (+ ``.md`` beside it)."""
    ap = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0] if doc else name,
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=doc)
    ap.add_argument("--model", default=default_model(),
                    help="model folder (default: the bundled diffusionsat-mini when assembled, else tests/data/parity)")
    ap.add_argument("--threads", type=int, default=threads, help=f"torch CPU threads (default {threads})")
    ap.add_argument("--repeats", type=int, default=repeats, help=f"timed repeats, the median is reported (default {repeats})")
    ap.add_argument("--out", type=Path, default=RESULTS / f"{name}.json",
                    help=f"JSON to write; the markdown goes beside it as .md (default results/{name}.json)")
    return ap


# ------------------------------------------------------------------------------------------ machine
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def training_running() -> List[str]:
    """Command lines of training processes on this machine (they make absolute times meaningless)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if "training.train_" in cmd or "train_unet" in cmd or "train_controlnet" in cmd or "train_vae" in cmd:
            found.append(cmd[:160])
    return found


def busy_processes(seconds: float = 1.0, threshold: float = 0.2) -> List[str]:
    """Other processes that used more than ``threshold`` of a core over ``seconds`` (CPU contention)."""

    def ticks() -> Dict[int, tuple]:
        out = {}
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                stat = (proc / "stat").read_text()
                fields = stat[stat.rindex(")") + 2:].split()
                out[int(proc.name)] = (int(fields[11]) + int(fields[12]), stat[stat.index("(") + 1:stat.rindex(")")])
            except (OSError, ValueError, IndexError):
                continue
        return out

    hz = os.sysconf("SC_CLK_TCK")
    before = ticks()
    time.sleep(seconds)
    after = ticks()
    me = os.getpid()
    busy = []
    for pid, (t1, name) in after.items():
        if pid == me or pid not in before:
            continue
        share = (t1 - before[pid][0]) / hz / seconds
        if share > threshold:
            try:
                cmd = (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                cmd = name
            busy.append(f"{cmd.strip()[:120] or name} ({share:.0%} of a core)")
    return busy


def git_commit() -> Optional[str]:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             timeout=10)
        return out.stdout.strip() or None
    except Exception:
        return None


def machine_info(threads: Optional[int] = None) -> dict:
    info = {
        "date_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "commit": git_commit(),
    }
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        info["torch"] = torch.__version__
        info["threads"] = torch.get_num_threads() if threads is None else threads
    elif threads is not None:
        info["threads"] = threads
    training = training_running()
    info["training_running"] = bool(training)
    info["other_busy_processes"] = busy_processes()
    if training:
        info["warning"] = "a training run shared the CPU: absolute times and speed-ups are not representative"
    elif info["other_busy_processes"]:
        info["warning"] = ("other processes used the CPU when the run ended (" + "; ".join(info["other_busy_processes"])
                           + "): absolute times may be inflated")
    return info


def machine_line(info: dict) -> str:
    text = (f"{info['cpu']}, {info['cores']} cores, {info.get('threads', '?')} torch thread(s), "
            f"torch {info.get('torch', '?')}, load {info['load_average_1m']}, {info['date_utc']} UTC"
            f"{', commit ' + info['commit'] if info.get('commit') else ''}")
    if info.get("warning"):
        text += f"\n\n**Warning: {info['warning']}.**"
    return text


# ------------------------------------------------------------------------------------------ timing
class Timing(dict):
    """``median``, ``min``, ``max`` and ``all`` (seconds) of repeated calls."""

    @property
    def median(self) -> float:
        return self["median"]

    @classmethod
    def of(cls, times: Sequence[float]) -> "Timing":
        return cls(median=statistics.median(times), min=min(times), max=max(times), n=len(times), all=list(times))


def time_call(fn: Callable[[], object], repeats: int = 5, warmup: int = 1, sync: Callable = None) -> Timing:
    """``warmup`` untimed calls, then ``repeats`` timed ones."""
    for _ in range(max(0, warmup)):
        fn()
    times = []
    for _ in range(max(1, repeats)):
        if sync:
            sync()
        t0 = time.perf_counter()
        fn()
        if sync:
            sync()
        times.append(time.perf_counter() - t0)
    return Timing.of(times)


def time_side_by_side(fns: Dict[str, Callable[[], object]], repeats: int = 5, warmup: int = 1) -> Dict[str, Timing]:
    """Time several variants in one run: each round calls every variant once, in an order that rotates
    from round to round, so slow drifts of the machine are shared out evenly. Returns name -> Timing."""
    names = list(fns)
    for _ in range(max(0, warmup)):
        for name in names:
            fns[name]()
    times: Dict[str, List[float]] = {n: [] for n in names}
    for r in range(max(1, repeats)):
        k = r % len(names)
        order = names[k:] + names[:k]
        if r % 2:
            order = order[::-1]
        for name in order:
            t0 = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - t0)
    return {n: Timing.of(times[n]) for n in names}


# ------------------------------------------------------------------------------------------ memory
def peak_rss_mib() -> float:
    """This process's peak resident set size so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child_header() -> str:
    """Lines a child script starts with: repository and this folder on ``sys.path``."""
    return (f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nsys.path.insert(0, {str(Path(__file__).parent)!r})\n")


def run_child(code: str, env: Optional[dict] = None, timeout: Optional[float] = None) -> dict:
    """Run ``code`` in a fresh interpreter (same Python); its last stdout line must be a JSON object.

    Raises RuntimeError with the child's stderr tail when it fails."""
    proc = subprocess.run([sys.executable, "-c", child_header() + code], capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})), timeout=timeout, cwd=ROOT)
    lines = [ln for ln in proc.stdout.strip().splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"child failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return json.loads(lines[-1])


# ------------------------------------------------------------------------------------------ output
def fmt(value, digits: int = 3) -> str:
    """Numbers for tables: ``None`` -> '-', infinities spelled out, otherwise ``digits`` significant places."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0:
        return "0"
    mag = abs(value)
    if mag >= 10 ** digits:
        return f"{value:.0f}"
    if mag < 1e-3:
        return f"{value:.{max(1, digits - 1)}e}"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(mag))))
    return f"{value:.{decimals}f}"


def table(headers: Sequence[str], rows: Iterable[Sequence]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        lines.append("| " + " | ".join(fmt(v) for v in row) + " |")
    return "\n".join(lines)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)  # JSON has no inf / nan
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item") and callable(obj.item):  # numpy / torch scalars
        return _jsonable(obj.item())
    return obj


def write_results(out: Path, result: dict, markdown: str) -> None:
    """Print ``markdown``; write ``result`` as JSON to ``out`` and the markdown to ``out`` with suffix .md."""
    print(markdown)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(_jsonable(result), indent=2) + "\n")
    out.with_suffix(".md").write_text(markdown.rstrip() + "\n")
    print(f"\nwrote {out} and {out.with_suffix('.md')}")


class _Tee(io.TextIOBase):
    def __init__(self, *streams):
        self.streams = streams

    def write(self, text):
        for s in self.streams:
            s.write(text)
        return len(text)

    def flush(self):
        for s in self.streams:
            s.flush()


@contextlib.contextmanager
def tee_markdown(path: Path, code: bool = False):
    """Everything printed inside the block goes to stdout and into ``path`` as well (``code``: the file
    gets it inside a fenced code block, for plain-text tables)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    with contextlib.redirect_stdout(_Tee(sys.stdout, buf)):
        yield
    text = buf.getvalue()
    path.write_text(f"```text\n{text.rstrip()}\n```\n" if code else text)


# ------------------------------------------------------------------------------------------ torch helpers
def set_threads(n: int) -> None:
    import torch

    torch.set_num_threads(max(1, int(n)))


def load_unet(model: str, dtype=None):
    """The SatUNet of a model folder, in eval mode (strict loader)."""
    from backend.checkpoints.loader import find_unet_folder, load_model

    folder = find_unet_folder(model) or Path(model) / "unet"
    return load_model(folder, dtype=dtype).eval()


def official_unet(seed: int = 0):
    """The released SD 2.1-size SatUNet (880 M parameters) with random weights: for timing only."""
    import torch

    from backend.models import SatUNet

    config = json.loads(OFFICIAL_UNET_CONFIG.read_text())
    config = {k: v for k, v in config.items() if not k.startswith("_")}
    torch.manual_seed(seed)
    return SatUNet(**config).eval()


def official_components(seed: int = 0, controlnet: bool = True):
    """A whole pipeline at the released size with random weights (timing only): SatUNet (SD 2.1, 865 M),
    the SD 2.1 VAE and OpenCLIP ViT-H text-encoder architectures, the released SR ControlNet config; the
    bundled model's tokenizer and (SD 2.1) scheduler config."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    from backend.checkpoints.loader import ModelComponents
    from backend.models import SatControlNetModel

    bundled = ROOT / "resources" / "models" / "diffusionsat-mini"
    torch.manual_seed(seed)
    unet = official_unet(seed)
    vae = AutoencoderKL(in_channels=3, out_channels=3, latent_channels=4, layers_per_block=2, sample_size=768,
                        down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4,
                        block_out_channels=[128, 256, 512, 512], scaling_factor=0.18215).eval()
    text = CLIPTextModel(CLIPTextConfig(vocab_size=49408, hidden_size=1024, intermediate_size=4096,
                                        num_hidden_layers=23, num_attention_heads=16, max_position_embeddings=77,
                                        hidden_act="gelu", projection_dim=512)).eval()
    cn = None
    if controlnet:
        cfg = json.loads((PARITY / "official" / "controlnet_sr2d.config.json").read_text())
        cn = SatControlNetModel.from_config({k: v for k, v in cfg.items() if not k.startswith("_")}).eval()
    return ModelComponents(vae=vae, text_encoder=text, tokenizer=CLIPTokenizer.from_pretrained(str(bundled / "tokenizer")),
                           scheduler=DDIMScheduler.from_pretrained(str(bundled / "scheduler")), unet=unet, controlnet=cn)


def unet_inputs(unet, pixels: int, batch: int = 2, vae_factor: int = 8, seed: int = 1):
    """Inputs of one denoising step: ``batch`` 2 = the classifier-free-guidance batch (uncond + cond)."""
    import torch

    cfg = unet.config
    latent = pixels // vae_factor
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, int(cfg.in_channels), latent, latent, generator=g)
    ehs = torch.randn(batch, 77, int(cfg.cross_attention_dim), generator=g)
    md = torch.rand(batch, int(getattr(cfg, "num_metadata", 7) or 7), generator=g)
    t = torch.tensor(500)
    return x, t, ehs, md


def count_params(module) -> int:
    return sum(p.numel() for p in module.parameters())
