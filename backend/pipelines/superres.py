"""Super-resolution: a low-resolution (multispectral or RGB) control image -> RGB image, via the 2-D ControlNet.

The released fMoW model (``controlnet_sd21_md7norm_fmow_condres256``) takes 10 Sentinel-2 bands at half
the output resolution (config ``conditioning_scale = 2``: control 256 px -> image 512 px). The control
array is used as given (the official pipeline passes tensors through unchanged): band selection, order
and scaling to the range the model was trained with are the caller's job.

Metadata, the official rule: the target metadata describes the output image; the control metadata is
the same record with the control's GSD (``cond_metadata[gsd] = 10`` m for Sentinel-2). Give
``control_gsd`` (or a full ``control_metadata``).
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np
import torch

from ..metadata import SatMetadata
from .base import (MetadataLike, PipelineBase, PipelineError, PipelineResult, as_float_tensor,
                   broadcast_batch, metadata_batch, metadata_vector)
from .generate import check_num_images, prompt_list
from .request import SamplingRequest


def control_metadata_for(
    metadata: Union[MetadataLike, Sequence[MetadataLike]],
    control_metadata: Union[MetadataLike, Sequence[MetadataLike]] = None,
    control_gsd: Optional[float] = None,
) -> list:
    """Control metadata vectors by the official rule (target metadata with the control's GSD)."""
    if control_metadata is not None:
        if control_gsd is not None:
            raise PipelineError("give control_metadata or control_gsd, not both")
        return metadata_batch(control_metadata)
    if control_gsd is None:
        raise PipelineError(
            "super-resolution needs the control image's GSD: pass control_gsd (e.g. 10.0 for Sentinel-2) "
            "or a full control_metadata"
        )
    items = metadata if isinstance(metadata, (list, tuple)) and not _is_number_list(metadata) else [metadata]
    out = []
    for item in items:
        if isinstance(item, SatMetadata):
            out.append(item.replace(gsd=float(control_gsd)).to_vector())
        elif item is None:
            out.append(SatMetadata(gsd=float(control_gsd)).to_vector())
        else:
            raise PipelineError("control_gsd needs SatMetadata (not raw vectors); pass control_metadata instead")
    return out


def _is_number_list(value) -> bool:
    return all(isinstance(v, (int, float, np.floating, np.integer)) for v in value)


def control_batch(control, name: str = "control") -> torch.Tensor:
    """(C, h, w) or (B, C, h, w) array/tensor -> float32 (B, C, h, w)."""
    t = as_float_tensor(control, name)
    if t.ndim == 3:
        t = t.unsqueeze(0)
    if t.ndim != 4:
        raise PipelineError(f"{name} must be (C, H, W) or (B, C, H, W) (channels first), got {tuple(t.shape)}")
    return t


class SuperResMixin:
    def super_resolve(
        self: PipelineBase,
        control,
        metadata: Union[MetadataLike, Sequence[MetadataLike]] = None,
        *,
        control_gsd: Optional[float] = None,
        control_metadata: Union[MetadataLike, Sequence[MetadataLike]] = None,
        prompt: Union[str, Sequence[str]] = "",
        num_images: int = 1,
        control_strength: float = 1.0,
        same_noise: bool = False,
        **sampling,
    ) -> PipelineResult:
        """Super-resolve ``control`` (channels first ``(C, h, w)`` or ``(B, C, h, w)``) to RGB.

        Output size is ``(h * k, w * k)`` with ``k`` the ControlNet's config ``conditioning_scale`` (2 for
        the released model) and must be a multiple of 8. ``metadata``: target :class:`SatMetadata` (the
        output image: location, date, output GSD); the control metadata is ``metadata`` with
        ``gsd = control_gsd`` unless ``control_metadata`` is given. ``control_strength`` multiplies the
        ControlNet residuals (official ``controlnet_conditioning_scale``, 1.0). ``same_noise``: each of
        the B controls starts from the noise a call with it alone (same seed or generator state) would
        draw: views of one tile in one call. Other arguments as in :meth:`generate`; ``N = B * num_images``
        images.
        """
        request = SamplingRequest.from_options(sampling)
        net = self.controlnet
        if net is None:
            raise PipelineError("this checkpoint has no super-resolution ControlNet (controlnet/ folder)")
        num_images = check_num_images(num_images)
        cond = control_batch(control)
        in_ch = int(net.config.conditioning_in_channels)
        if cond.shape[1] != in_ch:
            raise PipelineError(
                f"the ControlNet takes {in_ch} control bands, got {cond.shape[1]} (control must be channels first)"
            )
        k = int(getattr(net.config, "conditioning_scale", 1) or 1)
        height, width = int(cond.shape[2]) * k, int(cond.shape[3]) * k
        f = self.vae_scale_factor
        if height % f or width % f:
            raise PipelineError(
                f"control size {tuple(cond.shape[2:])} x {k} = {(height, width)} is not a multiple of {f}; "
                f"the control must be a multiple of {f // np.gcd(f, k)} pixels"
            )
        prompts = prompt_list(prompt)
        mds = metadata_batch(metadata)
        cmds = control_metadata_for(metadata, control_metadata, control_gsd)
        batch = broadcast_batch(control=list(cond), prompt=prompts, metadata=mds, control_metadata=cmds)
        return self._sample_controlled(request, net, cond, cmds, float(control_strength), prompts, mds, batch,
                                       num_images, (height, width), same_noise=bool(same_noise))


__all__ = ["SuperResMixin", "control_metadata_for", "control_batch", "metadata_vector"]
