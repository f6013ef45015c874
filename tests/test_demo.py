"""Demo data: every table filled, the change log intact, and the records as a ranger would
write them (stats true to the points, codes from the vocabularies, deployments split by
service visits). Only the `small` scale runs here; `bench/demo_large.py` measures `large`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from ranger_app.demo import generate
from ranger_app.demo.camtraps import STOPPED
from ranger_app.demo.places import PARK
from ranger_app.domain.errors import InvalidValue
from ranger_app.domain.geo import haversine_m, polygon_area_ha
from ranger_app.domain.track import TrackPoint, flag_speed, track_stats, unpack_points
from ranger_app.domain.vocab import attributes_for, vocabulary
from ranger_app.store.audit import verify
from ranger_app.store.db import Database
from ranger_app.store.models import (
    SYNCED_MODELS,
    Attachment,
    Camera,
    CameraLocation,
    Deployment,
    FeedingSite,
    FeedingVisit,
    FeedItem,
    FireReport,
    FireStatusStep,
    FirmsHotspot,
    LegMember,
    Observation,
    Patrol,
    PatrolLeg,
    PatrolReview,
    Person,
    PredatorSign,
    ServiceVisit,
    Station,
    Track,
    UngulateSign,
)
from ranger_app.store.queries import record_counts

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, dict[str, Any]]]:
    db = Database.open(tmp_path_factory.mktemp("demo") / "demo.db", create=True)
    calls: list[tuple[int, int]] = []
    summary = generate(db, scale="small", seed=1, progress=lambda d, t: calls.append((d, t)))
    summary["_progress"] = calls
    yield db, summary
    db.close()


def _all(db: Database, model: type) -> list[Any]:
    with db.session() as s:
        return list(s.scalars(select(model)))


def _inside(lat: float | None, lon: float | None) -> bool:
    return lat is not None and lon is not None and (
        PARK.south <= lat <= PARK.north and PARK.west <= lon <= PARK.east)


def test_fresh_database_becomes_a_station_installation(demo: tuple[Database, dict]) -> None:
    db, summary = demo
    inst = db.installation()
    assert db.meta("language") == "ru" and inst.role == "station"
    with db.session() as s:
        station = s.get(Station, inst.station_uuid)
        user = s.get(Person, inst.user_uuid)
        assert station is not None and station.code == "KED" and not station.is_hq
        assert user is not None and user.station_uuid == station.uuid
        assert "RANGER" in user.roles.split("|")
        assert s.scalar(select(func.count()).select_from(Station)
                        .where(Station.is_hq.is_(True))) == 1
    assert summary["stations"] == ["KED", "BAR"]
    json.dumps(summary)  # JSON-able


def test_every_synced_table_has_live_rows(demo: tuple[Database, dict]) -> None:
    db, summary = demo
    counts = record_counts(db)["records"]
    assert set(counts) == set(SYNCED_MODELS)
    assert {name: n for name, n in counts.items() if n == 0} == {}
    assert set(summary["patrol_status"]) == {"DRAFT", "SUBMITTED", "RETURNED", "APPROVED"}


def test_change_log_chain_and_rows_verify(demo: tuple[Database, dict]) -> None:
    db, _ = demo
    report = verify(db)
    assert report.ok, report.first_break
    counts = record_counts(db)
    # one change per record, and a second for each approved patrol: its inspector's approval
    assert report.changes == (sum(counts["records"].values())
                              + counts["patrol_status"]["APPROVED"])
    assert report.unsigned_approvals == 0  # every demo approval is signed, so it syncs


def test_progress_reaches_its_total(demo: tuple[Database, dict]) -> None:
    calls = demo[1]["_progress"]
    assert calls and calls[-1][0] == calls[-1][1]
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_track_stats_and_flags_are_those_of_the_stored_points(
        demo: tuple[Database, dict]) -> None:
    db, _ = demo
    transport = {leg.uuid: leg.transport for leg in _all(db, PatrolLeg)}
    flagged = 0
    for t in _all(db, Track):
        points = unpack_points(t.points)
        st = track_stats(points)
        assert t.point_count == st.points == len(points) > 1
        assert t.length_m == pytest.approx(st.length_m, abs=1.0)
        assert t.flagged_count == st.flagged
        assert t.duration_s == pytest.approx(st.duration_s, abs=1.0)
        assert t.moving_s == pytest.approx(st.moving_s, abs=1.0)
        assert (t.start_at, t.end_at) == (st.start, st.end)
        limit = float(vocabulary("transports").get(transport[t.leg_uuid]).extra["max_speed_kmh"])
        fresh = flag_speed([TrackPoint(p.lat, p.lon, p.ele, p.time) for p in points], limit)
        assert [p.flags for p in fresh] == [p.flags for p in points]
        gaps = [(b.time - a.time).total_seconds() for a, b in pairwise(points)]
        assert min(gaps) >= 10 and max(gaps) <= 30
        flagged += st.flagged
    assert flagged > 0  # a few wild fixes, flagged too fast


def test_patrol_figures_match_their_parts(demo: tuple[Database, dict]) -> None:
    db, _ = demo
    with db.session() as s:
        for p in s.scalars(select(Patrol)):
            tracks = s.scalars(select(Track).where(Track.patrol_uuid == p.uuid)).all()
            assert p.distance_m == pytest.approx(sum(t.length_m for t in tracks))
            assert p.observation_count == s.scalar(
                select(func.count()).select_from(Observation)
                .where(Observation.patrol_uuid == p.uuid))
            legs = s.scalars(select(PatrolLeg).where(PatrolLeg.patrol_uuid == p.uuid)
                             .order_by(PatrolLeg.ordinal)).all()
            assert 1 <= len(legs) <= 2
            assert legs[0].start_at == p.start_at and legs[-1].end_at == p.end_at
            for leg in legs:
                members = s.scalars(select(LegMember).where(LegMember.leg_uuid == leg.uuid)).all()
                assert 2 <= len(members) <= 4
                leaders = [m for m in members if m.is_leader]
                assert len(leaders) == 1
                assert s.get(Person, leaders[0].person_uuid).name == p.leader_name
            for o in s.scalars(select(Observation).where(Observation.patrol_uuid == p.uuid)):
                assert p.start_at <= o.observed_at <= p.end_at
            reviews = s.scalars(select(PatrolReview).where(PatrolReview.patrol_uuid == p.uuid)
                                .order_by(PatrolReview.at)).all()
            actions = [r.action for r in reviews]
            if p.status == "DRAFT":
                assert actions == []
            else:
                assert actions[0] == "submit"
                assert actions[-1] == {"SUBMITTED": "submit", "RETURNED": "return",
                                       "APPROVED": "approve"}[p.status]


def test_every_position_is_inside_the_park(demo: tuple[Database, dict]) -> None:
    db, _ = demo
    for t in _all(db, Track):
        assert all(_inside(p.lat, p.lon) for p in unpack_points(t.points))
    for model in (Observation, FireReport, FeedingSite, PredatorSign, CameraLocation,
                  Attachment, FirmsHotspot):
        rows = _all(db, model)
        assert rows and all(_inside(r.lat, r.lon) for r in rows), model.__tablename__
    for f in _all(db, FireReport):
        if f.perimeter:
            assert all(_inside(lat, lon) for lat, lon in json.loads(f.perimeter))


def test_service_visits_split_deployments(demo: tuple[Database, dict]) -> None:
    db, _ = demo
    deps = {d.uuid: d for d in _all(db, Deployment)}
    by_opener = {d.opened_by_visit: d for d in deps.values()}
    by_closer = {d.closed_by_visit: d for d in deps.values() if d.closed_by_visit}
    split = dead = 0
    arrivals = set()
    for v in _all(db, ServiceVisit):
        arrivals.add(v.arrival_status)
        closed, opened = by_closer.get(v.uuid), by_opener.get(v.uuid)
        if v.visit_type == "DEPLOY":
            assert opened is not None and closed is None and opened.start_at == v.visited_at
        elif v.visit_type == "CHECK_ONLY":
            assert opened is None and closed is None
        elif v.visit_type == "SERVICE":
            assert closed is not None and opened is not None and v.deployment_uuid == closed.uuid
            assert opened.start_at == v.visited_at
            if v.arrival_status in STOPPED:
                assert closed.end_at == v.last_image_at < v.visited_at  # found dead
                dead += 1
            else:
                assert closed.end_at == opened.start_at  # ends when the next starts
                split += 1
            if v.arrival_status != "THEFT":
                assert closed.start_at < v.first_image_at <= v.last_image_at <= closed.end_at
                assert v.sd_removed and v.sd_inserted and v.image_count > 0
    assert split and dead
    assert {"BATTERY_DEAD", "THEFT"} <= arrivals
    # A location's deployments follow one another without overlap.
    chains: dict[str, list[Deployment]] = {}
    for d in deps.values():
        chains.setdefault(d.location_uuid, []).append(d)
    for chain in chains.values():
        chain.sort(key=lambda d: d.start_at)
        assert all(a.end_at is not None and a.end_at <= b.start_at
                   for a, b in pairwise(chain))
    states = {c.state for c in _all(db, Camera)}
    assert {"STOLEN", "REPAIR", "DEPLOYED"} <= states


_CODED: list[tuple[type, str, str]] = [
    (Patrol, "patrol_type", "patrol_types"), (Patrol, "mandate", "mandates"),
    (Patrol, "status", "record_statuses"), (PatrolLeg, "transport", "transports"),
    (Person, "roles", "roles"),
    (Observation, "category", "observation_categories"),
    (FireReport, "fire_type", "fire_types"), (FireReport, "cause", "fire_causes"),
    (FireReport, "detection_source", "fire_detection_sources"),
    (FireReport, "fire_status", "fire_statuses"), (FireReport, "report_kind", "fire_report_kinds"),
    (FireReport, "land_category", "land_categories"),
    (FireReport, "intensity", "fire_intensities"), (FireReport, "fuel_type", "fuel_types"),
    (FireStatusStep, "fire_status", "fire_statuses"),
    (FeedingSite, "site_type", "feeding_site_types"),
    (FeedingSite, "target_species", "ungulate_species"),
    (FeedingSite, "condition", "site_conditions"),
    (FeedingVisit, "transport", "transports"), (FeedItem, "feed_type", "feed_types"),
    (UngulateSign, "species", "ungulate_species"),
    (UngulateSign, "sign_type", "ungulate_sign_types"),
    (UngulateSign, "freshness", "sign_freshness"),
    (PredatorSign, "species", "predator_species"),
    (PredatorSign, "sign_type", "predator_sign_types"),
    (PredatorSign, "prey_species", "ungulate_species"),
    (CameraLocation, "habitat", "habitats"), (CameraLocation, "feature", "camera_features"),
    (CameraLocation, "country", "countries"), (Camera, "state", "camera_states"),
    (ServiceVisit, "visit_type", "service_visit_types"),
    (ServiceVisit, "arrival_status", "camera_arrival_status"),
    (ServiceVisit, "battery_type", "battery_types"), (ServiceVisit, "actions", "camera_actions"),
]


@pytest.mark.parametrize(("model", "column", "vocab"), _CODED,
                         ids=[f"{m.__tablename__}.{c}" for m, c, _ in _CODED])
def test_stored_codes_are_in_their_vocabulary(demo: tuple[Database, dict], model: type,
                                              column: str, vocab: str) -> None:
    db, _ = demo
    codes = set(vocabulary(vocab).codes())
    seen = {code for row in _all(db, model) for code in getattr(row, column).split("|") if code}
    assert seen and seen <= codes, seen - codes


def test_observation_attributes_follow_their_specs(demo: tuple[Database, dict]) -> None:
    db, _ = demo
    for o in _all(db, Observation):
        specs = {s.key: s for s in attributes_for(o.category)}
        attrs = json.loads(o.attributes)
        assert set(attrs) <= set(specs), (o.category, attrs)
        for key, value in attrs.items():
            spec = specs[key]
            if spec.kind == "choice":
                assert value in vocabulary(spec.choices)
            elif spec.kind == "int":
                assert isinstance(value, int) and not isinstance(value, bool)
            elif spec.kind == "float":
                assert isinstance(value, float)
            elif spec.kind == "bool":
                assert isinstance(value, bool)
        if o.category in ("TIGER_TRACK", "LEOPARD_TRACK"):
            assert 4 < attrs["pad_width_cm"] < 14


def test_fires_end_on_their_last_step(demo: tuple[Database, dict]) -> None:
    db, _ = demo
    steps: dict[str, list[FireStatusStep]] = {}
    for step in _all(db, FireStatusStep):
        steps.setdefault(step.fire_uuid, []).append(step)
    finals = set()
    for f in _all(db, FireReport):
        timeline = sorted(steps[f.uuid], key=lambda s: s.at)
        assert timeline[0].fire_status == "ACTIVE" and timeline[0].at == f.detected_at
        assert [s.fire_status for s in timeline][1] == "LOCALIZED"
        assert f.fire_status == timeline[-1].fire_status
        finals.add(f.fire_status)
        assert f.start_est_at < f.detected_at
        assert f.area_forest_ha + f.area_nonforest_ha == pytest.approx(f.area_total_ha)
        if f.perimeter:
            ring = json.loads(f.perimeter)
            assert ring[0] == ring[-1] and len(ring) >= 4
            assert f.perimeter_area_ha == pytest.approx(polygon_area_ha(ring), abs=0.01)
            assert f.perimeter_area_ha == pytest.approx(f.area_total_ha, rel=0.05, abs=0.1)
    assert finals == {"EXTINGUISHED", "MONITORED"}


def test_hotspots_match_fires_by_distance_and_time(demo: tuple[Database, dict]) -> None:
    db, _ = demo
    fires = {f.uuid: f for f in _all(db, FireReport)}
    localized = {s.fire_uuid: s.at for s in _all(db, FireStatusStep)
                 if s.fire_status == "LOCALIZED"}
    matched = unmatched = 0
    for h in _all(db, FirmsHotspot):
        raw = json.loads(h.raw)
        assert raw["instrument"] == h.instrument and raw["satellite"] == h.satellite
        assert h.instrument in ("MODIS", "VIIRS") and h.daynight in ("D", "N")
        assert raw["acq_time"] == f"{h.acquired_at:%H%M}"
        if h.matched_fire_uuid is None:
            unmatched += 1
            continue
        matched += 1
        fire = fires[h.matched_fire_uuid]
        limit = 1000 if h.instrument == "MODIS" else 500
        assert haversine_m(h.lat, h.lon, fire.lat, fire.lon) <= limit
        day = timedelta(hours=24)
        assert fire.detected_at - day <= h.acquired_at <= localized[fire.uuid] + day
    assert matched and unmatched


def test_a_tiger_kill_lies_within_500_m_of_a_feeding_site(demo: tuple[Database, dict]) -> None:
    db, _ = demo
    with db.session() as s:
        rows = s.execute(
            select(PredatorSign, FeedingSite)
            .join(FeedingVisit, FeedingVisit.uuid == PredatorSign.visit_uuid)
            .join(FeedingSite, FeedingSite.uuid == FeedingVisit.site_uuid)
            .where(PredatorSign.species == "PTAL", PredatorSign.sign_type == "KILL")).all()
    near = [sign for sign, site in rows
            if haversine_m(sign.lat, sign.lon, site.lat, site.lon) <= 500]
    assert near and all(sign.distance_m <= 500 and sign.prey_species for sign in near)


def test_feeding_visits_fall_in_winter(demo: tuple[Database, dict]) -> None:
    db, _ = demo
    months = {v.visited_at.month for v in _all(db, FeedingVisit)}
    assert months <= {11, 12, 1, 2, 3}


def test_attachments_point_at_stored_media(demo: tuple[Database, dict]) -> None:
    db, _ = demo
    for a in _all(db, Attachment):
        data = db.media.read_bytes(a.sha256)
        assert len(data) == a.size and data[:3] == b"\xff\xd8\xff"


def _fingerprint(db: Database) -> list[Any]:
    with db.session() as s:
        return [
            s.execute(select(Patrol.number, Patrol.patrol_type, Patrol.start_at, Patrol.status,
                             Patrol.distance_m, Patrol.observation_count, Patrol.leader_name)
                      .order_by(Patrol.number)).all(),
            s.execute(select(Observation.observed_at, Observation.category, Observation.lat,
                             Observation.attributes)
                      .order_by(Observation.observed_at, Observation.category)).all(),
            s.execute(select(FireReport.number, FireReport.detected_at, FireReport.perimeter)
                      .order_by(FireReport.number)).all(),
            s.execute(select(ServiceVisit.visited_at, ServiceVisit.arrival_status,
                             ServiceVisit.image_count).order_by(ServiceVisit.visited_at)).all(),
            s.execute(select(FeedItem.feed_type, FeedItem.kg).order_by(FeedItem.kg)).all(),
        ]


def test_same_seed_same_records_and_fast(demo: tuple[Database, dict], tmp_path: Path) -> None:
    db, summary = demo
    other = Database.open(tmp_path / "again.db", create=True)
    started = time.perf_counter()
    again = generate(other, scale="small", seed=1)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0  # the brief's budget for `small`
    assert again == {k: v for k, v in summary.items() if k != "_progress"}
    assert _fingerprint(other) == _fingerprint(db)
    different = Database.open(tmp_path / "seed2.db", create=True)
    generate(different, scale="small", seed=2)
    assert _fingerprint(different) != _fingerprint(db)
    for d in (other, different):
        d.close()


def test_demo_beside_an_existing_installation(db: Database) -> None:
    before = db.installation()

    def people() -> list[tuple[str | None, str]]:
        return sorted((p.station_uuid or "", p.name) for p in _all(db, Person))

    generate(db, scale="small", seed=3)
    after_one = people()
    generate(db, scale="small", seed=3)  # twice: reference rows are reused, not duplicated
    assert people() == after_one
    after = db.installation()
    assert (after.station_uuid, after.user_uuid, after.role) == (
        before.station_uuid, before.user_uuid, before.role)
    with db.session() as s:
        # The made-up cordon is marked as this installation's demo, and no made-up HQ:
        # neither may collide with the real stations' records when bundles meet.
        assert sorted(s.scalars(select(Station.code))) == ["BAR-DEMO-KED", "KED"]
        assert s.scalar(select(func.count()).select_from(Patrol)
                        .where(Patrol.station_uuid == before.station_uuid)) > 0
    assert verify(db).ok


def test_unknown_scale_is_refused(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "x.db", create=True)
    with pytest.raises(InvalidValue):
        generate(db, scale="huge")
    db.close()


def test_cli_demo_then_stats(tmp_path: Path) -> None:
    path = tmp_path / "cli.db"
    env = {**os.environ, "PYTHONPATH": str(REPO), "HOME": str(tmp_path),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    demo_run = subprocess.run(
        [sys.executable, "-m", "ranger_app", "--db", str(path), "demo", "--scale", "small"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert demo_run.returncode == 0, demo_run.stderr
    assert json.loads(demo_run.stdout)["scale"] == "small"
    stats = subprocess.run(
        [sys.executable, "-m", "ranger_app", "--db", str(path), "stats", "--json"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert stats.returncode == 0, stats.stderr
    counts = json.loads(stats.stdout)
    assert all(n > 0 for n in counts["records"].values()), counts["records"]
    assert counts["track_points"] > 0 and counts["changes"] > 0
