"""Review warnings against the park's layers: observations outside the park boundary,
tracks crossing the state border (inside, outside, on the line, no layer), and both shown in
the review view with translated text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import LineString, Polygon

from ranger_app.domain.layer_checks import (
    BorderLines,
    border_crossing_warnings,
    layer_warnings,
    outside_park_warnings,
    park_area,
)
from ranger_app.domain.layers import LayerFeature, MapLayer, default_style
from ranger_app.domain.records import ObservationValue, PatrolValue, TrackValue
from ranger_app.domain.track import FLAG_TOO_FAST, TrackPoint, pack_points, track_stats

T0 = datetime(2024, 5, 1, 1, 0, tzinfo=UTC)
PARK = Polygon([(131.0, 43.0), (131.2, 43.0), (131.2, 43.2), (131.0, 43.2)])
BORDER = LineString([(130.9, 42.5), (130.9, 43.5)])  # a meridian, drawn south to north
M_PER_DEG_LON = 111_195.0 * 0.7313537  # cos(43.1°)


def layer(kind: str, *geometries: object, name: str = "") -> MapLayer:
    return MapLayer(kind, name or kind, kind, default_style(kind),
                    tuple(LayerFeature(g) for g in geometries))  # type: ignore[arg-type]


LAYERS = [layer("park_boundary", PARK), layer("state_border", BORDER)]


def packed(lonlat: list[tuple[float, float]], flags: dict[int, int] | None = None) -> bytes:
    return pack_points([TrackPoint(lat, lon, time=T0 + timedelta(minutes=10 * i),
                                   flags=(flags or {}).get(i, 0))
                        for i, (lon, lat) in enumerate(lonlat)])


def obs(uuid: str, lon: float, lat: float) -> ObservationValue:
    return ObservationValue("TIGER_TRACK", T0, lat, lon, uuid=uuid)


# --- outside the park ----------------------------------------------------------------------

def test_observations_inside_on_the_boundary_and_outside() -> None:
    park = park_area(LAYERS)
    found = outside_park_warnings([
        obs("inside", 131.1, 43.1),
        obs("on-edge", 131.2, 43.1),  # exactly on the east edge: inside
        obs("corner", 131.0, 43.0),
        obs("east", 131.21, 43.1),  # 0.01° of longitude east of the edge
        ObservationValue("SNARE", T0, None, None, uuid="no-position"),
    ], park)
    assert [w.ref for w in found] == ["east"]
    w = found[0]
    assert w.kind == "outside_park" and (w.lat, w.lon) == (43.1, 131.21) and w.at == T0
    assert w.metres == pytest.approx(0.01 * M_PER_DEG_LON, rel=0.005)  # about 813 m


def test_no_park_layer_no_warning() -> None:
    assert park_area([layer("state_border", BORDER)]) is None
    assert outside_park_warnings([obs("far", 140.0, 50.0)], None) == []
    assert layer_warnings(PatrolValue(observations=[obs("far", 140.0, 50.0)]), []) == []


def test_a_boundary_drawn_as_a_closed_line_is_an_area() -> None:
    park = park_area([layer("park_boundary", LineString(PARK.exterior.coords))])
    found = outside_park_warnings([obs("in", 131.1, 43.1), obs("out", 131.3, 43.1)], park)
    assert [w.ref for w in found] == ["out"]


# --- the state border ----------------------------------------------------------------------

BORDER_LINES = BorderLines.of(LAYERS)


def crossing(lonlat: list[tuple[float, float]], **kw: dict[int, int]) -> list:
    return border_crossing_warnings("walk", packed(lonlat, **kw), BORDER_LINES)


def test_a_track_crossing_the_border_once() -> None:
    [w] = crossing([(131.0, 43.0), (130.8, 43.0)])
    assert (w.kind, w.ref, w.count) == ("crosses_border", "walk", 1)
    assert w.lon == pytest.approx(130.9) and w.lat == pytest.approx(43.0)
    assert w.at == T0 + timedelta(minutes=5)  # half-way along the segment


def test_out_and_back_counts_two_and_names_the_first() -> None:
    [w] = crossing([(131.0, 43.0), (130.85, 43.05), (130.95, 43.1), (131.0, 43.2)])
    assert w.count == 2
    assert w.lat == pytest.approx(43.0 + 0.05 * 2 / 3)  # 0.1 of the 0.15° step west


def test_inside_the_park_touching_or_walking_along_the_border_is_no_crossing() -> None:
    assert crossing([(131.0, 43.0), (131.1, 43.1)]) == []
    assert crossing([(131.0, 43.0), (130.9, 43.05), (131.0, 43.1)]) == []  # touches, turns
    assert crossing([(131.0, 43.0), (130.9, 43.05), (130.9, 43.1),
                     (131.0, 43.15)]) == []  # along it and back
    assert crossing([(130.9, 43.0), (131.0, 43.05)]) == []  # starts on the border


def test_reaching_the_border_on_a_fix_and_going_on_is_a_crossing() -> None:
    [w] = crossing([(131.0, 43.0), (130.9, 43.05), (130.9, 43.1), (130.8, 43.15)])
    assert w.count == 1 and w.lat == pytest.approx(43.05)
    assert w.at == T0 + timedelta(minutes=10)


def test_a_wild_fix_over_the_border_is_not_a_crossing() -> None:
    assert crossing([(131.0, 43.0), (130.5, 43.0), (131.0, 43.01)],
                    flags={1: FLAG_TOO_FAST}) == []


def test_no_border_layer_and_planned_routes() -> None:
    assert BorderLines.of([layer("park_boundary", PARK)]) is None
    assert border_crossing_warnings("walk", packed([(131.0, 43.0), (130.8, 43.0)]), None) == []
    over = packed([(131.0, 43.0), (130.8, 43.0)])
    route = TrackValue(over, track_stats([]), name="plan", kind="route")
    walked = TrackValue(over, track_stats([]), name="walk")
    patrol = PatrolValue(tracks=[route, walked])
    assert [w.ref for w in layer_warnings(patrol, LAYERS)] == ["walk"]
    assert layer_warnings(patrol, []) == []


def test_a_border_given_as_a_country_area_uses_its_outline() -> None:
    china = Polygon([(130.0, 42.0), (130.9, 42.0), (130.9, 44.0), (130.0, 44.0)])
    border = BorderLines.of([layer("state_border", china)])
    [w] = border_crossing_warnings("walk", packed([(131.0, 43.0), (130.8, 43.0)]), border)
    assert w.count == 1


# --- in the review view --------------------------------------------------------------------

def test_the_review_view_lists_both_warnings(qtbot, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from ranger_app.i18n.qt import apply_language
    from ranger_app.store.patrols import save_patrol
    from ranger_app.ui.review import ReviewView

    monkeypatch.setattr("ranger_app.ui.layer_source.map_layers", lambda _db: LAYERS)
    points = packed([(131.1, 43.1), (130.85, 43.1), (131.1, 43.12)])
    patrol = save_patrol(db, PatrolValue(
        station_uuid=db.installation().station_uuid, number="KED-1", start_at=T0,
        end_at=T0 + timedelta(hours=1),
        observations=[obs("", 131.25, 43.1)],
        tracks=[TrackValue(points, track_stats([]), name="Day 1")]))
    view = ReviewView(db, patrol.uuid or "")
    qtbot.addWidget(view)
    texts = [view.warning_list.item(i).text() for i in range(view.warning_list.count())]
    outside = next(t for t in texts if "outside the park boundary" in t)
    assert "43.10000, 131.25000" in outside and "km" in outside
    assert "Track Day 1 crosses the state border 2 times, first at" in " ".join(texts)
    try:
        for lang, words in (("ru", ("за границей парка", "государственную границу")),
                            ("zh", ("保护区边界外", "国界"))):
            apply_language(lang)
            texts = " ".join(view.warning_list.item(i).text()
                             for i in range(view.warning_list.count()))
            assert all(w in texts for w in words), texts
    finally:
        apply_language("en")
