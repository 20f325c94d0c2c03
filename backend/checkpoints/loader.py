"""Building DiffusionSat components explicitly from official (or our converted) folders.

Layout understood (``root`` = what the user points at):

* ``root/model_index.json`` -- optional, informational only: the released pipelines record custom
  classes as ``[null, "SatUNet"]`` which no generic loader can resolve, so every component is built
  here from its own ``config.json``;
* ``root/unet/`` or, when that is absent, the highest-numbered ``root/checkpoint-<step>/unet/``
  (training output); ``root/vae/``, ``root/text_encoder/``, ``root/tokenizer/``, ``root/scheduler/``;
* the inpainting ControlNet: ``root/controlnet_inpaint/`` (what our training and ``save_pretrained``
  write; a 2-D ControlNet in ``controlnet/`` whose config marks it as inpainting is used the same way);
* ControlNets: ``root/controlnet/``, ``root/controlnet3d/`` and the highest
  ``root/checkpoint-<step>/controlnet/``; 2-D vs 3-D is decided by the config (``_class_name``
  ``ControlNetModel3D`` / ``SatControlNetModel3D`` or a ``use_temporal_transformer`` key), never by the
  folder name. Other places (e.g. a ControlNet trained into a separate folder) are passed explicitly
  with ``controlnet_path=``.

Loading is strict: a missing, unexpected or wrongly shaped tensor is an error naming the keys. Models
are built with empty (meta) parameters and the checkpoint tensors are assigned, so no random weights
are ever materialised. Unknown config keys starting with ``_`` (``_name_or_path``,
``_diffusers_version`` ...) are ignored; other unknown keys of the DiffusionSat models are errors.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import json
import logging
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

import torch

from .. import model_layout as layout
from .safe_io import (
    DIFFUSERS_WEIGHTS,
    TRANSFORMERS_WEIGHTS,
    CheckpointError,
    file_size,
    find_weights,
    read_shapes,
    read_state_dict,
)

log = logging.getLogger(__name__)

PathLike = Union[str, os.PathLike]

_LEGACY_ATTENTION = {"query": "to_q", "key": "to_k", "value": "to_v", "proj_attn": "to_out.0"}
_CHECKPOINT_DIR = re.compile(r"^checkpoint-(\d+)$")


# --------------------------------------------------------------------------- helpers
def _read_json(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{path} is missing") from None
    except ValueError as exc:
        raise CheckpointError(f"{path} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{path} does not hold a JSON object")
    return data


@contextlib.contextmanager
def _empty_weights():
    """Parameters created inside are on the meta device (buffers stay real)."""
    try:
        from accelerate import init_empty_weights
    except ImportError:  # pragma: no cover - accelerate is a pinned requirement
        yield
        return
    with init_empty_weights(include_buffers=False):
        yield


def _fmt_keys(keys, limit=12) -> str:
    keys = list(keys)
    shown = ", ".join(keys[:limit])
    return shown + (f", ... ({len(keys)} in all)" if len(keys) > limit else "")


def convert_legacy_attention_keys(state_dict: Dict[str, torch.Tensor], expected: Dict[str, Tuple[int, ...]]):
    """Old (diffusers <= 0.17) VAE attention names -> current ones: ``query/key/value/proj_attn`` ->
    ``to_q/to_k/to_v/to_out.0``; 1x1-conv weights ``(o, i, 1, 1)`` become linear ``(o, i)`` where the
    model expects a matrix. Only renames onto keys the model has."""
    out = {}
    for key, tensor in state_dict.items():
        new = key
        if key not in expected:
            parts = key.split(".")
            if len(parts) >= 3 and parts[-2] in _LEGACY_ATTENTION:
                cand = ".".join(parts[:-2] + [_LEGACY_ATTENTION[parts[-2]], parts[-1]])
                if cand in expected:
                    new = cand
        want = expected.get(new)
        if want is not None and len(want) == 2 and tensor.dim() == 4 and tuple(tensor.shape[2:]) == (1, 1):
            tensor = tensor[:, :, 0, 0]
        out[new] = tensor
    return out


def check_state_dict(expected: Dict[str, Tuple[int, ...]], found: Dict[str, Tuple[int, ...]], what: str) -> None:
    """Raise :class:`CheckpointError` naming every missing / unexpected / mis-shaped tensor."""
    missing = [k for k in expected if k not in found]
    unexpected = [k for k in found if k not in expected]
    mismatched = [
        f"{k} (checkpoint {list(found[k])}, model {list(expected[k])})"
        for k in expected
        if k in found and tuple(found[k]) != tuple(expected[k])
    ]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing tensor(s): {_fmt_keys(missing)}")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected tensor(s): {_fmt_keys(unexpected)}")
    if mismatched:
        problems.append(f"{len(mismatched)} tensor(s) with the wrong shape: {_fmt_keys(mismatched, 6)}")
    if problems:
        raise CheckpointError(f"{what} does not match its config: " + "; ".join(problems))


def load_state_dict_strict(model: torch.nn.Module, state_dict: Dict[str, torch.Tensor], what: str,
                           dtype: Optional[torch.dtype] = None, device=None) -> torch.nn.Module:
    """Assign ``state_dict`` to ``model`` (possibly built on meta), strictly. Floating tensors are cast
    to ``dtype`` when given; everything is moved to ``device`` when given."""
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    state_dict = convert_legacy_attention_keys(state_dict, expected)
    check_state_dict(expected, {k: tuple(v.shape) for k, v in state_dict.items()}, what)
    ready = {}
    for k in list(state_dict):
        v = state_dict.pop(k)  # drop our reference as we go: peak memory ~ one model, not two
        if dtype is not None and v.is_floating_point():
            v = v.to(dtype)
        if device is not None:
            v = v.to(device)
        ready[k] = v.contiguous()
    model.load_state_dict(ready, strict=True, assign=True)
    left = [n for n, p in list(model.named_parameters()) + list(model.named_buffers()) if p.device.type == "meta"]
    if left:
        raise CheckpointError(f"{what}: tensors left uninitialised after loading: {_fmt_keys(left)}")
    if device is not None:
        model.to(device)
    return model.eval()


# --------------------------------------------------------------------------- model classes
def _model_classes() -> Dict[str, type]:
    from diffusers import AutoencoderKL, UNet2DConditionModel

    from ..models import MODEL_CLASSES

    out = dict(MODEL_CLASSES)
    out.setdefault("AutoencoderKL", AutoencoderKL)
    out.setdefault("UNet2DConditionModel", UNet2DConditionModel)
    return out


def _is_ours(cls) -> bool:
    from ..models import SatControlNetModel, SatControlNetModel3D, SatUNet

    return cls in (SatUNet, SatControlNetModel, SatControlNetModel3D)


def resolve_model_class(config: dict, folder: PathLike = "?") -> type:
    """Our class for a diffusers-style ``config.json`` (released or our own class names)."""
    name = config.get("_class_name")
    classes = _model_classes()
    if name in ("ControlNetModel", "SatControlNetModel", "ControlNetModel3D", "SatControlNetModel3D"):
        if "conditioning_in_channels" not in config and "use_metadata" not in config:
            raise CheckpointError(
                f"{folder}: a stock diffusers ControlNet (no conditioning_in_channels / use_metadata), "
                "not a DiffusionSat one"
            )
        three_d = name.endswith("3D") or "use_temporal_transformer" in config
        return classes["SatControlNetModel3D" if three_d else "SatControlNetModel"]
    if name == "UNet2DConditionModel" and ("use_metadata" in config or "num_metadata" in config):
        return classes["SatUNet"]
    if name not in classes:
        raise CheckpointError(f"{folder}: unknown model class {name!r} in config.json (known: {sorted(classes)})")
    return classes[name]


def _init_keys(cls) -> List[str]:
    return [n for n in inspect.signature(cls.__init__).parameters if n not in ("self", "kwargs")]


def build_model(config: dict, folder: PathLike = "?", empty: bool = True):
    """Instantiate the model a ``config.json`` describes (parameters on meta when ``empty``)."""
    from .limits import check_model_config

    check_model_config(config, f"{folder}/config.json")  # before anything is allocated
    cls = resolve_model_class(config, folder)
    public = {k: v for k, v in config.items() if not k.startswith("_")}
    ctx = _empty_weights() if empty else contextlib.nullcontext()
    if _is_ours(cls):
        known = set(_init_keys(cls))
        unknown = sorted(set(public) - known)
        if unknown:
            raise CheckpointError(f"{folder}/config.json: unknown config keys for {cls.__name__}: {unknown}")
        with ctx:
            return cls(**public)
    with ctx:
        return cls.from_config(public)


# --------------------------------------------------------------------------- single models
def _is_text_encoder_config(config: dict) -> bool:
    return "architectures" in config or config.get("model_type", "").startswith("clip")


def _load_text_encoder(folder: Path, config: dict, device=None, dtype=None):
    """CLIPTextModel built from its config on meta, then the checkpoint assigned strictly. Files written
    by any transformers version name tensors ``text_model.*``; current transformers modules may not
    carry that prefix, so it is matched either way."""
    from transformers import CLIPTextConfig, CLIPTextModel

    from .limits import check_model_config

    check_model_config(config, f"{folder}/config.json")
    arch = (config.get("architectures") or ["CLIPTextModel"])[0]
    if arch != "CLIPTextModel":
        raise CheckpointError(f"{folder}: text encoder architecture {arch!r} is not supported (CLIPTextModel only)")
    weights = find_weights(folder, TRANSFORMERS_WEIGHTS)
    if weights is None:
        raise CheckpointError(f"{folder}: no text-encoder weights (model.safetensors or pytorch_model.bin)")
    state_dict = read_state_dict(weights)
    state_dict.pop("text_model.embeddings.position_ids", None)  # a buffer older transformers saved
    cfg = CLIPTextConfig.from_dict({k: v for k, v in config.items() if k not in ("architectures", "transformers_version")})
    with _empty_weights():
        model = CLIPTextModel(cfg)
    expected = set(model.state_dict())
    prefix = "text_model."
    renamed = {}
    for key, tensor in state_dict.items():
        if key not in expected and key.startswith(prefix) and key[len(prefix):] in expected:
            key = key[len(prefix):]
        elif key not in expected and prefix + key in expected:
            key = prefix + key
        renamed[key] = tensor
    del state_dict
    return load_state_dict_strict(model, renamed, f"text encoder weights {weights}", dtype=dtype, device=device)


def load_model(folder: PathLike, device=None, dtype: Optional[torch.dtype] = None):
    """Load one model folder (``config.json`` + weights) strictly: SatUNet, either ControlNet,
    AutoencoderKL, a plain UNet2DConditionModel, or a CLIPTextModel text encoder.

    ``dtype=None`` keeps the stored floating dtype."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CheckpointError(f"model folder {folder} does not exist")
    config = _read_json(folder / "config.json")
    if "_class_name" not in config and _is_text_encoder_config(config):
        return _load_text_encoder(folder, config, device=device, dtype=dtype)
    weights = find_weights(folder, DIFFUSERS_WEIGHTS)
    if weights is None:
        raise CheckpointError(f"{folder}: no weights (diffusion_pytorch_model.safetensors or .bin)")
    model = build_model(config, folder)
    return load_state_dict_strict(model, read_state_dict(weights), f"{config.get('_class_name')} weights {weights}",
                                  dtype=dtype, device=device)


