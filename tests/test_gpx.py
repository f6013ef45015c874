"""GPX in and out: the dialects handhelds write, legs by time, speed flags, round trips."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ranger_app.domain.records import (
    LegValue,
    ObservationValue,
    PatrolValue,
    PhotoValue,
    TrackValue,
)
from ranger_app.domain.track import TrackPoint, pack_points, track_stats, unpack_points
from ranger_app.io.gpx import GPX_MIME, ImportCancelled, parse_gpx, write_gpx
from ranger_app.io.gpx_import import (
    apply_gpx,
    import_gpx_file,
    observations_from_waypoints,
    tracks_from_gpx,
)
from ranger_app.store.db import Database
from ranger_app.store.models import Station
from ranger_app.store.patrols import load_patrol, save_patrol
from ranger_app.store.queries import record_counts

DATA = Path(__file__).parent / "data" / "gpx"
T0 = datetime(2025, 3, 14, 1, 0, tzinfo=UTC)
# 0.01° of latitude on the app's sphere (R = 6,371,008.8 m): R × 0.01 × π / 180
LAT_STEP_M = 1111.9508


def gpx11(body: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">\n'
            f"{body}\n</gpx>\n")


def trkpt(lat: float, lon: float, time: datetime | None = None,
          ele: float | None = None) -> str:
    inner = "" if ele is None else f"<ele>{ele}</ele>"
    if time is not None:
        inner += f"<time>{time.strftime('%Y-%m-%dT%H:%M:%SZ')}</time>"
    return f'<trkpt lat="{lat}" lon="{lon}">{inner}</trkpt>'


def trk(points: list[str], name: str = "") -> str:
    return f"<trk><name>{name}</name><trkseg>{''.join(points)}</trkseg></trk>"


def write(tmp_path: Path, text: str, name: str = "track.gpx") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def make_db(tmp_path: Path, tz: str = "Asia/Vladivostok") -> Database:
    db = Database.open(tmp_path / "t.db", create=True)
    db.ensure_identity()
    with db.writer() as s:
        station = Station(code="KED", name="Кедровая падь", tz=tz)
        s.add(station)
    db.set_meta({"station_uuid": station.uuid})
    return db


# --- parsing ---------------------------------------------------------------------------------

def test_garmin_gpx11_with_several_tracks_segments_and_extensions() -> None:
    parsed = parse_gpx(DATA / "garmin_gpsmap66.gpx")
    assert (parsed.version, parsed.creator) == ("1.1", "GPSMAP 66s")
    assert [(s.track_name, len(s.points)) for s in parsed.segments] == [
        ("Кедровая 14-МАР-25", 3), ("Кедровая 14-МАР-25", 2), ("Обратно", 2)]
    assert parsed.point_count == 7
    first = parsed.segments[0].points[0]
    assert first == TrackPoint(43.1, 131.2, 400.0, T0)
    assert parsed.segments[2].points[-1] == TrackPoint(
        43.109, 131.209, 418.0, datetime(2025, 3, 14, 4, 1, tzinfo=UTC))
    one, two = parsed.waypoints
    assert (one.name, one.lat, one.lon, one.ele, one.time, one.description) == (
        "001", 43.10512, 131.20145, 412.3, T0 + timedelta(minutes=40), "След тигра у ручья")
    assert (two.name, two.ele, two.time, two.description) == ("002", None, None, "петля")


def test_gpx10_in_windows_1251_with_route_and_waypoint() -> None:
    parsed = parse_gpx(DATA / "ozi_gpx10.gpx")
    assert parsed.version == "1.0"
    assert parsed.creator.startswith("OziExplorer")
    # the walked log is a track; the route is the plan, kept apart (never effort)
    (log,) = parsed.segments
    (route,) = parsed.routes
    assert (log.track_name, route.track_name) == ("ACTIVE LOG", "Маршрут")
    assert [p.ele for p in log.points] == [190.0, 191.0, 192.0]
    assert log.points[1].time == datetime(2024, 11, 2, 1, 1, tzinfo=UTC)
    assert [(p.lat, p.lon, p.time) for p in route.points] == [
        (42.94, 130.94, None), (42.945, 130.945, None)]
    (feeder,) = parsed.waypoints
    assert (feeder.name, feeder.description) == ("KORM1", "Кормушка")


def test_points_without_time_or_elevation(tmp_path: Path) -> None:
    path = write(tmp_path, gpx11(trk([trkpt(43.0, 131.0), trkpt(43.001, 131.0, ele=5.5),
                                      trkpt(43.002, 131.0, time=T0)])))
    points = parse_gpx(path).segments[0].points
    assert [(p.ele, p.time) for p in points] == [(None, None), (5.5, None), (None, T0)]
    stats = track_stats(points)
    assert stats.duration_s == 0 and stats.moving_s is None
    assert stats.length_m == pytest.approx(2 * LAT_STEP_M / 10, rel=1e-6)


def test_utf8_bom_and_crlf(tmp_path: Path) -> None:
    text = gpx11(trk([trkpt(43.0, 131.0, T0, 10.0), trkpt(43.001, 131.001, T0, 11.0)],
                     name="Обход квартала 12"))
    path = tmp_path / "bom.gpx"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert b"\r\n" in path.read_bytes()
    (segment,) = parse_gpx(path).segments
    assert segment.track_name == "Обход квартала 12"
    assert len(segment.points) == 2


def test_times_become_aware_utc(tmp_path: Path) -> None:
    body = trk([
        '<trkpt lat="43" lon="131"><time>2025-03-14T01:00:00</time></trkpt>',  # naive = UTC
        '<trkpt lat="43" lon="131"><time>2025-03-14T11:00:00+10:00</time></trkpt>',
        '<trkpt lat="43" lon="131"><time>2025-03-14T09:00:00.250+08:00</time></trkpt>',
    ])
    times = [p.time for p in parse_gpx(write(tmp_path, gpx11(body))).segments[0].points]
    assert times == [T0, T0, T0 + timedelta(milliseconds=250)]
    assert all(t is not None and t.utcoffset() == timedelta(0) for t in times)


def test_progress_reaches_the_total_and_cancel_stops(tmp_path: Path) -> None:
    points = [trkpt(43 + i * 1e-5, 131.0, T0 + timedelta(seconds=5 * i)) for i in range(12_000)]
    path = write(tmp_path, gpx11(trk(points) + '<wpt lat="43" lon="131"><name>a</name></wpt>'))
    seen: list[tuple[int, int]] = []
    parse_gpx(path, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (path.stat().st_size, path.stat().st_size)  # bytes read of the file
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) > 2
    calls = iter(range(100))
    with pytest.raises(ImportCancelled):
        parse_gpx(path, cancel=lambda: next(calls) >= 3)  # cancelled in the middle


# --- tracks, legs, flags, statistics ---------------------------------------------------------

def test_known_track_length_duration_and_moving_time(tmp_path: Path) -> None:
    # 0.01° north every 15 min (1.24 m/s, walking), with a 15-minute rest in the middle
    path = write(tmp_path, gpx11(trk([
        trkpt(43.00, 131.0, T0), trkpt(43.01, 131.0, T0 + timedelta(minutes=15)),
        trkpt(43.01, 131.0, T0 + timedelta(minutes=30)),
        trkpt(43.02, 131.0, T0 + timedelta(minutes=45)),
    ])))
    leg = LegValue("FOOT", T0, None, uuid="leg-1")
    (track,) = tracks_from_gpx(parse_gpx(path), [leg], "abc")
    stats = track.stats
    assert stats.points == 4 and stats.flagged == 0
    assert stats.length_m == pytest.approx(2 * LAT_STEP_M, rel=1e-6)
    assert stats.length_km == pytest.approx(2.2239, abs=1e-4)
    assert (stats.duration_s, stats.moving_s, stats.rest_s) == (2700, 1800, 900)
    assert (stats.start, stats.end) == (T0, T0 + timedelta(minutes=45))
    assert (track.leg_uuid, track.leg_ordinal, track.source_sha256) == ("leg-1", 1, "abc")
    assert len(unpack_points(track.points)) == 4


def test_a_wild_fix_is_flagged_kept_and_not_counted(tmp_path: Path) -> None:
    wild_lat = 43.01 + 5000 / LAT_STEP_M * 0.01  # 5 km north, 10 s later
    path = write(tmp_path, gpx11(trk([
        trkpt(43.00, 131.0, T0), trkpt(43.01, 131.0, T0 + timedelta(minutes=15)),
        trkpt(wild_lat, 131.0, T0 + timedelta(minutes=15, seconds=10)),
        trkpt(43.02, 131.0, T0 + timedelta(minutes=30)),
    ])))
    (track,) = tracks_from_gpx(parse_gpx(path), [LegValue("FOOT", T0)], "")
    points = unpack_points(track.points)
    assert len(points) == 4  # kept
    assert [p.too_fast for p in points] == [False, False, True, False]
    assert track.stats.flagged == 1
    assert track.stats.length_m == pytest.approx(2 * LAT_STEP_M, rel=1e-6)


def _two_leg_file(tmp_path: Path) -> Path:
    """On foot from 01:00, then by car from 03:00 at 71 km/h (too fast for a walker)."""
    foot = [trkpt(43.0 + i * 0.001, 131.0, T0 + timedelta(minutes=i)) for i in range(5)]
    car_start = T0 + timedelta(hours=2)
    car = [trkpt(43.1 + i * 0.01, 131.0, car_start + timedelta(seconds=56 * i))
           for i in range(5)]
    wpts = ('<wpt lat="43.002" lon="131"><time>2025-03-14T01:02:00Z</time><name>W1</name>'
            '<desc>лёжка</desc></wpt>'
            '<wpt lat="43.12" lon="131"><time>2025-03-14T03:02:00Z</time><name>W2</name></wpt>')
    return write(tmp_path, gpx11(wpts + trk(foot, "foot") + trk(car, "car")))


def _two_legs() -> list[LegValue]:
    return [LegValue("FOOT", T0, T0 + timedelta(hours=1), ordinal=1, uuid="leg-foot"),
            LegValue("VEHICLE", T0 + timedelta(hours=1, minutes=30), None, ordinal=2,
                     uuid="leg-car")]


def test_segments_go_to_legs_by_time_and_use_their_speed_limit(tmp_path: Path) -> None:
    parsed = parse_gpx(_two_leg_file(tmp_path))
    foot, car = tracks_from_gpx(parsed, _two_legs(), "sha")
    assert (foot.name, foot.leg_uuid, foot.leg_ordinal) == ("foot", "leg-foot", 1)
    assert (car.name, car.leg_uuid, car.leg_ordinal) == ("car", "leg-car", 2)
    assert car.stats.flagged == 0  # 71.5 km/h is fine for a vehicle
    assert car.stats.length_m == pytest.approx(4 * LAT_STEP_M, rel=1e-6)
    # the same segment under a foot leg: every fix after the first is too fast
    (walked,) = tracks_from_gpx(parsed, [LegValue("FOOT", T0, None)], "sha")[1:]
    assert walked.stats.flagged == 4 and walked.stats.length_m == 0


def test_waypoints_become_unclassified_observations_of_their_leg(tmp_path: Path) -> None:
    parsed = parse_gpx(_two_leg_file(tmp_path))
    one, two = observations_from_waypoints(parsed, _two_legs())
    assert (one.category, one.source, one.waypoint_name, one.notes) == (
        "UNCLASSIFIED", "waypoint", "W1", "лёжка")
    assert (one.lat, one.lon, one.observed_at) == (43.002, 131.0, T0 + timedelta(minutes=2))
    assert (one.leg_uuid, two.leg_uuid) == ("leg-foot", "leg-car")


def test_apply_gpx_to_a_bare_patrol_makes_a_foot_leg_and_times(tmp_path: Path) -> None:
    parsed = parse_gpx(_two_leg_file(tmp_path))
    patrol = PatrolValue()
    source = PhotoValue("f" * 64, "x.gpx", GPX_MIME, 10, kind="gpx")
    apply_gpx(patrol, parsed, source)
    (leg,) = patrol.legs
    end = T0 + timedelta(hours=2, seconds=4 * 56)
    assert (leg.transport, leg.start_at, leg.end_at) == ("FOOT", T0, end)
    assert (patrol.start_at, patrol.end_at) == (T0, end)
    assert [t.leg_ordinal for t in patrol.tracks] == [1, 1]
    assert len(patrol.observations) == 2 and patrol.attachments == [source]
    apply_gpx(patrol, parsed, source)  # the same original is attached once
    assert len(patrol.attachments) == 1 and len(patrol.tracks) == 4


# --- the whole import ------------------------------------------------------------------------

def test_import_into_a_new_draft_patrol(tmp_path: Path) -> None:
    db = make_db(tmp_path, tz="Asia/Shanghai")
    path = _two_leg_file(tmp_path)
    result = import_gpx_file(db, path)
    assert (result.points, result.waypoints, result.flagged) == (10, 2, 4)  # all on foot
    patrol = load_patrol(db, result.patrol_uuid)
    assert (patrol.status, patrol.tz) == ("DRAFT", "Asia/Shanghai")
    assert patrol.station_uuid == db.installation().station_uuid
    assert patrol.start_at == T0
    (leg,) = patrol.legs
    assert leg.transport == "FOOT"
    assert [o.leg_uuid for o in patrol.observations] == [leg.uuid, leg.uuid]
    assert all(t.leg_uuid == leg.uuid for t in patrol.tracks)
    assert result.km == pytest.approx(sum(t.stats.length_m for t in patrol.tracks) / 1000)
    (original,) = patrol.attachments
    assert (original.kind, original.mime, original.filename) == ("gpx", GPX_MIME, path.name)
    assert db.media.read_bytes(original.sha256) == path.read_bytes()
    assert record_counts(db)["track_points"] == 10


def test_import_into_an_existing_patrol_with_two_legs(tmp_path: Path) -> None:
    db = make_db(tmp_path)
    patrol = save_patrol(db, PatrolValue(
        station_uuid=db.installation().station_uuid, number="KED-2025-007",
        start_at=T0, end_at=T0 + timedelta(hours=4), legs=_no_ids(_two_legs()),
        observations=[ObservationValue("SNARE", T0 + timedelta(minutes=30), 43.001, 131.0)]))
    assert patrol.uuid is not None
    result = import_gpx_file(db, _two_leg_file(tmp_path), patrol.uuid, user="tester")
    assert (result.patrol_uuid, result.points, result.flagged) == (patrol.uuid, 10, 0)
    loaded = load_patrol(db, patrol.uuid)
    foot, car = loaded.legs
    assert [(t.name, t.leg_uuid) for t in loaded.tracks] == [("foot", foot.uuid),
                                                             ("car", car.uuid)]
    by_name = {o.waypoint_name: o for o in loaded.observations}
    assert by_name["W1"].leg_uuid == foot.uuid and by_name["W2"].leg_uuid == car.uuid
    assert by_name[""].category == "SNARE"  # what was there stays
    assert loaded.start_at == T0 and loaded.end_at == T0 + timedelta(hours=4)


def _no_ids(legs: list[LegValue]) -> list[LegValue]:
    for leg in legs:
        leg.uuid = None
    return legs


# --- writing ---------------------------------------------------------------------------------

def test_write_then_parse_gives_the_same_points_and_waypoints(tmp_path: Path) -> None:
    points = [
        TrackPoint(43.1234567, 131.7654321, 512.25, T0 + timedelta(milliseconds=123)),
        TrackPoint(43.1240001, 131.7660002, None, T0 + timedelta(seconds=5)),
        TrackPoint(-0.5, -179.9999999, -3.5, None),
    ]
    stats = track_stats(points)
    patrol = PatrolValue(
        number="KED-2025-001",
        tracks=[TrackValue(pack_points(points), stats, name="Кедровая"),
                TrackValue(pack_points(points[:1]), track_stats(points[:1]), name="")],
        observations=[
            ObservationValue("SNARE", T0 + timedelta(minutes=3), 43.5, 131.5, 300.0,
                             notes="Три петли на тропе", waypoint_name="W7"),
            ObservationValue("UNCLASSIFIED", None, 43.6, 131.6),
            ObservationValue("SNARE", T0, None, None, notes="no position: not a waypoint"),
        ],
    )
    path = tmp_path / "out.gpx"
    path.write_bytes(write_gpx(patrol, lang="ru"))
    assert b'version="1.1"' in path.read_bytes()
    parsed = parse_gpx(path)
    assert [s.track_name for s in parsed.segments] == ["Кедровая", ""]
    stored = unpack_points(patrol.tracks[0].points)
    for got, want in zip(parsed.segments[0].points, stored, strict=True):
        assert math.isclose(got.lat, want.lat, abs_tol=1e-7)
        assert math.isclose(got.lon, want.lon, abs_tol=1e-7)
        assert (got.ele, got.time) == (want.ele, want.time)
    snare, unclassified = parsed.waypoints
    assert (snare.name, snare.lat, snare.lon, snare.ele, snare.time) == (
        "W7", 43.5, 131.5, 300.0, T0 + timedelta(minutes=3))
    assert snare.description == "Угрозы и нарушения › Петля (браконьерская)\nТри петли на тропе"
    assert (unclassified.name, unclassified.time) == ("UNCLASSIFIED", None)
    assert b"<type>SNARE</type>" in path.read_bytes()
    back = observations_from_waypoints(parsed, [])
    assert [(o.waypoint_name, o.lat, o.observed_at) for o in back] == [
        ("W7", 43.5, T0 + timedelta(minutes=3)), ("UNCLASSIFIED", 43.6, None)]


def test_an_imported_patrol_exports_and_reimports_identically(tmp_path: Path) -> None:
    db = make_db(tmp_path)
    result = import_gpx_file(db, DATA / "garmin_gpsmap66.gpx")
    patrol = load_patrol(db, result.patrol_uuid)
    out = tmp_path / "export.gpx"
    out.write_bytes(write_gpx(patrol))
    again = parse_gpx(out)
    original = parse_gpx(DATA / "garmin_gpsmap66.gpx")
    assert [p for s in again.segments for p in s.points] == [
        TrackPoint(p.lat, p.lon, _f32(p.ele), p.time) for s in original.segments
        for p in s.points]
    assert [w.name for w in again.waypoints] == ["001", "002"]


def _f32(value: float | None) -> float | None:
    """Elevations are stored as float32 (domain.track): what a stored value reads back as."""
    return unpack_points(pack_points([TrackPoint(0, 0, value)]))[0].ele


def test_cancel_after_parsing_writes_nothing(tmp_path: Path) -> None:
    db = make_db(tmp_path)
    before = record_counts(db)
    parsed_all: list[bool] = []

    def progress(done: int, total: int) -> None:
        parsed_all.append(done == total)

    # cancelled only once parsing is over: the import's own last check must catch it
    with pytest.raises(ImportCancelled):
        import_gpx_file(db, _two_leg_file(tmp_path), progress=progress,
                        cancel=lambda: bool(parsed_all and parsed_all[-1]))
    assert parsed_all[-1]
    assert record_counts(db) == before
    assert not db.media.root.exists() or not any(db.media.root.rglob("*"))
