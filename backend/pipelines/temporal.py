"""Temporal prediction: T dated control frames -> the image at a target date, via the 3-D ControlNet.

The released Texas model (``controlnet3d-mixattn_sd21_md7norm_texas``) was trained with T = 3 RGB frames
at the output resolution; the 3-D ControlNet itself takes any T >= 1 (its temporal attention runs over
the frames, its residuals are summed over T). Frames are used as given (values in ``[0, 1]`` like the
training data); each frame has its own :class:`SatMetadata` (location, GSD, date of that frame), the
target metadata describes the image to predict (its date is the date to predict).

Layout as in the official pipeline (``image=[[f0, f1, ...]]`` -> ``b (t c) h w -> b c t h w``): frame
order is kept, ``controlnet_cond`` is ``(B, C, T, H, W)`` and ``cond_metadata`` ``(B, 7, T)`` with column
``tau`` = frame ``tau``.
"""

from __future__ import annotations

import warnings
from typing import Sequence, Union

import numpy as np
import torch

from .base import (MetadataLike, PipelineBase, PipelineError, PipelineResult, as_float_tensor,
                   broadcast_batch, metadata_batch, metadata_vector)
from .generate import check_num_images, prompt_list
from .request import SamplingRequest

#: T the released model was trained with; other T work but are outside its training distribution.
TRAINED_FRAMES = 3
MAX_FRAMES = 4


def frames_batch(frames) -> torch.Tensor:
    """T frames -> float32 ``(B, C, T, H, W)``.

    Accepts a list of T arrays ``(C, H, W)``, an array ``(T, C, H, W)`` (one sequence) or
    ``(B, T, C, H, W)`` (a batch of sequences).
    """
    if isinstance(frames, (list, tuple)):
        if not frames:
            raise PipelineError("predict needs at least one control frame")
        parts = [as_float_tensor(f, f"frame {i}") for i, f in enumerate(frames)]
        shapes = {tuple(p.shape) for p in parts}
        if len(shapes) != 1:
            raise PipelineError(f"all frames must have the same shape, got {sorted(shapes)}")
        if parts[0].ndim == 4 and parts[0].shape[0] == 1:  # official style: each frame (1, C, H, W)
            parts = [p[0] for p in parts]
        if parts[0].ndim != 3:
            raise PipelineError(f"each frame must be (C, H, W), got {tuple(parts[0].shape)}")
        t = torch.stack(parts, dim=0).unsqueeze(0)  # (1, T, C, H, W)
    else:
        t = as_float_tensor(frames, "frames")
        if t.ndim == 4:
            t = t.unsqueeze(0)
        if t.ndim != 5:
            raise PipelineError(f"frames must be (T, C, H, W) or (B, T, C, H, W), got {tuple(t.shape)}")
    return t.permute(0, 2, 1, 3, 4).contiguous()  # (B, C, T, H, W)


def frame_metadata_batch(frame_metadata, num_frames: int) -> list:
    """Per-frame metadata -> list (length 1 or B) of ``(7, T)`` float32 arrays."""
    if isinstance(frame_metadata, (np.ndarray, torch.Tensor)):
        arr = frame_metadata.detach().cpu().numpy() if isinstance(frame_metadata, torch.Tensor) else frame_metadata
        arr = np.asarray(arr, dtype=np.float32)
        if arr.ndim == 2:
            arr = arr[None]
        if arr.ndim != 3 or arr.shape[1] != 7 or arr.shape[2] != num_frames:
            raise PipelineError(f"frame metadata array must be (7, T={num_frames}) or (B, 7, T), got {arr.shape}")
        return [a for a in arr]
    if frame_metadata is None:
        frame_metadata = [None] * num_frames
    items = list(frame_metadata)
    nested = items and all(isinstance(x, (list, tuple)) for x in items)
    seqs = items if nested else [items]
    out = []
    for seq in seqs:
        if len(seq) != num_frames:
            raise PipelineError(f"got {num_frames} frames but metadata for {len(seq)}; give one SatMetadata per frame")
        out.append(np.stack([metadata_vector(m) for m in seq], axis=-1).astype(np.float32))
    return out


class TemporalMixin:
    def predict(
        self: PipelineBase,
        frames,
        frame_metadata,
        metadata: Union[MetadataLike, Sequence[MetadataLike]] = None,
        *,
        prompt: Union[str, Sequence[str]] = "",
        num_images: int = 1,
        control_strength: float = 1.0,
        **sampling,
    ) -> PipelineResult:
        """Predict the image described by ``metadata`` (target date) from dated control ``frames``.

        ``frames``: list of T arrays ``(C, H, W)``, or ``(T, C, H, W)`` / ``(B, T, C, H, W)``; output size is
        the frame size (a multiple of 8). ``frame_metadata``: T :class:`SatMetadata` (or B lists of T, or a
        normalised ``(7, T)`` array). T = 1..4 (the released model saw 3). Other arguments as in
        :meth:`generate`.
        """
        request = SamplingRequest.from_options(sampling)
        net = self.controlnet3d
        if net is None:
            raise PipelineError("this checkpoint has no temporal 3-D ControlNet (controlnet3d/ folder)")
        num_images = check_num_images(num_images)
        cond = frames_batch(frames)
        num_frames = int(cond.shape[2])
        if num_frames > MAX_FRAMES:
            warnings.warn(
                f"{num_frames} frames: the temporal model was trained with {TRAINED_FRAMES}; more than "
                f"{MAX_FRAMES} is untested",
                stacklevel=2,
            )
        in_ch = int(net.config.conditioning_in_channels)
        if cond.shape[1] != in_ch:
            raise PipelineError(f"the temporal ControlNet takes {in_ch}-band frames, got {cond.shape[1]} bands")
        height, width = int(cond.shape[3]), int(cond.shape[4])
        prompts = prompt_list(prompt)
        mds = metadata_batch(metadata)
        cmds = frame_metadata_batch(frame_metadata, num_frames)
        batch = broadcast_batch(frames=list(cond), prompt=prompts, metadata=mds, frame_metadata=cmds)
        result = self._sample_controlled(request, net, cond, cmds, float(control_strength), prompts, mds, batch,
                                         num_images, (height, width))
        result.info["num_frames"] = num_frames
        return result


__all__ = ["TemporalMixin", "frames_batch", "frame_metadata_batch", "TRAINED_FRAMES", "MAX_FRAMES"]
