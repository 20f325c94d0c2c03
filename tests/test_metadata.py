"""SatMetadata: validation, unknown fields, and the normaliser's arithmetic."""

import datetime as dt

import numpy as np
import pytest

from backend.metadata import MetadataError, SatMetadata, normalize, unnormalize


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lat": 91}, "lat 91.0 is outside"),
        ({"lat": -90.5}, "outside [-90, 90]"),
        ({"lon": 180.01}, "outside [-180, 180]"),
        ({"gsd": 0}, "gsd must be > 0"),
        ({"gsd": -3}, "gsd must be > 0"),
        ({"cloud_cover": 12}, "a fraction, not a percentage"),
        ({"date": "2021-02-30"}, "not a real date"),
        ({"lon": float("nan")}, "must be finite"),
        ({"lon": "east"}, "must be a number"),
    ],
)
def test_invalid_values_are_refused_with_a_specific_message(kwargs, message):
    with pytest.raises(MetadataError, match=message.replace("[", r"\[").replace("]", r"\]")):
        SatMetadata(**kwargs)


def test_unknown_fields_are_zero_and_named():
    md = SatMetadata(lon=10.0, gsd=2.5)
    vec = md.to_vector()
    assert vec.dtype == np.float32 and vec.shape == (7,)
    assert vec[1] == 0 and vec[3] == 0 and (vec[4:] == 0).all()
    assert md.unknown_fields == ("lat", "cloud_cover", "year", "month", "day")
    assert (SatMetadata().to_vector() == 0).all()


def test_released_constants():
    md = SatMetadata(lon=0.0, lat=0.0, gsd=10.0, cloud_cover=0.5, date=dt.date(2040, 6, 31 - 16))
    vec = md.to_vector()
    # (lon+180)/360, (lat+90)/180, gsd/1 (max_gsd = 1 in the released code), cloud, (year-1980)/120, m/12, d/31
    np.testing.assert_allclose(vec, [500, 500, 10000, 500, 500, 500, 15 / 31 * 1000], rtol=1e-6)


def test_round_trip_through_the_vector():
    md = SatMetadata(lon=-58.3816, lat=-34.6037, gsd=0.3, cloud_cover=0.12, date="2017-02-11")
    back = SatMetadata.from_vector(md.to_vector())
    assert back.date == md.date
    for name in ("lon", "lat", "gsd", "cloud_cover"):
        assert getattr(back, name) == pytest.approx(getattr(md, name), abs=1e-4)
    raw = unnormalize(normalize([1.0, 2.0, 3.0, 0.25, 2001, 7, 9]))
    np.testing.assert_allclose(raw, [1.0, 2.0, 3.0, 0.25, 2001, 7, 9], atol=1e-3)


def test_dates_and_dicts():
    md = SatMetadata(date=dt.datetime(2020, 5, 18, 13, 45))
    assert md.date == dt.date(2020, 5, 18)
    assert SatMetadata.from_dict(md.to_dict()) == md
    with pytest.raises(MetadataError, match="unknown metadata keys"):
        SatMetadata.from_dict({"lon": 1, "height": 3})
    assert "unknown" in str(SatMetadata())
