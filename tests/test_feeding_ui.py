"""A ranger registers a feeding site and logs a visit through the real widgets, closes the
app, opens it again and finds every field; plus the map pick, the kill alert, drafts, the
demo data and the language switch in the feeding workspace."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QDateTime, QPoint, Qt
from PySide6.QtWidgets import (
    QApplication,
    QDoubleSpinBox,
    QFileDialog,
    QLineEdit,
    QMessageBox,
    QSpinBox,
)
from sqlalchemy import func, select

from ranger_app.domain.feeding import FeedingSiteValue, FeedWeightNotPositive
from ranger_app.domain.geo import haversine_m
from ranger_app.i18n import _
from ranger_app.i18n.messages import describe
from ranger_app.i18n.qt import apply_language
from ranger_app.store.db import Database
from ranger_app.store.drafts import drafts
from ranger_app.store.feeding import save_site, season_totals, sites_with_kill_alerts
from ranger_app.store.models import CameraLocation, Change, FeedingSite, Person
from ranger_app.ui.feeding_editor import (
    FeedingSiteEditor,
    FeedingVisitEditor,
    OptionalDoubleSpin,
    OptionalSpin,
)
from ranger_app.ui.feeding_workspace import FeedingWorkspace
from ranger_app.ui.map_view import unproject
from ranger_app.ui.widgets import VocabCombo
from tests.conftest import CAMTRAP_MEDIA
from tests.test_feeding_store import METRES_PER_DEGREE_LAT
from tests.test_ui_patrol import type_text

SITE_LAT, SITE_LON = 43.1234, 131.21  # 131°12.6′ typed as degrees and minutes


def changes(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Change)) or 0)


@pytest.fixture(autouse=True)
def _close_editors() -> Iterator[None]:
    """Editors are top-level windows deleted on close: close any a failed test left open."""
    yield
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, FeedingSiteEditor | FeedingVisitEditor):
            widget.dirty = False
            widget.close()


@pytest.fixture
def no_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Discard)
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda *a, **k: pytest.fail(f"unexpected warning: {a[2]}"))


@pytest.fixture
def crew_and_camera(db: Database) -> tuple[str, str]:
    with db.writer() as s:
        helper = Person(name="Сергей Ким", station_uuid=db.installation().station_uuid)
        camera = CameraLocation(code="KED-C07", name="Падь Сухая", lat=43.1240, lon=131.2110)
        s.add_all([helper, camera])
        s.flush()
        return helper.uuid, camera.uuid


def choose(combo: VocabCombo, code: str) -> None:
    index = combo.findData(code)
    assert index >= 0, f"{code} not in {combo.vocab}"
    combo.setCurrentIndex(index)


def tick(widget: object, uuid_or_code: str) -> None:
    items = [widget.item(i) for i in range(widget.count())]  # type: ignore[attr-defined]
    item = next(i for i in items if i.data(Qt.ItemDataRole.UserRole) == uuid_or_code)
    item.setCheckState(Qt.CheckState.Checked)


def type_into(edit: QLineEdit, text: str) -> None:
    edit.setFocus()
    edit.selectAll()
    type_text(edit, text)
    edit.editingFinished.emit()  # as when the ranger tabs out of the field


def test_log_a_feeding_visit_end_to_end(qtbot, db: Database, tmp_path: Path,  # type: ignore[no-untyped-def]
                                        monkeypatch: pytest.MonkeyPatch, no_dialogs: None,
                                        crew_and_camera: tuple[str, str]) -> None:
    helper, camera = crew_and_camera
    me = db.installation().user_uuid
    photo = sorted(CAMTRAP_MEDIA.glob("*.JPG"))[0]
    if not photo.exists():
        pytest.skip("the Camtrap DP example photos are not beside the repo")

    ws = FeedingWorkspace(db)
    qtbot.addWidget(ws)
    ws.resize(1300, 800)
    ws.show()
    assert ws.sites_model.rowCount() == 0

    # --- the site -------------------------------------------------------------------------
    qtbot.mouseClick(ws.new_site_button, Qt.MouseButton.LeftButton)
    site_editor = ws.editors[-1]
    assert isinstance(site_editor, FeedingSiteEditor)
    qtbot.keyClicks(site_editor.code, "KED-FS09")
    site_editor.name.setFocus()
    type_text(site_editor.name, "Кормушка — падь Сухая")
    choose(site_editor.site_type, "GRAIN_TROUGH")
    type_into(site_editor.lat, "43.1234")
    type_into(site_editor.lon, "131°12.6′")
    site_editor.capacity.setValue(25)
    tick(site_editor.targets, "SUSC")
    tick(site_editor.targets, "CENI")
    choose(site_editor.condition, "NEEDS_REPAIR")
    site_editor.camera.setCurrentIndex(site_editor.camera.findData(camera))
    site_editor.notes.setFocus()
    type_text(site_editor.notes, "Навес просел, нужен ремонт")
    qtbot.waitUntil(lambda: bool(drafts(db, "feeding_site")), timeout=5_000)
    qtbot.mouseClick(site_editor.save_button, Qt.MouseButton.LeftButton)
    assert not site_editor.dirty and drafts(db, "feeding_site") == []
    site_uuid = site_editor.site.uuid
    assert ws.sites_model.rowCount() == 1 and ws.selected_site_uuid() == site_uuid
    site_editor.close()

    # --- the visit --------------------------------------------------------------------------
    qtbot.mouseClick(ws.new_visit_button, Qt.MouseButton.LeftButton)
    editor = ws.editors[-1]
    assert isinstance(editor, FeedingVisitEditor)
    assert editor.site.currentData() == site_uuid  # the selected site
    editor.when.setDateTime(QDateTime(2024, 1, 14, 10, 30, 0))
    tick(editor.crew, helper)
    choose(editor.transport, "SNOWMOBILE")
    for _i in range(2):
        qtbot.mouseClick(editor.add_feed, Qt.MouseButton.LeftButton)
    choose(editor.feed.cellWidget(0, 0), "HAY")
    editor.feed.cellWidget(0, 1).setValue(120.5)
    choose(editor.feed.cellWidget(1, 0), "OATS")
    editor.feed.cellWidget(1, 1).setValue(30)
    assert editor.feed_total.text() == _("Total put out: {kg}").format(kg="150.5 kg")
    editor.remaining.setValue(15)
    editor.snow.setValue(35)
    editor.temp.setValue(-24.5)

    editor.tabs.setCurrentIndex(1)
    qtbot.mouseClick(editor.add_ungulate, Qt.MouseButton.LeftButton)
    choose(editor.ungulates.cellWidget(0, 0), "CENI")
    choose(editor.ungulates.cellWidget(0, 1), "TRACKS")
    editor.ungulates.cellWidget(0, 2).setValue(12)
    choose(editor.ungulates.cellWidget(0, 3), "FRESH_24H")
    qtbot.mouseClick(editor.add_predator, Qt.MouseButton.LeftButton)
    kill_lat = SITE_LAT + 300 / METRES_PER_DEGREE_LAT  # 300 m north of the site
    cells = [editor.predators.cellWidget(0, c) for c in range(8)]
    choose(cells[0], "PTAL")
    choose(cells[1], "KILL")
    cells[2].setValue(300)
    cells[3].setValue(10.5)
    choose(cells[4], "SUSC")
    type_into(cells[5], f"{kill_lat:.6f}")
    type_into(cells[6], f"{SITE_LON:.6f}")
    cells[7].setFocus()
    type_text(cells[7], "Тигр задавил кабана")

    editor.tabs.setCurrentIndex(2)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(photo)], ""))
    qtbot.mouseClick(editor.attach_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.photos.count() == 1, timeout=10_000)
    editor.tabs.setCurrentIndex(0)
    editor.notes.setFocus()
    type_text(editor.notes, "Корм съеден полностью")

    qtbot.waitUntil(lambda: bool(drafts(db, "feeding_visit")), timeout=5_000)
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert not editor.dirty and drafts(db, "feeding_visit") == []
    visit_uuid = editor.visit.uuid

    # --- the register now flags the site ------------------------------------------------------
    row = ws.selected_site()
    assert row is not None and row.kill_alerts == 1 and row.visits == 1
    assert ws.sites_model.data(ws.sites_model.index(0, 0)) == "1 kill"
    assert ws.map.alert_rings() == [(SITE_LAT, pytest.approx(SITE_LON))]
    assert "Amur tiger" in ws.alert_label.text()
    assert ws.history_model.rowCount() == 1
    assert [ws.totals_model.data(ws.totals_model.index(r, 1)) for r in range(3)] == [
        "120.5 kg", "30 kg", "150.5 kg"]
    editor.close()
    ws.close()
    path = db.path
    db.close()

    # --- the next morning: the same database, a new window ----------------------------------
    again = Database.open(path)
    ws2 = FeedingWorkspace(again)
    qtbot.addWidget(ws2)
    ws2.show()
    assert ws2.season.currentData() == 2023  # the winter the visit was in
    assert ws2.select_site(site_uuid)
    qtbot.mouseClick(ws2.open_button, Qt.MouseButton.LeftButton)  # no visit selected: the site
    site2 = ws2.editors[-1]
    assert isinstance(site2, FeedingSiteEditor)
    assert site2.code.text() == "KED-FS09"
    assert site2.name.text() == "Кормушка — падь Сухая"
    assert site2.site_type.code() == "GRAIN_TROUGH"
    assert (site2.site.lat, site2.site.lon) == (SITE_LAT, pytest.approx(SITE_LON))
    assert site2.lat.text() == "43.123400" and site2.lon.text() == "131.210000"
    assert site2.capacity.value_or_none() == 25
    assert site2.site.target_species == ["CENI", "SUSC"]
    assert site2.condition.code() == "NEEDS_REPAIR"
    assert site2.camera.currentData() == camera
    assert site2.notes.toPlainText() == "Навес просел, нужен ремонт"
    assert site2.site.station_uuid == again.installation().station_uuid
    site2.close()

    ws2.history.selectRow(0)
    qtbot.mouseClick(ws2.open_button, Qt.MouseButton.LeftButton)
    reopened = ws2.editors[-1]
    assert isinstance(reopened, FeedingVisitEditor)
    v = reopened.visit
    assert v.uuid == visit_uuid and v.site_uuid == site_uuid
    assert reopened.site.currentData() == site_uuid
    assert reopened.when.dateTime() == QDateTime(2024, 1, 14, 10, 30, 0)
    assert v.visited_at == datetime(2024, 1, 14, 0, 30, tzinfo=UTC)
    assert v.crew == [me, helper]
    assert reopened.transport.code() == "SNOWMOBILE"
    assert [(i.feed_type, i.kg) for i in v.items] == [("HAY", 120.5), ("OATS", 30.0)]
    assert reopened.feed.cellWidget(1, 0).code() == "OATS"
    assert reopened.feed.cellWidget(0, 1).value() == 120.5
    assert (v.remaining_pct, v.snow_depth_cm, v.temp_c) == (15, 35, -24.5)
    assert reopened.remaining.value_or_none() == 15 and reopened.temp.value_or_none() == -24.5
    (u,) = v.ungulate_signs
    assert (u.species, u.sign_type, u.count, u.freshness) == ("CENI", "TRACKS", 12, "FRESH_24H")
    (p,) = v.predator_signs
    assert (p.species, p.sign_type, p.distance_m, p.pad_width_cm, p.prey_species, p.note) == (
        "PTAL", "KILL", 300.0, 10.5, "SUSC", "Тигр задавил кабана")
    assert abs(p.lat - kill_lat) < 1e-6 and abs(p.lon - SITE_LON) < 1e-6
    assert reopened.predators.cellWidget(0, 3).value_or_none() == 10.5
    assert reopened.predators.cellWidget(0, 7).text() == "Тигр задавил кабана"
    assert [ph.filename for ph in v.photos] == [photo.name]
    assert again.media.read_bytes(v.photos[0].sha256) == photo.read_bytes()
    assert v.notes == "Корм съеден полностью" and v.notes_lang == "en"
    assert reopened.notes.toPlainText() == "Корм съеден полностью"
    (alert,) = sites_with_kill_alerts(again, 2023)[site_uuid]
    assert alert.distance_m == pytest.approx(300, abs=1) and alert.measured_by == "position"
    assert season_totals(again, 2023) == {"HAY": 120.5, "OATS": 30.0}
    assert not reopened.dirty
    reopened.close()
    ws2.close()
    again.close()


def test_a_site_position_can_be_picked_on_the_map(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    editor = FeedingSiteEditor(db, FeedingSiteValue())
    editor.show()
    qtbot.waitExposed(editor)
    view = editor.map
    spot = view.viewport().rect().center() + QPoint(40, -25)
    lat, lon = unproject(view.mapToScene(spot))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=spot)
    assert editor.site.lat is None, "a click without picking only pans"
    qtbot.mouseClick(editor.pick_button, Qt.MouseButton.LeftButton)
    assert view.picking
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=spot)
    assert editor.site.lat == pytest.approx(lat, abs=1e-6)
    assert editor.site.lon == pytest.approx(lon, abs=1e-6)
    assert float(editor.lat.text()) == pytest.approx(lat, abs=1e-6)
    assert not editor.pick_button.isChecked() and not view.picking
    assert editor.dirty
    assert [m.key for m in view.markers()] == ["site"]
    # a typo in a coordinate is marked, and the picked position is kept
    type_into(editor.lat, "95.5")
    assert editor.lat.toolTip() and editor.site.lat == pytest.approx(lat, abs=1e-6)
    editor.dirty = False
    editor.close()


def test_zero_kg_is_refused_with_a_clear_message_and_nothing_written(  # type: ignore[no-untyped-def]
        qtbot, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    site = save_site(db, FeedingSiteValue(code="KED-FS01", lat=43.1, lon=131.2))
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    ws = FeedingWorkspace(db)
    qtbot.addWidget(ws)
    ws.select_site(site.uuid)
    editor = ws.new_visit()
    editor.when.setDateTime(QDateTime(2024, 1, 14, 10, 30, 0))
    qtbot.mouseClick(editor.add_feed, Qt.MouseButton.LeftButton)  # the weight left at 0
    before = changes(db)
    assert not editor.save()
    assert shown == [describe(FeedWeightNotPositive(1, "HAY", 0.0))]
    assert changes(db) == before and editor.visit.uuid is None and editor.dirty
    editor.feed.cellWidget(0, 1).setValue(45)
    assert editor.save() and changes(db) > before
    editor.close()


def test_removing_rows_edits_the_value(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    site = save_site(db, FeedingSiteValue(code="KED-FS01"))
    ws = FeedingWorkspace(db)
    qtbot.addWidget(ws)
    ws.select_site(site.uuid)
    editor = ws.new_visit()
    for _i in range(3):
        qtbot.mouseClick(editor.add_predator, Qt.MouseButton.LeftButton)
    choose(editor.predators.cellWidget(1, 0), "PPOR")
    editor.predators.selectRow(0)
    qtbot.mouseClick(editor.remove_predator, Qt.MouseButton.LeftButton)
    assert [p.species for p in editor.visit.predator_signs] == ["PPOR", "PTAL"]
    # clicking into a row's cell selects the row: Remove takes the row in hand
    editor.tabs.setCurrentIndex(1)
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow)
    editor.predators.clearSelection()
    qtbot.mouseClick(editor.predators.cellWidget(1, 7), Qt.MouseButton.LeftButton)
    assert editor.current_row(editor.predators) == 1
    qtbot.mouseClick(editor.remove_predator, Qt.MouseButton.LeftButton)
    assert [p.species for p in editor.visit.predator_signs] == ["PPOR"]
    assert isinstance(editor.predators.cellWidget(0, 2), OptionalSpin)
    assert isinstance(editor.predators.cellWidget(0, 3), OptionalDoubleSpin)
    editor.dirty = False
    editor.close()


def test_a_draft_left_by_a_crash_is_offered_again(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                                  no_dialogs: None) -> None:
    ws = FeedingWorkspace(db)
    qtbot.addWidget(ws)
    ws.show()
    assert not ws.drafts_button.isVisible()
    editor = ws.new_site()
    qtbot.keyClicks(editor.code, "KED-FS10")
    qtbot.waitUntil(lambda: bool(drafts(db, "feeding_site")), timeout=5_000)
    editor.close()  # "Discard": the draft stays, as after a flat battery
    qtbot.waitUntil(lambda: not ws.editors)
    assert ws.drafts_button.isVisible()
    qtbot.mouseClick(ws.drafts_button, Qt.MouseButton.LeftButton)
    restored = ws.editors[-1]
    assert isinstance(restored, FeedingSiteEditor) and restored.code.text() == "KED-FS10"
    assert not ws.drafts_button.isVisible()
    assert restored.save()
    assert drafts(db) == [] and ws.sites_model.rowCount() == 1
    restored.close()


def test_the_workspace_shows_the_demo_winter(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    demo = pytest.importorskip("ranger_app.demo")
    demo.generate(db, "small")
    with db.session() as s:
        sites = int(s.scalar(select(func.count()).select_from(FeedingSite)) or 0)
    ws = FeedingWorkspace(db)
    qtbot.addWidget(ws)
    ws.show()
    assert sites and ws.sites_model.rowCount() == sites
    assert len(ws.map.markers()) >= sites
    flagged = [r for r in ws.sites_model.rows if r.kill_alerts]
    assert flagged, "the demo's tiger kill beside a site raises an alert"
    assert ws.map.alert_rings()
    assert ws.sites_model.data(ws.sites_model.index(ws.sites_model.rows.index(flagged[0]), 0),
                               Qt.ItemDataRole.DecorationRole) is not None
    ws.select_site(flagged[0].uuid)
    assert ws.history_model.rowCount() == flagged[0].visits > 0
    assert any(v.kill_alert for v in ws.history_model.rows)
    totals = ws.totals_model.rows
    assert totals[-1][1] == pytest.approx(sum(kg for _t, kg in totals[:-1]))
    assert totals[-1][1] == pytest.approx(flagged[0].kg)
    assert ws.alert_label.text()
    # every season at once has at least as much
    ws.season.setCurrentIndex(ws.season.count() - 1)
    assert ws.season_value is None
    assert all(r.visits >= 0 for r in ws.sites_model.rows)


def test_the_workspace_follows_the_language(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    site = save_site(db, FeedingSiteValue(code="KED-FS01", site_type="SALT_LICK"))
    ws = FeedingWorkspace(db)
    qtbot.addWidget(ws)
    ws.show()
    ws.select_site(site.uuid)
    try:
        for lang, code_header, salt_lick in (("ru", "Код", "Солонец"), ("zh", None, "舔盐点"),
                                             ("en", "Code", "Salt lick")):
            apply_language(lang)
            model = ws.sites_model
            if code_header:
                assert model.headerData(1, Qt.Orientation.Horizontal) == code_header
            assert model.data(model.index(0, 3)) == salt_lick
            assert ws.new_site_button.text() == _("New site")
            assert ws.selected_site_uuid() == site.uuid, "the selection survived the switch"
    finally:
        apply_language("en")


def test_spin_boxes_with_no_value_mean_none(qtbot) -> None:  # type: ignore[no-untyped-def]
    spin, dspin = OptionalSpin(0, 100), OptionalDoubleSpin(-60, 45)
    qtbot.addWidget(spin)
    qtbot.addWidget(dspin)
    assert spin.value_or_none() is None and spin.text() == "—"
    assert dspin.value_or_none() is None
    spin.set_value_or_none(0)
    dspin.set_value_or_none(-60)
    assert spin.value_or_none() == 0 and dspin.value_or_none() == -60
    assert isinstance(dspin, QDoubleSpinBox) and isinstance(spin, QSpinBox)
    assert haversine_m(43.0, 131.0, 43.0 + 300 / METRES_PER_DEGREE_LAT, 131.0) == \
        pytest.approx(300, abs=0.01)
