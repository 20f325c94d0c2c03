"""The metadata embedding shared by the UNet and both ControlNets.

DiffusionSat turns each of the 7 normalised metadata values (see :mod:`backend.metadata`) into an
embedding the same way the timestep is embedded: the value goes through the model's sinusoidal
timestep projection (``flip_sin_to_cos`` / ``freq_shift`` of the UNet, width ``C0`` =
``block_out_channels[0]``), then through its own two-layer MLP (``TimestepEmbedding(C0, 4*C0)``,
one per field). The field embeddings are added to the timestep embedding, one after the other.

:class:`MetadataEmbedding` is an ``nn.ModuleList`` of those MLPs, so a model that stores it as
``self.metadata_embedding`` has exactly the released state-dict keys
(``metadata_embedding.<field>.linear_1.weight`` ...).

Numerics: the projection always runs in float32 (whatever the model dtype); only its output is
cast to the MLPs' dtype. Metadata that arrives in a lower precision is used as given (already
rounded), which is what the released pipelines do.
"""

from __future__ import annotations

from typing import List, Optional

import torch
from torch import nn

from diffusers.models.embeddings import TimestepEmbedding, get_timestep_embedding


class MetadataEmbedding(nn.ModuleList):
    """One ``TimestepEmbedding`` per metadata field on top of the timestep's sinusoidal projection.

    Parameters mirror the owner's time embedding: ``in_channels`` is the sinusoid width (C0),
    ``time_embed_dim`` the MLP output width (4*C0), ``flip_sin_to_cos`` / ``freq_shift`` the UNet's
    time-projection settings.
    """

    def __init__(
        self,
        num_metadata: int,
        in_channels: int,
        time_embed_dim: int,
        flip_sin_to_cos: bool = True,
        freq_shift: float = 0,
        act_fn: str = "silu",
    ):
        super().__init__([TimestepEmbedding(in_channels, time_embed_dim, act_fn=act_fn) for _ in range(num_metadata)])
        # plain attributes (not sub-modules: this is a ModuleList and its children are the MLPs)
        self.num_metadata = int(num_metadata)
        self.proj_channels = int(in_channels)
        self.flip_sin_to_cos = bool(flip_sin_to_cos)
        self.freq_shift = freq_shift

    # ------------------------------------------------------------------ pieces
    def project(self, values: torch.Tensor) -> torch.Tensor:
        """Sinusoidal projection of every value, in float32: ``(...)`` -> ``(..., C0)``."""
        flat = values.reshape(-1)
        proj = get_timestep_embedding(
            flat, self.proj_channels, flip_sin_to_cos=self.flip_sin_to_cos, downscale_freq_shift=self.freq_shift
        )
        return proj.reshape(*values.shape, self.proj_channels)

    def _mlp_dtype(self) -> torch.dtype:
        return self[0].linear_1.weight.dtype

    def _check(self, metadata: torch.Tensor, name: str) -> None:
        if metadata.dim() < 2 or metadata.shape[1] != self.num_metadata:
            raise ValueError(
                f"{name} must have shape (batch, {self.num_metadata}) or (batch, {self.num_metadata}, frames), "
                f"got {tuple(metadata.shape)}"
            )

    def field_embeddings(self, metadata: torch.Tensor) -> List[torch.Tensor]:
        """Per-field MLP outputs. ``(B, N)`` -> N tensors ``(B, D)``; ``(B, N, T)`` -> N tensors ``(B, T, D)``."""
        self._check(metadata, "metadata")
        proj = self.project(metadata).to(self._mlp_dtype())  # (B, N, [T,] C0)
        return [mlp(proj[:, i]) for i, mlp in enumerate(self)]

    # ------------------------------------------------------------------ API
    def forward(self, metadata: torch.Tensor) -> torch.Tensor:
        """``(B, N)`` metadata -> ``(B, D)`` sum of the field embeddings."""
        if metadata.dim() != 2:
            raise ValueError(f"metadata must have shape (batch, {self.num_metadata}), got {tuple(metadata.shape)}")
        fields = self.field_embeddings(metadata)
        out = fields[0]
        for f in fields[1:]:
            out = out + f
        return out

    def add_to(self, emb: torch.Tensor, metadata: torch.Tensor, repeat: int = 1) -> torch.Tensor:
        """``emb + m_0 + m_1 + ...`` in the released order. ``(B, N)`` metadata; each field embedding is
        repeated ``repeat`` times per sample (``repeat_interleave``) for frame-major batches."""
        if metadata.dim() != 2:
            raise ValueError(f"metadata must have shape (batch, {self.num_metadata}), got {tuple(metadata.shape)}")
        for f in self.field_embeddings(metadata):
            if repeat != 1:
                f = f.repeat_interleave(repeat, dim=0)
            emb = emb + f
        return emb

    def add_cond_to(self, emb: torch.Tensor, cond_metadata: torch.Tensor, per_frame: bool = False,
                    repeat: int = 1) -> torch.Tensor:
        """Add the embedding of the control image's metadata.

        ``(B, N)`` or ``(B, N, 1)``: one vector per sample. ``(B, N, T)``: with ``per_frame=False`` (2-D
        ControlNet) the field embeddings are summed over T; with ``per_frame=True`` (3-D ControlNet,
        ``emb`` has B*T rows, frame-major within a sample) frame t's embedding goes to row ``b*T + t``.
        ``repeat`` repeats a per-sample embedding for frame-major batches (2-D cond metadata on 3-D)."""
        self._check(cond_metadata, "cond_metadata")
        if cond_metadata.dim() == 2:
            return self.add_to(emb, cond_metadata, repeat=repeat)
        if cond_metadata.dim() != 3:
            raise ValueError(f"cond_metadata must be 2-D or 3-D, got shape {tuple(cond_metadata.shape)}")
        batch, _, frames = cond_metadata.shape
        for f in self.field_embeddings(cond_metadata):  # (B, T, D)
            if per_frame:
                f = f.reshape(batch * frames, -1)
            else:
                f = f.sum(dim=1)
                if repeat != 1:
                    f = f.repeat_interleave(repeat, dim=0)
            emb = emb + f
        return emb


def zeros_metadata(batch: int, num_metadata: int, device=None, dtype=torch.float32) -> torch.Tensor:
    """The 'unknown' metadata (all zeros) DiffusionSat uses for missing values and the CFG branch."""
    return torch.zeros(batch, num_metadata, device=device, dtype=dtype)


def as_metadata_tensor(metadata, batch: int, num_metadata: int, device, name: str = "metadata") -> Optional[torch.Tensor]:
    """Accept a tensor / array / list; a single vector is broadcast to the batch. ``None`` stays ``None``."""
    if metadata is None:
        return None
    if not torch.is_tensor(metadata):
        metadata = torch.as_tensor(metadata, dtype=torch.float32)
    metadata = metadata.to(device)
    if metadata.dim() == 1:
        metadata = metadata[None].expand(batch, -1)
    elif metadata.dim() >= 2 and metadata.shape[0] == 1 and batch != 1:
        metadata = metadata.expand(batch, *metadata.shape[1:])
    if metadata.shape[0] != batch:
        raise ValueError(f"{name} has batch {metadata.shape[0]} but the sample has batch {batch}")
    if metadata.shape[1] != num_metadata:
        raise ValueError(f"{name} must have {num_metadata} values per sample, got shape {tuple(metadata.shape)}")
    return metadata


__all__ = ["MetadataEmbedding", "zeros_metadata", "as_metadata_tensor"]
