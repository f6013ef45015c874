"""Chinese renders with the shipped font on a machine that has no Chinese font of its own."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from PySide6.QtGui import QFont, QFontDatabase, QFontInfo, QImage, QRawFont
from PySide6.QtWidgets import QLabel

from ranger_app.ui import fonts

REPO = Path(__file__).resolve().parents[1]
FONT = REPO / "resources" / "fonts" / "NotoSansSC-Subset.otf"
ZH_PO = REPO / "translations" / "zh_Hans" / "LC_MESSAGES" / "ranger_app.po"
TOFU = "\uffff\ufffe"  # non-characters: every font draws them as boxes


def catalog_characters() -> set[str]:
    with ZH_PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_Hans")
    chars: set[str] = set()
    for message in catalog:
        if message.id:
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            chars.update("".join(forms))
    return {c for c in chars if not c.isspace()}


def vocabulary_characters() -> set[str]:
    chars: set[str] = set()
    for path in sorted((REPO / "resources").glob("vocab*/**/*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                chars.update(row.get("zh") or "")
    return {c for c in chars if not c.isspace()}


@pytest.fixture
def cjk_family(qapp) -> str:  # type: ignore[no-untyped-def]
    """The family of the shipped font, registered as the app does at start."""
    families = [f for f in QFontDatabase.families() if f.startswith("Noto Sans SC")]
    if not families:
        families = fonts.install_cjk_fallback()
    assert families, f"no font registered from {FONT.parent}"
    return families[0]


def test_font_is_shipped_small_and_licensed() -> None:
    assert FONT.exists()
    assert FONT.stat().st_size < 3_000_000
    assert "SIL OPEN FONT LICENSE Version 1.1" in (FONT.parent / "OFL.txt").read_text("utf-8")


@pytest.mark.parametrize("source", ["catalog", "vocabulary"])
def test_every_chinese_character_is_in_the_font(qapp, source: str) -> None:  # type: ignore[no-untyped-def]
    raw = QRawFont(str(FONT), 16)
    assert raw.isValid()
    chars = catalog_characters() if source == "catalog" else vocabulary_characters()
    assert len(chars) > 100
    missing = sorted(c for c in chars if not raw.supportsCharacter(ord(c)))
    assert not missing, (f"not in {FONT.name}: {''.join(missing)} "
                         "(re-run packaging/subset_cjk_font.py)")


def render(text: str, qtbot) -> QImage:  # type: ignore[no-untyped-def]
    label = QLabel(text)
    label.setFont(QFont())  # the application font: DejaVu here, CJK only by fallback
    qtbot.addWidget(label)
    label.adjustSize()
    return label.grab().toImage()


def test_chinese_is_not_drawn_as_boxes(cjk_family: str, qtbot) -> None:  # type: ignore[no-untyped-def]
    ui_family = QFontInfo(QFont()).family()
    assert ui_family != cjk_family, "the subset must be a fallback, not the UI font"
    assert cjk_family.lower() in [f.lower() for f in QFont.substitutes(ui_family)]
    # Without a CJK font all three are the same two boxes.
    assert render("巡护", qtbot) != render(TOFU, qtbot)
    assert render("巡", qtbot) != render("护", qtbot)
    assert render("保护站", qtbot) != render("\uffff\ufffe\ufffd", qtbot)
