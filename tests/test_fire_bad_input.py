"""What bad input gets (design section 7): a typed error, a clear message, nothing written.

FIRMS files with missing or unknown columns or an impossible value, a perimeter walk that
does not close, a negative area, times out of order: each is refused with its own error, and
the change log (every write lands there) has not grown by a single row.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ranger_app.domain import fires as f
from ranger_app.domain.errors import CoordinateOutOfRange, RangerError
from ranger_app.domain.fires import FireReportValue, FireStatusStepValue
from ranger_app.i18n.messages import describe
from ranger_app.io.firms import describe_fire_error, import_firms
from ranger_app.io.perimeter import import_perimeter, perimeter_from_gpx
from ranger_app.store.db import Database
from ranger_app.store.fires import fire_list, load_fire, save_fire
from ranger_app.store.queries import record_counts
from ranger_app.ui.fire_editor import FireEditor, new_fire
from ranger_app.ui.fires_workspace import FiresWorkspace
from tests.test_fire_editor import retype, walk_gpx

DATA = Path(__file__).parent / "data" / "firms"
T0 = datetime(2025, 4, 14, 3, 20, tzinfo=UTC)


def changes(db: Database) -> int:
    return int(record_counts(db)["changes"])


def worded(err: BaseException) -> str:
    text = describe(err)
    assert not text.startswith("Something went wrong"), f"no message for {type(err).__name__}"
    if isinstance(err, f.BadInput) and type(err).__module__ == f.__name__:
        assert describe_fire_error(err) == text
    return text


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Discard)
    return shown


def a_fire(**changes_: object) -> FireReportValue:
    fire = FireReportValue(number="KED-2025-F09", detected_at=T0, lat=43.1, lon=131.2,
                           area_total_ha=5.0,
                           steps=[FireStatusStepValue("ACTIVE", T0, 0.5),
                                  FireStatusStepValue("LOCALIZED", T0 + timedelta(hours=5), 4.0)])
    for key, value in changes_.items():
        setattr(fire, key, value)
    return fire


# --- FIRMS files --------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "error", "facts"), [
    ("MODIS_missing_acq_time.csv", f.FirmsMissingColumns,
     {"instrument": "MODIS", "columns": ("acq_time",)}),
    ("VIIRS_extra_columns.csv", f.FirmsUnknownColumns, {"columns": ("note", "distance_km")}),
    ("not_firms.csv", f.FirmsMissingColumns,
     {"instrument": "", "columns": ("latitude", "longitude", "acq_date", "acq_time",
                                    "satellite", "confidence", "frp", "daynight",
                                    "brightness / bright_ti4")}),
    ("VIIRS_bad_latitude.csv", f.FirmsBadValue, {"line": 4, "column": "latitude",
                                                 "value": "95.10000"}),
])
def test_bad_firms_file_writes_nothing(db: Database, name: str, error: type,
                                       facts: dict[str, object]) -> None:
    save_fire(db, a_fire())
    before = record_counts(db)
    with pytest.raises(error) as caught:
        import_firms(db, DATA / name)
    for key, value in facts.items():
        assert getattr(caught.value, key) == value
    text = worded(caught.value)
    for column in facts.get("columns", ()):  # type: ignore[attr-defined]
        assert column in text
    assert caught.value.exit_code == 3
    assert record_counts(db) == before


def test_bad_firms_file_in_the_workspace(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                         monkeypatch: pytest.MonkeyPatch,
                                         warnings: list[str]) -> None:
    ws = FiresWorkspace(db)
    qtbot.addWidget(ws)
    ws.show()
    before = changes(db)
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *a, **k: (str(DATA / "MODIS_missing_acq_time.csv"), ""))
    qtbot.mouseClick(ws.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(warnings), timeout=10_000)
    assert "acq_time" in warnings[0] and "FIRMS" in warnings[0]
    assert ws.hotspot_dialog is None and ws.last_import is None
    assert changes(db) == before


# --- the perimeter walk ---------------------------------------------------------------------------

def test_perimeter_walk_not_closed(db: Database, tmp_path: Path) -> None:
    gpx = walk_gpx(tmp_path / "three_sides.gpx", closed=False)
    with pytest.raises(f.PerimeterNotClosed) as caught:
        perimeter_from_gpx(gpx)
    err = caught.value
    assert err.gap_m == pytest.approx(350, abs=15) and err.limit_m == pytest.approx(100)
    assert err.length_m == pytest.approx(1050, abs=20)
    assert "three_sides.gpx" in worded(err)
    with pytest.raises(f.PerimeterNotClosed):
        import_perimeter(db.media, gpx)
    assert not (db.media.root / "sha256").exists()  # the original was not kept either
    closed = perimeter_from_gpx(walk_gpx(tmp_path / "round.gpx"))
    assert closed.gap_m == pytest.approx(8, abs=1)
    assert closed.area_ha == pytest.approx(12.25, rel=0.02)
    assert closed.segment_name == "Кромка пожара"  # the longest segment, not the approach


def test_perimeter_too_small_to_be_a_walk() -> None:
    with pytest.raises(f.PerimeterTooFewPoints):
        f.closed_ring([(43.1, 131.2), (43.1001, 131.2), (43.1, 131.2)])


def test_perimeter_not_closed_in_the_editor(qtbot, db: Database, tmp_path: Path,  # type: ignore[no-untyped-def]
                                            monkeypatch: pytest.MonkeyPatch,
                                            warnings: list[str]) -> None:
    editor = FireEditor(db, new_fire(db))
    qtbot.addWidget(editor)
    editor.show()
    before = changes(db)
    gpx = walk_gpx(tmp_path / "three_sides.gpx", closed=False)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(gpx), ""))
    qtbot.mouseClick(editor.perimeter_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(warnings), timeout=10_000)
    assert "three_sides.gpx" in warnings[0] and "does not go round the fire" in warnings[0]
    assert editor.fire.perimeter == [] and editor.fire.perimeter_area_ha is None
    assert changes(db) == before


# --- values in the report ---------------------------------------------------------------------

@pytest.mark.parametrize(("change", "error"), [
    ({"area_total_ha": -5.0}, f.NegativeArea),
    ({"area_forest_ha": -0.1}, f.NegativeArea),
    ({"area_forest_ha": 4.0, "area_nonforest_ha": 1.5}, f.AreaPartsExceedTotal),
    ({"start_est_at": T0 + timedelta(hours=1)}, f.StartAfterDetection),
    ({"steps": [FireStatusStepValue("ACTIVE", T0 - timedelta(minutes=30))]},
     f.StepBeforeDetection),
    ({"steps": [FireStatusStepValue("ACTIVE", T0),
                FireStatusStepValue("EXTINGUISHED", T0 + timedelta(hours=9)),
                FireStatusStepValue("LOCALIZED", T0 + timedelta(hours=4))]},
     f.StepsOutOfOrder),
    ({"lat": 95.0}, CoordinateOutOfRange),
    ({"humidity_pct": 140.0}, f.ValueOutOfRange),
    ({"people": -2}, f.ValueOutOfRange),
])
def test_bad_report_is_refused_and_nothing_written(db: Database, change: dict[str, object],
                                                   error: type) -> None:
    saved = save_fire(db, a_fire())
    assert saved.uuid
    before = record_counts(db)
    kept = load_fire(db, saved.uuid)
    edited = load_fire(db, saved.uuid)
    for key, value in change.items():
        setattr(edited, key, value)
    with pytest.raises(error) as caught:
        save_fire(db, edited)
    assert isinstance(caught.value, RangerError) and caught.value.exit_code == 3
    worded(caught.value)
    assert record_counts(db) == before
    assert load_fire(db, saved.uuid) == kept
    with pytest.raises(error):  # a new report is refused the same way
        save_fire(db, a_fire(**change))
    assert record_counts(db) == before


def test_wording_of_times_uses_station_time() -> None:
    err = f.StepsOutOfOrder(3, "LOCALIZED", "2025-04-14T07:20:00+00:00", "EXTINGUISHED",
                            "2025-04-14T12:20:00+00:00", "Asia/Vladivostok")
    text = describe(err)
    assert "14/04/2025, 17:20" in text and "Localised" in text and "Extinguished" in text


def test_negative_area_typed_in_the_editor(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                           warnings: list[str]) -> None:
    editor = FireEditor(db, new_fire(db))
    qtbot.addWidget(editor)
    editor.show()
    before = changes(db)
    editor.tabs.setCurrentIndex(1)
    retype(qtbot, editor.area_total, "-5")
    assert editor.fire.area_total_ha == -5.0
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert len(warnings) == 1 and "cannot be negative" in warnings[0]
    assert "total area" in warnings[0]
    assert editor.dirty and editor.fire.uuid is None
    assert changes(db) == before and fire_list(db) == []


def test_text_that_is_not_a_number(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                   warnings: list[str]) -> None:
    editor = FireEditor(db, new_fire(db))
    qtbot.addWidget(editor)
    editor.show()
    before = changes(db)
    retype(qtbot, editor.people, "12 чел")
    assert not editor.people.valid and editor.people.toolTip()
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert len(warnings) == 1 and "People" in warnings[0]
    assert changes(db) == before


def test_step_earlier_than_the_one_before_in_the_editor(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                                        warnings: list[str]) -> None:
    editor = FireEditor(db, new_fire(db))
    qtbot.addWidget(editor)
    editor.show()
    editor.detected.setDateTime(QDateTime(2025, 4, 14, 13, 20, 0))
    before = changes(db)
    editor.tabs.setCurrentIndex(1)
    qtbot.mouseClick(editor.add_step, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(editor.add_step, Qt.MouseButton.LeftButton)
    editor.steps.cellWidget(1, 1).setDateTime(QDateTime(2025, 4, 15, 9, 0, 0))
    editor.steps.cellWidget(2, 1).setDateTime(QDateTime(2025, 4, 14, 18, 0, 0))
    assert editor.timeline.gap_label(2).startswith("−")  # drawn in red on the timeline
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert len(warnings) == 1 and "earlier than the step before it" in warnings[0]
    assert "14/04/2025, 18:00" in warnings[0]
    assert changes(db) == before
    # the estimated start after the detection
    editor.steps.cellWidget(2, 1).setDateTime(QDateTime(2025, 4, 15, 18, 0, 0))
    editor.start_est.setDateTime(QDateTime(2025, 4, 14, 14, 0, 0))
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert len(warnings) == 2 and "estimated start" in warnings[1]
    assert changes(db) == before
    editor.start_est.setDateTime(QDateTime(2025, 4, 14, 12, 0, 0))
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert len(warnings) == 2 and not editor.dirty and changes(db) > before