def load_tokenizer(folder: PathLike):
    from transformers import CLIPTokenizer

    folder = Path(folder)
    if not folder.is_dir():
        raise CheckpointError(f"tokenizer folder {folder} does not exist")
    try:
        # a local folder, never a hub id, and nothing is downloaded (local_files_only)
        return CLIPTokenizer.from_pretrained(str(folder), local_files_only=True)  # nosec B615
    except Exception as exc:  # transformers raises many types here
        raise CheckpointError(f"{folder}: cannot load the CLIP tokenizer ({exc})") from None


def load_scheduler(folder: PathLike):
    import diffusers
    from diffusers import SchedulerMixin

    folder = Path(folder)
    config = _read_json(folder / "scheduler_config.json")
    from .limits import check_scheduler_config

    check_scheduler_config(config, f"{folder}/scheduler_config.json")
    name = config.get("_class_name", "DDIMScheduler")
    cls = getattr(diffusers, str(name), None)
    if not (isinstance(cls, type) and issubclass(cls, SchedulerMixin)):
        raise CheckpointError(f"{folder}: unknown scheduler class {name!r}")
    return cls.from_config({k: v for k, v in config.items() if k != "_class_name"})


# --------------------------------------------------------------------------- folders
def _highest_checkpoint(root: Path, sub: str) -> Optional[Path]:
    best = None
    for child in root.iterdir() if root.is_dir() else ():
        m = _CHECKPOINT_DIR.match(child.name)
        if m and (child / sub / "config.json").is_file():
            step = int(m.group(1))
            if best is None or step > best[0]:
                best = (step, child / sub)
    return best[1] if best else None


