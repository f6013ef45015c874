"""Patrols with legs, crews, GPS tracks, observations and review history.

Rows go out in batches (`Scale.patrols_per_batch` patrols per transaction) so a `large` run
keeps a bounded amount in memory. For `large`, track points and observations are paced so
their minimum counts are met whatever the seed.
"""

from __future__ import annotations

import math
import random
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from ranger_app.demo.observations import PHOTO_WORTHY, draft
from ranger_app.demo.photos import PhotoShelf
from ranger_app.demo.places import random_point
from ranger_app.demo.reference import PersonInfo, StationInfo, World
from ranger_app.demo.scales import Scale
from ranger_app.demo.seasons import SEASON_YEAR, is_fire_season, is_winter, local
from ranger_app.demo.sink import RowSink
from ranger_app.demo.tracks import Motion, Walk, utc, walk
from ranger_app.domain.ids import new_id
from ranger_app.domain.vocab import vocabulary
from ranger_app.store import review
from ranger_app.store.accounts import SignedIn, actor_for, new_signing_key
from ranger_app.store.models import (
    Attachment,
    LegMember,
    Observation,
    Patrol,
    PatrolLeg,
    PatrolReview,
    Track,
)

JUMP_CHANCE = 1 / 500  # a wild GPS fix now and then, flagged too fast
NOTEBOOK_INTERVAL = (240, 360)  # route resolution for patrols logged without GPS


@dataclass(frozen=True)
class PatrolKind:
    patrol_type: str
    mandate: str
    legs: tuple[tuple[str, float, float], ...]  # transport, hours from, hours to
    armed_chance: float
    notes: tuple[str, ...]


_WINTER: tuple[tuple[float, PatrolKind], ...] = (
    (3, PatrolKind("GROUND", "ANTI_POACHING", (("SNOWMOBILE", 0.5, 1.5), ("FOOT", 3, 7)), 0.6,
                   ("Снег глубокий, шли по старой лыжне", "Проверка звериных троп на петли"))),
    (3, PatrolKind("GROUND", "ANTI_POACHING", (("FOOT", 4, 8),), 0.5,
                   ("Маршрут по пади, свежих следов людей нет", ""))),
    (2, PatrolKind("WINTER_ROUTE", "RESEARCH_MONITORING", (("FOOT", 5, 8),), 0.1,
                   ("Маршрут ЗМУ, пересечения следов отмечены", "Учёт следов на маршруте"))),
    (1, PatrolKind("ANTI_POACHING_RAID", "ANTI_POACHING", (("VEHICLE", 0.7, 1.5),
                                                          ("FOOT", 3, 6)), 1.0,
                   ("Рейд по сигналу о выстрелах", "Совместно с полицией, проверены зимовья"))),
    (1, PatrolKind("GROUND", "BIOTECHNICAL", (("SNOWMOBILE", 2, 4),), 0.2,
                   ("Объезд подкормочных площадок", ""))),
    (1, PatrolKind("VEHICLE_PATROL", "ANTI_POACHING", (("VEHICLE", 3, 6),), 0.7,
                   ("Объезд дорог, проверка транспорта", ""))),
)
_OTHER: tuple[tuple[float, PatrolKind], ...] = (
    (4, PatrolKind("GROUND", "ANTI_POACHING", (("FOOT", 4, 8),), 0.5,
                   ("Маршрут по ключу, стоянок нет", "Проверка солонцов", ""))),
    (2, PatrolKind("GROUND", "ANTI_POACHING", (("VEHICLE", 0.5, 1.5), ("FOOT", 3, 7)), 0.6,
                   ("Заброска на машине, далее пешком", ""))),
    (2, PatrolKind("MONITORING", "RESEARCH_MONITORING", (("FOOT", 4, 9),), 0.1,
                   ("Проверка мест маркировки", "Маршрут мониторинга копытных"))),
    (1.5, PatrolKind("VEHICLE_PATROL", "ANTI_POACHING", (("VEHICLE", 3, 6),), 0.7,
                     ("Объезд дорог вдоль границы", ""))),
    (1, PatrolKind("ANTI_POACHING_RAID", "ANTI_POACHING", (("VEHICLE", 0.7, 1.5),
                                                          ("FOOT", 3, 6)), 1.0,
                   ("Рейд по сбору кедрового ореха", "Проверка сообщения о браконьерах"))),
    (0.5, PatrolKind("JOINT", "BORDER_JOINT", (("VEHICLE", 0.7, 1.5), ("FOOT", 3, 6)), 1.0,
                     ("Совместно с пограничниками", ""))),
    (0.3, PatrolKind("GROUND", "WILDLIFE_CONFLICT", (("VEHICLE", 0.5, 1.5), ("FOOT", 1, 3)), 1.0,
                     ("Выезд по сообщению о тигре у деревни",))),
)
_FIRE: tuple[tuple[float, PatrolKind], ...] = (
    (4, PatrolKind("FIRE_PATROL", "FIRE_PREVENTION", (("VEHICLE", 4, 7),), 0.0,
                   ("Противопожарный объезд, дымов нет", "Патрулирование вдоль полос"))),
    (1, PatrolKind("FIRE_PATROL", "FIRE_PREVENTION", (("VEHICLE", 0.5, 1.5), ("FOOT", 2, 5)), 0.0,
                   ("Проверка места пала", ""))),
)
_MOTION = {  # cruising speeds (km/h), turns, rests; max speed comes from transports.csv
    "FOOT": ((2.5, 5.0), 0.5, 0.008, (10, 45)),
    "VEHICLE": ((20.0, 55.0), 0.25, 0.01, (5, 30)),
    "SNOWMOBILE": ((15.0, 40.0), 0.3, 0.01, (5, 20)),
}
_RETURN_COMMENTS = ("Нет трека второго этапа, дополните", "Уточните координаты петель",
                    "Не указан состав группы", "Проверьте время окончания")
