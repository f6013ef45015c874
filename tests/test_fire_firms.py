"""NASA FIRMS hotspots: MODIS and VIIRS files read, matched to fires at the thresholds' edges,
stored all or nothing, and the unmatched ones ticked off by a ranger in the workspace."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QMessageBox

from ranger_app.domain.fires import (
    FireReportValue,
    FireStatusStepValue,
    FireWindow,
    HotspotValue,
    match_hotspot,
)
from ranger_app.domain.geo import haversine_m
from ranger_app.io.firms import import_firms, read_firms_csv
from ranger_app.store.db import Database
from ranger_app.store.fires import fire_hotspots, fire_list, save_fire, unmatched_hotspots
from ranger_app.store.queries import record_counts
from ranger_app.ui.fires_workspace import FiresWorkspace

DATA = Path(__file__).parent / "data" / "firms"
MODIS = DATA / "MODIS_C6_1_Russia_Asia_7d.csv"
VIIRS = DATA / "SUOMI_VIIRS_C2_Russia_Asia_7d.csv"
A = (43.10000, 131.20000)  # burned 10 Apr 03:00 UTC .. put out 11 Apr 09:00 UTC
B = (42.90000, 130.90000)  # detected 12 Apr 05:00 UTC, still burning
NOW = datetime(2024, 4, 20, tzinfo=UTC)


def t(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 4, day, hour, minute, tzinfo=UTC)


def make_fires(db: Database) -> tuple[str, str]:
    a = save_fire(db, FireReportValue(
        number="KED-2024-F01", detected_at=t(10, 3), lat=A[0], lon=A[1],
        steps=[FireStatusStepValue("ACTIVE", t(10, 3), 2.0),
               FireStatusStepValue("LOCALIZED", t(10, 20), 6.5),
               FireStatusStepValue("EXTINGUISHED", t(11, 9), 7.0)]))
    b = save_fire(db, FireReportValue(
        number="KED-2024-F02", detected_at=t(12, 5), lat=B[0], lon=B[1],
        steps=[FireStatusStepValue("ACTIVE", t(12, 5), 1.0)]))
    assert a.uuid and b.uuid
    return a.uuid, b.uuid


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# --- the sample files are what their comments in the tests say ----------------------------

# per data row: (nearest fire, metres from it, acquired, which fire should match)
MODIS_CASES = [
    ("A", 990, t(10, 4, 30), "A"),   # just inside 1 km
    ("A", 1010, t(10, 4, 30), None),  # just outside 1 km
    ("A", 500, t(12, 8, 30), "A"),   # 23.5 h after it was put out
    ("A", 500, t(12, 9, 30), None),  # 24.5 h after
    ("A", 300, t(9, 3, 30), "A"),    # 23.5 h before it was detected
    ("A", 300, t(9, 2, 30), None),   # 24.5 h before (acq_time "230": zeros dropped)
]
VIIRS_CASES = [
    ("B", 490, t(13, 4, 12), "B"),   # just inside 0.5 km of a fire still burning
    ("B", 510, t(13, 4, 12), None),  # just outside 0.5 km (a MODIS pixel would match)
    ("A", 400, t(10, 17), "A"),      # while A burned
]


@pytest.mark.parametrize(("path", "cases"), [(MODIS, MODIS_CASES), (VIIRS, VIIRS_CASES)])
def test_sample_files_sit_where_the_cases_say(path: Path, cases: list) -> None:  # type: ignore[type-arg]
    rows = rows_of(path)
    assert len(rows) == len(cases)
    for row, (fire, metres, _when, _match) in zip(rows, cases, strict=True):
        where = A if fire == "A" else B
        d = haversine_m(float(row["latitude"]), float(row["longitude"]), *where)
        assert abs(d - metres) < 3, (row, d)


def test_instrument_told_by_columns() -> None:
    modis = read_firms_csv(MODIS)
    viirs = read_firms_csv(VIIRS)
    assert modis.instrument == "MODIS" and len(modis.hotspots) == 6
    assert viirs.instrument == "VIIRS" and len(viirs.hotspots) == 3
    assert [h.acquired_at for h in modis.hotspots] == [c[2] for c in MODIS_CASES]
    assert [h.acquired_at for h in viirs.hotspots] == [c[2] for c in VIIRS_CASES]
    first = modis.hotspots[0]
    assert (first.satellite, first.confidence, first.daynight) == ("T", "81", "D")
    assert first.brightness_k == pytest.approx(318.4) and first.frp_mw == pytest.approx(12.3)
    assert first.raw["bright_t31"] == "289.2" and first.raw["version"] == "6.1NRT"
    assert viirs.hotspots[1].confidence == "h"
    assert viirs.hotspots[0].brightness_k == pytest.approx(331.2)


def test_import_matches_at_the_edges(db: Database) -> None:
    a, b = make_fires(db)
    fire_of = {"A": a, "B": b, None: None}
    for path, cases in ((MODIS, MODIS_CASES), (VIIRS, VIIRS_CASES)):
        result = import_firms(db, path, now=NOW)
        assert result.rows == result.added == len(cases)
        assert result.matched == sum(1 for c in cases if c[3])
        stored = {h.uuid: h for h in unmatched_hotspots(db, include_checked=True)}
        assert set(result.unmatched) <= set(stored)
    matched_a = fire_hotspots(db, a)
    matched_b = fire_hotspots(db, b)
    expected = [(c[2], fire_of[c[3]]) for c in MODIS_CASES + VIIRS_CASES]
    got = sorted([(h.acquired_at, a) for h in matched_a] + [(h.acquired_at, b) for h in matched_b]
                 + [(h.acquired_at, None) for h in unmatched_hotspots(db)],
                 key=lambda x: (x[0], x[1] or ""))
    assert got == sorted(expected, key=lambda x: (x[0], x[1] or ""))
    assert {h.instrument for h in matched_a} == {"MODIS", "VIIRS"}
    rows = {r.uuid: r for r in fire_list(db)}
    assert rows[a].hotspots == 4 and rows[b].hotspots == 1


def test_a_file_imported_twice_adds_nothing(db: Database) -> None:
    make_fires(db)
    first = import_firms(db, MODIS, now=NOW)
    before = record_counts(db)
    second = import_firms(db, MODIS, now=NOW)
    assert first.added == 6
    assert (second.rows, second.added, second.already_known) == (6, 0, 6)
    assert record_counts(db) == before


def test_match_rule_uses_the_instruments_radius() -> None:
    fire = FireWindow("f", 43.0, 131.0, t(10, 0), None)
    at_700 = (43.0 + 700 / 111_195, 131.0)
    modis = HotspotValue("MODIS", *at_700, t(10, 5))
    viirs = HotspotValue("VIIRS", *at_700, t(10, 5))
    assert match_hotspot(modis, [fire], NOW) == "f"
    assert match_hotspot(viirs, [fire], NOW) is None
    # the nearer of two fires wins
    other = FireWindow("g", at_700[0] + 100 / 111_195, 131.0, t(10, 0), None)
    assert match_hotspot(modis, [fire, other], NOW) == "g"


# --- through the workspace ------------------------------------------------------------------

@pytest.fixture
def quiet(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: shown.append(a[2]))
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Discard)
    return shown


def test_workspace_imports_and_lists_hotspots_to_check(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       quiet: list[str]) -> None:
    a, b = make_fires(db)
    ws = FiresWorkspace(db)
    qtbot.addWidget(ws)
    ws.show()
    assert ws.model.rowCount() == 2
    assert ws.hotspots_button.text() == "Hotspots to check"

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(MODIS), ""))
    qtbot.mouseClick(ws.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ws.hotspot_dialog is not None, timeout=10_000)
    dialog = ws.hotspot_dialog
    assert ws.last_import is not None and ws.last_import.instrument == "MODIS"
    assert dialog.table.rowCount() == 3  # the three just outside a threshold
    times = sorted(dialog.table.item(r, 1).text() for r in range(3))
    assert len(set(times)) == 3
    row_a = ws.model.row_of(a)
    assert ws.model.data(ws.model.index(row_a, 5)) == "3"
    assert ws.hotspots_button.text() == "Hotspots to check (3)"

    # a ranger has looked at two of them
    dialog.table.item(0, 0).setCheckState(Qt.CheckState.Checked)
    dialog.table.item(2, 0).setCheckState(Qt.CheckState.Checked)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ws.hotspot_dialog is None)
    assert len(unmatched_hotspots(db)) == 1
    assert len(unmatched_hotspots(db, include_checked=True)) == 3
    assert ws.hotspots_button.text() == "Hotspots to check (1)"

    # the VIIRS file: one new hotspot to check; the dialog lists only this import's
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(VIIRS), ""))
    qtbot.mouseClick(ws.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ws.hotspot_dialog is not None, timeout=10_000)
    assert ws.hotspot_dialog.table.rowCount() == 1
    assert "VIIRS" in ws.hotspot_dialog.table.item(0, 2).text()
    ws.hotspot_dialog.reject()
    qtbot.waitUntil(lambda: ws.hotspot_dialog is None)
    assert ws.model.data(ws.model.index(ws.model.row_of(b), 5)) == "1"
    assert ws.hotspots_button.text() == "Hotspots to check (2)"
    assert not quiet