def find_unet_folder(root: PathLike) -> Optional[Path]:
    """``root/unet`` if present, else the highest-step ``root/checkpoint-*/unet``."""
    root = Path(root)
    unet = layout.folder_of("unet")
    if (root / unet / layout.CONFIG).is_file():
        return root / unet
    return _highest_checkpoint(root, unet)


def _controlnet_kind(folder: Path) -> Optional[str]:
    try:
        config = _read_json(folder / "config.json")
        cls = resolve_model_class(config, folder)
    except CheckpointError:
        return None
    return {"SatControlNetModel": "controlnet", "SatControlNetModel3D": "controlnet3d"}.get(cls.__name__)


def find_controlnet_folders(root: PathLike) -> Dict[str, Path]:
    """``{'controlnet': 2-D folder, 'controlnet3d': 3-D folder}`` (each optional), see module doc."""
    root = Path(root)
    candidates = [root / "controlnet", root / "controlnet3d"]
    ckpt = _highest_checkpoint(root, "controlnet")
    if ckpt is not None:
        candidates.append(ckpt)
    found: Dict[str, Path] = {}
    for folder in candidates:
        if (folder / "config.json").is_file():
            kind = _controlnet_kind(folder)
            if kind and kind not in found:
                found[kind] = folder
    return found


