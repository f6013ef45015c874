"""A patrol goes through review the way people do it, through the real widgets.

A ranger submits; the inspector returns it with a comment; the ranger reads the comment,
fixes it and submits again; the inspector approves (signed); the ranger can no longer edit
it; an amendment goes through review; the history shows all of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox

from ranger_app.domain.records import ObservationValue, PatrolValue, TrackValue
from ranger_app.domain.review_checks import review_warnings
from ranger_app.domain.track import TrackPoint, flag_speed, pack_points, track_stats
from ranger_app.store.accounts import set_password, set_pin
from ranger_app.store.audit import verify
from ranger_app.store.db import Database
from ranger_app.store.models import Person
from ranger_app.store.patrols import load_patrol
from ranger_app.ui import login
from ranger_app.ui.history import HistoryView
from ranger_app.ui.main_window import MainWindow
from ranger_app.ui.patrol_editor import PatrolEditor
from ranger_app.ui.review import ReviewQueue, ReviewView, add_review_menu
from tests.test_ui_patrol import type_text, write_gpx

T0 = datetime(2025, 2, 10, 0, 30, tzinfo=UTC)
RANGER, INSPECTOR = "Сергей Ким", "Ольга Зуева"


@pytest.fixture
def station(db: Database) -> Iterator[Database]:
    with db.writer() as s:
        ranger = Person(name=RANGER, station_uuid=db.installation().station_uuid,
                        roles="RANGER")
        inspector = Person(name=INSPECTOR, station_uuid=db.installation().station_uuid,
                           roles="INSPECTOR")
        s.add_all([ranger, inspector])
        s.flush()
        ids = ranger.uuid, inspector.uuid
    set_pin(db, ids[0], "sergei", "2468")
    set_password(db, ids[1], "olga", "amur-tiger-25")
    yield db
    login.sign_out()


def sign_in(qtbot, db: Database, name: str, secret: str) -> None:  # type: ignore[no-untyped-def]
    dialog = login.LoginDialog(db)
    qtbot.addWidget(dialog)
    dialog.choose(name)
    qtbot.keyClicks(dialog.secret, secret)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted, dialog.error.text()
    session = login.current_session()
    assert session is not None and session.actor.name == name


class Messages:
    """Message boxes the test answers and remembers."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.warnings: list[str] = []
        monkeypatch.setattr(QMessageBox, "warning",
                            lambda _p, _t, text, *a, **k: self.warnings.append(text))
        monkeypatch.setattr(QMessageBox, "question",
                            lambda *a, **k: QMessageBox.StandardButton.Yes)


def open_editor(qtbot, window: MainWindow, uuid: str) -> PatrolEditor:  # type: ignore[no-untyped-def]
    for editor in list(window.editors):
        editor.close()
    qtbot.waitUntil(lambda: not window.editors)  # closed editors are deleted later
    return window.open_patrol(uuid)


def review_view(qtbot, window: MainWindow) -> ReviewView:  # type: ignore[no-untyped-def]
    window.review_menu.queue_action.trigger()  # type: ignore[attr-defined]
    queue = window.review_menu.windows[-1]  # type: ignore[attr-defined]
    assert isinstance(queue, ReviewQueue) and len(queue.model.rows) == 1
    view = queue.open_row(0)
    assert view is not None
    qtbot.addWidget(view)
    return view


