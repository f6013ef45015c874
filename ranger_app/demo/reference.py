"""Stations, people and accounts: the reference data every other demo record points at.

On a fresh database this also makes the installation: identity, and meta naming the first
cordon and its senior ranger. On an initialised one it reuses the installation's station as
the first cordon and leaves meta alone; rows that already exist (a second demo run) are reused
by code, name or login instead of duplicated.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import select

from ranger_app.demo.places import (
    HQ_CODE,
    HQ_NAME,
    STATION_SPECS,
    StationSpec,
    login_for,
    person_names,
)
from ranger_app.demo.sink import RowSink
from ranger_app.domain.ids import new_id
from ranger_app.store.db import Database
from ranger_app.store.models import Person, Station, UserAccount

RANGERS_PER_STATION = 6
INSPECTORS = 2
SENIOR_ROLES = "RANGER|ADMIN"
RANGER_ROLES = "RANGER"
INSPECTOR_ROLES = ("INSPECTOR", "INSPECTOR|HQ_ANALYST|ADMIN")


@dataclass(frozen=True)
class StationInfo:
    uuid: str
    code: str
    name: str
    tz: str
    lat: float
    lon: float
    radius_m: float


@dataclass(frozen=True)
class PersonInfo:
    uuid: str
    name: str
    station_uuid: str | None
    roles: str


@dataclass(frozen=True)
class World:
    """Who and where: the two cordons (installation's first), their rangers, the inspectors."""

    stations: tuple[StationInfo, ...]
    hq_uuid: str | None
    rangers: dict[str, tuple[PersonInfo, ...]]  # station uuid -> rangers, senior first
    inspectors: tuple[PersonInfo, ...]
    user: str  # the person the change log names as author
    fresh: bool  # the demo set this installation up

    def senior(self, station: StationInfo) -> PersonInfo:
        return self.rangers[station.uuid][0]


@dataclass
class _Existing:
    stations: dict[str, Station]
    people: dict[tuple[str | None, str], str]
    logins: set[str]
    own_code: str  # the station code of an installation set up with `init`; "" for a demo database
    login_suffix: str  # ".bar": demo logins stay unique when two stations run the demo


def _existing(db: Database) -> _Existing:
    with db.session() as s:
        stations = {st.code: st for st in s.scalars(select(Station))}
        people = {(p.station_uuid, p.name): p.uuid
                  for p in s.scalars(select(Person).where(Person.deleted.is_(False)))}
        logins = set(s.scalars(select(UserAccount.login)))
        own = s.get(Station, db.installation().station_uuid) if db.is_initialised else None
        for st in stations.values():
            s.expunge(st)
    suffix = f".{own.code.lower()}" if own is not None else ""
    return _Existing(stations, people, logins, own.code if own is not None else "", suffix)


def _demo_code(have: _Existing, wanted: str) -> str:
    """The code of a made-up cordon: marked as demo on a real installation.

    A real station of the same code (its own laptop, or one HQ serves), or the same demo
    run at another installation, would collide with this record when bundles meet: station
    codes are unique across the park. So `KED` made up at BAR is `KED-DEMO-BAR`.
    """
    if not have.own_code or wanted in have.stations:
        return wanted
    return f"{wanted}-DEMO-{have.own_code}"


def _station(sink: RowSink, have: _Existing, code: str, name: str, tz: str,
             is_hq: bool = False) -> tuple[str, str, str]:
    """(uuid, name, tz) of the station with `code`, creating it when missing."""
    found = have.stations.get(code)
    if found is not None:
        return found.uuid, found.name, found.tz
    uuid = new_id()
    sink.add(Station, {"uuid": uuid, "code": code, "name": name, "country": "RU", "tz": tz,
                       "is_hq": is_hq})
    return uuid, name, tz


def _person(sink: RowSink, have: _Existing, name: str, station_uuid: str | None,
            roles: str, account: bool) -> PersonInfo:
    uuid = have.people.get((station_uuid, name))
    if uuid is None:
        uuid = new_id()
        sink.add(Person, {"uuid": uuid, "name": name, "station_uuid": station_uuid,
                          "roles": roles, "active": True})
        have.people[(station_uuid, name)] = uuid
        if account:
            login = base = login_for(name) + have.login_suffix
            n = 1
            while login in have.logins:
                n += 1
                login = f"{base}{n}"
            have.logins.add(login)
            # No password yet: the station admin sets one on first login (no KDF helper here).
            sink.add(UserAccount, {"login": login, "person_uuid": uuid})
    return PersonInfo(uuid, name, station_uuid, roles)


# The park's own SMART keys where its conservation area differs from our default mapping
# (issue 12): HQ's edits, synced to the stations.
DEMO_SMART_MAPPING = (
    ("category", "TIGER_TRACK", "animals.mammals.tiger.tracks"),
    ("category", "LEOPARD_TRACK", "animals.mammals.leopard.tracks"),
    ("category", "SNARE", "threats.hunting.snare"),
)


def _smart_mapping(db: Database, sink: RowSink) -> None:
    from ranger_app.store.models import SmartMapping
    from ranger_app.store.smart_mapping import mapping_row_uuid, mapping_rows

    have = mapping_rows(db)
    for kind, code, key in DEMO_SMART_MAPPING:
        if (kind, code) not in have:
            sink.add(SmartMapping, {"uuid": mapping_row_uuid(kind, code), "kind": kind,
                                    "our_code": code, "smart_key": key})


def build_world(db: Database, rng: random.Random) -> tuple[World, RowSink]:
    """Decide stations and people; returns the world and a sink holding the new rows."""
    fresh = not db.is_initialised
    inst = db.ensure_identity()
    have = _existing(db)
    installed = next((st for st in have.stations.values() if st.uuid == inst.station_uuid),
                     None)
    sink = RowSink(db, inst.user_uuid or "")

    specs: list[StationSpec] = list(STATION_SPECS)
    first_code: str | None = None
    if installed is not None and not installed.is_hq:
        first_code = installed.code
        match = next((sp for sp in specs if sp.code == installed.code), None)
        if match is not None:  # keep the spec order so the installed cordon comes first
            specs.remove(match)
            specs.insert(0, match)
    hq = installed if installed is not None and installed.is_hq else next(
        (st for st in have.stations.values() if st.is_hq), None)
    hq_uuid: str | None
    if hq is not None:
        hq_uuid = hq.uuid
    elif installed is None:  # a demo database of its own: it gets a made-up HQ
        hq_uuid, _, _ = _station(sink, have, HQ_CODE, HQ_NAME, "Asia/Vladivostok", is_hq=True)
    else:
        # A station's demo before HQ's own record has arrived: a made-up HQ row would
        # collide with the real one's code at HQ, so the demo inspectors belong to no
        # station (they review every station, as HQ's do).
        hq_uuid = None

    names = person_names(rng, RANGERS_PER_STATION * len(specs) + INSPECTORS)
    stations: list[StationInfo] = []
    rangers: dict[str, tuple[PersonInfo, ...]] = {}
    for i, spec in enumerate(specs):
        code = first_code if i == 0 and first_code else _demo_code(have, spec.code)
        uuid, name, tz = _station(sink, have, code, spec.name, "Asia/Vladivostok")
        stations.append(StationInfo(uuid, code, name, tz, spec.lat, spec.lon, spec.radius_m))
        crew: list[PersonInfo] = []
        own = names[i * RANGERS_PER_STATION:(i + 1) * RANGERS_PER_STATION]
        for j, person_name in enumerate(own):
            if j == 0 and i == 0 and installed is not None and inst.user_uuid:
                crew.append(_installation_user(db, inst.user_uuid, uuid))
                continue
            roles = SENIOR_ROLES if j == 0 else RANGER_ROLES
            crew.append(_person(sink, have, person_name, uuid, roles, account=j == 0))
        rangers[uuid] = tuple(crew)

    inspectors = tuple(
        _person(sink, have, person_name, hq_uuid, INSPECTOR_ROLES[k % len(INSPECTOR_ROLES)],
                account=True)
        for k, person_name in enumerate(names[-INSPECTORS:])
    )
    if installed is None or installed.is_hq:  # reference data: HQ writes it
        _smart_mapping(db, sink)
    user = inst.user_uuid or rangers[stations[0].uuid][0].uuid
    sink.user = user
    world = World(tuple(stations), hq_uuid, rangers, inspectors, user, fresh)
    return world, sink


def _installation_user(db: Database, person_uuid: str, station_uuid: str) -> PersonInfo:
    with db.session() as s:
        person = s.get(Person, person_uuid)
        if person is None:
            return PersonInfo(person_uuid, "", station_uuid, SENIOR_ROLES)
        return PersonInfo(person.uuid, person.name, person.station_uuid, person.roles)


DEMO_META_KEY = "demo"  # a database the demo set up: made-up people, nobody to sign in


def finish_installation(db: Database, world: World) -> None:
    """On a database the demo set up, name the first cordon and its senior ranger in meta."""
    if not world.fresh:
        return
    first = world.stations[0]
    db.set_meta({"station_uuid": first.uuid, "user_uuid": world.senior(first).uuid,
                 "role": "station", "language": "ru", DEMO_META_KEY: "1"})
