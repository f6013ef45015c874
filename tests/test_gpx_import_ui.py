"""The window's GPX import asks what the file cannot say (issue 10.1, 10.2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from ranger_app.domain.records import PatrolValue
from ranger_app.io.gpx import parse_gpx
from ranger_app.store.db import Database
from ranger_app.ui import workers
from ranger_app.ui.gpx_import_dialog import GpxImportDialog
from ranger_app.ui.patrol_editor import PatrolEditor

CORPUS = Path(__file__).parent / "data" / "gpx" / "corpus"


def _editor(qtbot, db: Database) -> PatrolEditor:  # type: ignore[no-untyped-def]
    editor = PatrolEditor(db, PatrolValue(station_uuid=db.installation().station_uuid))
    qtbot.addWidget(editor)
    editor.patrol.legs.clear()  # a fresh patrol: the file makes the legs
    editor.patrol.start_at = None
    return editor


def test_an_untimed_file_asks_for_the_patrol_times(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    editor = _editor(qtbot, db)
    editor.import_gpx(CORPUS / "alltrails_untimed_track.gpx")
    qtbot.waitUntil(lambda: getattr(editor, "gpx_dialog", None) is not None, timeout=10_000)
    dialog: GpxImportDialog = editor.gpx_dialog
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # no start yet: nothing to date the patrol by
    assert "no times" in dialog.notes.text()
    dialog.start.setDateTime(dialog.start.dateTime().addYears(24))
    dialog.end.setDateTime(dialog.start.dateTime().addSecs(4 * 3600))
    assert ok.isEnabled()
    ok.click()
    qtbot.waitUntil(lambda: bool(editor.patrol.tracks), timeout=5_000)
    assert editor.patrol.start_at is not None and editor.patrol.legs
    assert editor.patrol.legs[0].start_at == editor.patrol.start_at
    workers.wait_for_all()
    editor.dirty = False  # nothing to save: closing must not ask


@pytest.mark.parametrize(("transport", "flagged"), [("FOOT", 360), ("BICYCLE", 0)])
def test_the_transport_chosen_sets_the_effort_figures(qtbot, transport: str,  # type: ignore[no-untyped-def]
                                                      flagged: int) -> None:
    parsed = parse_gpx(CORPUS / "strava_ride.gpx")
    dialog = GpxImportDialog(parsed, "strava_ride.gpx", "Asia/Vladivostok",
                             needs_times=False, makes_legs=True)
    qtbot.addWidget(dialog)
    dialog.transport.set_code(transport)
    assert dialog.chosen_transport() == transport
    assert ("360" in dialog.flagged.text()) == (flagged == 360)
    recorded = dialog.recorded.text()
    assert recorded.startswith("10")  # 10.0 km as recorded, whatever the transport
    assert dialog.effort.text() == (recorded if flagged == 0 else dialog.effort.text())
    assert (dialog.effort.text() != recorded) == (flagged > 0)