@dataclasses.dataclass
class ModelComponents:
    """Everything a DiffusionSat pipeline needs, built explicitly. ``source`` is the root folder."""

    vae: Any
    text_encoder: Any
    tokenizer: Any
    scheduler: Any
    unet: Any
    controlnet: Any = None
    controlnet3d: Any = None
    inpaint_controlnet: Any = None
    source: Optional[Path] = None
    paths: Dict[str, Path] = dataclasses.field(default_factory=dict)


def load_components(root: PathLike, device=None, dtype: Optional[torch.dtype] = None, controlnets: bool = True,
                    controlnet_path: Optional[PathLike] = None) -> ModelComponents:
    """Load vae, text_encoder, tokenizer, scheduler, unet (+ ControlNets) from ``root`` (see module doc).

    ``controlnet_path``: a ControlNet folder elsewhere (2-D or 3-D by its config). ``paths`` records the
    folder of every component loaded."""
    root = Path(root)
    if not root.is_dir():
        raise CheckpointError(f"checkpoint folder {root} does not exist")
    unet_dir = find_unet_folder(root)
    if unet_dir is None:
        raise CheckpointError(f"{root}: no unet/ (or checkpoint-*/unet/) folder with a config.json")
    paths = {name: root / layout.folder_of(name) for name in layout.BASE_COMPONENTS if name != "unet"}
    for name, p in paths.items():
        if not p.is_dir():
            raise CheckpointError(f"{root}: the {name}/ folder is missing")
    paths["unet"] = unet_dir
    cn = find_controlnet_folders(root) if controlnets else {}
    if controlnet_path is not None:
        kind = _controlnet_kind(Path(controlnet_path))
        if kind is None:
            raise CheckpointError(f"{controlnet_path}: not a DiffusionSat ControlNet folder")
        cn[kind] = Path(controlnet_path)
    inpaint = root / layout.INPAINT_FOLDER
    if controlnets and (inpaint / layout.CONFIG).is_file():
        cn["inpaint_controlnet"] = inpaint
    paths.update(cn)
    comps = ModelComponents(
        vae=load_model(paths["vae"], device=device, dtype=dtype),
        text_encoder=load_model(paths["text_encoder"], device=device, dtype=dtype),
        tokenizer=load_tokenizer(paths["tokenizer"]),
        scheduler=load_scheduler(paths["scheduler"]),
        unet=load_model(unet_dir, device=device, dtype=dtype),
        source=root,
        paths=paths,
    )
    for kind, folder in cn.items():
        setattr(comps, kind, load_model(folder, device=device, dtype=dtype))
    return comps


