"""Fonts: register the shipped CJK font so Chinese never renders as boxes."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase

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
        base = QFont().defaultFamily()
        QFont.insertSubstitutions(base, families)
        for generic in ("Sans Serif", "sans-serif", "DejaVu Sans"):
            QFont.insertSubstitutions(generic, families)
    return families
