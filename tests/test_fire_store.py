"""Fire reports in the store: diff and tombstones, the season and status filters, drafts, and
the demo data shown correctly by the list and the editor."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select

from ranger_app.domain.fires import (
    FireFilter,
    FireReportValue,
    FireStatusStepValue,
    Season,
    fire_from_json,
    fire_to_json,
    validate_fire,
)
from ranger_app.domain.geo import polygon_area_ha
from ranger_app.domain.records import PhotoValue
from ranger_app.store.db import Database
from ranger_app.store.drafts import drafts
from ranger_app.store.fires import (
    fire_list,
    fire_years,
    load_fire,
    patrol_choices,
    save_fire,
)
from ranger_app.store.models import Attachment, Change, FireReport, FireStatusStep
from ranger_app.store.queries import record_counts
from ranger_app.ui.fire_editor import FireEditor
from ranger_app.ui.fires_workspace import FiresWorkspace

demo = pytest.importorskip("ranger_app.demo")


def at(y: int, mo: int, d: int, h: int = 12) -> datetime:
    return datetime(y, mo, d, h, tzinfo=UTC)


def report(when: datetime, number: str, status: str = "ACTIVE") -> FireReportValue:
    steps = [FireStatusStepValue("ACTIVE", when, 1.0)]
    if status != "ACTIVE":
        steps.append(FireStatusStepValue(status, when + timedelta(hours=6), 3.0))
    return FireReportValue(number=number, detected_at=when, lat=43.0, lon=131.0, steps=steps)


def changes(db: Database) -> int:
    return int(record_counts(db)["changes"])


def test_save_diffs_and_tombstones(db: Database) -> None:
    fire = save_fire(db, report(at(2024, 4, 2), "KED-2024-F01", "LOCALIZED"))
    fire.attachments.append(PhotoValue(sha256="a" * 64, filename="kromka.jpg"))
    fire = save_fire(db, fire)
    assert fire.uuid and all(s.uuid for s in fire.steps) and fire.attachments[0].uuid
    before = changes(db)
    save_fire(db, load_fire(db, fire.uuid))
    assert changes(db) == before, "an unchanged report writes nothing"

    edited = load_fire(db, fire.uuid)
    edited.steps[1].area_ha = 3.4
    save_fire(db, edited)
    assert changes(db) == before + 1, "one step changed: one change row"

    edited = load_fire(db, fire.uuid)
    gone_step, gone_photo = edited.steps.pop(), edited.attachments.pop()
    edited.steps.append(FireStatusStepValue("EXTINGUISHED", at(2024, 4, 3), 3.5, "Потушен"))
    save_fire(db, edited)
    again = load_fire(db, fire.uuid)
    assert [s.fire_status for s in again.steps] == ["ACTIVE", "EXTINGUISHED"]
    assert again.fire_status == "EXTINGUISHED" and again.attachments == []
    with db.session() as s:
        step_row = s.get(FireStatusStep, gone_step.uuid)
        photo_row = s.get(Attachment, gone_photo.uuid)
        report_row = s.get(FireReport, fire.uuid)
        assert step_row is not None and step_row.deleted  # a tombstone, never a hard delete
        assert photo_row is not None and photo_row.deleted
        assert report_row is not None and report_row.fire_status == "EXTINGUISHED"
        ops = [c.op for c in s.scalars(select(Change).where(
            Change.entity_uuid.in_([gone_step.uuid, gone_photo.uuid])).order_by(Change.seq))]
    assert ops.count("delete") == 2


def test_season_and_status_filters(db: Database) -> None:
    # 1 March 01:30 in Vladivostok is still 29 February in UTC: spring by the park's calendar
    cases = {
        "spring-edge": (datetime(2024, 2, 29, 15, 30, tzinfo=UTC), "EXTINGUISHED"),
        "spring": (at(2024, 5, 10), "ACTIVE"),
        "june": (at(2024, 6, 30, 10), "MONITORED"),  # 30 June 20:00 local: still spring
        "summer": (at(2024, 7, 15), "EXTINGUISHED"),
        "autumn": (at(2024, 10, 3), "LOCALIZED"),
        "winter": (at(2024, 12, 10), "EXTINGUISHED"),
        "last-year": (at(2023, 4, 20), "EXTINGUISHED"),
    }
    for name, (when, status) in cases.items():
        save_fire(db, report(when, name, status))

    def names(f: FireFilter) -> set[str]:
        return {r.number for r in fire_list(db, f)}

    assert names(FireFilter()) == set(cases)
    assert names(FireFilter(Season(2024, "spring"))) == {"spring-edge", "spring", "june"}
    assert names(FireFilter(Season(2024, "autumn"))) == {"autumn"}
    assert names(FireFilter(Season(2023, "spring"))) == {"last-year"}
    assert names(FireFilter(None, "EXTINGUISHED")) == {"spring-edge", "summer", "winter",
                                                      "last-year"}
    assert names(FireFilter(Season(2024, "spring"), "MONITORED")) == {"june"}
    assert fire_years(db) == [2024, 2023]
    assert [r.number for r in fire_list(db)][:2] == ["winter", "autumn"]  # newest first
    assert Season.of(datetime(2024, 2, 29, 15, 30, tzinfo=UTC)) == Season(2024, "spring")
    assert Season.of(at(2024, 8, 1)) is None


def test_draft_round_trip_and_restore(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Discard)
    fire = report(at(2024, 4, 2), "KED-2024-F05", "LOCALIZED")
    fire.perimeter = [(43.0, 131.0), (43.001, 131.0), (43.001, 131.001), (43.0, 131.0)]
    fire.attachments.append(PhotoValue(sha256="b" * 64, filename="x.jpg", taken_at=at(2024, 4,
                                                                                    2)))
    assert fire_from_json(fire_to_json(fire)) == fire

    ws = FiresWorkspace(db)
    qtbot.addWidget(ws)
    editor = ws._show_editor(FireEditor(db, fire))
    editor.fire.locality = "Падь Кедровая"
    editor.mark_dirty()
    qtbot.waitUntil(lambda: bool(drafts(db, "fire_report")), timeout=5_000)
    editor.dirty = False  # as if the program had been killed: the draft is all that is left
    editor.close()
    qtbot.waitUntil(lambda: not ws.editors)
    assert ws.restore_drafts() == 1
    restored = ws.editors[-1]
    assert restored.dirty and restored.fire.locality == "Падь Кедровая"
    assert restored.fire.perimeter == fire.perimeter
    assert restored.locality.text() == "Падь Кедровая"
    restored.save()
    assert drafts(db, "fire_report") == []
    assert [r.locality for r in fire_list(db)] == ["Падь Кедровая"]
    restored.close()


def test_delete_from_the_list(qtbot, db: Database,  # type: ignore[no-untyped-def]
                              monkeypatch: pytest.MonkeyPatch) -> None:
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: answers.pop(0))
    kept = save_fire(db, report(at(2024, 4, 2), "KED-2024-F01"))
    gone = save_fire(db, report(at(2024, 4, 9), "KED-2024-F02"))
    ws = FiresWorkspace(db)
    qtbot.addWidget(ws)
    ws.show()
    assert not ws.delete_button.isEnabled()
    ws.select_fire(gone.uuid or "")
    assert ws.delete_button.isEnabled()
    qtbot.mouseClick(ws.delete_button, Qt.MouseButton.LeftButton)  # "No"
    assert ws.model.rowCount() == 2
    qtbot.mouseClick(ws.delete_button, Qt.MouseButton.LeftButton)  # "Yes"
    assert [r.uuid for r in ws.model.rows] == [kept.uuid]
    with db.session() as s:
        row = s.get(FireReport, gone.uuid)
        assert row is not None and row.deleted
        assert all(x.deleted for x in s.scalars(select(FireStatusStep).where(
            FireStatusStep.fire_uuid == gone.uuid)))


# --- the demo data --------------------------------------------------------------------------------

def test_demo_fires_in_the_list_and_the_editor(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Discard)
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda *a, **k: pytest.fail(f"unexpected warning: {a[2]}"))
    demo.generate(db, "season")
    with db.session() as s:
        reports = list(s.scalars(select(FireReport).where(FireReport.deleted.is_(False))))
    assert len(reports) >= 10
    ws = FiresWorkspace(db)
    qtbot.addWidget(ws)
    ws.resize(1400, 800)
    ws.show()
    assert ws.model.rowCount() == len(reports)
    assert [ws.season.itemText(i) for i in range(ws.season.count())] == [
        "All seasons", "Autumn 2024", "Spring 2024"]
    with_position = [r for r in reports if r.lat is not None]
    assert len(ws.map.markers()) == len(with_position)
    assert len(ws.map.perimeter_keys()) == sum(1 for r in reports if r.perimeter)
    statuses = {ws.model.data(ws.model.index(i, 2)) for i in range(ws.model.rowCount())}
    assert "Monitored" in statuses and "Extinguished" in statuses
    assert ws.hotspots_button.text().startswith("Hotspots to check")

    ws.set_season(2024, "spring")
    spring = ws.model.rowCount()
    ws.set_season(2024, "autumn")
    autumn = ws.model.rowCount()
    assert spring and autumn and spring + autumn == len(reports)
    assert all(r.detected_at.month in (9, 10, 11) for r in ws.model.rows)
    ws.set_status("MONITORED")
    assert ws.model.rowCount() >= 1
    assert all(r.fire_status == "MONITORED" for r in ws.model.rows)
    ws.set_status(None)
    ws.set_season(0, "")  # not offered: back to every season
    assert ws.model.rowCount() == len(reports)

    for i in range(ws.model.rowCount()):
        row = ws.model.row_at(i)
        assert row is not None
        fire = load_fire(db, row.uuid)
        validate_fire(fire)  # the demo satisfies every rule the editor enforces
        editor = ws.open_fire(row.uuid)
        assert not editor.dirty, row.number
        assert editor.steps.rowCount() == len(fire.steps) == len(editor.timeline.steps)
        assert editor.timeline.labels(0)[0] == "Active"
        assert editor.number.text() == row.number
        assert editor.area_total.text() and editor.fire_type.code() == row.fire_type
        if fire.perimeter:
            assert editor.perimeter_area.text().startswith("walked perimeter:")
            ring = json.loads(next(r.perimeter for r in reports if r.uuid == row.uuid))
            assert polygon_area_ha([tuple(p) for p in ring]) == pytest.approx(
                fire.perimeter_area_ha, rel=0.01)
        if fire.patrol_uuid:
            assert editor.patrol.currentData() == fire.patrol_uuid
            assert fire.patrol_uuid in [p.uuid for p in patrol_choices(
                db, fire.detected_at, include=fire.patrol_uuid)]
        if fire.photos():
            assert editor.photos.count() == len(fire.photos())
        editor.close()
    qtbot.waitUntil(lambda: not ws.editors)
