"""Patrols the SMART tests export: a leg across local midnight, attributes of every kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from ranger_app.domain.records import (
    LegValue,
    MemberValue,
    ObservationValue,
    PatrolValue,
    TrackValue,
)
from ranger_app.domain.track import TrackPoint, pack_points, track_stats
from ranger_app.store.db import Database
from ranger_app.store.models import Person
from ranger_app.store.patrols import save_patrol
from ranger_app.store.queries import people
from ranger_app.store.setup import StationSetup, init_station

# 18:00 at Vladivostok (UTC+10): the first leg runs through local midnight.
T0 = datetime(2025, 3, 14, 8, 0, tzinfo=UTC)


def station(path: Path, code: str = "KED", name: str = "Иван Петров") -> Database:
    db = Database.open(path, create=True)
    init_station(db, StationSetup(code, "Кедровая падь", name, "ru"))
    return db


def add_person(db: Database, name: str) -> str:
    with db.writer() as s:
        p = Person(name=name, station_uuid=db.installation().station_uuid, roles="RANGER")
        s.add(p)
        s.flush()
        return p.uuid


def walk(start: datetime, n: int, step_min: float = 7.0, lat: float = 43.1,
         lon: float = 131.9) -> list[TrackPoint]:
    return [TrackPoint(lat + i * 0.0011, lon + i * 0.0007, None,
                       start + timedelta(minutes=step_min * i)) for i in range(n)]


def make_patrols(db: Database, count: int = 2, points: int = 120) -> list[PatrolValue]:
    me = people(db)[0]
    other = add_person(db, "Сергей Ким")
    out = []
    for k in range(count):
        t0 = T0 + timedelta(days=3 * k)
        leg1 = walk(t0, points)
        t1 = leg1[-1].time + timedelta(hours=1)
        leg2 = walk(t1, points // 4, step_min=2, lat=43.3)
        p = PatrolValue(
            station_uuid=me.station_uuid, number=f"KED-{k + 1}", patrol_type="GROUND",
            mandate="ANTI_POACHING", armed=k % 2 == 0, start_at=t0,
            end_at=leg2[-1].time, notes="Обход кордона", legs=[
                LegValue("FOOT", t0, leg1[-1].time,
                         [MemberValue(me.uuid, True), MemberValue(other, False)]),
                LegValue("SNOWMOBILE", t1, leg2[-1].time, [MemberValue(other, True)]),
            ],
            tracks=[TrackValue(pack_points(leg1), track_stats(leg1), leg_ordinal=1),
                    TrackValue(pack_points(leg2), track_stats(leg2), leg_ordinal=2)],
            observations=[
                ObservationValue("SNARE", t0 + timedelta(hours=2), 43.12, 131.91,
                                 attributes={"material": "WIRE", "snare_count": 3},
                                 observer_uuid=me.uuid, notes="три петли"),
                ObservationValue("CAMP", t0 + timedelta(hours=7), 43.15, 131.93,
                                 attributes={"occupied": True, "people_count": 2}),
                ObservationValue("VEHICLE", t1 + timedelta(minutes=10), 43.3, 131.9,
                                 attributes={"plate_number": "А123ВС"}),
                ObservationValue("TIGER_TRACK", t0 + timedelta(hours=9), 43.16, 131.94,
                                 attributes={"pad_width_cm": 11.5}, count=2),
            ])
        out.append(save_patrol(db, p))
    return out
