"""A small CLIP BPE tokenizer built from the caption vocabulary (loadable by ``transformers.CLIPTokenizer``).

Layout as the released SD 2.1 / DiffusionSat tokenizers, only smaller:

* ``vocab.json``: the 256 byte symbols of CLIP's byte-to-unicode table (ids 0-255), the same symbols with
  the end-of-word marker ``</w>`` (256-511), then one entry per merge result, then ``<|startoftext|>`` and
  ``<|endoftext|>``;
* ``merges.txt``: ``#version: 0.2`` and, per word (in order), the merges that join the word's current
  BPE segmentation (under the merges made so far) left to right (``s a``, ``sa t``, ..., ``satellit e</w>``
  for the first word); since each word's merges rank below every later word's, **every vocabulary word
  encodes to a single token**;
* ``pad_token`` ``"!"`` (id 0) and ``model_max_length`` 77 as SD 2.1.

Any text can be encoded (unknown words fall back to byte symbols and partial merges).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterable, List

from .datasets.captions import _iso_table

FMOW_CLASSES = (
    "airport", "airport_hangar", "airport_terminal", "amusement_park", "aquaculture", "archaeological_site", "barn",
    "border_checkpoint", "burial_site", "car_dealership", "construction_site", "crop_field", "dam",
    "debris_or_rubble", "educational_institution", "electric_substation", "factory_or_powerplant", "fire_station",
    "flooded_road", "fountain", "gas_station", "golf_course", "ground_transportation_station", "helipad",
    "hospital", "impoverished_settlement", "interchange", "lake_or_pond", "lighthouse", "military_facility",
    "multi-unit_residential", "nuclear_powerplant", "office_building", "oil_or_gas_facility", "park",
    "parking_lot_or_garage", "place_of_worship", "police_station", "port", "prison", "race_track",
    "railway_bridge", "recreational_facility", "road_bridge", "runway", "shipyard", "shopping_mall",
    "single-unit_residential", "smokestack", "solar_farm", "space_facility", "stadium", "storage_tank",
    "surface_mine", "swimming_pool", "toll_booth", "tower", "tunnel_opening", "waste_disposal",
    "water_treatment_facility", "wind_farm", "zoo",
)

BASE_WORDS = (
    "a an the of in on at and or with satellite image fmow landsat sentinel worldview spot planet aerial "
    "orthoimage orthophoto multispectral panchromatic cloud clouds cloudy clear free high resolution "
    "united states america colorado haiti brazil paraguay madagascar slovenia netherlands europe"
)


def bytes_to_unicode() -> dict:
    """CLIP / GPT-2 byte -> printable unicode symbol table (256 entries)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def caption_words(texts: Iterable[str]) -> List[str]:
    """Lower-case letter-only words (what CLIP's pre-tokenizer splits into), first-seen order, unique."""
    seen, out = set(), []
    for text in texts:
        for w in _WORD.findall(str(text).lower().replace("_", " ")):
            if w not in seen:
                seen.add(w)
                out.append(w)
    return out


def default_texts() -> List[str]:
    texts = [BASE_WORDS]
    texts += [c.replace("_", " ") for c in FMOW_CLASSES]
    texts += sorted(set(_iso_table().values()))
    return texts


def _bpe(symbols: List[str], ranks: dict) -> List[str]:
    """Byte-pair encoding of one word: repeatedly merge the lowest-ranked adjacent pair (as CLIP does)."""
    word = list(symbols)
    while len(word) > 1:
        best = min(((ranks.get(p, float("inf")), p) for p in zip(word, word[1:])), key=lambda x: x[0])
        if best[0] == float("inf"):
            break
        a, b = best[1]
        out, i = [], 0
        while i < len(word):
            if i < len(word) - 1 and word[i] == a and word[i + 1] == b:
                out.append(a + b)
                i += 2
            else:
                out.append(word[i])
                i += 1
        word = out
    return word


def build_tokenizer(out_dir, texts: Iterable[str] = (), include_defaults: bool = True):
    """Write vocab.json / merges.txt (+ tokenizer config) to ``out_dir`` and return the loaded CLIPTokenizer."""
    from transformers import CLIPTokenizer

    texts = list(texts) + (default_texts() if include_defaults else [])
    b2u = bytes_to_unicode()
    symbols = list(b2u.values())
    vocab = {s: i for i, s in enumerate(symbols)}
    for s in symbols:
        vocab[s + "</w>"] = len(vocab)
    merges: list = []
    ranks: dict = {}
    for word in caption_words(texts):
        chars = [b2u[b] for b in word.encode("utf-8")]
        chars[-1] = chars[-1] + "</w>"
        # segment the word with the merges made so far, then add merges joining the segments left to right:
        # these rank below every later word's merges, so the word always ends as one token
        segments = _bpe(chars, ranks)
        left = segments[0]
        for right in segments[1:]:
            pair = (left, right)
            if pair not in ranks:
                ranks[pair] = len(merges)
                merges.append(pair)
            left = left + right
            if left not in vocab:
                vocab[left] = len(vocab)
    for special in ("<|startoftext|>", "<|endoftext|>"):
        vocab[special] = len(vocab)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "merges.txt").write_text("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges), encoding="utf-8")
    tok = CLIPTokenizer(str(out / "vocab.json"), str(out / "merges.txt"), pad_token="!", model_max_length=77)
    tok.save_pretrained(str(out))
    return CLIPTokenizer.from_pretrained(str(out))


def tokenize(tokenizer, captions: List[str]):
    """Captions -> (B, 77) int64 ids, padded with '!' and truncated as SD 2.1 training does."""
    return tokenizer(list(captions), padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                     return_tensors="pt").input_ids


__all__ = ["build_tokenizer", "tokenize", "bytes_to_unicode", "caption_words", "default_texts", "FMOW_CLASSES"]
