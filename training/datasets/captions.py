"""Caption templates.

* fMoW (official DiffusionSat template): ``"a fmow satellite image of a <class> in <country>"``; the class
  name has its underscores replaced by spaces and the country is the lower-case ISO 3166 name of the
  image's country code (``ARG`` -> ``argentina``).
* Our own rasters: only what is known, honestly: ``"a <sensor> satellite image"`` (``"an aerial image"`` for
  aerial orthoimagery), then
  ``" of <land cover words>"`` when a land-cover description is given and ``" in <place>"`` when the place
  is known (``"a landsat 8 satellite image in paraguay"``). No land-cover words are guessed.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Optional

_ISO_JSON = Path("/usr/share/iso-codes/json/iso_3166-1.json")

# Fallback when the system's iso-codes table is missing (common names, lower case).
_FALLBACK = {
    "ARG": "argentina", "AUS": "australia", "BRA": "brazil", "CAN": "canada", "CHN": "china", "DEU": "germany",
    "EGY": "egypt", "ESP": "spain", "FRA": "france", "GBR": "united kingdom", "IND": "india", "ITA": "italy",
    "JPN": "japan", "MDG": "madagascar", "MEX": "mexico", "NLD": "netherlands", "PRY": "paraguay", "RUS":
    "russian federation", "SVN": "slovenia", "TUR": "turkey", "USA": "united states", "HTI": "haiti", "ZAF":
    "south africa",
}


@lru_cache(maxsize=1)
def _iso_table() -> dict:
    table = dict(_FALLBACK)
    try:
        data = json.loads(_ISO_JSON.read_text(encoding="utf-8"))
        for row in data.get("3166-1", []):
            name = row.get("common_name") or row.get("name")
            if row.get("alpha_3") and name:
                table[row["alpha_3"].upper()] = name.lower()
            if row.get("alpha_2") and name:
                table[row["alpha_2"].upper()] = name.lower()
    except (OSError, ValueError):
        pass
    return table


def country_name(code: Optional[str]) -> Optional[str]:
    """ISO 3166 alpha-3 (or alpha-2) code -> lower-case country name; unknown codes -> the code lower-cased."""
    if not code:
        return None
    code = str(code).strip().upper()
    return _iso_table().get(code, code.lower())


def fmow_caption(category: str, country_code: Optional[str]) -> str:
    cls = str(category).replace("_", " ").strip()
    country = country_name(country_code)
    if country:
        return f"a fmow satellite image of a {cls} in {country}"
    return f"a fmow satellite image of a {cls}"


def sensor_name(sensor: Optional[str]) -> str:
    """'Landsat-8 OLI' -> 'landsat 8'; 'Sentinel-2 L1C' / 'sentinel2' -> 'sentinel-2'; others lower-cased."""
    text = re.sub(r"\s+", " ", (sensor or "").strip().lower())
    m = re.match(r"^landsat[\s_-]*(\d)", text)
    if m:
        return f"landsat {m.group(1)}"
    m = re.match(r"^sentinel[\s_-]*(\d)", text)
    if m:
        return f"sentinel-{m.group(1)}"
    return text


def scene_caption(sensor: Optional[str] = None, place: Optional[str] = None, land_cover: Optional[str] = None) -> str:
    sensor = sensor_name(sensor)
    if sensor in ("aerial", "airborne", "orthophoto", "aerial orthoimage"):
        text = "an aerial image"  # not a satellite image: say so
    elif sensor:
        text = f"{'an' if sensor[0] in 'aeio' else 'a'} {sensor} satellite image"
    else:
        text = "a satellite image"
    if land_cover:
        text += f" of {land_cover.strip().lower()}"
    if place:
        text += f" in {place.strip().lower()}"
    return text


__all__ = ["country_name", "fmow_caption", "scene_caption", "sensor_name"]