_STATUS_ORDER = ("APPROVED", "SUBMITTED", "RETURNED", "DRAFT")


@cache
def motion(transport: str) -> Motion:
    speed, turn, rest, rest_fixes = _MOTION[transport]
    max_kmh = float(vocabulary("transports").get(transport).extra["max_speed_kmh"])
    return Motion(speed, turn, rest, rest_fixes, max_kmh)


@dataclass(frozen=True)
class PatrolRef:
    """What fire reports need to link a patrol."""

    uuid: str
    station_uuid: str
    patrol_type: str
    start_at: datetime


@dataclass
class PatrolTotals:
    patrols: int = 0
    observations: int = 0
    track_points: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    season: list[PatrolRef] = field(default_factory=list)


@dataclass(frozen=True)
class _Plan:
    day: date
    station: StationInfo
    number: str


def _plans(rng: random.Random, world: World, scale: Scale) -> list[_Plan]:
    first = date(SEASON_YEAR - scale.years + 1, 1, 1)
    span = (date(SEASON_YEAR, 12, 31) - first).days
    raw = sorted(
        (first + timedelta(days=rng.randint(0, span)),
         0 if rng.random() < 0.55 else 1)
        for _ in range(scale.patrols)
    )
    seq: Counter[tuple[int, int]] = Counter()
    plans = []
    for day, s in raw:
        station = world.stations[s % len(world.stations)]
        seq[(s, day.year)] += 1
        plans.append(_Plan(day, station, f"{station.code}-{day.year}-{seq[(s, day.year)]:04d}"))
    return plans


def _kind(rng: random.Random, day: date) -> PatrolKind:
    table = _WINTER if is_winter(day) else _OTHER
    if is_fire_season(day):
        table = table + _FIRE
    return rng.choices([k for _, k in table], [w for w, _ in table])[0]


def _status(rng: random.Random, i: int, scale: Scale, day: date) -> str:
    if scale.patrols <= 20:  # a handful of patrols still shows every status
        return _STATUS_ORDER[i % len(_STATUS_ORDER)]
    if (date(SEASON_YEAR, 12, 31) - day).days < 14:
        return rng.choice(("DRAFT", "SUBMITTED"))
    return rng.choices(_STATUS_ORDER, (82, 8, 5, 5))[0]


@dataclass(frozen=True)
class PendingApproval:
    """A patrol the demo inspector approves once the batch is written."""

    patrol_uuid: str
    inspector_uuid: str
    at: datetime


