"""File → Export in the window: it speaks the user's language, exports what the lists
show, and writes in a worker with progress (issue 10.6)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from ranger_app import demo
from ranger_app.domain.records import PatrolFilter
from ranger_app.store.db import Database
from ranger_app.store.export_rows import ExportScope
from ranger_app.store.queries import stations
from ranger_app.ui import workers
from ranger_app.ui.export_dialog import ExportDialog
from ranger_app.ui.main_window import MainWindow
from tests.test_i18n_ui import ALLOWED, LANGS, apply_language, english_left


@pytest.fixture
def demo_db(db: Database) -> Database:
    demo.generate(db, "small")
    return db


@pytest.mark.parametrize("lang", LANGS)
def test_export_dialog_speaks(qtbot, demo_db: Database, lang: str) -> None:  # type: ignore[no-untyped-def]
    apply_language(lang)
    try:
        dialog = ExportDialog(demo_db, ExportScope())
        qtbot.addWidget(dialog)
        dialog.show()
        problems = []
        for i in range(dialog.format.count()):
            dialog.format.setCurrentIndex(i)
            problems += english_left(dialog, lang, ALLOWED | {"GeoJSON", "QGIS", "GIS", "KML",
                                                              "Google", "Earth", "Excel",
                                                              "LibreOffice", "geojson", "kml",
                                                              "csv"})
        assert not problems, "\n".join(problems)
    finally:
        apply_language("en")


def test_the_dialog_exports_the_patrol_list_filter(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                                   tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: shown.append(text))
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    ked = next(s for s in stations(demo_db) if s.code == "KED")
    window.patrols.current_filter = lambda: PatrolFilter(station_uuid=ked.uuid)
    assert window.export_action.text()
    window.export_action.trigger()
    dialog = window.findChild(ExportDialog)
    assert dialog is not None and "patrol list" in dialog.scope_label.text()
    dialog.format.setCurrentIndex(dialog.format.findData("csv"))
    dialog.target.setText(str(tmp_path / "csv"))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=30_000)
    workers.wait_for_all()
    with (tmp_path / "csv" / "patrols.csv").open(encoding="utf-8-sig", newline="") as fh:
        codes = {row["station_code"] for row in csv.DictReader(fh)}
    assert codes == {"KED"}
    assert (tmp_path / "csv" / "camera_visits.csv").exists()
    assert str(tmp_path / "csv") in shown[0]
