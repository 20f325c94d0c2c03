"""Shared machinery of the DiffusionSat sampling pipelines.

:class:`PipelineBase` holds the components (VAE, CLIP text encoder and tokenizer, the checkpoint's
scheduler config, the metadata UNet and the optional ControlNets) and implements what every task
shares: prompt encoding, metadata batching, seeded latents, the classifier-free-guided denoising
loop with progress and cancel, and VAE encode/decode. The task modules (``generate``, ``superres``,
``temporal``, ``inpaint``, ``uncertainty``) only prepare inputs and call :meth:`PipelineBase._sample`.

Numerics follow the official DiffusionSat pipelines (diffusers 0.17 ``StableDiffusionPipeline`` /
``StableDiffusionControlNetPipeline`` with metadata):

* prompt -> ``tokenizer(padding="max_length", max_length=77, truncation=True)`` ->
  ``text_encoder(input_ids)[0]`` (no attention mask); the unconditional branch is the empty prompt,
  encoded on its own;
* initial latents ``randn_tensor((N, 4, H/8, W/8), generator) * init_noise_sigma`` with one CPU
  ``torch.Generator`` for the whole batch, as diffusers and the official pipelines draw them;
* CFG batch ``[uncond, cond]``; uncond = empty prompt + all-zero metadata (+ all-zero cond metadata; the
  control image is duplicated, not zeroed); ``noise = u + g * (c - u)``; ``guidance <= 1`` runs only the
  conditional branch (one UNet call per step);
* ``scheduler.step(noise, t, latents, eta=0)``; decode ``vae.decode(1 / scaling_factor * latents)``,
  ``image = (x / 2 + 0.5).clamp(0, 1)``, returned as float32 ``(N, H, W, 3)``.

Batches and seeds. Image 0 of an N-image call starts from exactly the latents of a 1-image call with
the same seed whenever ``(H/8) * (W/8)`` is a multiple of 4 (e.g. H and W multiples of 16: 256, 512,
768 ...); torch's normal sampler fills 16 values at a time and redraws a ragged tail, so for other
sizes the draws differ. With equal starting latents the images agree to float32 rounding of the batched
kernels (observed <= 3e-6 on CPU), not bit for bit. Image i of a batch is reproducible only with the
same seed *and* the same N.

Differences that do not change float32 results: latents and scheduler arithmetic stay float32 when the
models run in bfloat16/float16 (the official pipeline runs them in the model dtype), and metadata is
handed to the models as float32 (the official pipeline casts it to the text-embedding dtype first,
which in float16 moves the output by ~1e-2; our models project metadata in float32 internally).
"""

from __future__ import annotations

import dataclasses
import inspect
import os
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from .. import model_layout as layout
from ..cancel import CancelSource, Cancelled, raise_if_cancelled
from ..metadata import NUM_METADATA, SatMetadata
from . import schedulers as _sched
from .errors import PipelineError
from .request import ProgressCallback, SamplingRequest, check_inputs, check_size, make_generator, resolve_steps

MetadataLike = Union[SatMetadata, np.ndarray, Sequence[float], torch.Tensor, None]


@dataclasses.dataclass
class PipelineResult:
    """Output of one pipeline call.

    ``images``: float32 ``(N, H, W, 3)`` in ``[0, 1]``. ``latents``: the final latents ``(N, 4, H/8, W/8)``
    (float32, already multiplied by the VAE scaling factor, i.e. what ``decode`` takes) when asked for.
    ``seed``: the seed the latents were drawn with (``None`` when a caller-made generator was used).
    """

    images: np.ndarray
    latents: Optional[np.ndarray] = None
    seed: Optional[int] = None
    steps: int = 0
    scheduler: str = _sched.DDIM
    guidance: float = 1.0
    info: dict = dataclasses.field(default_factory=dict)

    @property
    def image(self) -> np.ndarray:
        """The first image, ``(H, W, 3)``."""
        return self.images[0]

    def __len__(self) -> int:
        return int(self.images.shape[0])


@dataclasses.dataclass
class ControlSpec:
    """What a ControlNet needs for one call (already batched to N images, on the device).

    ``cond``: ``(N, C, h, w)`` (2-D) or ``(N, C, T, H, W)`` (3-D); ``cond_metadata``: ``(N, 7)`` or
    ``(N, 7, T)`` float32; ``scale``: residual multiplier (the official ``controlnet_conditioning_scale``).
    """

    model: torch.nn.Module
    cond: torch.Tensor
    cond_metadata: torch.Tensor
    scale: float = 1.0