class PatrolWriter:
    """Makes one patrol's rows at a time and hands them to the sink."""

    def __init__(self, rng: random.Random, world: World, scale: Scale, shelf: PhotoShelf,
                 sink: RowSink) -> None:
        self.rng = rng
        self.world = world
        self.scale = scale
        self.shelf = shelf
        self.sink = sink
        self.totals = PatrolTotals()
        self.photos_left = scale.photos
        self.to_approve: list[PendingApproval] = []
        self._signers: dict[str, SignedIn] = {}

    def _crew(self, station: StationInfo) -> tuple[list[PersonInfo], PersonInfo]:
        rangers = list(self.world.rangers[station.uuid])
        crew = self.rng.sample(rangers, min(len(rangers), self.rng.randint(2, 4)))
        leader = rangers[0] if rangers[0] in crew and self.rng.random() < 0.5 else crew[0]
        return crew, leader

    def _wants_track(self, i: int) -> bool:
        floor = self.scale.min_track_points
        if floor and self.totals.track_points < floor * (i + 1) / self.scale.patrols:
            return True
        return self.rng.random() < self.scale.track_share

    def _observation_count(self, i: int) -> int:
        low, high = self.scale.obs_per_patrol
        n = self.rng.randint(low, high)
        floor = self.scale.min_observations
        if floor:
            behind = floor * (i + 1) / self.scale.patrols - self.totals.observations - n
            n += max(0, math.ceil(behind))
        return n

    def write(self, i: int, plan: _Plan) -> None:
        rng = self.rng
        station = plan.station
        kind = _kind(rng, plan.day)
        crew, leader = self._crew(station)
        status = _status(rng, i, self.scale, plan.day)
        fire = kind.patrol_type == "FIRE_PATROL"
        start_hour = rng.uniform(10, 12) if fire else rng.uniform(7, 10)
        t = local(plan.day, start_hour, ZoneInfo(station.tz)).replace(second=0, microsecond=0)

        patrol_uuid = new_id()
        has_track = self._wants_track(i)
        n_obs = self._observation_count(i)
        legs: list[tuple[str, str, datetime, datetime]] = []
        for transport, h_lo, h_hi in kind.legs:
            end = t + timedelta(minutes=round(rng.uniform(h_lo, h_hi) * 60))
            legs.append((new_id(), transport, t, end))
            t = end + timedelta(minutes=rng.randint(0, 15))
        weights = [(e - s).total_seconds() * (1.0 if tr == "FOOT" else 0.25)
                   for _, tr, s, e in legs]
        per_leg = Counter(rng.choices(range(len(legs)), weights, k=n_obs)) if n_obs else Counter()

        position = (*random_point(rng, station.lat, station.lon, station.radius_m),
                    rng.uniform(60, 600))
        distance = 0.0
        obs_rows: list[dict[str, Any]] = []
        for k, (leg_uuid, transport, start, end) in enumerate(legs, start=1):
            self.sink.add(PatrolLeg, {"uuid": leg_uuid, "patrol_uuid": patrol_uuid,
                                      "ordinal": k, "transport": transport,
                                      "start_at": start, "end_at": end})
            for person in crew:
                self.sink.add(LegMember, {"leg_uuid": leg_uuid, "person_uuid": person.uuid,
                                          "is_leader": person is leader})
            t0, t1 = int(start.timestamp()), int(end.timestamp())
            margin = min(300, (t1 - t0) // 4)
            times = sorted(rng.randint(t0 + margin, t1 - margin)
                           for _ in range(per_leg[k - 1]))
            w = walk(rng, position, t0, t1, motion(transport), times,
                     interval=(10, 30) if has_track else NOTEBOOK_INTERVAL,
                     jump_chance=JUMP_CHANCE if has_track else 0.0, keep=has_track)
            position = w.end
            if has_track:
                self._track(patrol_uuid, leg_uuid, f"{plan.number} / {k}", w)
                distance += w.stats.length_m
            obs_rows.extend(self._observations(patrol_uuid, leg_uuid, w, crew, plan.day))

        self.sink.add(Patrol, {
            "uuid": patrol_uuid, "number": plan.number, "station_uuid": station.uuid,
            "patrol_type": kind.patrol_type, "mandate": kind.mandate,
            "armed": rng.random() < kind.armed_chance, "start_at": legs[0][2],
            "end_at": legs[-1][3], "tz": station.tz, "notes": (note := rng.choice(kind.notes)),
            "notes_lang": "ru" if note else "",
            # an approved patrol is written as submitted; the inspector approves it for real
            # (a signed change of theirs) once its rows are in the database
            "status": "SUBMITTED" if status == "APPROVED" else status, "distance_m": distance,
            "observation_count": len(obs_rows), "leader_name": leader.name,
        })
        for row in obs_rows:
            self.sink.add(Observation, row)
        self._reviews(patrol_uuid, status, legs[-1][3], leader)

        self.totals.patrols += 1
        self.totals.observations += len(obs_rows)
        self.totals.statuses[status] += 1
        if plan.day.year == SEASON_YEAR:
            self.totals.season.append(PatrolRef(patrol_uuid, station.uuid, kind.patrol_type,
                                                legs[0][2]))

    def _track(self, patrol_uuid: str, leg_uuid: str, name: str, w: Walk) -> None:
        st = w.stats
        self.sink.add(Track, {
            "patrol_uuid": patrol_uuid, "leg_uuid": leg_uuid, "name": name, "points": w.blob,
            "point_count": st.points, "flagged_count": st.flagged, "length_m": st.length_m,
            "duration_s": st.duration_s, "moving_s": st.moving_s, "start_at": st.start,
            "end_at": st.end,
        })
        self.totals.track_points += st.points

    def _observations(self, patrol_uuid: str, leg_uuid: str, w: Walk,
                      crew: list[PersonInfo], day: date) -> list[dict[str, Any]]:
        rows = []
        for n, sample in enumerate(w.samples, start=1):
            d = draft(self.rng, day.month)
            waypoint = self.rng.random() < 0.4
            uuid = new_id()
            at = utc(sample.t)
            rows.append({
                "uuid": uuid, "patrol_uuid": patrol_uuid, "leg_uuid": leg_uuid,
                "observed_at": at, "lat": sample.lat, "lon": sample.lon, "ele": sample.ele,
                "category": d.category, "attributes": d.attributes, "count": d.count,
                "observer_uuid": self.rng.choice(crew).uuid, "notes": d.notes,
                "notes_lang": "ru" if d.notes else "",
                "source": "waypoint" if waypoint else "manual",
                "waypoint_name": f"{n:03d}" if waypoint else "",
            })
            if self.photos_left and d.category in PHOTO_WORTHY:
                self.photos_left -= 1
                kind = "snow" if is_winter(day) and "TRACK" in d.category else "snare"
                self.sink.add(Attachment, self.shelf.attachment(
                    kind, "observation", uuid, at, sample.lat, sample.lon))
        return rows

    def _reviews(self, patrol_uuid: str, status: str, end: datetime,
                 leader: PersonInfo) -> None:
        if status == "DRAFT":
            return
        rng = self.rng
        inspector = rng.choice(self.world.inspectors)
        at = end + timedelta(hours=rng.uniform(2, 30))
        actions: list[tuple[str, str, str]] = [("submit", leader.uuid, "")]
        if status == "RETURNED" or (status == "APPROVED" and rng.random() < 0.15):
            actions.append(("return", inspector.uuid, rng.choice(_RETURN_COMMENTS)))
            if status == "APPROVED":
                actions.append(("submit", leader.uuid, "Исправлено"))
        for action, who, comment in actions:
            self.sink.add(PatrolReview, {"patrol_uuid": patrol_uuid, "action": action,
                                         "patrol_rev": 1, "by_person": who, "at": at,
                                         "comment": comment})
            at += timedelta(hours=rng.uniform(3, 96))
        if status == "APPROVED":
            self.to_approve.append(PendingApproval(patrol_uuid, inspector.uuid, at))

    def approve_pending(self) -> None:
        """Approve the batch's patrols as their inspectors would: a signed change each.

        Each demo inspector gets a real signing key (sealed with a throw-away secret: they
        set a password on first sign-in, which makes a new key and keeps this one listed),
        so the demo season syncs to HQ like a station's own data.
        """
        db = self.sink.db
        for pending in self.to_approve:
            signer = self._signers.get(pending.inspector_uuid)
            if signer is None:
                key = new_signing_key(db, pending.inspector_uuid, secrets.token_urlsafe(24))
                signer = SignedIn(actor_for(db, pending.inspector_uuid), "", pending.at, key)
                self._signers[pending.inspector_uuid] = signer
            review.approve(db, signer, pending.patrol_uuid, at=pending.at)
        self.to_approve.clear()


def write_patrols(rng: random.Random, world: World, scale: Scale, shelf: PhotoShelf,
                  sink: RowSink, progress: Callable[[int], None]) -> PatrolTotals:
    """All patrols of the scale; flushes the sink every `patrols_per_batch` patrols."""
    writer = PatrolWriter(rng, world, scale, shelf, sink)
    plans = _plans(rng, world, scale)
    for i, plan in enumerate(plans):
        writer.write(i, plan)
        if (i + 1) % scale.patrols_per_batch == 0 or i + 1 == len(plans):
            sink.flush()
            writer.approve_pending()
            progress(i + 1)
    return writer.totals
