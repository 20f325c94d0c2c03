"""Translations: complete, in step with the sources, and loaded for the QGIS locale."""

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET  # noqa: S405 (our own files)

import pytest

from tests.conftest import ROOT

LANGUAGES = ["fr", "de"]


def messages(ts_path):
    root = ET.parse(ts_path).getroot()  # noqa: S314 (our own files)
    return {m.findtext("source"): m.find("translation") for m in root.iter("message")}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_string_is_translated(lang):
    table = messages(ROOT / "i18n" / f"diffusionsat_{lang}.ts")
    assert table, "empty translation file"
    untranslated = [src for src, tr in table.items() if tr is None or tr.get("type") == "unfinished" or not tr.text]
    assert not untranslated, f"{lang}: untranslated {untranslated}"
    for src, tr in table.items():  # placeholders survive translation
        assert src.count("{}") == tr.text.count("{}"), (src, tr.text)


@pytest.mark.skipif(not shutil.which("pylupdate5"), reason="pylupdate5 not installed")
def test_ts_files_match_the_sources(tmp_path):
    ts = tmp_path / "probe.ts"
    ts.write_text('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n<TS version="2.1">\n</TS>\n')
    sources = [str(p) for p in sorted((ROOT / "plugin").rglob("*.py"))]
    subprocess.run(["pylupdate5", "-noobsolete", *sources, "-ts", str(ts)], check=True, capture_output=True)
    wanted = set(messages(ts))
    for lang in LANGUAGES:
        have = set(messages(ROOT / "i18n" / f"diffusionsat_{lang}.ts"))
        assert wanted == have, f"run `python3 build.py translations` and translate: {sorted(wanted ^ have)}"


def test_french_ui_loads(qgis_app):
    import build

    build.compile_translations()
    from plugin.dock import task_pages
    from plugin.i18n import install_translator, remove_translator, tr

    translator = install_translator("fr_FR")
    try:
        assert translator is not None
        assert tr("Generate") == "Générer"
        assert [p[1] for p in task_pages()] == ["Générer", "Super-résolution", "Reconstruire", "Prédiction multidate"]
    finally:
        remove_translator(translator)
    assert tr("Generate") == "Generate"
    assert re.search("Inpaint", tr("Inpaint"))