def test_a_patrol_through_review_and_amendment(qtbot, station: Database, tmp_path: Path,  # type: ignore[no-untyped-def]
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    db = station
    messages = Messages(monkeypatch)
    window = MainWindow(db)
    qtbot.addWidget(window)
    add_review_menu(window)
    window.show()

    # --- the ranger logs the patrol and submits it ---------------------------------------
    sign_in(qtbot, db, RANGER, "2468")
    window.review_menu.queue_action.trigger()  # type: ignore[attr-defined]
    assert messages.warnings.pop().startswith("Only inspectors approve patrols.")
    editor = window.new_patrol()
    qtbot.keyClicks(editor.number, "KED-2025-011")
    editor.start.setDateTime(QDateTime(2025, 2, 10, 10, 0, 0))
    editor.end.setDateTime(QDateTime(2025, 2, 10, 12, 0, 0))
    editor.legs.cellWidget(0, 1).setDateTime(QDateTime(2025, 2, 10, 10, 0, 0))
    gpx = write_gpx(tmp_path / "walk.gpx")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(gpx), ""))
    qtbot.mouseClick(editor.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.tracks.rowCount() == 1, timeout=10_000)
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert not messages.warnings and not editor.dirty
    banner = editor.review_banner
    assert banner.submit_button.isVisible()
    qtbot.mouseClick(banner.submit_button, Qt.MouseButton.LeftButton)
    uuid = editor.patrol.uuid or ""
    assert load_patrol(db, uuid).status == "SUBMITTED"
    assert "Submitted for review" in banner.text.text()

    # --- the inspector returns it with a comment ------------------------------------------
    sign_in(qtbot, db, INSPECTOR, "amur-tiger-25")
    view = review_view(qtbot, window)
    assert view.map.tracks() and view.warning_list.count() >= 1
    assert "Submitted by " + RANGER in view.subheader.text()
    assert view.return_button.isEnabled() and view.approve_button.isEnabled()
    qtbot.mouseClick(view.return_button, Qt.MouseButton.LeftButton)  # no comment yet
    assert messages.warnings.pop().startswith("Write a comment")
    type_text(view.comment, "Укажите цель обхода в заметках")
    qtbot.mouseClick(view.return_button, Qt.MouseButton.LeftButton)
    assert load_patrol(db, uuid).status == "RETURNED"
    view.close()

    # --- the ranger reads the comment, fixes and submits again ----------------------------
    sign_in(qtbot, db, RANGER, "2468")
    editor = open_editor(qtbot, window, uuid)
    banner = editor.review_banner
    assert "Укажите цель обхода в заметках" in banner.text.text()
    assert INSPECTOR in banner.text.text()
    editor.notes.setFocus()
    type_text(editor.notes, "Цель: проверка солонцов")
    qtbot.mouseClick(banner.submit_button, Qt.MouseButton.LeftButton)  # saves, then submits
    assert not messages.warnings
    assert load_patrol(db, uuid).notes == "Цель: проверка солонцов"
    assert load_patrol(db, uuid).status == "SUBMITTED"

    # --- the inspector approves ----------------------------------------------------------
    sign_in(qtbot, db, INSPECTOR, "amur-tiger-25")
    view = review_view(qtbot, window)
    qtbot.mouseClick(view.approve_button, Qt.MouseButton.LeftButton)
    assert not messages.warnings
    approved = load_patrol(db, uuid)
    assert approved.status == "APPROVED"
    assert view.status.text() == "Approved and signed."
    view.close()

    # --- the ranger can no longer edit it -------------------------------------------------
    sign_in(qtbot, db, RANGER, "2468")
    editor = open_editor(qtbot, window, uuid)
    banner = editor.review_banner
    assert f"Approved by {INSPECTOR}" in banner.text.text()
    assert banner.amend_button.isVisible() and not banner.submit_button.isVisible()
    editor.number.clear()
    qtbot.keyClicks(editor.number, "KED-2025-012")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert messages.warnings.pop().startswith(
        "This patrol was approved by an inspector and is locked.")
    assert editor.dirty and load_patrol(db, uuid).number == "KED-2025-011"

    # --- so the change goes in as an amendment, reviewed again ----------------------------
    monkeypatch.setattr(QInputDialog, "getMultiLineText",
                        lambda *a, **k: ("Опечатка в номере", True))
    qtbot.mouseClick(banner.amend_button, Qt.MouseButton.LeftButton)
    assert not messages.warnings and not editor.dirty
    amended = load_patrol(db, uuid)
    assert (amended.status, amended.number) == ("SUBMITTED", "KED-2025-012")

    sign_in(qtbot, db, INSPECTOR, "amur-tiger-25")
    view = review_view(qtbot, window)
    assert "Amendment of the approved revision" in view.subheader.text()
    assert "Опечатка в номере" in view.subheader.text()
    qtbot.mouseClick(view.approve_button, Qt.MouseButton.LeftButton)
    assert load_patrol(db, uuid).status == "APPROVED"
    view.close()

    # --- the history shows all of it -----------------------------------------------------
    window.patrols.refresh()
    window.patrols.table.selectRow(0)
    window.review_menu.history_action.trigger()  # type: ignore[attr-defined]
    history = window.review_menu.windows[-1]  # type: ignore[attr-defined]
    assert isinstance(history, HistoryView)
    qtbot.addWidget(history)
    steps = [history.steps.item(i).text() for i in range(history.steps.count())]
    assert [s.split(" · ", 1)[1] for s in steps] == [
        f"Submitted for review — {RANGER}",
        f"Returned for rework — {INSPECTOR}: “Укажите цель обхода в заметках”",
        f"Submitted for review — {RANGER}",
        f"Approved — {INSPECTOR} (signature valid)",
        f"Amendment requested — {RANGER}: “Опечатка в номере”",
        f"Approved — {INSPECTOR} (signature valid)",
    ]
    who = {history.entries.item(r, 1).text() for r in range(history.entries.rowCount())}
    assert {RANGER, INSPECTOR} <= who
    devices = {history.entries.item(r, 2).text() for r in range(history.entries.rowCount())}
    assert all(d.startswith("this laptop") for d in devices)
    table = history.side_by_side
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "Number")
    numbers = [table.item(row, c).text() for c in range(1, table.columnCount())]
    assert numbers[0] == "KED-2025-011" and numbers[-1] == "KED-2025-012"
    status_row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "Status")
    statuses = [table.item(status_row, c).text() for c in range(1, table.columnCount())]
    assert statuses == ["Draft", "Submitted", "Returned", "Returned", "Submitted", "Approved",
                        "Submitted", "Approved"]
    last = history.entries.rowCount() - 1
    assert history.entries.item(last, 3).text() == "Review step"
    report = verify(db)
    assert report.ok and report.unsigned_approvals == 0
    for editor in list(window.editors):
        editor.close()
    window.close()


