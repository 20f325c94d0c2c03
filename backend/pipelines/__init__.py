"""DiffusionSat sampling pipelines on arrays (no files, no QGIS).

>>> from backend.pipelines import SatDiffusionPipeline
>>> from backend.metadata import SatMetadata
>>> pipe = SatDiffusionPipeline.from_pretrained("path/to/checkpoint")          # CPU float32
>>> md = SatMetadata(lon=2.35, lat=48.85, gsd=0.5, cloud_cover=0.0, date="2020-06-01")
>>> res = pipe.generate("a fmow satellite image of a park in france", md, height=256, width=256,
...                     steps=25, scheduler="dpm++", seed=7)
>>> res.images.shape                                                          # (1, 256, 256, 3) float32
>>> sr = pipe.super_resolve(s2_bands, md, control_gsd=10.0, seed=7)             # (10, h, w) -> (2h, 2w)
>>> tp = pipe.predict([f0, f1, f2], [md0, md1, md2], md_target, seed=7)        # 3-D ControlNet
>>> ip = pipe.inpaint(rgb, cloud_mask, "", md, seed=7)                         # Blended Latent Diffusion
>>> un = pipe.uncertainty("generate", "a satellite image", md, num_samples=8, seed=7)  # mean / std

Every call takes ``steps``, ``guidance`` (1.0 = no CFG), ``scheduler`` (``"ddim"`` | ``"dpm++"``),
``seed`` or ``generator``, ``num_images``, ``callback(step, total)`` and ``cancel`` (Event, CancelToken
or callable; raises :class:`~backend.cancel.Cancelled`) and returns a :class:`PipelineResult`.
"""

from __future__ import annotations

from ..cancel import Cancelled, CancelToken
from .base import ControlSpec, PipelineBase, PipelineError, PipelineResult
from .generate import GenerateMixin
from .inpaint import InpaintMixin
from .schedulers import DEFAULT_STEPS, SCHEDULER_NAMES, canonical_name, make_scheduler
from .superres import SuperResMixin
from .temporal import TemporalMixin
from .uncertainty import UncertaintyMixin, UncertaintyResult


class SatDiffusionPipeline(
    GenerateMixin, SuperResMixin, TemporalMixin, InpaintMixin, UncertaintyMixin, PipelineBase
):
    """All four DiffusionSat tasks on one set of components.

    Components: ``vae``, ``text_encoder``, ``tokenizer``, ``scheduler`` (its config defines betas and
    ``prediction_type``), ``unet`` (SatUNet), optional ``controlnet`` (2-D super-resolution),
    ``controlnet3d`` (temporal) and ``inpaint_controlnet`` (2-D, 4 control channels). Tasks whose
    ControlNet is missing raise :class:`PipelineError`.

    Methods: :meth:`generate`, :meth:`super_resolve`, :meth:`predict`, :meth:`inpaint`,
    :meth:`uncertainty`; construction: :meth:`from_pretrained`, :meth:`from_components`, ``__init__``;
    :meth:`save_pretrained`, :meth:`to`.
    """

    @property
    def tasks(self) -> tuple:
        """Tasks this checkpoint can run."""
        out = ["generate", "inpaint"]
        if self.controlnet is not None:
            out.append("super_resolve")
        if self.controlnet3d is not None:
            out.append("predict")
        return tuple(out)


__all__ = [
    "SatDiffusionPipeline",
    "PipelineResult",
    "UncertaintyResult",
    "PipelineError",
    "ControlSpec",
    "Cancelled",
    "CancelToken",
    "SCHEDULER_NAMES",
    "DEFAULT_STEPS",
    "canonical_name",
    "make_scheduler",
]
