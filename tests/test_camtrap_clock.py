"""A camera whose clock was a year and three hours fast: found at SD import, fixed or flagged.

The card's JPEGs are made here with the EXIF a RECONYX writes (tests/camtrap_photos.py), dated
by the wrong clock. The deployment ran from 1 March to the visit on 20 April 2021.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QMessageBox

from ranger_app.domain.camtraps import CameraValue, LocationValue, ServiceVisitValue
from ranger_app.domain.records import PhotoValue
from ranger_app.io.camtrapdp import build_package, export_camtrapdp
from ranger_app.io.sd_import import clock_fix, import_sd_folder
from ranger_app.store import camtraps as store
from ranger_app.store.camtraps import camtrap_data
from ranger_app.store.db import Database
from ranger_app.ui.camtrap_clock import ClockBanner, clock_amount
from ranger_app.ui.camtrap_editor import ServiceVisitEditor, new_visit
from tests.camtrap_photos import write_photo

TZ = "Asia/Vladivostok"
DEPLOYED = datetime(2021, 3, 1, 3, 0, tzinfo=UTC)  # 13:00 in Vladivostok
VISITED = datetime(2021, 4, 20, 4, 30, tzinfo=UTC)  # 14:30 in Vladivostok
FAST = timedelta(days=365, hours=3)  # the camera clock, ahead of the true time
TRUE_TIMES = [datetime(2021, 4, 11, 10, 43, 9, tzinfo=UTC) + timedelta(seconds=s)
              for s in (0, 2, 5)]


def photo(when: datetime | None) -> PhotoValue:
    return PhotoValue(sha256=f"{id(when):064x}", taken_at=when, kind="camtrap")


def card(root: Path, shift: timedelta = FAST) -> Path:
    """Three images of one burst, their EXIF written by a clock `shift` ahead."""
    folder = root / "card" / "DCIM" / "100RECNX"
    folder.mkdir(parents=True)
    for i, when in enumerate(TRUE_TIMES):
        write_photo(folder / f"RCNX{i + 1:04d}.JPG", i, (when + shift).astimezone(ZoneInfo(TZ)))
    return root / "card"


def station(db: Database) -> tuple[LocationValue, CameraValue]:
    loc = store.save_location(db, LocationValue(
        code="KED-C01", name="Медвежий ключ", station_uuid=db.installation().station_uuid,
        lat=43.06, lon=131.29, tz=TZ))
    cam = store.save_camera(db, CameraValue(serial="BN897193", make="Bushnell",
                                            model="Core DS-4K"))
    store.save_service_visit(db, ServiceVisitValue(
        location_uuid=loc.uuid, camera_uuid=cam.uuid, visit_type="DEPLOY",
        visited_at=DEPLOYED, sd_inserted="SD-1", tz=TZ))
    return loc, cam


def card_swap(db: Database, loc: LocationValue) -> str:
    visit = store.save_service_visit(db, ServiceVisitValue(
        location_uuid=loc.uuid, visit_type="SERVICE", visited_at=VISITED, sd_removed="SD-1",
        sd_inserted="SD-2", tz=TZ))
    assert visit.uuid is not None
    return visit.uuid


# --- clock_fix ----------------------------------------------------------------------------------

def test_clock_fix_finds_the_offset_that_moves_images_inside() -> None:
    inside = [photo(DEPLOYED + timedelta(days=3)), photo(VISITED - timedelta(hours=1))]
    assert clock_fix([*inside, photo(None)], DEPLOYED, VISITED, None) is None
    # 15 minutes of slack either side: the setup and pick-up photos of the crew
    edge = [photo(DEPLOYED - timedelta(minutes=14)), photo(VISITED + timedelta(minutes=14))]
    assert clock_fix(edge, DEPLOYED, VISITED, 0) is None

    late = [photo(t + FAST) for t in TRUE_TIMES]
    fix = clock_fix(late, DEPLOYED, VISITED, 60)
    assert fix is not None and (fix.before, fix.after, fix.outside) == (0, 3, 3)
    assert fix.shift == VISITED - (TRUE_TIMES[-1] + FAST)  # the last image at the visit
    assert fix.offset_s == 60 - round(fix.shift.total_seconds())
    assert fix.offset_s > 0  # a camera ahead of the true time

    early = [photo(DEPLOYED - timedelta(days=2)), photo(DEPLOYED + timedelta(days=1))]
    fix = clock_fix(early, DEPLOYED, VISITED, None)
    assert fix is not None and (fix.before, fix.after) == (1, 0)
    assert fix.shift == timedelta(days=2) and fix.offset_s == -2 * 86_400  # the setup photo

    # a card spanning more than the deployment: no single offset fits, the times stay
    wide = [photo(DEPLOYED - timedelta(days=1)), photo(VISITED + timedelta(days=1))]
    fix = clock_fix(wide, DEPLOYED, VISITED, 0)
    assert fix is not None and fix.outside == 2 and fix.offset_s is None
    assert fix.shift is None


def test_sd_import_fixes_the_clock_when_asked(db: Database, tmp_path: Path) -> None:
    loc, _cam = station(db)
    visit_uuid = card_swap(db, loc)
    result = import_sd_folder(db, visit_uuid, card(tmp_path), fix_clock=True)
    assert result.count == 3 and result.clock is not None
    assert (result.clock.after, result.clock.offset_s is not None) == (3, True)
    saved = store.load_service_visit(db, visit_uuid)
    assert saved.clock_offset_s == result.clock.offset_s
    times = sorted(i.taken_at for i in saved.images if i.taken_at is not None)
    assert len(times) == 3 and times[0] >= DEPLOYED and times[-1] == VISITED
    assert [b - a for a, b in pairwise(times)] == [timedelta(seconds=2),
                                                         timedelta(seconds=3)]
    assert (saved.first_image_at, saved.last_image_at) == (times[0], times[-1])
    assert build_package(camtrap_data(db)).tables["deployments"][0]["timestampIssues"] is False


def test_sd_import_keeps_the_times_unasked_and_the_export_flags_them(
        db: Database, tmp_path: Path) -> None:
    loc, _cam = station(db)
    visit_uuid = card_swap(db, loc)
    result = import_sd_folder(db, visit_uuid, card(tmp_path))
    assert result.clock is not None and result.clock.outside == 3
    saved = store.load_service_visit(db, visit_uuid)
    assert saved.clock_offset_s is None
    assert sorted(i.taken_at for i in saved.images) == [t + FAST for t in TRUE_TIMES]

    summary = export_camtrapdp(db, tmp_path / "cdp")
    assert summary.media == 3 and summary.media_outside_deployment == 3
    package = build_package(camtrap_data(db))
    closed = next(d for d in package.tables["deployments"]
                  if d["deploymentID"] == saved.deployment_uuid)
    assert closed["timestampIssues"] is True
    assert "3 media files dated outside the deployment" in closed["deploymentComments"]
    assert {m["deploymentID"] for m in package.tables["media"]} == {saved.deployment_uuid}
    assert all(m["mediaComments"].startswith(
        "timestamp outside the deployment (2021-03-01T13:00:00+10:00 - "
        "2021-04-20T14:30:00+10:00)") for m in package.tables["media"])
    running = next(d for d in package.tables["deployments"] if d is not closed)
    assert running["timestampIssues"] is False  # the images do not stretch the next one


# --- the visit editor ---------------------------------------------------------------------------

@pytest.fixture
def no_questions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Closing an edited visit asks whether to save: discard. Warnings are collected."""
    seen: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: seen.append(a[2]))
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Discard)
    return seen


