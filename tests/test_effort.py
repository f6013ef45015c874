"""Patrol effort (design §9): every figure of a hand-built patrol equals arithmetic done by
hand here, and the summaries over a database agree with the per-patrol figures.

The hand-built patrol (station Kedrovaya Pad, Asia/Vladivostok, UTC+10, no DST):

    patrol  14.03.2024 20:00 → 15.03.2024 02:00 local (10:00 → 16:00 UTC)     = 6 h
    leg 1   20:00 → 22:00 local, on foot, members A (leader), B, C              = 2 h
    leg 2   22:30 → 02:00 local (crosses midnight), on foot, members A, B       = 3.5 h

Track points run north along longitude 131.003, 0.01° of latitude apart: on a meridian the
haversine distance is R · Δφ = 6 371 008.8 m × 0.01 × π / 180 = 1111.95 m per step.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ranger_app.demo import generate
from ranger_app.domain.geo import BBox
from ranger_app.domain.records import (
    LegValue,
    MemberValue,
    ObservationValue,
    PatrolValue,
    TrackValue,
)
from ranger_app.domain.track import FLAG_TOO_FAST, TrackPoint, flag_speed, pack_points, track_stats
from ranger_app.reports.effort import (
    EffortRow,
    Grid,
    Month,
    coverage,
    effort_summary,
    local_days,
    months,
    patrol_effort,
    patrol_efforts,
    patrol_month_range,
)
from ranger_app.store.db import Database
from ranger_app.store.models import Patrol, Person, Station
from ranger_app.store.patrols import load_patrol, save_patrol

STEP_M = 1111.9508  # one 0.01° step of latitude, see the module docstring
LON = 131.003
FOOT_MAX_KMH = 12  # transports.csv


def utc(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=UTC)


def track(points: list[TrackPoint], leg: int) -> TrackValue:
    flagged = flag_speed(points, FOOT_MAX_KMH)
    return TrackValue(points=pack_points(flagged), stats=track_stats(flagged), leg_ordinal=leg)


def leg1_points() -> list[TrackPoint]:
    """10:00–11:15 UTC: three steps of 15 min (1111.95 m / 900 s = 1.24 m/s, moving), a
    30-minute rest at 43.02 (0 m/s), and a wild fix 3.2 km east at 10:20 (about 39 km/h from
    the point before it, over the 12 km/h a man on foot can do: flagged, not counted)."""
    return [
        TrackPoint(43.00, LON, time=utc(14, 10, 0)),
        TrackPoint(43.01, LON, time=utc(14, 10, 15)),
        TrackPoint(43.015, 131.043, time=utc(14, 10, 20)),  # the wild fix
        TrackPoint(43.02, LON, time=utc(14, 10, 30)),
        TrackPoint(43.02, LON, time=utc(14, 11, 0)),  # rest 10:30–11:00
        TrackPoint(43.03, LON, time=utc(14, 11, 15)),
    ]


def leg2_points() -> list[TrackPoint]:
    """12:30–16:00 UTC: three steps of 30 min (0.62 m/s, moving) and a 2-hour rest."""
    return [
        TrackPoint(43.03, LON, time=utc(14, 12, 30)),
        TrackPoint(43.04, LON, time=utc(14, 13, 0)),
        TrackPoint(43.05, LON, time=utc(14, 13, 30)),
        TrackPoint(43.05, LON, time=utc(14, 15, 30)),  # rest 13:30–15:30
        TrackPoint(43.06, LON, time=utc(14, 16, 0)),
    ]


def hand_patrol(a: str, b: str, c: str, station_uuid: str | None = None) -> PatrolValue:
    obs = [ObservationValue("TIGER_TRACK", utc(14, 10, 40), 43.02, LON),
           ObservationValue("TIGER_TRACK", utc(14, 12, 40), 43.03, LON),
           ObservationValue("TIGER_SCAT", utc(14, 13, 10), 43.04, LON),
           ObservationValue("SNARE", utc(14, 11, 10), 43.025, LON, count=4),  # 4 snares, 1 record
           ObservationValue("LEOPARD_SIGHTING", utc(14, 13, 20), 43.045, LON),
           ObservationValue("ROE_DEER", utc(14, 10, 5), 43.001, LON)]
    return PatrolValue(
        station_uuid=station_uuid, number="KED-2024-0042", start_at=utc(14, 10),
        end_at=utc(14, 16), tz="Asia/Vladivostok",
        legs=[LegValue("FOOT", utc(14, 10), utc(14, 12),
                       [MemberValue(a, True), MemberValue(b), MemberValue(c)], 1),
              LegValue("FOOT", utc(14, 12, 30), utc(14, 16), [MemberValue(a), MemberValue(b)], 2)],
        observations=obs,
        tracks=[track(leg1_points(), 1), track(leg2_points(), 2)],
    )


# --- one patrol, by hand --------------------------------------------------------------------

def test_the_hand_built_patrol() -> None:
    e = patrol_effort(hand_patrol("A", "B", "C"))
    assert e.patrols == 1
    # distance: 3 steps on leg 1 + 3 steps on leg 2 = 6 × 1111.95 m = 6671.70 m
    assert e.distance_km == pytest.approx(6.67170, abs=1e-5)
    # hours: 10:00 → 16:00 UTC = 6 h
    assert e.hours == pytest.approx(6.0)
    # active: leg 1 moves 3 × 15 min = 45 min (rest 30 min out); leg 2 moves 3 × 30 min =
    # 90 min (rest 120 min out); 45 + 90 = 135 min = 2.25 h
    assert e.active_hours == pytest.approx(2.25)
    assert e.legs_without_track == 0
    # person-days: A and B touch the 14th (leg 1, leg 2) and the 15th (leg 2 ends 02:00
    # local) = 2 each; C only touches the 14th = 1; 2 + 2 + 1 = 5
    assert e.person_days == 5
    assert {p.person_uuid: p.days for p in e.members} == {"A": 2, "B": 2, "C": 1}
    # person-field-hours: leg 1: 3 members × 2 h = 6; leg 2: 2 × 3.5 h = 7; 6 + 7 = 13
    assert e.person_field_hours == pytest.approx(13.0)
    assert {p.person_uuid: p.field_hours for p in e.members} == pytest.approx(
        {"A": 5.5, "B": 5.5, "C": 2.0})
    # nights: one local midnight (14th → 15th) between 20:00 and 02:00
    assert e.nights == 1
    assert e.month == Month(2024, 3)


def test_encounter_rates() -> None:
    e = patrol_effort(hand_patrol("A", "B", "C"))
    # tiger sign: 2 tracks + 1 scat = 3 records (TIGER holds TIGER_TRACK and TIGER_SCAT)
    assert e.encounters("TIGER") == 3
    assert e.encounters("TIGER_TRACK") == 2
    # 3 × 10 / 6.67170 km = 4.4966 per 10 km; 3 × 100 / 13 person-field-hours = 23.077
    assert e.per_10km("TIGER") == pytest.approx(4.4966, abs=1e-4)
    assert e.per_100_person_hours("TIGER") == pytest.approx(23.077, abs=1e-3)
    # snares: one record (of 4 snares: records count, not items): 10 / 6.67170 = 1.4989;
    # 100 / 13 = 7.6923. The leopard sighting gives the same rates.
    for category in ("SNARE", "LEOPARD"):
        assert e.encounters(category) == 1
        assert e.per_10km(category) == pytest.approx(1.4989, abs=1e-4)
        assert e.per_100_person_hours(category) == pytest.approx(7.6923, abs=1e-4)
    assert e.encounters("PREY") == 1 and e.encounters("WILDLIFE") == 5
    assert e.encounters("FIRE_USE") == 0


def test_speed_flagged_points_are_excluded() -> None:
    flagged = flag_speed(leg1_points(), FOOT_MAX_KMH)
    assert [bool(p.flags & FLAG_TOO_FAST) for p in flagged] == [False, False, True, False,
                                                               False, False]
    value = hand_patrol("A", "B", "C")
    # Unflagged, the wild fix would add two long legs to the line: 43.01 → (43.015, 131.043)
    # → 43.02 is about 2 × 3.25 km instead of 1.11 km.
    raw = track_stats(leg1_points())
    assert raw.length_m > 6000
    assert patrol_effort(value).distance_km == pytest.approx(6 * STEP_M / 1000, abs=1e-5)


def test_a_leg_without_a_track_counts_its_duration() -> None:
    value = hand_patrol("A", "B", "C")
    value.tracks = value.tracks[:1]
    e = patrol_effort(value)
    # leg 1 from its track: 45 min; leg 2 without a track: its whole 3.5 h; 0.75 + 3.5
    assert e.active_hours == pytest.approx(4.25)
    assert e.legs_without_track == 1
    # distance: only leg 1's 3 steps = 3335.85 m; encounter rates follow it
    assert e.distance_km == pytest.approx(3.33585, abs=1e-5)
    assert e.per_10km("SNARE") == pytest.approx(10 / 3.33585, abs=1e-4)
    # members and time do not depend on tracks
    assert (e.person_days, e.person_field_hours, e.nights) == (5, pytest.approx(13.0), 1)


def test_days_and_nights_around_midnight() -> None:
    tz = "Asia/Vladivostok"
    # 20:00 → 06:00 local touches two days, one night
    assert local_days(utc(14, 10), utc(14, 20), tz) == [date(2024, 3, 14), date(2024, 3, 15)]
    # ending exactly at local midnight (14:00 UTC) does not touch the next day
    assert local_days(utc(14, 10), utc(14, 14), tz) == [date(2024, 3, 14)]
    # the same UTC interval in China (UTC+8): 18:00 → 22:00, one day
    assert local_days(utc(14, 10), utc(14, 14), "Asia/Shanghai") == [date(2024, 3, 14)]
    # three local days, two nights: a patrol from the 14th 08:00 to the 16th 18:00 local
    value = PatrolValue(start_at=utc(13, 22), end_at=utc(16, 8), tz=tz,
                        legs=[LegValue("FOOT", utc(13, 22), utc(16, 8), [MemberValue("A")])])
    e = patrol_effort(value)
    # 58 h; 1 member × 3 days; 2 nights; no track: active = the leg's 58 h
    assert (e.hours, e.person_days, e.nights, e.active_hours) == (58, 3, 2, 58)


def test_months() -> None:
    assert Month(2024, 12).next() == Month(2025, 1)
    assert str(Month.parse("2024-03")) == "2024-03"
    assert months(Month(2024, 11), Month(2025, 2)) == [
        Month(2024, 11), Month(2024, 12), Month(2025, 1), Month(2025, 2)]


# --- a database of three patrols ------------------------------------------------------------

@pytest.fixture
def three(db: Database) -> dict[str, str]:
    """KED: the hand patrol (March) and a day patrol (April); HUN (China, UTC+8): a night
    patrol starting 31 March 23:30 local (April already in Vladivostok), with no track."""
    ked = db.installation().station_uuid
    with db.writer() as s:
        hun = Station(code="HUN", name="珲春", country="CN", tz="Asia/Shanghai")
        s.add(hun)
        s.flush()
        people = {n: Person(name=n, station_uuid=ked if n != "Dong" else hun.uuid)
                  for n in ("Anna", "Boris", "Cyril", "Dong")}
        s.add_all(people.values())
        s.flush()
        ids = {n: p.uuid for n, p in people.items()} | {"KED": ked, "HUN": hun.uuid}
    p1 = save_patrol(db, hand_patrol(ids["Anna"], ids["Boris"], ids["Cyril"], ked))
    # April 2nd, 09:00–13:00 local (23:00–03:00 UTC), Anna and Cyril; 3 steps of 20 min
    # at longitude 131.023 (1 h moving), one tiger track
    t0 = datetime(2024, 4, 1, 23, 0, tzinfo=UTC)
    pts = [TrackPoint(43.001 + 0.01 * k, 131.023, time=t0 + timedelta(minutes=20 * k))
           for k in range(4)]
    p2 = save_patrol(db, PatrolValue(
        station_uuid=ked, number="KED-2024-0050", start_at=t0, end_at=t0 + timedelta(hours=4),
        legs=[LegValue("FOOT", t0, t0 + timedelta(hours=4),
                       [MemberValue(ids["Anna"], True), MemberValue(ids["Cyril"])])],
        observations=[ObservationValue("TIGER_TRACK", t0 + timedelta(minutes=30), 43.01,
                                       131.023)],
        tracks=[track(pts, 1)]))
    # China: 31 March 23:30 → 1 April 03:30 Shanghai time (15:30 → 19:30 UTC); Dong and Anna
    t3 = datetime(2024, 3, 31, 15, 30, tzinfo=UTC)
    p3 = save_patrol(db, PatrolValue(
        station_uuid=ids["HUN"], number="HUN-2024-0007", start_at=t3,
        end_at=t3 + timedelta(hours=4), tz="Asia/Shanghai",
        legs=[LegValue("FOOT", t3, t3 + timedelta(hours=4),
                       [MemberValue(ids["Dong"], True), MemberValue(ids["Anna"])])]))
    return ids | {"p1": p1.uuid or "", "p2": p2.uuid or "", "p3": p3.uuid or ""}


def by_label(rows: list[EffortRow]) -> dict[tuple[str, str], EffortRow]:
    return {(str(r.first), r.label): r for r in rows}


def test_the_database_gives_the_same_figures(db: Database, three: dict[str, str]) -> None:
    sql = {e.uuid: e for e in patrol_efforts(db)}
    assert set(sql) == {three["p1"], three["p2"], three["p3"]}
    for uuid, e in sql.items():
        assert patrol_effort(load_patrol(db, uuid)) == e
    assert sql[three["p1"]].person_days == 5 and sql[three["p1"]].nights == 1


def test_summary_by_station_per_month(db: Database, three: dict[str, str]) -> None:
    rows = by_label(effort_summary(db, "station", Month(2024, 3), Month(2024, 4)))
    assert set(rows) == {("2024-03", "HUN · 珲春"), ("2024-03", "KED · Кедровая падь"),
                         ("2024-04", "KED · Кедровая падь")}
    march_ked = rows[("2024-03", "KED · Кедровая падь")]
    assert (march_ked.patrols, march_ked.person_days, march_ked.nights) == (1, 5, 1)
    assert march_ked.distance_km == pytest.approx(6 * STEP_M / 1000, abs=1e-5)
    # HUN's patrol starts 23:30 on 31 March in China: March, although it is already
    # 01:30 on 1 April in Vladivostok. No track: active = 4 h; Dong and Anna touch the 31st
    # and the 1st: 2 × 2 = 4 person-days; 2 members × 4 h = 8 person-field-hours; 1 night
    hun = rows[("2024-03", "HUN · 珲春")]
    assert (hun.patrols, hun.distance_km, hun.hours, hun.active_hours) == (1, 0, 4, 4)
    assert (hun.person_days, hun.person_field_hours, hun.nights) == (4, 8, 1)
    assert hun.legs_without_track == 1 and hun.per_10km("TIGER") is None
    # April at KED: 3 steps = 3.33585 km; 4 h; 1 h moving; 2 members × 1 day; 2 × 4 h = 8
    april = rows[("2024-04", "KED · Кедровая падь")]
    assert april.distance_km == pytest.approx(3.33585, abs=1e-5)
    assert (april.hours, april.active_hours) == (pytest.approx(4), pytest.approx(1))
    assert (april.person_days, april.person_field_hours, april.nights) == (2, 8, 0)
    # one tiger track: 10 / 3.33585 = 2.9977 per 10 km; 100 / 8 = 12.5 per 100 h
    assert april.per_10km("TIGER") == pytest.approx(2.9977, abs=1e-4)
    assert april.per_100_person_hours("TIGER") == pytest.approx(12.5)
    # a station filter and a status filter
    assert [r.label for r in effort_summary(db, "station", Month(2024, 3), Month(2024, 3),
                                            station_uuid=three["HUN"])] == ["HUN · 珲春"]
    assert effort_summary(db, "station", statuses={"APPROVED"}) == []
    # only April: the hand patrol and HUN's are March
    assert [r.patrols for r in effort_summary(db, "all", Month(2024, 4), Month(2024, 4))] == [1]


def test_summary_by_ranger_per_month(db: Database, three: dict[str, str]) -> None:
    rows = by_label(effort_summary(db, "ranger", Month(2024, 3), Month(2024, 4)))
    assert set(rows) == {("2024-03", n) for n in ("Anna", "Boris", "Cyril", "Dong")} | {
        ("2024-04", "Anna"), ("2024-04", "Cyril")}
    anna = rows[("2024-03", "Anna")]
    # Anna in March: the hand patrol (2 days, 2 h + 3.5 h) and HUN's (2 days, 4 h)
    assert (anna.patrols, anna.person_days, anna.nights) == (2, 4, 2)
    assert anna.person_field_hours == pytest.approx(9.5)
    # her rates are her patrols' rates: 3 tiger records × 100 / (13 + 8) person-field-hours
    assert anna.team_person_field_hours == pytest.approx(21)
    assert anna.per_100_person_hours("TIGER") == pytest.approx(300 / 21)
    cyril = rows[("2024-03", "Cyril")]
    assert (cyril.patrols, cyril.person_days, cyril.person_field_hours) == (1, 1, 2)
    assert cyril.distance_km == pytest.approx(6 * STEP_M / 1000, abs=1e-5)  # whole patrol
    dong = rows[("2024-03", "Dong")]
    assert (dong.person_days, dong.person_field_hours) == (2, 4)
    # the whole range in one row per ranger: Anna has 3 patrols, 2 + 2 + 1 = 5 days and
    # 5.5 + 4 + 4 = 13.5 h
    whole = {r.label: r for r in effort_summary(db, "ranger", Month(2024, 3), Month(2024, 4),
                                                per_month=False)}
    assert (whole["Anna"].patrols, whole["Anna"].person_days) == (3, 5)
    assert whole["Anna"].person_field_hours == pytest.approx(13.5)
    assert (whole["Anna"].first, whole["Anna"].last) == (Month(2024, 3), Month(2024, 4))


def test_coverage_on_a_tiny_grid(db: Database, three: dict[str, str]) -> None:
    area = BBox(43.0, 131.0, 43.05, 131.05)
    grid = Grid(area, 1000)
    # cylindrical equal-area, standard parallel 43.025° (cos = 0.73106):
    # width  = R × 0.05° × π/180 × 0.73106 = 5559.75 m × 0.73106 = 4064.5 m → 5 columns
    # height = R × (sin 43.05° − sin 43°) / 0.73106 = 5559.75 m → 6 rows; 5 × 6 = 30 cells
    assert (grid.cols, grid.rows, grid.cells) == (5, 6, 30)
    # x of longitude 131.003: 0.003° → 5559.75 × 0.06 × 0.73106 = 243.9 m → column 0
    # x of longitude 131.023: 0.023° → 1869.7 m → column 1
    assert grid.cell_of(43.0, LON) == (0, 0) and grid.cell_of(43.001, 131.023) == (1, 0)
    assert grid.cell_of(43.051, LON) is None
    # March: the hand patrol runs up column 0 from 43.00 (row 0) to 43.06, which leaves the
    # area at 43.05 (row 5: y = 5559 m): rows 0–5 = 6 cells. The wild fix at 131.043 would
    # add columns 1–3; it is flagged, so it does not. HUN's patrol has no track.
    # April: 43.001 → 43.031 in column 1: y from 111 m to 3447 m, rows 0–3 = 4 cells.
    march, april = coverage(db, area, Month(2024, 3), Month(2024, 4), cell_m=1000)
    assert march.visited == {(0, r) for r in range(6)}
    assert (march.cells_visited, march.cells_total, march.patrols) == (6, 30, 1)
    assert march.share == pytest.approx(6 / 30)
    assert april.visited == {(1, r) for r in range(4)} and april.share == pytest.approx(4 / 30)
    (both,) = coverage(db, area, Month(2024, 3), Month(2024, 4), per_month=False)
    assert both.cells_visited == 10 and both.patrols == 2
    # a 2 km grid halves each side: 3 columns × 3 rows; column 0 rows 0–2 (y 0–5559 m)
    (coarse,) = coverage(db, area, Month(2024, 3), Month(2024, 3), cell_m=2000)
    assert (coarse.cells_total, coarse.visited) == (9, {(0, 0), (0, 1), (0, 2)})


def test_a_diagonal_line_visits_the_cells_it_crosses() -> None:
    grid = Grid(BBox(43.0, 131.0, 43.05, 131.05), 1000)
    (lat_a, lon_a), (lat_b, lon_b) = (43.0045, 131.006), (43.0315, 131.043)
    # from (col 0, row 0) to (col 3, row 3): a straight line steps one cell at a time, so it
    # visits 3 + 3 + 1 = 7 cells, starting and ending in the cells of its ends
    cells = grid.cells_along([TrackPoint(lat_a, lon_a), TrackPoint(lat_b, lon_b)])
    assert grid.cell_of(lat_a, lon_a) == (0, 0) and grid.cell_of(lat_b, lon_b) == (3, 3)
    assert len(cells) == 7 and {(0, 0), (3, 3)} <= cells


# --- the demo database ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Database:
    db = Database.open(tmp_path_factory.mktemp("effort") / "demo.db", create=True)
    generate(db, scale="small", seed=1)
    yield db
    db.close()


def test_demo_summaries_are_consistent(demo: Database) -> None:
    span = patrol_month_range(demo)
    assert span is not None
    stations = effort_summary(demo, "station", *span)
    rangers = effort_summary(demo, "ranger", *span)
    (everything,) = effort_summary(demo, "all", *span, per_month=False)
    assert stations and rangers
    with demo.session() as s:
        live = s.scalar(select(func.count()).select_from(Patrol)
                        .where(Patrol.deleted.is_(False)))
        stored_km = s.scalar(select(func.sum(Patrol.distance_m))
                             .where(Patrol.deleted.is_(False))) / 1000
    assert sum(r.patrols for r in stations) == everything.patrols == live
    assert sum(r.patrols for r in rangers) >= everything.patrols
    assert sum(r.distance_km for r in stations) == pytest.approx(stored_km)
    assert sum(r.distance_km for r in rangers) >= sum(r.distance_km for r in stations)
    # a person's own figures add up to the stations' whatever the grouping
    assert sum(r.person_days for r in rangers) >= sum(r.person_days for r in stations)
    assert sum(r.person_days for r in rangers) == everything.person_days
    assert sum(r.person_field_hours for r in rangers) == pytest.approx(
        sum(r.person_field_hours for r in stations))
    assert everything.active_hours <= everything.hours
    assert everything.person_field_hours > 0 and everything.distance_km > 0
    # each patrol's figures from the loaded value equal those from the aggregate queries
    for e in patrol_efforts(demo, *span):
        assert patrol_effort(load_patrol(demo, e.uuid or "")) == e


def test_reports_do_not_import_qt() -> None:
    code = ("import sys, ranger_app.reports.effort; "
            "sys.exit(any(m.startswith('PySide6') for m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[1])
    assert done.returncode == 0
