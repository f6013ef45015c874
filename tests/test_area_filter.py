"""The place filter: patrols whose track passes through a forest quarter (picked from a
searchable district tree) or through an area drawn on the map with the mouse, in the patrol
list and in the effort report, through the real widgets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QPoint, Qt
from shapely.geometry import box

from ranger_app.domain.layers import LayerFeature, MapLayer, default_style
from ranger_app.domain.records import LegValue, MemberValue, PatrolValue, TrackValue
from ranger_app.domain.track import TrackPoint, pack_points, track_stats
from ranger_app.reports.area_filter import drawn_area, patrols_through, quarter_choices
from ranger_app.reports.effort import effort_summary
from ranger_app.store.db import Database
from ranger_app.store.models import Person
from ranger_app.store.patrols import save_patrol
from ranger_app.store.queries import PatrolListSource
from ranger_app.ui import workers
from ranger_app.ui.map_view import project
from ranger_app.ui.patrol_list import PatrolListPage

T0 = datetime(2024, 6, 3, 0, 0, tzinfo=UTC)
# two districts of three quarters, 0.1° square, North above South
QUARTERS = MapLayer("q", "Quarters", "forest_quarter", default_style("forest_quarter"), tuple(
    LayerFeature(box(131.0 + 0.1 * k, lat, 131.1 + 0.1 * k, lat + 0.1), str(n), district)
    for district, lat, first in (("North", 43.1, 1), ("South", 43.0, 4))
    for k, n in enumerate(range(first, first + 3))))


def walk(lonlat: list[tuple[float, float]], day: int) -> TrackValue:
    points = [TrackPoint(lat, lon, time=T0 + timedelta(days=day, minutes=30 * i))
              for i, (lon, lat) in enumerate(lonlat)]
    return TrackValue(pack_points(points), track_stats(points))


@pytest.fixture
def patrols(db: Database, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A through quarter North 2, B through South 5 (and along its edge with 6), C south of
    the grid; each a day of its own."""
    monkeypatch.setattr("ranger_app.ui.layer_source.map_layers", lambda _db: [QUARTERS])
    station = db.installation().station_uuid
    with db.writer() as s:
        person = Person(name="Anna", station_uuid=station)
        s.add(person)
        s.flush()
        anna = person.uuid
    ids = {}
    for day, (number, track) in enumerate((
            ("A", [(131.12, 43.15), (131.15, 43.16), (131.18, 43.15)]),
            ("B", [(131.15, 43.02), (131.2, 43.05), (131.15, 43.08)]),
            ("C", [(130.85, 42.8), (130.9, 42.82)]))):
        start = T0 + timedelta(days=day)
        p = save_patrol(db, PatrolValue(
            station_uuid=station, number=number, start_at=start, end_at=start + timedelta(hours=2),
            legs=[LegValue("FOOT", start, start + timedelta(hours=2), [MemberValue(anna, True)])],
            tracks=[walk(track, day)]))
        ids[number] = p.uuid or ""
    return ids


@pytest.fixture(autouse=True)
def _workers(qapp) -> Iterator[None]:  # type: ignore[no-untyped-def]
    yield
    workers.wait_for_all()


def test_the_service(db: Database, patrols: dict[str, str]) -> None:
    choices = quarter_choices([QUARTERS])
    assert [(q.district, q.label) for q in choices][:3] == [("North", "1"), ("North", "2"),
                                                            ("North", "3")]
    by_name = {(q.district, q.label): q for q in choices}
    assert patrols_through(db, by_name["North", "2"].geometry) == {patrols["A"]}
    # B's track touches the edge it shares with quarter 6: touching counts
    assert patrols_through(db, by_name["South", "6"].geometry) == {patrols["B"]}
    assert patrols_through(db, by_name["North", "3"].geometry) == frozenset()
    area = drawn_area([(130.8, 42.7), (131.0, 42.7), (131.0, 42.9), (130.8, 42.9)])
    assert patrols_through(db, area.geometry) == {patrols["C"]}
    rows = effort_summary(db, "all", per_month=False, patrol_uuids={patrols["A"]})
    assert rows[0].patrols == 1 and rows[0].hours == pytest.approx(2.0)
    with pytest.raises(ValueError):
        drawn_area([(131.0, 43.0), (131.1, 43.0), (131.0, 43.0)])


def page(qtbot, db: Database) -> PatrolListPage:  # type: ignore[no-untyped-def]
    view = PatrolListPage(PatrolListSource(db))
    qtbot.addWidget(view)
    view.resize(1200, 500)
    view.show()
    return view