# --------------------------------------------------------------------------- inspection
@dataclasses.dataclass
class ComponentReport:
    name: str
    path: Optional[Path] = None
    kind: str = ""
    weights: Optional[Path] = None
    size: int = 0
    problems: List[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.path is not None and not self.problems


@dataclasses.dataclass
class FolderReport:
    root: Path
    components: Dict[str, ComponentReport]
    notes: List[str] = dataclasses.field(default_factory=list)

    REQUIRED = ("unet", "vae", "text_encoder", "tokenizer", "scheduler")

    @property
    def ok(self) -> bool:
        return all(self.components[n].ok for n in self.REQUIRED)

    @property
    def problems(self) -> List[str]:
        out = []
        for c in self.components.values():
            if c.name in self.REQUIRED and c.path is None:
                out.append(f"{c.name}: not found")
            out += [f"{c.name}: {p}" for p in c.problems]
        return out

    def __str__(self) -> str:
        lines = [f"DiffusionSat checkpoint folder {self.root}: {'OK' if self.ok else 'NOT USABLE'}"]
        for c in self.components.values():
            if c.path is None:
                state = "missing" if c.name in self.REQUIRED else "not present"
                lines.append(f"  {c.name:<13} {state}")
                continue
            where = os.path.relpath(c.path, self.root) if c.path != self.root else "."
            desc = f"  {c.name:<13} {where}  {c.kind}"
            if c.weights is not None:
                desc += f"  [{c.weights.name}, {c.size / 1e6:.1f} MB]"
            lines.append(desc + ("  OK" if c.ok else ""))
            lines += [f"      problem: {p}" for p in c.problems]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _inspect_model(name: str, folder: Optional[Path], validate: bool) -> ComponentReport:
    rep = ComponentReport(name=name, path=folder)
    if folder is None:
        return rep
    try:
        config = _read_json(folder / "config.json")
        if "_class_name" not in config and _is_text_encoder_config(config):
            rep.kind = (config.get("architectures") or ["CLIPTextModel"])[0]
            rep.weights = find_weights(folder, TRANSFORMERS_WEIGHTS)
            if rep.weights is None:
                raise CheckpointError("no model.safetensors / pytorch_model.bin")
            rep.size = file_size(rep.weights)
            if validate:
                read_shapes(rep.weights)
            return rep
        rep.kind = str(config.get("_class_name"))
        rep.weights = find_weights(folder, DIFFUSERS_WEIGHTS)
        if rep.weights is None:
            raise CheckpointError("no diffusion_pytorch_model.safetensors / .bin")
        rep.size = file_size(rep.weights)
        model = build_model(config, folder)
        rep.kind = f"{config.get('_class_name')} -> {type(model).__name__}"
        if validate:
            expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
            found = read_shapes(rep.weights)
            found = {k: tuple(v.shape) for k, v in convert_legacy_attention_keys(
                {k: torch.empty(s, device="meta") for k, s in found.items()}, expected).items()}
            check_state_dict(expected, found, "weights")
    except CheckpointError as exc:
        rep.problems.append(str(exc))
    except Exception as exc:  # a broken config can fail in many ways inside diffusers
        rep.problems.append(f"{type(exc).__name__}: {exc}")
    return rep


def inspect_folder(root: PathLike, validate: bool = True) -> FolderReport:
    """What a folder holds, without loading any weights: which components were found where, their
    classes, weight files and sizes, and -- with ``validate`` -- whether every weight file is complete
    and has exactly the tensors its config needs. ``report.ok`` / ``report.problems`` / ``str(report)``."""
    root = Path(root)
    comps: Dict[str, ComponentReport] = {}
    notes: List[str] = []
    if not root.is_dir():
        rep = FolderReport(root, {n: ComponentReport(n) for n in FolderReport.REQUIRED})
        rep.notes.append("folder does not exist")
        return rep
    if (root / "model_index.json").is_file():
        try:
            index = _read_json(root / "model_index.json")
            custom = sorted(k for k, v in index.items() if isinstance(v, list) and len(v) == 2 and v[0] is None and v[1])
            if custom:
                notes.append(f"model_index.json names custom classes for {custom}; they are built explicitly")
        except CheckpointError as exc:
            notes.append(str(exc))
    unet = find_unet_folder(root)
    if unet is not None and unet.parent != root:
        notes.append(f"UNet taken from {unet.parent.name}/ (highest training step)")
    comps["unet"] = _inspect_model("unet", unet, validate)
    for name in ("vae", "text_encoder"):
        comps[name] = _inspect_model(name, root / name if (root / name / "config.json").is_file() else None, validate)
    tok = ComponentReport("tokenizer", path=root / "tokenizer" if (root / "tokenizer").is_dir() else None)
    if tok.path is not None:
        tok.kind = "CLIPTokenizer"
        if not ((tok.path / "vocab.json").is_file() and (tok.path / "merges.txt").is_file()) and not (
            tok.path / "tokenizer.json"
        ).is_file():
            tok.problems.append("needs vocab.json + merges.txt (or tokenizer.json)")
    comps["tokenizer"] = tok
    sch = ComponentReport("scheduler", path=root / "scheduler" if (root / "scheduler").is_dir() else None)
    if sch.path is not None:
        try:
            sch.kind = type(load_scheduler(sch.path)).__name__
        except CheckpointError as exc:
            sch.problems.append(str(exc))
    comps["scheduler"] = sch
    cn = find_controlnet_folders(root)
    for kind in ("controlnet", "controlnet3d"):
        comps[kind] = _inspect_model(kind, cn.get(kind), validate)
    for sub in ("controlnet", "controlnet3d"):
        if (root / sub / "config.json").is_file() and (root / sub) not in cn.values():
            notes.append(f"{sub}/ is not a DiffusionSat ControlNet (ignored)")
    inpaint = root / layout.INPAINT_FOLDER
    if (inpaint / layout.CONFIG).is_file():
        comps[layout.INPAINT_FOLDER] = _inspect_model(layout.INPAINT_FOLDER, inpaint, validate)
    return FolderReport(root, comps, notes)


# --------------------------------------------------------------------------- conversion
def convert_to_diffusers(src: PathLike, dst: PathLike, overwrite: bool = False, dtype: Optional[torch.dtype] = None,
                         controlnet_path: Optional[PathLike] = None) -> Path:
    """Write a clean folder in safetensors (``unet/ vae/ text_encoder/ tokenizer/ scheduler/`` +
    ``controlnet/`` / ``controlnet3d/`` / ``controlnet_inpaint/`` when present, ``model_index.json``) from an
    official one. Atomic: everything is written to a temporary sibling folder which then replaces ``dst``."""
    src, dst = Path(src), Path(dst)
    if dst.exists() and not overwrite:
        raise CheckpointError(f"{dst} already exists (pass overwrite=True to replace it)")
    comps = load_components(src, dtype=dtype, controlnet_path=controlnet_path)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.parent / f".{dst.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
        entries = {}
        for name, folder in layout.FOLDERS.items():
            comp = getattr(comps, name)
            if comp is None:
                continue
            if name in layout.MODULE_COMPONENTS:
                comp.save_pretrained(tmp / folder, safe_serialization=True)
            else:
                comp.save_pretrained(str(tmp / folder))
            entries[folder] = layout.index_entry(comp)
        layout.write_model_index(tmp, entries, extra={"_converted_from": str(src)})
        if dst.exists():
            old = dst.parent / f".{dst.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(dst, old)
            os.replace(tmp, dst)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, dst)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dst


__all__ = [
    "CheckpointError",
    "ModelComponents",
    "FolderReport",
    "ComponentReport",
    "load_model",
    "load_components",
    "load_tokenizer",
    "load_scheduler",
    "inspect_folder",
    "convert_to_diffusers",
    "build_model",
    "resolve_model_class",
    "load_state_dict_strict",
    "check_state_dict",
    "convert_legacy_attention_keys",
    "find_unet_folder",
    "find_controlnet_folders",
]