def test_warnings_an_inspector_sees() -> None:
    """Too fast, a gap, an observation far away, one outside the patrol's times."""
    fixes = [TrackPoint(43.1 + i * 0.0003, 131.2, None, T0 + timedelta(seconds=30 * i))
             for i in range(40)]
    fixes[10] = TrackPoint(43.2, 131.2, None, fixes[10].time)  # an 11 km jump in 30 s
    later = T0 + timedelta(hours=2)  # an hour and a half without a fix
    fixes += [TrackPoint(43.112 + i * 0.0003, 131.2, None, later + timedelta(seconds=30 * i))
              for i in range(10)]
    points = flag_speed(fixes, 12)
    patrol = PatrolValue(
        start_at=T0, end_at=T0 + timedelta(hours=3),
        tracks=[TrackValue(pack_points(points), track_stats(points), name="Маршрут")],
        observations=[
            ObservationValue("SNARE", T0 + timedelta(minutes=5), 43.1015, 131.2, uuid="near"),
            ObservationValue("TIGER", T0 + timedelta(minutes=9), 43.1015, 131.21, uuid="far"),
            ObservationValue("SNARE", T0 + timedelta(hours=5), 43.1016, 131.2, uuid="late"),
        ])
    found = review_warnings(patrol)
    kinds = [(w.kind, w.ref) for w in found]
    assert kinds == [("too_fast", "Маршрут"), ("gap", "Маршрут"), ("far_observation", "far"),
                     ("observation_outside", "late")]
    too_fast, gap, far, _late = found
    assert too_fast.count == 1 and too_fast.speed_kmh > 1000
    assert gap.seconds > 30 * 60
    assert 790 < far.metres < 830  # 0.01° of longitude at 43° N
    assert review_warnings(PatrolValue(start_at=T0))[0].kind == "no_track"
