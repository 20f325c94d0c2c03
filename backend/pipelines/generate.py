"""Text + metadata -> satellite image (the DiffusionSat base model, no ControlNet)."""

from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np

from .base import MetadataLike, PipelineBase, PipelineError, PipelineResult, broadcast_batch, expand, metadata_batch
from .request import SamplingRequest


def prompt_list(prompt: Union[str, Sequence[str], None]) -> list:
    if prompt is None:
        return [""]
    if isinstance(prompt, str):
        return [prompt]
    prompts = list(prompt)
    if not prompts or not all(isinstance(p, str) for p in prompts):
        raise PipelineError("prompt must be a text or a non-empty list of texts")
    return prompts


def check_num_images(num_images) -> int:
    if isinstance(num_images, bool) or not isinstance(num_images, (int, np.integer)) or num_images < 1:
        raise PipelineError(f"num_images must be a whole number >= 1, got {num_images!r}")
    return int(num_images)


class GenerateMixin:
    def generate(
        self: PipelineBase,
        prompt: Union[str, Sequence[str]] = "",
        metadata: Union[MetadataLike, Sequence[MetadataLike]] = None,
        *,
        height: Optional[int] = None,
        width: Optional[int] = None,
        num_images: int = 1,
        windows=None,
        window_metadata=None,
        decode: bool = True,
        **sampling,
    ) -> PipelineResult:
        """Generate images from a prompt and :class:`~backend.metadata.SatMetadata`.

        ``prompt`` / ``metadata``: one each, or lists of equal length B (a single item is broadcast);
        ``num_images`` images are made per item, so ``N = B * num_images`` (item-major order).
        ``height`` / ``width`` default to the UNet's ``sample_size`` x 8 (768 for the released SD 2.1 model)
        and must be multiples of 8. ``steps`` defaults to 50 (DDIM) / 25 (DPM-Solver++). ``guidance`` 1.0
        disables classifier-free guidance (one UNet call per step). ``seed`` (or a CPU ``generator``) makes
        the call reproducible; without it a random seed is drawn and returned in ``result.seed``.
        ``callback(step, total)`` reports progress; ``cancel`` (Event / CancelToken / callable) is checked
        between steps and raises :class:`~backend.cancel.Cancelled`. ``windows`` / ``window_metadata``: one
        seamless image larger than the model's size, sampled window by window (see ``PipelineBase._sample``);
        ``decode=False`` returns only the latents (decode them in tiles). ``sampling``: the fields of
        :class:`~backend.pipelines.request.SamplingRequest`.
        """
        request = SamplingRequest.from_options(sampling)
        num_images = check_num_images(num_images)
        prompts = prompt_list(prompt)
        mds = metadata_batch(metadata)
        batch = broadcast_batch(prompt=prompts, metadata=mds)
        default = self.default_size
        height = default if height is None else height
        width = default if width is None else width
        return self._sample(request, prompts=expand(prompts, batch, num_images),
                            metadata=np.stack(expand(mds, batch, num_images)), height=height, width=width,
                            windows=windows, window_metadata=window_metadata, decode=decode)
