"""Translations: `tr()` for every user-visible string, and the .qm matching the QGIS locale."""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsSettings
from qgis.PyQt.QtCore import QCoreApplication, QLocale, QTranslator

CONTEXT = "@default"  # what pylupdate5 assigns to a plain tr() call
I18N_DIR = Path(__file__).resolve().parents[1] / "i18n"


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def qgis_locale() -> str:
    """The two-letter UI language QGIS uses (its override setting, else the system locale)."""
    settings = QgsSettings()
    override = settings.value("locale/overrideFlag", False, type=bool)
    value = settings.value("locale/userLocale", "", type=str) if override else ""
    # QGIS sets the default QLocale to its UI language at start-up.
    return str(value or QLocale().name())[:2]


def install_translator(locale: str | None = None) -> QTranslator | None:
    """Load i18n/diffusionsat_<ll>.qm into the application; returns the translator (keep it alive)."""
    code = (locale or qgis_locale())[:2]
    qm = I18N_DIR / f"diffusionsat_{code}.qm"
    if not qm.exists():
        return None
    translator = QTranslator()
    if not translator.load(str(qm)):
        return None
    QCoreApplication.installTranslator(translator)
    return translator


def remove_translator(translator: QTranslator | None) -> None:
    if translator is not None:
        QCoreApplication.removeTranslator(translator)
