"""Typed satellite metadata (`SatMetadata`) and the one normaliser to the models' 7-vector.

Field order and constants follow the released DiffusionSat code (its ``metadata_normalize``):

=====  ===================  ==================================
index  field                normalised value
=====  ===================  ==================================
0      longitude (deg)      (lon + 180) / 360 * 1000
1      latitude (deg)       (lat + 90) / 180 * 1000
2      GSD (m / pixel)      gsd / 1.0 * 1000
3      cloud cover (0..1)   cloud * 1000
4      year                 (year - 1980) / 120 * 1000
5      month                month / 12 * 1000
6      day of month         day / 31 * 1000
=====  ===================  ==================================

The paper says GSD is divided by a maximum of 10 m; the released code divides by 1, and the
released weights were trained that way, so we follow the code (a 10 m Sentinel-2 pixel is 10 000).

Unknown fields become 0 in the vector, which is what the released models saw when a field was
dropped out in training (p = 0.1 per field) and what classifier-free guidance uses as the
unconditional branch. The arithmetic is done in float32 in the order of the released training path
(offsets in float64, cast to float32, then ``/ scale * 1000`` in float32) so vectors match it bit
for bit.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
from typing import Iterable, Optional, Sequence

import numpy as np

FIELDS = ("lon", "lat", "gsd", "cloud_cover", "year", "month", "day")
NUM_METADATA = len(FIELDS)

# (offset, scale) per field: normalised = (value + offset) / scale * 1000
_OFFSETS = (180.0, 90.0, 0.0, 0.0, -1980.0, 0.0, 0.0)
_SCALES = (360.0, 180.0, 1.0, 1.0, 120.0, 12.0, 31.0)
_FACTOR = 1000.0


class MetadataError(ValueError):
    """A metadata value is out of range or of the wrong kind."""


def _as_date(value) -> Optional[_dt.date]:
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return _dt.date.fromisoformat(text[:10])
        except ValueError:
            raise MetadataError(f"date {value!r} is not a real date (expected YYYY-MM-DD)") from None
    raise MetadataError(f"date must be a date, a datetime or a 'YYYY-MM-DD' string, not {type(value).__name__}")


def _finite(name: str, value) -> Optional[float]:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise MetadataError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise MetadataError(f"{name} must be finite, got {value!r}")
    return number


@dataclasses.dataclass(frozen=True)
class SatMetadata:
    """What DiffusionSat is conditioned on. ``None`` means unknown (the model sees 0).

    lon, lat: centre in WGS84 degrees; gsd: ground sample distance in metres per pixel;
    cloud_cover: fraction in [0, 1]; date: acquisition date.
    """

    lon: Optional[float] = None
    lat: Optional[float] = None
    gsd: Optional[float] = None
    cloud_cover: Optional[float] = None
    date: Optional[_dt.date] = None

    def __post_init__(self):
        lon = _finite("lon", self.lon)
        lat = _finite("lat", self.lat)
        gsd = _finite("gsd", self.gsd)
        cloud = _finite("cloud_cover", self.cloud_cover)
        if lon is not None and not -180.0 <= lon <= 180.0:
            raise MetadataError(f"lon {lon} is outside [-180, 180] degrees")
        if lat is not None and not -90.0 <= lat <= 90.0:
            raise MetadataError(f"lat {lat} is outside [-90, 90] degrees")
        if gsd is not None and gsd <= 0:
            raise MetadataError(f"gsd must be > 0 metres per pixel, got {gsd}")
        if cloud is not None and not 0.0 <= cloud <= 1.0:
            raise MetadataError(f"cloud_cover {cloud} is outside [0, 1] (a fraction, not a percentage)")
        object.__setattr__(self, "lon", lon)
        object.__setattr__(self, "lat", lat)
        object.__setattr__(self, "gsd", gsd)
        object.__setattr__(self, "cloud_cover", cloud)
        object.__setattr__(self, "date", _as_date(self.date))

    # ------------------------------------------------------------------ views
    @property
    def unknown_fields(self) -> tuple:
        """Names of the fields that are unknown (date counts as year, month and day)."""
        out = [name for name in ("lon", "lat", "gsd", "cloud_cover") if getattr(self, name) is None]
        if self.date is None:
            out += ["year", "month", "day"]
        return tuple(out)

    def replace(self, **changes) -> "SatMetadata":
        return dataclasses.replace(self, **changes)

    def raw_values(self) -> tuple:
        """The 7 raw values in model order, ``None`` where unknown."""
        date = self.date
        return (
            self.lon,
            self.lat,
            self.gsd,
            self.cloud_cover,
            None if date is None else date.year,
            None if date is None else date.month,
            None if date is None else date.day,
        )

    def to_vector(self) -> np.ndarray:
        """The normalised float32 7-vector the models take (unknown fields are 0)."""
        return normalize(self.raw_values())

    def to_dict(self) -> dict:
        return {
            "lon": self.lon,
            "lat": self.lat,
            "gsd": self.gsd,
            "cloud_cover": self.cloud_cover,
            "date": None if self.date is None else self.date.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "SatMetadata":
        unknown = set(data) - {"lon", "lat", "gsd", "cloud_cover", "date"}
        if unknown:
            raise MetadataError(f"unknown metadata keys: {sorted(unknown)}")
        return cls(**data)

    @classmethod
    def from_vector(cls, vector: Sequence[float]) -> "SatMetadata":
        """Inverse of :meth:`to_vector`. A 0 where 0 is impossible or the range edge means unknown."""
        values = unnormalize(vector)
        lon, lat, gsd, cloud, year, month, day = (float(v) for v in values)
        norm = np.asarray(vector, dtype=np.float64).reshape(-1)
        date = None
        if norm[4] != 0 and norm[5] != 0 and norm[6] != 0:
            try:
                date = _dt.date(int(round(year)), int(round(month)), int(round(day)))
            except ValueError:
                date = None
        return cls(
            lon=None if norm[0] == 0 else lon,
            lat=None if norm[1] == 0 else lat,
            gsd=None if norm[2] <= 0 else gsd,
            cloud_cover=min(max(cloud, 0.0), 1.0),
            date=date,
        )

    def __str__(self) -> str:
        def fmt(v, spec):
            return "unknown" if v is None else format(v, spec)

        date = "unknown" if self.date is None else self.date.isoformat()
        return (
            f"lon {fmt(self.lon, '.5f')}, lat {fmt(self.lat, '.5f')}, gsd {fmt(self.gsd, '.3g')} m, "
            f"cloud {fmt(self.cloud_cover, '.2f')}, date {date}"
        )


def normalize(values: Iterable[Optional[float]]) -> np.ndarray:
    """Raw 7 values (``None`` = unknown) -> normalised float32 vector, in the released code's arithmetic."""
    values = list(values)
    if len(values) != NUM_METADATA:
        raise MetadataError(f"expected {NUM_METADATA} metadata values {FIELDS}, got {len(values)}")
    known = np.array([v is not None for v in values])
    offset = np.array(
        [0.0 if v is None else float(v) + o for v, o in zip(values, _OFFSETS)], dtype=np.float64
    ).astype(np.float32)
    out = (offset / np.asarray(_SCALES, dtype=np.float32)) * np.float32(_FACTOR)
    return np.where(known, out, np.float32(0)).astype(np.float32)


def unnormalize(vector: Sequence[float]) -> np.ndarray:
    """Normalised 7-vector -> raw values (lon, lat, gsd, cloud, year, month, day) as float32."""
    vec = np.asarray(vector, dtype=np.float32).reshape(-1)
    if vec.shape[0] != NUM_METADATA:
        raise MetadataError(f"expected a {NUM_METADATA}-vector, got shape {tuple(np.shape(vector))}")
    offset = vec / np.float32(_FACTOR) * np.asarray(_SCALES, dtype=np.float32)
    return offset - np.asarray(_OFFSETS, dtype=np.float32)


def stack(items: Sequence[SatMetadata]) -> np.ndarray:
    """Several records -> (N, 7) float32 array."""
    return np.stack([m.to_vector() for m in items]).astype(np.float32)


__all__ = ["SatMetadata", "MetadataError", "FIELDS", "NUM_METADATA", "normalize", "unnormalize", "stack"]
