"""A ranger services a camera trap through the real widgets, imports its card, closes the app,
reopens the database the next day and finds every field again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDateTime, QEvent, QPoint, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QCheckBox, QFileDialog, QMessageBox, QWidget

from ranger_app.domain.camtraps import CameraValue, LocationValue, ServiceVisitValue
from ranger_app.io.photos import read_photo_info
from ranger_app.io.sd_import import THUMB_SIZE
from ranger_app.store import camtraps as store
from ranger_app.store.db import Database
from ranger_app.store.drafts import drafts
from ranger_app.store.models import Person
from ranger_app.ui.camtrap_editor import ServiceVisitEditor
from ranger_app.ui.camtraps_workspace import CameraTrapsWorkspace
from tests.test_camtrap_sd_import import EXAMPLES, make_card

pytestmark = pytest.mark.skipif(not EXAMPLES, reason="Camtrap DP example photos missing")
DEPLOYED = datetime(2021, 3, 1, 3, 0, tzinfo=UTC)  # 13:00 in Vladivostok


def type_text(widget: QWidget, text: str) -> None:
    """Type any script as key events (keyClicks aborts on non-ASCII)."""
    widget.setFocus()
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown,
                                                     Qt.KeyboardModifier.NoModifier, ch))


def tick(qtbot, box: QCheckBox) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


@pytest.fixture
def warnings_seen(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: seen.append(a[2]))
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Discard)
    return seen


def station(db: Database) -> dict[str, str]:
    loc = store.save_location(db, LocationValue(
        code="KED-C01", name="Медвежий ключ", station_uuid=db.installation().station_uuid,
        lat=43.060829, lon=131.298195, uncertainty_m=8, feature="TRAIL_GAME"))
    cam = store.save_camera(db, CameraValue(serial="BN897193", make="Bushnell",
                                            model="Core DS-4K"))
    store.save_service_visit(db, ServiceVisitValue(
        location_uuid=loc.uuid, camera_uuid=cam.uuid, visit_type="DEPLOY",
        visited_at=DEPLOYED, sd_inserted="SD-KED-001"))
    with db.writer() as s:
        helper = Person(name="Сергей Ким", station_uuid=db.installation().station_uuid)
        s.add(helper)
        s.flush()
        helper_uuid = helper.uuid
    return {"location": loc.uuid or "", "camera": cam.uuid or "", "helper": helper_uuid}


def test_service_visit_with_card_import_end_to_end(
        qtbot, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
        warnings_seen: list[str]) -> None:
    ids = station(db)
    card = make_card(tmp_path)
    workspace = CameraTrapsWorkspace(db)
    qtbot.addWidget(workspace)
    workspace.show()
    assert workspace.locations_model.rowCount() == 1
    workspace.locations.selectRow(0)
    qtbot.mouseClick(workspace.new_button, Qt.MouseButton.LeftButton)
    editor: ServiceVisitEditor = workspace.editors[-1]
    assert editor.visit.location_uuid == ids["location"]
    assert editor.visit.camera_uuid == ids["camera"]  # the camera running there
    assert editor.visit_type.code() == "SERVICE"

    # --- the visit tab ----------------------------------------------------------------------
    editor.visited_at.setDateTime(QDateTime(2021, 4, 20, 14, 30, 0))
    editor.arrival.setCurrentIndex(editor.arrival.findData("BATTERY_DEAD"))
    helper = next(editor.crew.item(i) for i in range(editor.crew.count())
                  if editor.crew.item(i).data(Qt.ItemDataRole.UserRole) == ids["helper"])
    helper.setCheckState(Qt.CheckState.Checked)
    tick(qtbot, editor.action_boxes["LENS_CLEANED"])
    tick(qtbot, editor.action_boxes["VEG_CLEARED"])
    tick(qtbot, editor.walk_test)
    type_text(editor.theft_note, "Корпус поцарапан медведем")
    qtbot.keyClicks(editor.police_report, "none")
    type_text(editor.notes, "Снег по колено, батареи сели")

    # --- camera and card ----------------------------------------------------------------------
    editor.tabs.setCurrentIndex(1)
    editor.battery_pct.setValue(0)
    editor.battery_type.setCurrentIndex(editor.battery_type.findData("AA_LITHIUM"))
    tick(qtbot, editor.batteries_replaced)
    qtbot.keyClicks(editor.sd_removed, "SD-KED-001")
    qtbot.keyClicks(editor.sd_inserted, "SD-KED-002")
    # the camera showed 14:32 when the true time was 14:30: two minutes fast
    editor.camera_clock.setDateTime(QDateTime(2021, 4, 20, 14, 32, 0))
    assert editor.clock_offset.value() == 120
    tick(qtbot, editor.clock_reset)
    editor.setting_mode.setCurrentIndex(editor.setting_mode.findData("photo"))
    editor.setting_sensitivity.setCurrentIndex(editor.setting_sensitivity.findData("high"))
    editor.setting_ir.setCurrentIndex(editor.setting_ir.findData("no_glow"))
    editor.setting_burst.setValue(3)
    editor.setting_delay.setValue(30)
    editor.setting_height.setValue(0.7)
    editor.setting_heading.setValue(85)
    editor.setting_tilt.setValue(-5)
    editor.setting_distance.setValue(9.5)

    # --- the card -----------------------------------------------------------------------
    editor.tabs.setCurrentIndex(2)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(card))
    qtbot.mouseClick(editor.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.last_import is not None, timeout=20_000)
    assert editor.images.count() == 10
    assert editor.skipped.count() == 4 and editor.skipped.isVisibleTo(editor)
    skipped = {editor.skipped.item(i).text() for i in range(editor.skipped.count())}
    assert "DCIM/100RECNX/RCNX0099.JPG: damaged" in skipped
    assert "MISC/settings.txt: not an image" in skipped
    assert "10 images imported · 4 files skipped" in editor.status_label.text()
    exif_times = [read_photo_info(p, "Asia/Vladivostok").taken_at for p in EXAMPLES]
    first = min(exif_times) - timedelta(seconds=120)  # type: ignore[operator]
    last = max(exif_times) - timedelta(seconds=120)  # type: ignore[operator]
    assert (editor.visit.first_image_at, editor.visit.last_image_at) == (first, last)
    assert editor.image_count.value() == 10
    # two frames show a leopard
    editor.images.item(3).setSelected(True)
    editor.images.item(4).setSelected(True)
    editor.classify.setCurrentIndex(editor.classify.findData("LEOPARD"))
    qtbot.mouseClick(editor.classify_button, Qt.MouseButton.LeftButton)
    assert "Amur leopard" in editor.images.item(4).text()
    assert "Saving ends the running deployment" in editor.outcome.text()

    # --- a draft is kept, then saved --------------------------------------------------------
    qtbot.waitUntil(lambda: bool(drafts(db, "service_visit")), timeout=5_000)
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert warnings_seen == [] and not editor.dirty
    assert drafts(db, "service_visit") == []
    uuid = editor.visit.uuid
    assert "This visit ended the deployment" in editor.outcome.text()
    editor.close()
    assert workspace.visits_model.rowCount() == 2
    workspace.close()
    path = db.path
    db.close()

    # --- the next morning -------------------------------------------------------------------
    again = Database.open(path)
    ws = CameraTrapsWorkspace(again)
    qtbot.addWidget(ws)
    ws.show()
    ws.tabs.setCurrentIndex(3)
    row = next(i for i, r in enumerate(ws.visits_model.rows) if r.uuid == uuid)
    assert ws.visits_model.rows[row].arrival_status == "BATTERY_DEAD"
    ws.visits.selectRow(row)
    qtbot.mouseClick(ws.open_button, Qt.MouseButton.LeftButton)
    reopened: ServiceVisitEditor = ws.editors[-1]
    v = reopened.visit
    assert reopened.location.currentData() == ids["location"]
    assert reopened.camera.currentData() == ids["camera"]
    assert reopened.visit_type.code() == "SERVICE"
    assert reopened.visited_at.dateTime() == QDateTime(2021, 4, 20, 14, 30, 0)
    assert v.visited_at == datetime(2021, 4, 20, 4, 30, tzinfo=UTC)
    assert set(v.crew) == {again.installation().user_uuid, ids["helper"]}
    assert reopened.arrival.code() == "BATTERY_DEAD"
    assert [c for c, box in reopened.action_boxes.items() if box.isChecked()] == [
        "LENS_CLEANED", "VEG_CLEARED"]
    assert reopened.walk_test.isChecked()
    assert reopened.theft_note.toPlainText() == "Корпус поцарапан медведем"
    assert reopened.police_report.text() == "none"
    assert reopened.notes.toPlainText() == "Снег по колено, батареи сели"
    assert v.notes_lang == "en"
    assert reopened.battery_pct.value() == 0 and v.battery_pct == 0
    assert reopened.battery_type.code() == "AA_LITHIUM" and v.batteries_replaced
    assert (reopened.sd_removed.text(), reopened.sd_inserted.text()) == ("SD-KED-001",
                                                                         "SD-KED-002")
    assert reopened.image_count.value() == 10
    assert (v.first_image_at, v.last_image_at) == (first, last)
    assert reopened.clock_offset.value() == 120 and v.clock_reset
    assert v.settings == {"mode": "photo", "sensitivity": "high", "ir": "no_glow",
                          "burst": 3, "delay_s": 30, "height_m": 0.7, "heading_deg": 85,
                          "tilt_deg": -5, "detection_distance_m": 9.5}
    assert len(v.images) == 10 and reopened.images.count() == 10
    assert sorted(i.caption for i in v.images).count("LEOPARD") == 2
    for image in v.images:
        source = next(p for p in EXAMPLES if image.filename.endswith(p.name))
        assert again.media.read_bytes(image.sha256) == source.read_bytes()
        assert again.media.thumbnail_path(image.sha256, THUMB_SIZE).exists()
    # the rule: a dead battery ended the deployment at the last image; the next one began
    deps = sorted(store.deployment_rows(again), key=lambda d: d.start_at)
    assert [(d.start_at, d.end_at) for d in deps] == [(DEPLOYED, last),
                                                      (v.visited_at, None)]
    assert v.deployment_uuid == deps[0].uuid and v.opened_deployment_uuid == deps[1].uuid
    running = store.running_deployment(again, ids["location"])
    assert running is not None and (running.delay_s, running.height_m, running.heading_deg,
                                    running.tilt_deg) == (30, 0.7, 85, -5)
    reopened.close()
    # the next visit starts from these settings (a placement is rarely changed)
    following = ws.new_visit(ids["location"])
    assert following.visit.settings == v.settings and following.setting_delay.value() == 30
    assert following.battery_type.code() == "AA_LITHIUM"
    following.close()
    ws.close()
    again.close()


def test_visit_dated_before_its_deployment(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                            warnings_seen: list[str]) -> None:
    ids = station(db)
    workspace = CameraTrapsWorkspace(db)
    qtbot.addWidget(workspace)
    workspace.locations.selectRow(0)
    editor = workspace.new_visit()
    qtbot.keyClicks(editor.sd_removed, "SD-KED-001")
    editor.visited_at.setDateTime(QDateTime(2021, 2, 20, 10, 0, 0))  # before 1 March
    assert "before the camera at KED-C01 was put up" in editor.outcome.text()
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert len(warnings_seen) == 1 and "Check the date of the visit" in warnings_seen[0]
    assert editor.dirty and editor.visit.uuid is None
    assert len(store.visit_rows(db)) == 1  # only the deployment
    assert len(store.deployment_rows(db, ids["location"])) == 1
    editor.close()


def test_export_button_writes_a_package(qtbot, db: Database, tmp_path: Path,  # type: ignore[no-untyped-def]
                                        monkeypatch: pytest.MonkeyPatch,
                                        warnings_seen: list[str]) -> None:
    station(db)
    target = tmp_path / "usb"
    target.mkdir()
    (target / "old notes.txt").write_text("not ours")  # a stick with files on it
    shown: list[str] = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(target))
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: shown.append(a[2]))
    workspace = CameraTrapsWorkspace(db)
    qtbot.addWidget(workspace)
    qtbot.mouseClick(workspace.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: workspace.last_export is not None, timeout=10_000)
    summary = workspace.last_export
    assert summary is not None and not summary.cancelled and warnings_seen == []
    out = Path(summary.path)
    assert out.parent == target and out.name.startswith("camtrap-dp-KED-")
    assert (out / "datapackage.json").exists() and (out / "service-visits.csv").exists()
    assert (target / "old notes.txt").read_text() == "not ours"
    assert shown and "(deployments: 1, images: 0, service visits: 1)" in shown[0]
    assert str(out) in workspace.summary.text()
