"""SMART patrol XML: the mapping, the encoding against a hand-built document, round trips."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from lxml import etree

from ranger_app.domain.records import (
    LegValue,
    MemberValue,
    ObservationValue,
    PatrolValue,
    TrackValue,
)
from ranger_app.domain.track import TrackPoint, pack_points, track_stats
from ranger_app.io.smart import NS
from ranger_app.io.smart.days import assign_points, join_days, split_days
from ranger_app.io.smart.errors import UnmappedCodes
from ranger_app.io.smart.export import Context, check_mapped, export_smart, write_patrol_xml
from ranger_app.io.smart.importer import import_smart
from ranger_app.io.smart.mapping import default_mapping, our_codes, park_mapping, unmapped
from ranger_app.io.smart.wkb import decode_track, encode_track
from ranger_app.store.patrols import load_patrol
from ranger_app.store.queries import people, record_counts
from ranger_app.store.smart_mapping import mapping_rows, save_mapping_rows
from tests.smart_support import make_patrols, station

VLAD = "Asia/Vladivostok"


def test_default_mapping_covers_every_code_we_can_export() -> None:
    mapping = default_mapping()
    assert unmapped(mapping, our_codes()) == ()
    assert mapping.smart_key("category", "SNARE") == "threat.snare"
    assert mapping.our_code("category", "threat.snare") == "SNARE"
    assert mapping.our_code("list_item", "wire", "material") == "WIRE"
    # many of our patrol types are one SMART type: reading back, the first row wins
    assert mapping.smart_key("patrol_type", "WINTER_ROUTE") == "GROUND"
    assert mapping.our_code("patrol_type", "GROUND") == "GROUND"


def test_edited_rows_override_the_default_and_are_synced_records(db) -> None:
    assert save_mapping_rows(db, [("category", "SNARE", "threats.snares.wire"),
                                  ("category", "TRAP", "")]) == 2
    assert save_mapping_rows(db, [("category", "SNARE", "threats.snares.wire")]) == 0
    assert mapping_rows(db)[("category", "SNARE")] == "threats.snares.wire"
    m = park_mapping(db)
    assert m.smart_key("category", "SNARE") == "threats.snares.wire"
    assert m.smart_key("category", "TRAP") is None  # deliberately unmapped
    assert record_counts(db)["records"]["smart_mapping"] == 2
    with pytest.raises(UnmappedCodes) as err:
        check_mapped([PatrolValue(observations=[ObservationValue("TRAP")])], m)
    assert err.value.codes == (("category", "TRAP"),)


def test_track_wkb_round_trip_and_jts_layout() -> None:
    t = datetime(2025, 3, 14, 8, 0, 5, tzinfo=UTC)
    pts = [TrackPoint(43.5, 131.25, None, t), TrackPoint(43.75, 131.5, None, None)]
    hexed = encode_track(pts)
    raw = bytes.fromhex(hexed)
    assert raw[:9] == struct.pack(">BII", 0, 0x80000002, 2)
    assert struct.unpack(">ddd", raw[9:33]) == (131.25, 43.5, t.timestamp() * 1000)
    back = decode_track(hexed)
    assert [(p.lat, p.lon, p.time) for p in back] == [(43.5, 131.25, t), (43.75, 131.5, None)]
    # little-endian ISO LineString Z reads the same
    iso = struct.pack("<BII", 1, 1002, 1) + struct.pack("<ddd", 131.25, 43.5,
                                                         t.timestamp() * 1000)
    assert decode_track(iso.hex())[0].time == t


def test_a_leg_is_split_at_local_midnight_and_joined_back() -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(VLAD)
    start = datetime(2025, 3, 14, 10, 3, tzinfo=UTC)  # 20:03 local
    pts = [TrackPoint(43 + i * 0.01, 131.0, None, start + timedelta(minutes=10 * i))
           for i in range(30)]  # to 00:53 local + 1 day... crosses one midnight
    days = split_days(pts[0].time, pts[-1].time, tz)
    assert [d.day.isoformat() for d in days] == ["2025-03-14", "2025-03-15"]
    assign_points(days, pts, tz)
    assert days[0].points[-1] == days[1].points[0]  # one point at midnight, in both days
    assert days[0].points[-1].time == datetime(2025, 3, 14, 14, 0, tzinfo=UTC)
    joined = join_days([d.points for d in days])
    assert len(joined) == len(pts) + 1
    one = track_stats(pts).length_m
    assert sum(track_stats(d.points).length_m for d in days) == pytest.approx(one, rel=1e-6)
    assert track_stats(joined).length_m == pytest.approx(one, rel=1e-6)


def test_export_matches_a_document_built_by_hand_from_the_model() -> None:
    t0 = datetime(2025, 3, 14, 13, 0, tzinfo=UTC)  # 23:00 at Vladivostok
    pts = [TrackPoint(43.0, 131.0, None, t0), TrackPoint(43.1, 131.0, None,
                                                       t0 + timedelta(hours=2))]
    patrol = PatrolValue(
        station_uuid="st", number="P-7", patrol_type="GROUND", mandate="ANTI_POACHING",
        armed=True, start_at=t0, end_at=t0 + timedelta(hours=2), tz=VLAD, notes="note",
        uuid="00000000-0000-7000-8000-000000000001",
        legs=[LegValue("FOOT", t0, t0 + timedelta(hours=2), [MemberValue("p1", True)])],
        tracks=[TrackValue(pack_points(pts), track_stats(pts), leg_ordinal=1)],
        observations=[ObservationValue("SNARE", t0 + timedelta(minutes=30), 43.005, 131.0,
                                       attributes={"material": "WIRE", "snare_count": 2},
                                       notes="c", observer_uuid="p1")])
    buf = BytesIO()
    write_patrol_xml(buf, patrol, Context(default_mapping(), {"p1": "Иван Петров"},
                                          {"st": "Кедровая"}))
    # midnight at 14:00 UTC: the track gets a point halfway, in both days
    mid_ms = int(datetime(2025, 3, 14, 14, 0, tzinfo=UTC).timestamp() * 1000)
    t0_ms = int(t0.timestamp() * 1000)
    t2_ms = t0_ms + 7_200_000

    def geom(*xyz: tuple[float, float, float]) -> str:
        return (struct.pack(">BII", 0, 0x80000002, len(xyz))
                + b"".join(struct.pack(">ddd", *p) for p in xyz)).hex().upper()

    half = 43.0 + (43.1 - 43.0) * 0.5  # linear in degrees and time, as the model says
    d1 = geom((131.0, 43.0, t0_ms), (131.0, half, mid_ms))
    d2 = geom((131.0, half, mid_ms), (131.0, 43.1, t2_ms))
    member = ('givenName="Иван" familyName="Петров" employeeId="p1" isPilot="false" '
              'isLeader="{}"')
    half_km = repr(track_stats([pts[0], TrackPoint(half, 131.0)]).length_m / 1000)
    half_km2 = repr(track_stats([TrackPoint(half, 131.0), pts[1]]).length_m / 1000)
    expected = f"""<patrol xmlns="{NS}" patrolType="GROUND" startDate="2025-03-14"
      endDate="2025-03-15" isArmed="true" id="P-7">
      <station languageCode="en" value="Кедровая"/>
      <legs id="1" startDate="2025-03-14" endDate="2025-03-15">
        <transportType languageCode="en" value="On foot"/>
        <members {member.format("true")}/>
        <days date="2025-03-14" startTime="23:00:00" endTime="23:59:59" restMinutes="0.0">
          <waypoints id="1" x="131.0" y="43.005" time="23:30:00">
            <comment>c</comment>
            <groups><observations categoryKey="threat.snare">
              <attributes attributeKey="material"><itemKey>wire</itemKey></attributes>
              <attributes attributeKey="snarecount"><dValue>2.0</dValue></attributes>
              <observer {member.format("false")}/>
            </observations></groups>
          </waypoints>
          <track geom="{d1}" distance="{half_km}"/>
        </days>
        <days date="2025-03-15" startTime="00:00:00" endTime="01:00:00" restMinutes="0.0">
          <track geom="{d2}" distance="{half_km2}"/>
        </days>
        <mandate languageCode="en" value="Anti-poaching"/>
      </legs>
      <comment>note</comment>
      <extraData type="rangerfieldlog">
        <stringKey key="uuid" value="00000000-0000-7000-8000-000000000001"/>
        <stringKey key="timeZone" value="Asia/Vladivostok"/>
        <stringKey key="startAt" value="2025-03-14T13:00:00+00:00"/>
        <stringKey key="endAt" value="2025-03-14T15:00:00+00:00"/>
      </extraData>
    </patrol>"""
    parser = etree.XMLParser(remove_blank_text=True)
    want = etree.tostring(etree.fromstring(expected.encode(), parser), method="c14n")
    got = etree.tostring(etree.fromstring(buf.getvalue(), parser), method="c14n")
    assert got.decode() == want.decode()


def _summary(db, uuid: str) -> dict:
    names = {p.uuid: p.name for p in people(db)}
    p = load_patrol(db, uuid)
    return {
        "number": p.number, "type": p.patrol_type, "mandate": p.mandate, "armed": p.armed,
        "start": p.start_at, "end": p.end_at, "notes": p.notes,
        "legs": [(leg.transport, leg.start_at.replace(microsecond=0),
                  leg.end_at.replace(microsecond=0),
                  sorted((names[m.person_uuid], m.is_leader) for m in leg.members))
                 for leg in p.legs],
        "obs": sorted((o.category, o.observed_at, o.lat, o.lon, o.count, o.notes,
                       sorted(o.attributes.items()), names.get(o.observer_uuid or ""))
                      for o in p.observations),
        "km": sum(t.stats.length_m for t in p.tracks) / 1000,
    }


def test_round_trip_into_a_fresh_station_and_twice_changes_nothing(tmp_path: Path) -> None:
    src = station(tmp_path / "src.db")
    patrols = make_patrols(src, count=2)
    r = export_smart(src, None, tmp_path / "out")
    assert r.patrols == 2 and len(r.files) == 2
    dst = station(tmp_path / "dst.db", code="HQ", name="Анна Ли")
    got = import_smart(dst, list(r.files))
    assert len(got.imported) == 2 and got.people_added == 2
    for p in patrols:
        a, b = _summary(src, p.uuid), _summary(dst, p.uuid)
        assert b["km"] == pytest.approx(a["km"], rel=1e-3)
        a.pop("km"), b.pop("km")
        assert b == a
    before = record_counts(dst)
    again = import_smart(dst, list(r.files))
    assert again.imported == () and len(again.already_present) == 2
    assert record_counts(dst) == before
    # back into the station it came from: already there, nothing written
    n = record_counts(src)
    import_smart(src, list(r.files))
    assert record_counts(src) == n


def test_a_mapping_edited_at_hq_reaches_the_station_in_a_bundle(tmp_path: Path) -> None:
    from tests.test_sync_support import carry, introduce, make_site

    hq = make_site(tmp_path, "HQ", "Дирекция", "Анна Ли", hq=True)
    ked = make_site(tmp_path, "KED", "Кедровая падь", "Иван Петров")
    introduce(hq, ked)
    save_mapping_rows(hq.db, [("category", "SNARE", "threats.snares")])
    carry(hq, ked, tmp_path / "stick")
    assert park_mapping(ked.db).smart_key("category", "SNARE") == "threats.snares"
