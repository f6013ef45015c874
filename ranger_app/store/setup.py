"""Setting up a new installation: its station, its first person, its identity."""

from __future__ import annotations

from sqlalchemy import select

from ranger_app.domain.errors import AlreadyInitialised
from ranger_app.domain.records import StationSetup
from ranger_app.store.db import Database, Installation
from ranger_app.store.models import Person, Station

TIME_ZONES = {"RU": "Asia/Vladivostok", "CN": "Asia/Shanghai"}
__all__ = ["TIME_ZONES", "StationSetup", "init_station"]


def init_station(db: Database, setup: StationSetup) -> Installation:
    """Give an empty database its station and its first user (an admin who also patrols)."""
    if db.is_initialised:
        raise AlreadyInitialised(str(db.path))
    inst = db.ensure_identity()
    with db.writer() as s:
        station = s.scalar(select(Station).where(Station.code == setup.station_code))
        if station is None:
            station = Station(code=setup.station_code, name=setup.station_name,
                              country=setup.country, tz=TIME_ZONES.get(setup.country,
                                                                     "Asia/Vladivostok"),
                              is_hq=setup.hq)
            s.add(station)
            s.flush()
        person = Person(name=setup.person_name, station_uuid=station.uuid,
                        roles="ADMIN|INSPECTOR" if setup.hq else "RANGER|ADMIN")
        s.add(person)
        s.flush()
        station_uuid, person_uuid = station.uuid, person.uuid
    db.set_meta({"station_uuid": station_uuid, "user_uuid": person_uuid,
                 "role": "hq" if setup.hq else "station", "language": setup.language})
    return inst.__class__(inst.device, inst.epoch, station_uuid, person_uuid,
                          "hq" if setup.hq else "station")
