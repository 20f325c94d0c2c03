"""Product metadata with a DTD is refused before parsing (entity expansion; bandit B314 in the upload scan)."""

import shutil

import pytest

from backend.geo import sentinel2_product as s2
from tests.test_sentinel2_product import NEW


def test_metadata_with_entities_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    product = tmp_path / NEW.name
    shutil.copytree(NEW, product)
    mtd = product / "MTD_MSIL2A.xml"
    text = mtd.read_text(encoding="utf-8")
    head, _, rest = text.partition("?>")
    mtd.write_text(head + '?><!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>' + rest,
                   encoding="utf-8")
    with pytest.raises(s2.ProductError, match="MTD_MSIL2A.xml declares a DTD or entities"):
        s2.read_product(product)
