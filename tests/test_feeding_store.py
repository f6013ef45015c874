"""Feeding sites and visits in the store: round trips, child diffs, seasons, the kill alert."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from ranger_app.domain.feeding import (
    KILL_ALERT_RADIUS_M,
    FeedingSiteValue,
    FeedingVisitValue,
    FeedItemValue,
    PredatorSignValue,
    UngulateSignValue,
    current_season,
    season_of,
    site_from_json,
    site_to_json,
    visit_from_json,
    visit_to_json,
)
from ranger_app.domain.geo import EARTH_RADIUS_M, haversine_m
from ranger_app.domain.records import PhotoValue
from ranger_app.store.db import Database
from ranger_app.store.feeding import (
    load_site,
    load_visit,
    save_site,
    save_visit,
    season_totals,
    seasons,
    site_rows,
    sites_with_kill_alerts,
    visit_history,
)
from ranger_app.store.models import Change, FeedItem, PredatorSign

SITE_LAT, SITE_LON = 43.1, 131.2
METRES_PER_DEGREE_LAT = EARTH_RADIUS_M * 3.141592653589793 / 180


def north_of(lat: float, lon: float, metres: float) -> tuple[float, float]:
    return lat + metres / METRES_PER_DEGREE_LAT, lon


def changes(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Change)) or 0)


def make_site(db: Database, code: str = "KED-FS01", lat: float | None = SITE_LAT,
              lon: float | None = SITE_LON) -> FeedingSiteValue:
    return save_site(db, FeedingSiteValue(
        code=code, name="Кормушка — падь Сухая", site_type="FEEDER_HAY", lat=lat, lon=lon,
        capacity=20, target_species=["CENI", "CAPY"], condition="GOOD",
        station_uuid=db.installation().station_uuid))


def make_visit(db: Database, site: FeedingSiteValue, when: datetime,
               items: list[tuple[str, float]] = (), predators: list[PredatorSignValue] = (),
               tz: str = "Asia/Vladivostok") -> FeedingVisitValue:
    return save_visit(db, FeedingVisitValue(
        site_uuid=site.uuid, visited_at=when, tz=tz, crew=[db.installation().user_uuid],
        transport="SNOWMOBILE", items=[FeedItemValue(t, kg) for t, kg in items],
        predator_signs=list(predators)))


# --- round trips --------------------------------------------------------------------------

def test_a_site_round_trips_and_an_unchanged_save_writes_nothing(db: Database) -> None:
    site = make_site(db)
    again = load_site(db, site.uuid)
    assert again == site
    assert again.target_species == ["CENI", "CAPY"] and again.rev == 1
    before = changes(db)
    save_site(db, again)
    assert changes(db) == before
    again.condition = "NEEDS_REPAIR"
    save_site(db, again)
    assert changes(db) == before + 1 and load_site(db, site.uuid).rev == 2


def test_a_visit_round_trips_with_every_child(db: Database) -> None:
    site = make_site(db)
    visit = FeedingVisitValue(
        site_uuid=site.uuid, visited_at=datetime(2024, 1, 14, 1, 6, tzinfo=UTC),
        tz="Asia/Vladivostok", crew=[db.installation().user_uuid], transport="SNOWMOBILE",
        items=[FeedItemValue("HAY", 120.5), FeedItemValue("OATS", 30.0)],
        remaining_pct=15, snow_depth_cm=35, temp_c=-24.5,
        ungulate_signs=[UngulateSignValue("CENI", "TRACKS", 12, "FRESH_24H"),
                        UngulateSignValue("SUSC", "FEEDING", None, "")],
        predator_signs=[PredatorSignValue("PTAL", "TRACKS", 120.0, 10.5, 43.101, 131.201,
                                          "", "след тигрицы")],
        photos=[PhotoValue(sha256="ab" * 32, filename="IMG_0001.JPG", size=10)],
        notes="Корм съеден", notes_lang="ru")
    save_visit(db, visit)
    loaded = load_visit(db, visit.uuid)
    assert loaded == visit
    # the editor's draft form survives a crash unchanged
    assert visit_from_json(visit_to_json(visit)) == visit
    site_value = load_site(db, site.uuid)
    assert site_from_json(site_to_json(site_value)) == site_value


def test_editing_a_visit_updates_adds_and_tombstones_children(db: Database) -> None:
    site = make_site(db)
    visit = make_visit(db, site, datetime(2024, 1, 10, 2, tzinfo=UTC),
                       [("HAY", 100.0), ("OATS", 20.0), ("SALT", 5.0)])
    hay, oats, salt = (i.uuid for i in visit.items)
    before = changes(db)
    visit.items[0].kg = 110.0  # changed
    del visit.items[1]  # removed
    visit.items.append(FeedItemValue("MAIZE", 40.0))  # added
    save_visit(db, visit)
    with db.session() as s:
        rows = {r.uuid: r for r in s.scalars(select(FeedItem))}
        ops = [(c.entity, c.op) for c in s.scalars(
            select(Change).where(Change.id > before).order_by(Change.id))]
    assert rows[oats].deleted and not rows[hay].deleted and not rows[salt].deleted
    assert rows[hay].kg == 110.0 and rows[salt].rev == 1  # untouched rows write nothing
    assert sorted(ops) == sorted([("feed_item", "update"), ("feed_item", "delete"),
                                  ("feed_item", "insert")])
    assert [(i.feed_type, i.kg) for i in load_visit(db, visit.uuid).items] == [
        ("HAY", 110.0), ("SALT", 5.0), ("MAIZE", 40.0)]


# --- seasons --------------------------------------------------------------------------------

def test_a_season_runs_from_november_to_april_on_the_station_calendar() -> None:
    vlad = "Asia/Vladivostok"
    # 31 October 15:30 UTC is already 1 November 01:30 in Vladivostok
    assert season_of(datetime(2023, 10, 31, 15, 30, tzinfo=UTC), vlad) == 2023
    assert season_of(datetime(2023, 10, 31, 13, 30, tzinfo=UTC), vlad) is None
    assert season_of(datetime(2024, 4, 30, 13, 0, tzinfo=UTC), vlad) == 2023
    assert season_of(datetime(2024, 4, 30, 14, 30, tzinfo=UTC), vlad) is None  # 1 May local
    assert season_of(datetime(2024, 1, 1, tzinfo=UTC), vlad) == 2023
    assert current_season(date(2024, 7, 1)) == 2023
    assert current_season(date(2024, 11, 2)) == 2024


def test_season_totals_add_up_kg_by_feed_type_inside_the_season_only(db: Database) -> None:
    site = make_site(db)
    other = make_site(db, "KED-FS02")
    make_visit(db, site, datetime(2023, 10, 31, 15, 30, tzinfo=UTC), [("HAY", 100.0)])  # 1 Nov
    make_visit(db, site, datetime(2024, 1, 5, 2, tzinfo=UTC), [("HAY", 150.5), ("OATS", 30)])
    make_visit(db, site, datetime(2024, 4, 30, 3, tzinfo=UTC), [("SALT", 12.5)])  # 30 Apr
    make_visit(db, other, datetime(2024, 2, 1, 2, tzinfo=UTC), [("HAY", 200.0)])
    # outside the season: October, May, and the next winter
    make_visit(db, site, datetime(2023, 10, 30, 2, tzinfo=UTC), [("HAY", 999.0)])
    make_visit(db, site, datetime(2024, 5, 2, 2, tzinfo=UTC), [("HAY", 999.0)])
    make_visit(db, site, datetime(2024, 11, 20, 2, tzinfo=UTC), [("MAIZE", 80.0)])
    # a removed item no longer counts
    edited = make_visit(db, site, datetime(2024, 3, 1, 2, tzinfo=UTC),
                        [("OATS", 10.0), ("HAY", 999.0)])
    del edited.items[1]
    save_visit(db, edited)

    assert season_totals(db, 2023) == {"HAY": 450.5, "OATS": 40.0, "SALT": 12.5}
    assert list(season_totals(db, 2023)) == ["HAY", "OATS", "SALT"]  # largest first
    assert season_totals(db, 2023, site.uuid) == {"HAY": 250.5, "OATS": 40.0, "SALT": 12.5}
    assert season_totals(db, 2024) == {"MAIZE": 80.0}
    assert season_totals(db, 2022) == {}
    assert seasons(db) == [2024, 2023]
    rows = {r.code: r for r in site_rows(db, 2023)}
    assert rows["KED-FS01"].visits == 4 and rows["KED-FS01"].kg == pytest.approx(303.0)
    assert rows["KED-FS02"].visits == 1 and rows["KED-FS02"].kg == 200.0
    history = visit_history(db, site.uuid, 2023)
    assert [h.kg for h in history] == [12.5, 10.0, 180.5, 100.0]  # newest first
    assert len(visit_history(db, site.uuid)) == 7


# --- the kill alert ---------------------------------------------------------------------------

def kill(lat: float | None = None, lon: float | None = None,
         distance: float | None = None) -> PredatorSignValue:
    return PredatorSignValue("PTAL", "KILL", distance, None, lat, lon, "SUSC", "")


WINTER = datetime(2024, 1, 15, 2, tzinfo=UTC)


@pytest.mark.parametrize(("metres", "flagged"), [(450, True), (500, True), (550, False)])
def test_a_kill_by_its_own_position_flags_a_site_within_500_m(
        db: Database, metres: float, flagged: bool) -> None:
    site = make_site(db)
    lat, lon = north_of(SITE_LAT, SITE_LON, metres)
    assert haversine_m(lat, lon, SITE_LAT, SITE_LON) == pytest.approx(metres, abs=0.01)
    make_visit(db, site, WINTER, predators=[kill(lat, lon)])
    alerts = sites_with_kill_alerts(db, 2023)
    assert (site.uuid in alerts) is flagged
    if flagged:
        (alert,) = alerts[site.uuid]
        assert alert.distance_m == pytest.approx(metres, abs=0.01)
        assert alert.measured_by == "position" and alert.prey_species == "SUSC"
    assert [r.kill_alerts for r in site_rows(db, 2023)] == [1 if flagged else 0]


@pytest.mark.parametrize(("metres", "flagged"), [(450, True), (550, False)])
def test_a_kill_by_its_distance_flags_the_visited_site_within_500_m(
        db: Database, metres: float, flagged: bool) -> None:
    site = make_site(db)
    make_visit(db, site, WINTER, predators=[kill(distance=metres)])
    alerts = sites_with_kill_alerts(db, 2023)
    assert (site.uuid in alerts) is flagged
    if flagged:
        assert alerts[site.uuid][0].measured_by == "distance"
        assert visit_history(db, site.uuid, 2023)[0].kill_alert


def test_only_kills_count_and_only_in_their_season(db: Database) -> None:
    site = make_site(db)
    near = north_of(SITE_LAT, SITE_LON, 100)
    tracks = PredatorSignValue("PTAL", "TRACKS", 50.0, 11.0, *near)
    make_visit(db, site, WINTER, predators=[tracks])
    assert sites_with_kill_alerts(db, 2023) == {}
    make_visit(db, site, datetime(2024, 12, 1, 2, tzinfo=UTC), predators=[kill(*near)])
    assert sites_with_kill_alerts(db, 2023) == {}
    assert list(sites_with_kill_alerts(db, 2024)) == [site.uuid]
    assert list(sites_with_kill_alerts(db, None)) == [site.uuid]


def test_a_kill_found_on_the_way_flags_the_site_it_lies_beside(db: Database) -> None:
    visited = make_site(db, "KED-FS01")
    far_lat, far_lon = north_of(SITE_LAT, SITE_LON, 3000)
    beside = make_site(db, "KED-FS02", far_lat, far_lon)
    # noted on the visit to the first site, 2,700 m from it, 300 m from the second
    lat, lon = north_of(SITE_LAT, SITE_LON, 2700)
    make_visit(db, visited, WINTER, predators=[kill(lat, lon, distance=2700)])
    alerts = sites_with_kill_alerts(db, 2023)
    assert list(alerts) == [beside.uuid]
    assert alerts[beside.uuid][0].distance_m == pytest.approx(300, abs=0.5)


def test_the_position_is_trusted_over_a_noted_distance(db: Database) -> None:
    site = make_site(db)
    lat, lon = north_of(SITE_LAT, SITE_LON, 550)
    make_visit(db, site, WINTER, predators=[kill(lat, lon, distance=450)])
    assert sites_with_kill_alerts(db, 2023) == {}


def test_a_site_without_a_position_is_judged_by_the_noted_distance(db: Database) -> None:
    site = make_site(db, lat=None, lon=None)
    lat, lon = north_of(SITE_LAT, SITE_LON, 50)
    make_visit(db, site, WINTER, predators=[kill(lat, lon, distance=KILL_ALERT_RADIUS_M - 10)])
    assert list(sites_with_kill_alerts(db, 2023)) == [site.uuid]


def test_a_removed_kill_no_longer_flags_the_site(db: Database) -> None:
    site = make_site(db)
    visit = make_visit(db, site, WINTER, predators=[kill(distance=200)])
    assert site.uuid in sites_with_kill_alerts(db, 2023)
    visit.predator_signs.clear()
    save_visit(db, visit)
    assert sites_with_kill_alerts(db, 2023) == {}
    with db.session() as s:
        assert s.scalar(select(PredatorSign.deleted)) is True  # a tombstone, not a delete
