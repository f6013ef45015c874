"""A ranger logs a whole patrol through the real widgets, closes the app and finds it again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDateTime, QEvent, QPoint, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QSpinBox, QWidget

from ranger_app.store.db import Database
from ranger_app.store.drafts import drafts
from ranger_app.store.queries import people
from ranger_app.ui.main_window import MainWindow
from ranger_app.ui.patrol_editor import PatrolEditor
from tests.conftest import CAMTRAP_MEDIA

T0 = datetime(2025, 2, 10, 0, 30, tzinfo=UTC)  # 10:30 in Vladivostok


def write_gpx(path: Path, n: int = 120) -> Path:
    """A walk north-east from the cordon, one fix every 30 s, and two waypoints."""
    pts = []
    for i in range(n):
        t = (T0 + timedelta(seconds=30 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        pts.append(f'<trkpt lat="{43.10 + i * 0.0003:.6f}" lon="{131.20 + i * 0.0002:.6f}">'
                   f"<ele>{300 + i}</ele><time>{t}</time></trkpt>")
    wpt_t = (T0 + timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    wpt_t2 = (T0 + timedelta(minutes=40)).strftime("%Y-%m-%dT%H:%M:%SZ")
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="eTrex 32x" xmlns="http://www.topografix.com/GPX/1/1">'
        f'<wpt lat="43.112" lon="131.208"><time>{wpt_t}</time><name>001</name></wpt>'
        f'<wpt lat="43.118" lon="131.212"><time>{wpt_t2}</time><name>002</name></wpt>'
        f"<trk><name>Маршрут</name><trkseg>{''.join(pts)}</trkseg></trk></gpx>",
        encoding="utf-8")
    return path


def type_text(widget: QWidget, text: str) -> None:
    """Type any script, Cyrillic included, as key events (keyClicks aborts on non-ASCII)."""
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown,
                                                     Qt.KeyboardModifier.NoModifier, ch))


@pytest.fixture
def no_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Discard)
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda *a, **k: pytest.fail(f"unexpected warning: {a[2]}"))


def test_log_a_patrol_end_to_end(qtbot, db: Database, tmp_path: Path,  # type: ignore[no-untyped-def]
                                 monkeypatch: pytest.MonkeyPatch, no_dialogs: None) -> None:
    gpx = write_gpx(tmp_path / "Track_2025-02-10.gpx")
    photo = sorted(CAMTRAP_MEDIA.glob("*.JPG"))[0]
    if not photo.exists():
        pytest.skip("the Camtrap DP example photos are not beside the repo")
    helper_uuid = None
    with db.writer() as s:
        from ranger_app.store.models import Person

        helper = Person(name="Сергей Ким", station_uuid=db.installation().station_uuid)
        s.add(helper)
        s.flush()
        helper_uuid = helper.uuid

    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    qtbot.mouseClick(window.patrols.new_button, Qt.MouseButton.LeftButton)
    editor: PatrolEditor = window.editors[-1]

    # --- the form ---------------------------------------------------------------------
    qtbot.keyClicks(editor.number, "KED-2025-007")
    editor.patrol_type.setCurrentIndex(editor.patrol_type.findData("ANTI_POACHING_RAID"))
    editor.mandate.setCurrentIndex(editor.mandate.findData("ANTI_POACHING"))
    qtbot.mouseClick(editor.armed, Qt.MouseButton.LeftButton,  # on the tick box itself
                     pos=QPoint(8, editor.armed.height() // 2))
    editor.start.setDateTime(QDateTime(2025, 2, 10, 10, 0, 0))
    editor.end.setDateTime(QDateTime(2025, 2, 10, 16, 30, 0))
    editor.notes.setFocus()
    type_text(editor.notes, "Глубокий снег, следы тигрицы у ручья")
    # the second ranger joins the first leg
    item = next(editor.team.item(i) for i in range(editor.team.count())
                if editor.team.item(i).data(Qt.ItemDataRole.UserRole) == helper_uuid)
    item.setCheckState(Qt.CheckState.Checked)
    leg_start = editor.legs.cellWidget(0, 1)
    leg_start.setDateTime(QDateTime(2025, 2, 10, 10, 0, 0))

    # --- the GPX from the handheld --------------------------------------------------------
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(gpx), ""))
    qtbot.mouseClick(editor.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.tracks.rowCount() == 1, timeout=10_000)
    assert editor.patrol.tracks[0].stats.points == 120
    assert len(editor.patrol.observations) == 2  # the two waypoints, still unclassified
    assert not editor.map.is_empty()

    # --- categorise the first waypoint ------------------------------------------------
    editor.tabs.setCurrentIndex(2)
    editor.observations.selectRow(0)
    qtbot.keyClicks(editor.picker.search, "snare")
    index = editor.picker.proxy.match(editor.picker.proxy.index(0, 0),
                                      Qt.ItemDataRole.UserRole, "SNARE", 1,
                                      Qt.MatchFlag.MatchRecursive)[0]
    rect = editor.picker.tree.visualRect(index)
    qtbot.mouseClick(editor.picker.tree.viewport(), Qt.MouseButton.LeftButton,
                     pos=rect.center())
    assert editor.patrol.observations[0].category == "SNARE"
    count = editor.findChild(QSpinBox, "attr_snare_count")
    count.setValue(3)
    editor.obs_notes.setFocus()
    type_text(editor.obs_notes, "Петля из троса, снята")

    # --- a photo --------------------------------------------------------------------------
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(photo)], ""))
    qtbot.mouseClick(editor.attach_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.photos.count() == 1, timeout=10_000)

    # --- autosave, then save --------------------------------------------------------------
    qtbot.waitUntil(lambda: bool(drafts(db, "patrol")), timeout=5_000)
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert not editor.dirty
    assert drafts(db, "patrol") == []
    uuid = editor.patrol.uuid
    qtbot.waitUntil(lambda: window.patrols.model.rowCount() == 1)
    editor.close()
    window.close()
    path = db.path
    db.close()

    # --- the next morning: reopen the app on the same database --------------------------
    again = Database.open(path)
    window2 = MainWindow(again)
    qtbot.addWidget(window2)
    window2.show()
    assert window2.patrols.model.rowCount() == 1
    row = window2.patrols.model.row_at(0)
    assert row is not None and row.uuid == uuid and row.number == "KED-2025-007"
    window2.patrols.table.selectRow(0)
    qtbot.mouseClick(window2.patrols.open_button, Qt.MouseButton.LeftButton)
    reopened: PatrolEditor = window2.editors[-1]
    p = reopened.patrol
    assert reopened.number.text() == "KED-2025-007"
    assert reopened.patrol_type.code() == "ANTI_POACHING_RAID"
    assert reopened.armed.isChecked()
    assert reopened.start.dateTime() == QDateTime(2025, 2, 10, 10, 0, 0)
    assert reopened.end.dateTime() == QDateTime(2025, 2, 10, 16, 30, 0)
    assert p.start_at == datetime(2025, 2, 10, 0, 0, tzinfo=UTC)
    assert reopened.notes.toPlainText() == "Глубокий снег, следы тигрицы у ручья"
    assert p.notes_lang == "en"
    names = {person.uuid for person in people(again)}
    assert {m.person_uuid for m in p.legs[0].members} == {
        again.installation().user_uuid, helper_uuid} <= names | {None}
    assert [m.is_leader for m in p.legs[0].members].count(True) == 1
    assert len(p.tracks) == 1 and p.tracks[0].stats.points == 120
    assert p.tracks[0].leg_uuid == p.legs[0].uuid
    assert any(a.kind == "gpx" and a.filename == gpx.name for a in p.attachments)
    assert again.media.read_bytes(
        next(a.sha256 for a in p.attachments if a.kind == "gpx")) == gpx.read_bytes()
    snare = next(o for o in p.observations if o.category == "SNARE")
    assert snare.attributes == {"snare_count": 3}
    assert snare.notes == "Петля из троса, снята"
    assert snare.waypoint_name == "001"
    assert abs(snare.lat - 43.112) < 1e-9 and abs(snare.lon - 131.208) < 1e-9
    assert [ph.filename for ph in snare.photos] == [photo.name]
    assert again.media.read_bytes(snare.photos[0].sha256) == photo.read_bytes()
    assert reopened.observations.rowCount() == 2
    reopened.close()
    window2.close()
    again.close()


def test_unsaved_patrol_comes_back_after_a_crash(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    window = MainWindow(db)
    qtbot.addWidget(window)
    editor = window.new_patrol()
    qtbot.keyClicks(editor.number, "KED-2025-099")
    editor.notes.setFocus()
    type_text(editor.notes, "Батарея садится")
    qtbot.waitUntil(lambda: bool(drafts(db, "patrol")), timeout=5_000)
    # the battery dies: no save, no close; the next start finds the draft
    editor.autosave.stop()
    editor.dirty = False
    editor.hide()

    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    window2 = MainWindow(db)
    qtbot.addWidget(window2)
    assert window2.restore_drafts() == 1
    restored = window2.editors[-1]
    assert restored.number.text() == "KED-2025-099"
    assert restored.notes.toPlainText() == "Батарея садится"
    assert restored.dirty  # still unsaved until the ranger saves it
    restored.dirty = False
    restored.close()
    editor.close()


def test_notes_typed_in_russian_carry_a_mark_in_the_chinese_interface(
        qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    from ranger_app.i18n.qt import apply_language

    window = MainWindow(db)
    qtbot.addWidget(window)
    apply_language("ru")
    editor = window.new_patrol()
    editor.notes.setFocus()
    type_text(editor.notes, "Следы тигрицы")
    assert editor.patrol.notes_lang == "ru"
    assert not editor.notes_mark.isVisibleTo(editor)  # same language as the interface
    apply_language("zh")
    assert editor.notes_mark.isVisibleTo(editor)
    assert editor.notes_mark.text() == "RU"
    assert "Русский" in editor.notes_mark.toolTip()
    apply_language("en")
    editor.dirty = False
    editor.close()