# ---------------------------------------------------------------------------------------------- helpers
def metadata_vector(item: MetadataLike) -> np.ndarray:
    """One metadata item -> normalised float32 7-vector.

    ``SatMetadata`` is normalised with :meth:`SatMetadata.to_vector`; ``None`` means everything unknown
    (all zeros); an array/list/tensor of 7 numbers is taken as an already *normalised* vector.
    """
    if item is None:
        return np.zeros(NUM_METADATA, dtype=np.float32)
    if isinstance(item, SatMetadata):
        return item.to_vector()
    if isinstance(item, torch.Tensor):
        item = item.detach().cpu().numpy()
    vec = np.asarray(item, dtype=np.float32).reshape(-1)
    if vec.shape[0] != NUM_METADATA:
        raise PipelineError(f"a metadata vector needs {NUM_METADATA} values, got {vec.shape[0]}")
    if not np.all(np.isfinite(vec)):
        raise PipelineError("metadata vector contains NaN or infinity")
    return vec


def metadata_batch(items: Union[MetadataLike, Sequence[MetadataLike]]) -> List[np.ndarray]:
    """A single metadata item or a list of them -> list of 7-vectors (length 1 for a single item)."""
    if items is None or isinstance(items, SatMetadata):
        return [metadata_vector(items)]
    if isinstance(items, (np.ndarray, torch.Tensor)):
        arr = items.detach().cpu().numpy() if isinstance(items, torch.Tensor) else np.asarray(items)
        if arr.ndim == 1:
            return [metadata_vector(arr)]
        if arr.ndim == 2 and arr.shape[1] == NUM_METADATA:
            return [metadata_vector(row) for row in arr]
        raise PipelineError(f"metadata array must be (7,) or (N, 7), got {tuple(arr.shape)}")
    if isinstance(items, (list, tuple)):
        if len(items) == NUM_METADATA and all(isinstance(v, (int, float, np.floating, np.integer)) for v in items):
            return [metadata_vector(items)]
        if len(items) == 0:
            raise PipelineError("empty metadata list")
        return [metadata_vector(v) for v in items]
    raise PipelineError(f"metadata must be a SatMetadata, a 7-vector or a list of them, not {type(items).__name__}")


def broadcast_batch(**lists: Sequence) -> int:
    """Common batch size of per-input lists: every list has length 1 or B. Returns B."""
    sizes = {name: len(v) for name, v in lists.items()}
    big = {n for n, s in sizes.items() if s != 1}
    if not big:
        return 1
    b = sizes[next(iter(big))]
    bad = {n: s for n, s in sizes.items() if s not in (1, b)}
    if bad:
        raise PipelineError(f"batch sizes do not match: {sizes} (each must be 1 or the same number)")
    return b


def expand(items: Sequence, batch: int, per_item: int) -> list:
    """Broadcast a length-1 or length-``batch`` list to ``batch * per_item`` (item-major order)."""
    items = list(items) * batch if len(items) == 1 else list(items)
    return [x for x in items for _ in range(per_item)]


def as_float_tensor(array, name: str) -> torch.Tensor:
    if isinstance(array, torch.Tensor):
        t = array.detach()
    else:
        try:
            t = torch.from_numpy(np.ascontiguousarray(np.asarray(array, dtype=np.float32)))
        except (TypeError, ValueError) as exc:
            raise PipelineError(f"{name} must be a numeric array: {exc}") from None
    t = t.to(torch.float32)
    if not torch.isfinite(t).all():
        raise PipelineError(f"{name} contains NaN or infinity; fill or mask no-data first")
    return t


def _generator_device(generator) -> torch.device:
    """Draw where the generator lives (a caller's CUDA generator draws on CUDA; ours are CPU)."""
    return getattr(generator, "device", None) or torch.device("cpu")


def _config_get(config, key, default=None):
    if config is None:
        return default
    if isinstance(config, dict):
        return config.get(key, default)
    return getattr(config, key, config.get(key, default) if hasattr(config, "get") else default)


