"""File › SMART in the window: export and import in a worker, the mapping editor."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from ranger_app.io.smart.mapping import park_mapping
from ranger_app.store.db import Database
from ranger_app.store.queries import record_counts
from ranger_app.ui import workers
from ranger_app.ui.main_window import MainWindow
from ranger_app.ui.smart_dialogs import (
    SmartExportDialog,
    SmartImportDialog,
    SmartMappingEditor,
)
from tests.smart_support import make_patrols, station
from tests.test_i18n_ui import ALLOWED, LANGS, apply_language, english_left

SMART_WORDS = ALLOWED | {"SMART", "XML", "zip"}


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: shown.append(text))
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: shown.append(text))
    return shown


def test_export_then_import_through_the_dialogs(qtbot, tmp_path: Path, boxes) -> None:  # type: ignore[no-untyped-def]
    src = station(tmp_path / "src.db")
    make_patrols(src, count=2, points=20)
    window = MainWindow(src)
    qtbot.addWidget(window)
    export_action = window.smart_actions[0]
    assert export_action.text()
    export_action.trigger()
    dialog = window.findChild(SmartExportDialog)
    assert dialog is not None and dialog.patrol_ids is None  # nothing selected: all
    dialog.target.setText(str(tmp_path / "smart"))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: bool(boxes), timeout=20_000)
    workers.wait_for_all()
    files = sorted((tmp_path / "smart").glob("*.xml"))
    assert len(files) == 2 and "2 patrols" in boxes[-1]

    dst = station(tmp_path / "dst.db", code="HQ")
    imp = SmartImportDialog(dst, files)
    qtbot.addWidget(imp)
    imp.import_button.click()
    qtbot.waitUntil(lambda: imp.result is not None, timeout=20_000)
    workers.wait_for_all()
    assert record_counts(dst)["records"]["patrol"] == 2
    assert "2 patrols imported" in boxes[-1]


def test_import_of_a_bad_file_shows_the_reason_and_writes_nothing(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                  boxes) -> None:
    db = station(tmp_path / "st.db")
    bad = tmp_path / "x.xml"
    bad.write_text("<gpx/>", encoding="utf-8")
    before = record_counts(db)
    imp = SmartImportDialog(db, [bad])
    qtbot.addWidget(imp)
    imp.import_button.click()
    qtbot.waitUntil(lambda: imp.error is not None, timeout=20_000)
    workers.wait_for_all()
    assert "not a SMART patrol export" in boxes[-1]
    assert record_counts(db) == before


def test_mapping_editor_highlights_unmapped_and_saves(qtbot, tmp_path: Path, boxes) -> None:  # type: ignore[no-untyped-def]
    db: Database = station(tmp_path / "st.db")
    editor = SmartMappingEditor(db)
    qtbot.addWidget(editor)
    assert editor.unmapped_count() == 0
    row = next(i for i, (k, c, _key) in enumerate(editor.rows()) if (k, c) == ("category",
                                                                            "SNARE"))
    assert editor.table.item(row, 2).text() == "Threats › Snare"
    editor.table.item(row, 3).setText("")
    assert editor.unmapped_count() == 1
    assert editor.table.item(row, 3).background().color().red() == 255
    editor.only_unmapped.setChecked(True)
    assert not editor.table.isRowHidden(row) and editor.table.isRowHidden(0)
    editor.table.item(row + 1, 3).setText("threats.jaw_trap")
    editor.save()
    m = park_mapping(db)
    assert m.smart_key("category", "SNARE") is None
    assert m.smart_key("category", "TRAP") == "threats.jaw_trap"
    assert "2 mapping rows saved" in boxes[-1]


@pytest.mark.parametrize("lang", LANGS)
def test_smart_dialogs_speak(qtbot, tmp_path: Path, lang: str) -> None:  # type: ignore[no-untyped-def]
    db = station(tmp_path / "st.db")
    apply_language(lang)
    try:
        problems = []
        for dialog in (SmartExportDialog(db), SmartImportDialog(db, [tmp_path / "a.zip"]),
                       SmartMappingEditor(db)):
            qtbot.addWidget(dialog)
            dialog.show()
            problems += english_left(dialog, lang, SMART_WORDS)
        # codes and SMART keys are data, the same in every language; labels are not
        data = {text for row in SmartMappingEditor(db).rows() for text in row[1:]}
        problems = [p for p in problems if p.split("'")[1] not in data]
        assert not problems, "\n".join(problems)
    finally:
        apply_language("en")