def editor_at_the_camera(qtbot, db: Database,  # type: ignore[no-untyped-def]
                         no_questions: list[str]) -> ServiceVisitEditor:
    loc, _cam = station(db)
    editor = ServiceVisitEditor(db, new_visit(db, loc))
    qtbot.addWidget(editor)
    editor.show()
    editor.visited_at.setDateTime(QDateTime(2021, 4, 20, 14, 30, 0))  # local time
    assert editor.visit.visited_at == VISITED
    return editor


def test_banner_offers_the_clock_fix_and_correct_moves_the_images(
        qtbot, db: Database, tmp_path: Path,  # type: ignore[no-untyped-def]
        no_questions: list[str]) -> None:
    editor = editor_at_the_camera(qtbot, db, no_questions)
    assert not editor.clock_banner.isVisibleTo(editor)
    editor.import_card(card(tmp_path))
    qtbot.waitUntil(lambda: editor.last_import is not None, timeout=15_000)
    banner = editor.clock_banner
    assert editor.tabs.currentIndex() == 2 and banner.isVisibleTo(editor)
    text = banner.text.text()
    assert text.startswith("3 images are dated outside the deployment (01/03/2021, 13:00 – "
                           "20/04/2021, 14:30). ")
    # the last image moves to the visit: 2022-04-11 13:43:14 back to 2021-04-20 04:30 UTC
    assert "The camera clock looks off by 356 days 9 h 13 min: it ran fast." in text
    assert "flag them as timestamp issues" in text
    fix = editor.last_import.clock  # type: ignore[union-attr]
    assert fix is not None and fix.offset_s is not None

    qtbot.mouseClick(banner.correct_button, Qt.MouseButton.LeftButton)
    assert not banner.isVisibleTo(editor)
    assert editor.clock_offset.value() == fix.offset_s == editor.visit.clock_offset_s
    times = sorted(i.taken_at for i in editor.visit.images if i.taken_at is not None)
    assert times[0] >= DEPLOYED and times[-1] <= VISITED
    assert editor.visit.last_image_at == VISITED
    assert "20/04/2021, 14:30" in editor.images_summary.text()
    assert no_questions == []


def test_banner_keep_leaves_the_times_and_no_fit_says_they_are_flagged(
        qtbot, db: Database, tmp_path: Path,  # type: ignore[no-untyped-def]
        no_questions: list[str]) -> None:
    editor = editor_at_the_camera(qtbot, db, no_questions)
    editor.import_card(card(tmp_path))
    qtbot.waitUntil(lambda: editor.last_import is not None, timeout=15_000)
    qtbot.mouseClick(editor.clock_banner.keep_button, Qt.MouseButton.LeftButton)
    assert not editor.clock_banner.isVisibleTo(editor)
    assert editor.visit.clock_offset_s is None
    assert sorted(i.taken_at for i in editor.visit.images) == [t + FAST for t in TRUE_TIMES]
    assert "export flags" in editor.status_label.text()
    assert no_questions == []

    banner = ClockBanner()
    qtbot.addWidget(banner)
    wide = [photo(DEPLOYED - timedelta(days=1)), photo(VISITED + timedelta(days=1))]
    banner.show_fix(clock_fix(wide, DEPLOYED, VISITED, None), TZ)
    assert not banner.isHidden()
    assert banner.correct_button.isHidden()
    assert "2 images are dated outside the deployment" in banner.text.text()
    assert "No single clock correction" in banner.text.text()
    assert "flag them as timestamp issues" in banner.text.text()


@pytest.mark.parametrize(("seconds", "text"), [
    (120, "0 h 02 min"), (-3 * 3600, "3 h 00 min"), (86_400, "1 day"),
    (int(FAST.total_seconds()), "365 days 3 h 00 min")])
def test_clock_amount_reads_as_days_hours_minutes(seconds: int, text: str) -> None:
    assert clock_amount(seconds) == text