def listed(view: PatrolListPage) -> set[str]:
    return {view.model.row_at(i).number for i in range(view.model.rowCount())}  # type: ignore[union-attr]


def test_patrol_list_by_quarter(qtbot, db: Database, patrols: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    view = page(qtbot, db)
    assert listed(view) == {"A", "B", "C"}
    dialog = view.area_bar.choose_quarter()
    assert dialog is not None and len(dialog.visible_choices()) == 6
    qtbot.keyClicks(dialog.search, "south 5")
    assert [(q.district, q.label) for q in dialog.visible_choices()] == [("South", "5")]
    with qtbot.waitSignal(view.areaApplied, timeout=10_000):
        qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
    assert listed(view) == {"B"}
    assert view.count_label.text() == "1 patrol"
    assert view.area_bar.label.text() == "quarter 5 · South"
    assert "whole distance" in view.area_bar.label.toolTip()
    with qtbot.waitSignal(view.areaApplied, timeout=10_000):
        qtbot.mouseClick(view.area_bar.clear_button, Qt.MouseButton.LeftButton)
    assert listed(view) == {"A", "B", "C"}


def test_patrol_list_by_a_drawn_area(qtbot, db: Database, patrols: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    view = page(qtbot, db)
    dialog = view.area_bar.draw_area()
    qtbot.waitExposed(dialog)
    qtbot.wait(50)
    target = dialog.map

    def at(lon: float, lat: float) -> QPoint:
        return target.mapFromScene(project(lat, lon))

    assert not dialog.ok_button().isEnabled()
    for lon, lat in ((130.8, 42.7), (131.0, 42.7), (131.0, 42.9)):
        qtbot.mouseClick(target.viewport(), Qt.MouseButton.LeftButton, pos=at(lon, lat))
    qtbot.keyClick(target, Qt.Key.Key_Backspace)  # take the third corner back
    assert len(dialog.tool.corners) == 2
    qtbot.mouseClick(target.viewport(), Qt.MouseButton.LeftButton, pos=at(131.0, 42.9))
    qtbot.mouseDClick(target.viewport(), Qt.MouseButton.LeftButton, pos=at(130.8, 42.9))
    assert dialog.tool.closed and len(dialog.tool.corners) == 4
    assert dialog.ok_button().isEnabled() and "km²" in dialog.state.text()
    with qtbot.waitSignal(view.areaApplied, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button(), Qt.MouseButton.LeftButton)
    assert listed(view) == {"C"}
    assert view.area_bar.label.text() == "the drawn area"

    # Esc drops a polygon in progress; Enter closes one
    dialog = view.area_bar.draw_area()
    qtbot.waitExposed(dialog)
    target = dialog.map
    for lon, lat in ((131.1, 43.1), (131.3, 43.1)):
        qtbot.mouseClick(target.viewport(), Qt.MouseButton.LeftButton, pos=at(lon, lat))
    qtbot.keyClick(target, Qt.Key.Key_Escape)
    assert dialog.tool.corners == [] and dialog.isVisible()
    for lon, lat in ((131.1, 43.1), (131.3, 43.1), (131.3, 43.2), (131.1, 43.2)):
        qtbot.mouseClick(target.viewport(), Qt.MouseButton.LeftButton, pos=at(lon, lat))
    qtbot.keyClick(target, Qt.Key.Key_Return)
    assert dialog.tool.closed
    with qtbot.waitSignal(view.areaApplied, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button(), Qt.MouseButton.LeftButton)
    assert listed(view) == {"A"}


def test_effort_report_by_quarter(qtbot, db: Database, patrols: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    from ranger_app.ui.effort_view import EffortView

    view = EffortView(db)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.result is not None and not view.busy_now, timeout=10_000)
    assert view.result is not None and view.result.total is not None
    assert view.result.total.patrols == 3
    dialog = view.area_bar.choose_quarter()
    assert dialog is not None
    qtbot.keyClicks(dialog.search, "north 2")
    with qtbot.waitSignal(view.computed, timeout=10_000):
        qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok),
                         Qt.MouseButton.LeftButton)
    total = view.result.total
    assert total is not None and total.patrols == 1
    whole = effort_summary(db, "all", per_month=False, patrol_uuids={patrols["A"]})[0]
    assert total.distance_km == pytest.approx(whole.distance_km)  # the whole patrol's km
    assert view.area_note.isVisible() and "quarter 2 · North" in view.area_note.text()
    assert "whole distance" in view.area_note.text()
    assert "quarter 2 · North" in view.report_html()
