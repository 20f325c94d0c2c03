"""The Sentinel-2 VRT cache stays bounded (issue 18): old and least recently used entries go, reuse keeps one."""

import os
import time

from backend.geo import sentinel2_cache as cache
from backend.geo import sentinel2_product as s2
from tests.test_sentinel2_product import NEW

DAY = 86400.0


def entry(folder, name, size, age_days, now):
    path = folder / name
    path.write_bytes(b"x" * size)
    os.utime(path, (now - age_days * DAY, now - age_days * DAY))
    return path


def test_prune_removes_old_then_least_recently_used(tmp_path):
    now = time.time()
    old = entry(tmp_path, "old.vrt", 10, 61, now)
    lru = entry(tmp_path, "lru.vrt", 600, 5, now)
    recent = entry(tmp_path, "recent.vrt", 600, 1, now)
    tmp_left = entry(tmp_path, "x.vrt.tmp", 10, 0.5, now)
    other = entry(tmp_path, "notes.txt", 10, 400, now)  # not the cache's: never touched
    gone = cache.prune(tmp_path, max_age_days=60, max_bytes=1000, now=now)
    assert set(gone) == {old, lru, tmp_left}
    assert recent.exists() and other.exists()


def test_opening_a_product_prunes_the_cache_once_and_refreshes_what_it_reuses(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(cache, "_pruned", set())
    folder = s2.cache_dir()
    folder.mkdir(parents=True)
    stale = entry(folder, "S2B_gone_10m_0123456789.vrt", 100, 90, time.time())
    first = s2.as_raster(NEW)
    assert not stale.exists() and os.path.exists(first)
    os.utime(first, (time.time() - 30 * DAY,) * 2)
    assert s2.as_raster(NEW) == first  # the same VRT, now marked as used
    assert time.time() - os.path.getmtime(first) < 60