# ------------------------------------------------------------------------------------------- pipeline
class PipelineBase:
    """Components + the shared sampling loop. Use :class:`backend.pipelines.SatDiffusionPipeline`."""

    _module_names = layout.MODULE_COMPONENTS

    def __init__(
        self,
        vae,
        text_encoder,
        tokenizer,
        scheduler,
        unet,
        controlnet=None,
        controlnet3d=None,
        inpaint_controlnet=None,
        source: Any = None,
    ):
        if vae is None or text_encoder is None or tokenizer is None or unet is None or scheduler is None:
            raise PipelineError("a pipeline needs vae, text_encoder, tokenizer, scheduler and unet")
        self.vae = vae
        self.text_encoder = text_encoder
        self.tokenizer = tokenizer
        self.scheduler = scheduler  # kept as the config source; every call makes a fresh scheduler
        self.unet = unet
        self.controlnet = controlnet
        self.controlnet3d = controlnet3d
        self.inpaint_controlnet = inpaint_controlnet
        self.source = source
        #: component -> the folder it was loaded from (what a task's checkpoint hash covers)
        self.component_paths: dict = {}
        self._uncond_cache: dict = {}
        for module in self._modules():
            module.eval()
            module.requires_grad_(False)
        first = next(iter(self.unet.parameters()), None)
        self._device = first.device if first is not None else torch.device("cpu")
        self._dtype = first.dtype if first is not None else torch.float32

    # -------------------------------------------------------------------------------- construction
    @classmethod
    def from_components(cls, components, inpaint_controlnet=None, **kwargs):
        """Build from a ``backend.checkpoints.ModelComponents`` (or any object with the same attributes).

        A 2-D ControlNet trained for inpainting (4 control channels = masked RGB + mask, control at output
        resolution, i.e. config ``conditioning_in_channels == 4`` and ``conditioning_scale == 1``, or a
        config ``task == "inpaint"``) is used for :meth:`inpaint` instead of super-resolution.
        """
        controlnet = getattr(components, "controlnet", None)
        paths = dict(getattr(components, "paths", None) or {})
        if inpaint_controlnet is None:
            inpaint_controlnet = getattr(components, "inpaint_controlnet", None)
        else:
            paths.pop("inpaint_controlnet", None)  # the caller's model: its folder is not known here
        if inpaint_controlnet is None and controlnet is not None and is_inpaint_controlnet(controlnet):
            inpaint_controlnet, controlnet = controlnet, None
            paths.pop("inpaint_controlnet", None)
            if "controlnet" in paths:
                paths["inpaint_controlnet"] = paths.pop("controlnet")
        pipe = cls(
            vae=components.vae,
            text_encoder=components.text_encoder,
            tokenizer=components.tokenizer,
            scheduler=components.scheduler,
            unet=components.unet,
            controlnet=controlnet,
            controlnet3d=getattr(components, "controlnet3d", None),
            inpaint_controlnet=inpaint_controlnet,
            source=getattr(components, "source", None),
            **kwargs,
        )
        pipe.component_paths = paths
        return pipe

    @classmethod
    def from_pretrained(cls, path, device=None, dtype=None, controlnet_path=None, **kwargs):
        """Load a checkpoint folder with the strict loader (``backend.checkpoints.load_components``).

        ``device``: ``"cpu"`` (default) or ``"cuda"``/``"cuda:N"``; ``dtype``: ``torch.float32`` (default),
        ``torch.bfloat16`` (CPU or CUDA) or ``torch.float16`` (CUDA only); strings like ``"bf16"`` work too.
        An inpainting ControlNet is taken from ``controlnet/`` when its config says so (see
        :meth:`from_components`) or from ``controlnet_inpaint/`` (what :meth:`save_pretrained` writes).
        ``controlnet_path``: a ControlNet folder outside ``path`` (2-D or 3-D by its config).
        """
        from ..checkpoints import load_components

        device = _parse_device(device)
        torch_dtype = _parse_dtype(dtype) if dtype is not None else torch.float32  # also for fp16 files
        if torch_dtype == torch.float16 and (device is None or device.type == "cpu"):
            raise PipelineError("float16 is only supported on CUDA; use bfloat16 (or float32) on the CPU")
        if device is not None and device.type == "cuda" and not torch.cuda.is_available():
            raise PipelineError("CUDA was requested but torch sees no CUDA device")
        components = load_components(path, device=device, dtype=torch_dtype, controlnet_path=controlnet_path)
        pipe = cls.from_components(components, **kwargs)
        return pipe.to(device=device, dtype=torch_dtype)

    def save_pretrained(self, path) -> None:
        """Write a folder that :meth:`from_pretrained` reads back (diffusers layout + ``model_index.json``).

        Sub-folders: ``vae``, ``text_encoder``, ``tokenizer``, ``scheduler``, ``unet``, ``controlnet``
        (super-resolution), ``controlnet3d`` (temporal), ``controlnet_inpaint`` (inpainting ControlNet).
        """
        entries = {}
        for name, folder in layout.FOLDERS.items():
            comp = getattr(self, name)
            if comp is None:
                continue
            comp.save_pretrained(os.path.join(path, folder))
            entries[folder] = layout.index_entry(comp)
        layout.write_model_index(path, entries)

    def _modules(self):
        for name in self._module_names:
            module = getattr(self, name, None)
            if module is not None:
                yield module

    def to(self, device=None, dtype=None):
        """Move every model; returns ``self``. Metadata projections stay float32 inside the models."""
        device = _parse_device(device) or self._device
        dtype = _parse_dtype(dtype) if dtype is not None else self._dtype
        if dtype not in (torch.float32, torch.bfloat16, torch.float16):
            raise PipelineError(f"dtype must be float32, bfloat16 or float16, not {dtype}")
        if dtype == torch.float16 and device.type == "cpu":
            raise PipelineError("float16 is only supported on CUDA; use bfloat16 (or float32) on the CPU")
        if device.type == "cuda" and not torch.cuda.is_available():
            raise PipelineError("CUDA was requested but torch sees no CUDA device")
        for module in self._modules():
            first = next(iter(module.parameters()), None)
            if first is None:
                continue
            if first.dtype != dtype:
                module.to(dtype=dtype)
            if first.device != device:
                module.to(device=device)
        self._device, self._dtype = device, dtype
        self._uncond_cache.clear()
        return self

    # ------------------------------------------------------------------------------------ properties
    @property
    def device(self) -> torch.device:
        return self._device

    @property
    def dtype(self) -> torch.dtype:
        return self._dtype

    @property
    def vae_scale_factor(self) -> int:
        return layout.vae_factor(self.vae.config)

    @property
    def default_size(self) -> int:
        """Default output side in pixels: the UNet's ``sample_size`` x the VAE factor (768 for SD 2.1)."""
        size = _config_get(self.unet.config, "sample_size")
        if isinstance(size, (list, tuple)):
            size = size[0]
        return int(size) * self.vae_scale_factor

    @property
    def latent_channels(self) -> int:
        return int(_config_get(self.unet.config, "in_channels", 4))

    @property
    def prediction_type(self) -> str:
        return _sched.prediction_type(self.scheduler)

    # -------------------------------------------------------------------------------------- prompts
    def _max_tokens(self) -> int:
        n = int(getattr(self.tokenizer, "model_max_length", 77) or 77)
        limit = _config_get(self.text_encoder.config, "max_position_embeddings", n)
        return min(n, int(limit)) if limit else n

    @torch.inference_mode()
    def _encode_one(self, prompt: str) -> torch.Tensor:
        ids = self.tokenizer(
            [prompt],
            padding="max_length",
            max_length=self._max_tokens(),
            truncation=True,
            return_tensors="pt",
        ).input_ids
        out = self.text_encoder(ids.to(self.device))[0]
        return out.to(dtype=self.dtype)

    def encode_prompt(self, prompts: Union[str, Sequence[str]]) -> torch.Tensor:
        """Text embeddings ``(N, 77, D)`` for a prompt or list of prompts (each prompt encoded on its own)."""
        if isinstance(prompts, str):
            prompts = [prompts]
        cache: dict = {}
        out = []
        for p in prompts:
            if not isinstance(p, str):
                raise PipelineError(f"a prompt must be text, got {type(p).__name__}")
            if p not in cache:
                cache[p] = self._uncond_embedding(p) if p == "" else self._encode_one(p)
            out.append(cache[p])
        return torch.cat(out, dim=0)

    def _uncond_embedding(self, prompt: str = "") -> torch.Tensor:
        key = (prompt, str(self.device), self.dtype)
        if key not in self._uncond_cache:
            self._uncond_cache[key] = self._encode_one(prompt)
        return self._uncond_cache[key]

    # -------------------------------------------------------------------------------------- latents
    def prepare_latents(self, n: int, height: int, width: int, generator, latents=None, scheduler=None):
        f = self.vae_scale_factor
        shape = (n, self.latent_channels, height // f, width // f)
        if latents is None:
            from diffusers.utils.torch_utils import randn_tensor

            latents = randn_tensor(shape, generator=generator, device=_generator_device(generator), dtype=torch.float32)
        else:
            latents = as_float_tensor(latents, "latents")
            if latents.ndim == 3:
                latents = latents.unsqueeze(0)
            if latents.shape[0] == 1 and n > 1:
                latents = latents.expand(n, -1, -1, -1)
            if tuple(latents.shape) != shape:
                raise PipelineError(f"latents must have shape {shape}, got {tuple(latents.shape)}")
        latents = latents.to(self.device)
        sigma = getattr(scheduler, "init_noise_sigma", 1.0) if scheduler is not None else 1.0
        return latents * sigma

    @torch.inference_mode()
    def decode_latents(self, latents: torch.Tensor, cancel: CancelSource = None) -> np.ndarray:
        """Latents ``(N, 4, h, w)`` -> float32 images ``(N, 8h, 8w, 3)`` in ``[0, 1]`` (one image at a time)."""
        scale = self.vae.config.scaling_factor
        out = []
        for i in range(latents.shape[0]):
            raise_if_cancelled(cancel, "decoding")
            z = 1 / scale * latents[i : i + 1].to(self.device, self.vae.dtype)
            image = self.vae.decode(z, return_dict=False)[0]
            image = (image / 2 + 0.5).clamp(0, 1)
            out.append(image.permute(0, 2, 3, 1).float().cpu().numpy())
        return np.concatenate(out, axis=0).astype(np.float32, copy=False)

    @torch.inference_mode()
    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        """Images ``(N, 3, H, W)`` in ``[0, 1]`` -> latents ``(N, 4, H/8, W/8)`` (distribution mode x scale)."""
        scale = self.vae.config.scaling_factor
        out = []
        for i in range(images.shape[0]):
            x = images[i : i + 1].to(self.device, self.vae.dtype) * 2 - 1
            dist = self.vae.encode(x).latent_dist
            out.append(dist.mode().float() * scale)
        return torch.cat(out, dim=0)

    # ---------------------------------------------------------------------------------- the sampler
    # One call is numbered as diffusers numbers its pipelines' ``__call__``: 1. check inputs, 2. encode the
    # prompt, 3. prepare timesteps, 4. prepare latents, 5. prepare the control, 6. denoise, 7. decode.
    @torch.inference_mode()
    def _sample(
        self,
        request: SamplingRequest,
        *,
        prompts: Sequence[str],
        metadata: np.ndarray,
        height: int,
        width: int,
        control: Optional[ControlSpec] = None,
        blend: Optional[Callable] = None,
        decode: bool = True,
        windows: Optional[Sequence[Tuple[int, int, int, int]]] = None,
        window_metadata: Optional[np.ndarray] = None,
    ) -> PipelineResult:
        """Run the denoising loop for ``len(prompts)`` images and decode them.

        ``metadata``: ``(N, 7)`` float32 normalised. ``blend(scheduler, t_next, latents) -> latents`` runs after every
        scheduler step (inpainting). ``request.latents_callback(i, t, latents)`` sees the latents after step ``i``;
        ``request.callback(step, total)`` reports progress after each step (``step`` from 1).

        ``windows`` (latent ``(row, col, height, width)`` boxes covering the latents) with ``window_metadata``
        (``(len(windows), 7)``): at every step the model runs on each window with that window's own metadata
        and the overlapping predictions are averaged (MultiDiffusion, Bar-Tal et al., ICML 2023), so a large
        extent is one coherent image, with no seams, at the memory cost of one window per model call.
        """
        request = check_inputs(request, height, width, self.vae_scale_factor)  # 1.
        run = self._prepare(request, prompts, metadata, height, width, control, windows, window_metadata)  # 2.-5.
        latents = self._denoise(run, blend)  # 6.
        images = self.decode_latents(latents, request.cancel) if decode else None  # 7.
        return PipelineResult(
            images=images,
            latents=latents.float().cpu().numpy() if request.return_latents or not decode else None,
            seed=run.seed,
            steps=len(run.timesteps),
            scheduler=request.scheduler,
            guidance=request.guidance,
            info={"prediction_type": _sched.prediction_type(run.scheduler), "timesteps": [int(t) for t in run.timesteps]},
        )

    def _sample_controlled(self, request: SamplingRequest, model, cond: torch.Tensor, cond_metadata: list,
                           strength: float, prompts: list, metadata: list, batch: int, num_images: int,
                           size: Tuple[int, int], same_noise: bool = False) -> PipelineResult:
        """Sample ``size`` (height, width) images with ``model`` as the ControlNet: B inputs (lists of length
        1 or B) become ``N = B * num_images`` images, item-major. ``same_noise``: every input starts from the
        noise that a call with it alone would draw, so views of one input batched in one call give what
        separate calls give (to float rounding), at the cost of one call with a larger batch."""
        if same_noise and batch > 1 and request.latents is None:
            generator, seed = make_generator(request.seed, request.generator)
            noise = self.prepare_latents(num_images, size[0], size[1], generator)  # unscaled: _prepare scales
            request = dataclasses.replace(request, latents=noise.repeat(batch, 1, 1, 1), seed=seed)
        cond = cond.expand(batch, *cond.shape[1:]) if cond.shape[0] == 1 else cond
        spec = ControlSpec(model=model, cond=cond.repeat_interleave(num_images, dim=0),
                           cond_metadata=torch.from_numpy(np.stack(expand(cond_metadata, batch, num_images))),
                           scale=strength)
        return self._sample(request, prompts=expand(prompts, batch, num_images),
                            metadata=np.stack(expand(metadata, batch, num_images)), height=size[0], width=size[1],
                            control=spec)

    def _prepare(self, request: SamplingRequest, prompts, metadata, height, width, control, windows,
                 window_metadata) -> "_Run":
        n = len(prompts)
        md = torch.from_numpy(np.ascontiguousarray(metadata, dtype=np.float32)).to(self.device)
        if tuple(md.shape) != (n, NUM_METADATA):
            raise PipelineError(f"internal: metadata {tuple(md.shape)} for {n} images")
        generator, seed = make_generator(request.seed, request.generator)
        raise_if_cancelled(request.cancel, "sampling")
        run = _Run(request=request, n=n, metadata=md, seed=seed, do_cfg=request.guidance > 1.0)

        cond = self.encode_prompt(list(prompts))  # 2.
        if run.do_cfg:
            uncond = self._uncond_embedding(request.negative_prompt).expand(n, -1, -1)
            run.ehs = torch.cat([uncond, cond])
        else:
            run.ehs = cond

        run.scheduler = _sched.make_scheduler(request.scheduler, self.scheduler)  # 3.
        run.scheduler.set_timesteps(int(request.steps), device=self.device)
        run.timesteps = run.scheduler.timesteps
        run.step_kwargs = {"eta": 0.0} if "eta" in inspect.signature(run.scheduler.step).parameters else {}

        run.latents = self.prepare_latents(n, height, width, generator, request.latents, run.scheduler)  # 4.

        if control is not None:  # 5.
            c_img = control.cond.to(self.device, self.dtype)
            c_md = control.cond_metadata.to(self.device, torch.float32)
            if run.do_cfg:
                c_img = torch.cat([c_img, c_img])
                c_md = torch.cat([torch.zeros_like(c_md), c_md])
            run.control, run.control_image, run.control_metadata = control, c_img, c_md

        if windows is not None:
            if control is not None:
                raise PipelineError("windowed sampling takes no ControlNet")
            win_md = torch.from_numpy(np.ascontiguousarray(window_metadata, dtype=np.float32)).to(self.device)
            if tuple(win_md.shape) != (len(windows), NUM_METADATA):
                raise PipelineError(f"internal: window metadata {tuple(win_md.shape)} for {len(windows)} windows")
            coverage = torch.zeros((1, 1) + tuple(run.latents.shape[2:]), device=self.device)
            for r, c, h, w in windows:
                coverage[..., r:r + h, c:c + w] += 1
            if not bool((coverage > 0).all()):
                raise PipelineError("internal: the windows do not cover the latents")
            run.windows, run.window_metadata, run.coverage = windows, win_md, coverage
        return run

    def _denoise(self, run: "_Run", blend: Optional[Callable]) -> torch.Tensor:
        request, latents, timesteps = run.request, run.latents, run.timesteps
        for i, t in enumerate(timesteps):
            raise_if_cancelled(request.cancel, "sampling")
            if run.windows is None:
                out = self._guided(run, latents, run.metadata, t)
            else:
                out = torch.zeros_like(latents)
                for k, (r, c, h, w) in enumerate(run.windows):
                    raise_if_cancelled(request.cancel, "sampling")
                    md = run.window_metadata[k:k + 1].expand(run.n, -1)
                    out[..., r:r + h, c:c + w] += self._guided(run, latents[..., r:r + h, c:c + w], md, t)
                out = out / run.coverage
            latents = run.scheduler.step(out, t, latents, **run.step_kwargs, return_dict=False)[0]
            if blend is not None:
                t_next = timesteps[i + 1] if i + 1 < len(timesteps) else None
                latents = blend(run.scheduler, t_next, latents)
            if request.latents_callback is not None:
                request.latents_callback(i, t, latents)
            if request.callback is not None:
                request.callback(i + 1, len(timesteps))
        return latents

    def _guided(self, run: "_Run", lat: torch.Tensor, md_lat: torch.Tensor, t) -> torch.Tensor:
        """The (classifier-free guided) model output for latents ``lat`` with metadata ``md_lat``."""
        x = torch.cat([lat, lat]) if run.do_cfg else lat
        x = run.scheduler.scale_model_input(x, t).to(self.dtype)
        m = torch.cat([torch.zeros_like(md_lat), md_lat]) if run.do_cfg else md_lat
        down = mid = None
        if run.control is not None:
            down, mid = run.control.model(
                x,
                t,
                encoder_hidden_states=run.ehs,
                controlnet_cond=run.control_image,
                conditioning_scale=run.control.scale,
                metadata=m,
                cond_metadata=run.control_metadata,
                return_dict=False,
            )
        out = self.unet(
            x,
            t,
            encoder_hidden_states=run.ehs,
            metadata=m,
            down_block_additional_residuals=down,
            mid_block_additional_residual=mid,
        ).sample.float()
        if run.do_cfg:
            out_uncond, out_cond = out.chunk(2)
            out = out_uncond + run.request.guidance * (out_cond - out_uncond)
        return out


@dataclasses.dataclass
class _Run:
    """What one sampling call prepared (steps 2.-5.) and the denoising loop reads."""

    request: SamplingRequest
    n: int
    metadata: torch.Tensor
    seed: Optional[int]
    do_cfg: bool
    scheduler: Any = None
    timesteps: Any = None
    ehs: Optional[torch.Tensor] = None
    control: Optional[ControlSpec] = None
    control_image: Optional[torch.Tensor] = None
    control_metadata: Optional[torch.Tensor] = None
    latents: Optional[torch.Tensor] = None
    step_kwargs: dict = dataclasses.field(default_factory=dict)
    windows: Optional[Sequence[Tuple[int, int, int, int]]] = None
    window_metadata: Optional[torch.Tensor] = None
    coverage: Optional[torch.Tensor] = None


def is_inpaint_controlnet(model) -> bool:
    cfg = getattr(model, "config", None)
    if _config_get(cfg, "task") == "inpaint":
        return True
    return _config_get(cfg, "conditioning_in_channels") == 4 and int(_config_get(cfg, "conditioning_scale", 1) or 1) == 1


def _parse_device(device) -> Optional[torch.device]:
    """``None`` stays ``None``; ``"auto"`` is CUDA when available, else the CPU."""
    if device is None:
        return None
    if isinstance(device, str) and device.strip().lower() == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError):
        raise PipelineError(f"unknown device {device!r}; use 'cpu', 'cuda', 'cuda:N' or 'auto'") from None


def _parse_dtype(dtype) -> torch.dtype:
    if isinstance(dtype, torch.dtype):
        return dtype
    names = {
        "float32": torch.float32, "fp32": torch.float32, "float": torch.float32,
        "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
        "float16": torch.float16, "fp16": torch.float16, "half": torch.float16,
    }
    try:
        return names[str(dtype).lower().replace("torch.", "")]
    except KeyError:
        raise PipelineError(f"unknown dtype {dtype!r}; use float32, bfloat16 or float16") from None


__all__ = [
    "Cancelled",
    "ControlSpec",
    "PipelineBase",
    "PipelineError",
    "PipelineResult",
    "ProgressCallback",
    "SamplingRequest",
    "broadcast_batch",
    "check_inputs",
    "check_size",
    "expand",
    "make_generator",
    "metadata_batch",
    "metadata_vector",
    "resolve_steps",
]
