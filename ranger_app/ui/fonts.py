"""Fonts: register the shipped CJK font so Chinese never renders as boxes."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase, QFontInfo

from ranger_app.paths import resources_dir


def install_cjk_fallback() -> list[str]:
    """Register every font in `resources/fonts/` and make them fallbacks of the UI font."""
    families: list[str] = []
    folder = resources_dir() / "fonts"
    for path in sorted(folder.glob("*.[ot]tf")) if folder.exists() else []:
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id >= 0:
            families.extend(QFontDatabase.applicationFontFamilies(font_id))
    if families:
        # Only real families get the fallback: a substitute for an alias such as "Sans Serif"
        # (which Qt cannot find by that name) would become the primary font of every widget.
        for name in dict.fromkeys((QFontInfo(QFont()).family(), QFont().defaultFamily())):
            QFont.insertSubstitutions(name, families)
    return families
