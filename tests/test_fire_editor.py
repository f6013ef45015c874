"""A ranger logs a fire report through the real widgets, closes the app and finds every field.

Also: the position picked on the map, and the report following a language switch.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from PySide6.QtCore import QDateTime, QEvent, QPoint, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QMessageBox, QWidget

from ranger_app.domain.geo import EARTH_RADIUS_M, haversine_m
from ranger_app.domain.records import LegValue, MemberValue, PatrolValue
from ranger_app.i18n.qt import apply_language
from ranger_app.store.db import Database
from ranger_app.store.drafts import drafts
from ranger_app.store.fires import load_fire
from ranger_app.store.patrols import save_patrol
from ranger_app.ui.fire_editor import FireEditor, LocalDateTimeEdit, NumberEdit, new_fire
from ranger_app.ui.fires_workspace import FiresWorkspace
from ranger_app.ui.map_view import unproject
from tests.conftest import CAMTRAP_MEDIA

M_PER_DEG = math.pi * EARTH_RADIUS_M / 180
CENTRE = (43.1, 131.2)


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    return (lat + north_m / M_PER_DEG,
            lon + east_m / (M_PER_DEG * math.cos(math.radians(lat))))


def walk_gpx(path: Path, side_m: float = 350.0, closed: bool = True,
             start: datetime = datetime(2025, 4, 15, 1, 0, tzinfo=UTC)) -> Path:
    """A square walked round a burnt area, a fix every 10 m; ends 8 m short of the start
    (closed) or stops after three sides (not closed). A short approach segment first."""
    corners = [(0.0, 0.0), (side_m, 0.0), (side_m, side_m), (0.0, side_m), (0.0, 8.0)]
    if not closed:
        corners = corners[:4]
    pts: list[tuple[float, float]] = []
    for (n0, e0), (n1, e1) in pairwise(corners):
        steps = max(1, int(math.hypot(n1 - n0, e1 - e0) // 10))
        for k in range(steps):
            pts.append((n0 + (n1 - n0) * k / steps, e0 + (e1 - e0) * k / steps))
    pts.append(corners[-1])
    south_west = offset(*CENTRE, -side_m / 2, -side_m / 2)

    def trkpt(i: int, north: float, east: float) -> str:
        lat, lon = offset(*south_west, north, east)
        when = (start + timedelta(seconds=10 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}"><time>{when}</time></trkpt>'

    approach = "".join(trkpt(i, -200 + 20 * i, -150) for i in range(5))
    walk = "".join(trkpt(i, n, e) for i, (n, e) in enumerate(pts))
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="eTrex 32x" xmlns="http://www.topografix.com/GPX/1/1">'
        f"<trk><name>Подход</name><trkseg>{approach}</trkseg></trk>"
        f"<trk><name>Кромка пожара</name><trkseg>{walk}</trkseg></trk></gpx>",
        encoding="utf-8")
    return path


def type_text(widget: QWidget, text: str) -> None:
    """Type any script as key events (keyClicks aborts on non-ASCII with PySide6 6.12)."""
    widget.setFocus()
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown,
                                                     Qt.KeyboardModifier.NoModifier, ch))


def retype(qtbot, edit: QLineEdit, text: str) -> None:  # type: ignore[no-untyped-def]
    edit.clear()
    edit.setFocus()
    if text.isascii():
        qtbot.keyClicks(edit, text)
    else:
        type_text(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def choose(combo, code: str) -> None:  # type: ignore[no-untyped-def]
    index = combo.findData(code)
    assert index >= 0, code
    combo.setCurrentIndex(index)


@pytest.fixture
def no_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Discard)
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda *a, **k: pytest.fail(f"unexpected warning: {a[2]}"))


def local(y: int, mo: int, d: int, h: int, mi: int) -> datetime:
    """Vladivostok wall time (UTC+10) as UTC."""
    return datetime(y, mo, d, h, mi, tzinfo=UTC) - timedelta(hours=10)


def test_log_a_fire_report_end_to_end(qtbot, db: Database, tmp_path: Path,  # type: ignore[no-untyped-def]
                                      monkeypatch: pytest.MonkeyPatch, no_dialogs: None) -> None:
    photo = next(iter(sorted(CAMTRAP_MEDIA.glob("*.JPG"))), None)
    if photo is None:
        pytest.skip("the Camtrap DP example photos are not beside the repo")
    gpx = walk_gpx(tmp_path / "Kromka_2025-04-15.gpx")
    inst = db.installation()
    patrol = save_patrol(db, PatrolValue(
        station_uuid=inst.station_uuid, number="KED-2025-011",
        start_at=local(2025, 4, 14, 9, 0), end_at=local(2025, 4, 14, 18, 0),
        legs=[LegValue("FOOT", local(2025, 4, 14, 9, 0), None,
                       [MemberValue(inst.user_uuid or "", True)])]))

    ws = FiresWorkspace(db)
    qtbot.addWidget(ws)
    ws.show()
    qtbot.mouseClick(ws.new_button, Qt.MouseButton.LeftButton)
    editor: FireEditor = ws.editors[-1]  # deleted on close: not handed to qtbot

    # --- the report -------------------------------------------------------------------------
    retype(qtbot, editor.number, "KED-2025-F03")
    retype(qtbot, editor.official_number, "ISDM-0414-07")
    choose(editor.report_kind, "UPDATE")
    editor.detected.setDateTime(QDateTime(2025, 4, 14, 13, 20, 0))
    editor.start_est.setDateTime(QDateTime(2025, 4, 14, 12, 30, 0))
    retype(qtbot, editor.lat, "43°06.000′")
    retype(qtbot, editor.lon, "131.2")
    retype(qtbot, editor.locality, "3 км к С от кордона, падь Кедровая")
    retype(qtbot, editor.forest_district, "Хасанское лесничество")
    retype(qtbot, editor.quarter, "кв. 71, выд. 4")
    choose(editor.land_category, "PA_BUFFER")
    choose(editor.fire_type, "SURFACE")
    choose(editor.intensity, "MEDIUM")
    choose(editor.cause, "AGRI_BURN")
    choose(editor.detection_source, "LOOKOUT_CAMERA")
    retype(qtbot, editor.detected_by, "Оператор вышки Сопка")
    choose(editor.patrol, patrol.uuid)
    editor.notes.setFocus()
    type_text(editor.notes, "Пал с полей перешёл в парк")

    # --- the status timeline: the first step moved with the detection time -------------------
    editor.tabs.setCurrentIndex(1)
    assert len(editor.fire.steps) == 1 and editor.fire.steps[0].at == local(2025, 4, 14, 13, 20)
    qtbot.mouseClick(editor.add_step, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(editor.add_step, Qt.MouseButton.LeftButton)
    assert editor.steps.rowCount() == 3
    plan = [(None, "1.5", "Обнаружен с вышки"),
            (QDateTime(2025, 4, 14, 19, 45, 0), "8.5", "Кромка локализована"),
            (QDateTime(2025, 4, 15, 11, 0, 0), "12.5", "Ликвидирован, дежурство снято")]
    for row, (when, area, note) in enumerate(plan):
        if when is not None:
            time_edit = editor.steps.cellWidget(row, 1)
            assert isinstance(time_edit, LocalDateTimeEdit)
            time_edit.setDateTime(when)
        area_edit = editor.steps.cellWidget(row, 2)
        assert isinstance(area_edit, NumberEdit)
        retype(qtbot, area_edit, area)
        note_edit = editor.steps.cellWidget(row, 3)
        retype(qtbot, note_edit, note)
    assert [s.fire_status for s in editor.fire.steps] == ["ACTIVE", "LOCALIZED", "EXTINGUISHED"]
    assert editor.timeline.labels(2)[2] == "12.5 ha"

    for edit, text in ((editor.area_total, "12.5"), (editor.area_forest, "9"),
                       (editor.area_nonforest, "3.5"), (editor.area_detection, "1.5")):
        retype(qtbot, edit, text)

    # --- the walked perimeter, beside the typed area -----------------------------------------
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(gpx), ""))
    qtbot.mouseClick(editor.perimeter_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(editor.fire.perimeter), timeout=10_000)
    assert editor.fire.perimeter_area_ha == pytest.approx(12.25, rel=0.02)
    assert editor.perimeter_area.text().startswith("walked perimeter: 12.")
    assert editor.area_check.text() == ""  # 12.5 typed, about 12.3 walked: close enough
    assert editor.map.perimeter_keys() == ["fire"]

    # --- forces and weather --------------------------------------------------------------------
    editor.tabs.setCurrentIndex(2)
    for edit, text in ((editor.people, "14"), (editor.vehicles, "3"), (editor.aircraft, "1"),
                       (editor.pumps, "4"), (editor.wind, "6.5"), (editor.wind_dir, "220"),
                       (editor.temperature, "18.5"), (editor.humidity, "31")):
        retype(qtbot, edit, text)
    choose(editor.fuel_type, "MIXED")
    editor.wildlife.setFocus()
    type_text(editor.wildlife, "Участок обитания леопарда, кормовая площадка рядом")

    # --- a photo ------------------------------------------------------------------------------
    editor.tabs.setCurrentIndex(3)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(photo)], ""))
    qtbot.mouseClick(editor.attach_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.photos.count() == 1, timeout=10_000)

    # --- autosave, then save -----------------------------------------------------------------
    qtbot.waitUntil(lambda: bool(drafts(db, "fire_report")), timeout=5_000)
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert not editor.dirty and drafts(db, "fire_report") == []
    uuid = editor.fire.uuid
    assert uuid and ws.model.rowCount() == 1
    assert ws.model.data(ws.model.index(0, 2)) == "Extinguished"
    editor.close()
    ws.close()
    path = db.path
    db.close()

    # --- the next morning: the same database, the report opened from the list ----------------
    again = Database.open(path)
    ws2 = FiresWorkspace(again)
    qtbot.addWidget(ws2)
    ws2.show()
    assert ws2.model.rowCount() == 1
    rect = ws2.table.visualRect(ws2.model.index(0, 1))
    qtbot.mouseClick(ws2.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(ws2.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert len(ws2.editors) == 1
    reopened = ws2.editors[-1]
    f = reopened.fire
    assert f.uuid == uuid and not reopened.dirty
    assert reopened.number.text() == "KED-2025-F03" and f.official_number == "ISDM-0414-07"
    assert reopened.report_kind.code() == "UPDATE"
    assert reopened.station.currentData() == again.installation().station_uuid
    assert reopened.detected.dateTime() == QDateTime(2025, 4, 14, 13, 20, 0)
    assert f.detected_at == datetime(2025, 4, 14, 3, 20, tzinfo=UTC)
    assert f.start_est_at == datetime(2025, 4, 14, 2, 30, tzinfo=UTC)
    assert (f.lat, f.lon) == (pytest.approx(43.1), pytest.approx(131.2))
    assert reopened.lat.text() == "43.100000"
    assert f.locality == "3 км к С от кордона, падь Кедровая"
    assert f.forest_district == "Хасанское лесничество" and f.quarter == "кв. 71, выд. 4"
    assert (f.land_category, f.fire_type, f.intensity, f.cause, f.detection_source) == (
        "PA_BUFFER", "SURFACE", "MEDIUM", "AGRI_BURN", "LOOKOUT_CAMERA")
    assert reopened.fire_type.code() == "SURFACE" and reopened.cause.code() == "AGRI_BURN"
    assert f.detected_by == "Оператор вышки Сопка"
    assert f.patrol_uuid == patrol.uuid and reopened.patrol.currentData() == patrol.uuid
    assert "KED-2025-011" in reopened.patrol.currentText()
    assert f.notes == "Пал с полей перешёл в парк" and f.notes_lang == "en"
    assert (f.area_total_ha, f.area_forest_ha, f.area_nonforest_ha,
            f.area_at_detection_ha) == (12.5, 9.0, 3.5, 1.5)
    assert reopened.area_total.text() == "12.5"
    assert (f.people, f.vehicles, f.aircraft, f.pumps) == (14, 3, 1, 4)
    assert (f.wind_ms, f.wind_dir_deg, f.temp_c, f.humidity_pct) == (6.5, 220, 18.5, 31)
    assert reopened.wind_dir.text() == "220"
    assert f.fuel_type == "MIXED"
    assert f.wildlife_threat_note == "Участок обитания леопарда, кормовая площадка рядом"
    assert f.fire_status == "EXTINGUISHED"
    assert [(s.fire_status, s.at, s.area_ha, s.note) for s in f.steps] == [
        ("ACTIVE", local(2025, 4, 14, 13, 20), 1.5, "Обнаружен с вышки"),
        ("LOCALIZED", local(2025, 4, 14, 19, 45), 8.5, "Кромка локализована"),
        ("EXTINGUISHED", local(2025, 4, 15, 11, 0), 12.5, "Ликвидирован, дежурство снято")]
    assert reopened.steps.rowCount() == 3
    assert reopened.timeline.labels(1) == ("Localised", "14/04/2025, 19:45", "8.5 ha")
    assert reopened.timeline.gap_label(1) == "+6 h 25 min"
    assert len(f.perimeter) > 100 and f.perimeter[0] == f.perimeter[-1]
    assert f.perimeter_area_ha == pytest.approx(12.25, rel=0.02)
    assert reopened.map.perimeter_keys() == ["fire"]
    assert {m.key for m in reopened.map.markers()} == {"fire"}
    kinds = sorted(a.kind for a in f.attachments)
    assert kinds == ["gpx", "photo"]
    gpx_att = next(a for a in f.attachments if a.kind == "gpx")
    assert again.media.read_bytes(gpx_att.sha256) == gpx.read_bytes()
    assert [p.filename for p in f.photos()] == [photo.name]
    assert again.media.read_bytes(f.photos()[0].sha256) == photo.read_bytes()
    assert reopened.photos.count() == 1
    assert load_fire(again, uuid) == f
    reopened.close()
    ws2.close()
    again.close()


def test_position_picked_on_the_map(qtbot, db: Database, no_dialogs: None) -> None:  # type: ignore[no-untyped-def]
    editor = FireEditor(db, new_fire(db))
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitExposed(editor)
    assert editor.fire.lat is None
    assert editor.map.empty_text()  # says how to place the fire
    where = QPoint(editor.map.viewport().width() // 3, editor.map.viewport().height() // 2)
    # a click without pick mode pans or does nothing; it never moves the fire
    qtbot.mouseClick(editor.map.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert editor.fire.lat is None
    qtbot.mouseClick(editor.pick_button, Qt.MouseButton.LeftButton)
    assert editor.map.pick_mode()
    expected = unproject(editor.map.mapToScene(where))
    qtbot.mouseClick(editor.map.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert editor.fire.lat is not None and editor.fire.lon is not None
    assert haversine_m(editor.fire.lat, editor.fire.lon, *expected) < 50
    assert editor.lat.text() == f"{editor.fire.lat:.6f}"
    assert not editor.pick_button.isChecked() and not editor.map.pick_mode()
    assert editor.dirty
    assert {m.key for m in editor.map.markers()} == {"fire"}
    assert not editor.map.empty_text()


def test_typed_position_errors_are_marked(qtbot, db: Database, no_dialogs: None) -> None:  # type: ignore[no-untyped-def]
    editor = FireEditor(db, new_fire(db))
    qtbot.addWidget(editor)
    editor.show()
    retype(qtbot, editor.lat, "95.5")
    assert editor.fire.lat is None and "95.5" in editor.lat.toolTip()
    retype(qtbot, editor.lat, "42 59 30 N")
    assert editor.fire.lat == pytest.approx(42 + 59 / 60 + 30 / 3600)
    assert editor.lat.toolTip() == ""


def test_language_switch_keeps_the_report(qtbot, db: Database, no_dialogs: None) -> None:  # type: ignore[no-untyped-def]
    editor = FireEditor(db, new_fire(db))
    qtbot.addWidget(editor)
    editor.show()
    choose(editor.fire_type, "CROWN")
    editor.dirty = False
    try:
        for lang, label in (("ru", "Верховой пожар"), ("zh", "树冠火"), ("en", "Crown fire")):
            apply_language(lang)
            qtbot.wait(10)  # Qt delivers LanguageChange on the next turn of the loop
            assert editor.fire_type.currentText() == label
            assert editor.fire_type.code() == "CROWN"
            assert editor.timeline.labels(0)[0] == {"ru": "Действует", "zh": "燃烧中",
                                                     "en": "Active"}[lang]
    finally:
        apply_language("en")
    assert not editor.dirty, "a language switch is not an edit"


@pytest.mark.parametrize(("lang", "typed", "value"), [
    ("en", "12.5", 12.5), ("en", "12,5", 12.5),  # a decimal comma is never a thousands mark
    ("en", "1,234.5", 1234.5), ("ru", "12,5", 12.5), ("ru", "1 234,5", 1234.5),
    ("ru", "12.5", 12.5), ("zh", "0.05", 0.05), ("en", "", None),
])
def test_numbers_typed_the_way_rangers_write_them(qtbot, lang: str, typed: str,  # type: ignore[no-untyped-def]
                                                  value: float | None) -> None:
    from ranger_app.i18n import set_language

    set_language(lang)
    try:
        edit = NumberEdit()
        qtbot.addWidget(edit)
        got: list[object] = []
        edit.valueEdited.connect(got.append)
        if typed:
            retype(qtbot, edit, typed)
        else:
            edit.textEdited.emit("")  # the field emptied
        assert edit.valid and got[-1] == value
        if value is not None:
            assert edit.parse(edit.format(value)) == value  # what is shown reads back the same
    finally:
        set_language("en")
