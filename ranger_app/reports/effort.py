"""Patrol effort (design section 9): the figures rangers' bonuses are paid on, defined once.

Every figure is computed by one function, `_figures`, from plain inputs; `patrol_effort`
feeds it one loaded patrol, `effort_summary` feeds it every patrol of a period from SQL
aggregates (track lengths and moving times are the values stored on save, so no track is
unpacked), and the UI only formats what comes back. The same code runs on both sides of the
border, so a kilometre in Kedrovaya Pad is a kilometre in Hunchun.

The definitions (each also in the docstring of its field on `Figures`, and as translatable
text in `FIGURES` for printed reports):

- **Period.** A patrol belongs to the calendar month of its start in the station's time zone
  (the zone kept on the patrol). Deleted rows (tombstones) never count.
- **Patrols.** Number of patrols.
- **Distance (km).** Sum of the lengths of the patrol's tracks (`Track.length_m`), each
  measured between consecutive points not flagged too fast (`FLAG_TOO_FAST`: faster than the
  transport's maximum speed); a flagged point is skipped and the line joins the good points on
  either side of it. A patrol without a track adds 0 km.
- **Hours.** Patrol start to patrol end (when the end is missing: to the latest leg end, else
  0).
- **Active hours.** Per leg: the moving time of the leg's tracks, i.e. the time between
  consecutive good points whose speed is at least `REST_SPEED_MS` (rest excluded). A leg
  with no track carrying times cannot show its rest, so it counts its whole duration (leg
  start to end) and is counted in `legs_without_track`. Tracks attached to no leg add their
  moving time and length to the patrol. A patrol without legs counts as one leg spanning the
  patrol, without members.
- **Person-days.** For each member, the number of local calendar days (station time zone)
  touched by the legs that member was on, summed over members. A leg touches every day from
  the day of its start to the day of its end; a leg ending exactly at local midnight does not
  touch the new day. Summed over patrols (two patrols of one ranger on one day: two).
- **Person-field-hours.** Sum over legs of members on the leg × leg hours (start to end).
- **Nights out.** Local midnights (station time zone) strictly between the patrol's start
  and end.
- **Encounter rate.** Observations (records, not the individuals or items counted in them) of
  a category or any of its sub-categories (TIGER holds tracks, scat, scrapes, kills,
  sightings, hair) × 10 ÷ distance km, and × 100 ÷ person-field-hours; none when the
  divisor is 0.
- **Coverage.** Share of the cells of a square grid (default 1 km) over an area's bounding box
  crossed by a patrol track in the period. The grid lies on Lambert's cylindrical equal-area
  projection with its standard parallel through the box's centre, so every cell holds the
  same ground area and is true to scale at the centre. A cell counts when a good point lies in
  it or the straight line between two consecutive good points crosses it (the same line the
  distance measures). Cells cut by the box's north and east edges count as whole cells.

Grouped rows: a station's row sums its patrols. A ranger's row takes the patrols with that
ranger on at least one leg; its patrol figures (patrols, distance, hours, active hours,
nights, observations) are the whole patrols', its person-days and person-field-hours are the
ranger's own, and its rate per 100 person-field-hours divides by the person-field-hours of
every member of those patrols (`team_person_field_hours`), so a ranger's rate is the rate of
the patrols they walked. Summed over rangers, person figures equal the stations' sums;
patrol figures are larger (a patrol of three is in three rangers' rows).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select

from ranger_app.domain.geo import EARTH_RADIUS_M, BBox
from ranger_app.domain.records import PatrolValue
from ranger_app.domain.track import REST_SPEED_MS, TrackPoint, unpack_points
from ranger_app.domain.vocab import vocabulary
from ranger_app.i18n import N_
from ranger_app.store.db import Database
from ranger_app.store.models import (
    LegMember,
    Observation,
    Patrol,
    PatrolLeg,
    Person,
    Station,
    Track,
)

GroupBy = Literal["ranger", "station", "all"]
DEFAULT_CELL_M = 1000.0
# The categories every effort table shows at least (tiger sign, leopard sign, snares).
REPORT_CATEGORIES: tuple[str, ...] = ("TIGER", "LEOPARD", "SNARE")


# --- periods --------------------------------------------------------------------------------

class Month(NamedTuple):
    """A calendar month; ordered, so `Month(2024, 3) < Month(2024, 11)`."""

    year: int
    month: int

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> Month:
        """`2024-03` → Month(2024, 3)."""
        year, month = text.split("-")
        value = cls(int(year), int(month))
        if not 1 <= value.month <= 12:
            raise ValueError(f"no month {text!r}")
        return value

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def first_day(self) -> date:
        return date(self.year, self.month, 1)


def months(first: Month, last: Month) -> list[Month]:
    """Every month from `first` to `last`, both included."""
    out: list[Month] = []
    m = first
    while m <= last:
        out.append(m)
        m = m.next()
    return out


def local_days(start: datetime, end: datetime, tz: str) -> list[date]:
    """The local calendar days the interval [start, end) touches (at least the start's day).

    A leg from 20:00 to 06:00 touches two days; one ending exactly at 00:00 touches one.
    """
    zone = ZoneInfo(tz)
    a, b = start.astimezone(zone), end.astimezone(zone)
    last = b.date()
    if b > a and b.time() == time(0):
        last -= timedelta(days=1)
    first = a.date()
    return [first + timedelta(days=k) for k in range(max(0, (last - first).days) + 1)]


def local_month(moment: datetime, tz: str) -> Month:
    return Month.of(moment.astimezone(ZoneInfo(tz)).date())


# --- the figures ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Figure:
    """A figure's name and definition, as shown in tables and printed under reports."""

    key: str
    label: str  # N_: translate when shown
    definition: str  # N_, may hold {speed}: the rest threshold in m/s


FIGURES: tuple[Figure, ...] = (
    Figure("patrols", N_("Number of patrols"), N_(
        "Number of patrols whose start, in the station's time zone, falls in the period "
        "(a month: the month of the patrol's start). Deleted records never count.")),
    Figure("distance_km", N_("Patrol distance"), N_(
        "Length of the GPS tracks in km, measured between consecutive points not flagged as "
        "faster than the transport's maximum speed (a flagged point is skipped). A patrol "
        "without a track adds 0 km.")),
    Figure("hours", N_("Hours"), N_("Patrol start to patrol end, in hours.")),
    Figure("active_hours", N_("Active hours"), N_(
        "Moving time from the tracks: the time between consecutive good points whose speed "
        "is at least {speed} m/s, so rest is excluded. A leg without a timed track counts its "
        "whole duration (leg start to end).")),
    Figure("person_days", N_("Person-days"), N_(
        "For each member, the local calendar days (station time zone) touched by the legs "
        "that member was on, summed over members and patrols. A leg ending exactly at "
        "midnight does not touch the next day.")),
    Figure("person_field_hours", N_("Person-field-hours"), N_(
        "Sum over legs of the number of members on the leg × the leg's hours (start to "
        "end).")),
    Figure("nights", N_("Nights out"), N_(
        "Local midnights (station time zone) between the patrol's start and end.")),
    Figure("per_10km", N_("Encounter rate per 10 km"), N_(
        "Observations (records, not the individuals or items counted in them) of the "
        "category and its sub-categories × 10 ÷ distance in km; empty when the distance "
        "is 0.")),
    Figure("per_100h", N_("Encounter rate per 100 person-field-hours"), N_(
        "Observations of the category and its sub-categories × 100 ÷ person-field-hours of "
        "the same patrols; empty when there are none.")),
    Figure("legs_without_track", N_("Legs without track"), N_(
        "Legs whose active hours could not be measured from a track and count their whole "
        "duration instead.")),
)
RANGER_ROWS_NOTE = N_(
    "In a ranger's row, patrols, distance, hours, active hours, nights and observations are "
    "those of the whole patrols the ranger took part in; person-days and person-field-hours "
    "are the ranger's own; the rate per 100 person-field-hours divides by every member's "
    "person-field-hours on those patrols.")


@cache
def _subtree(category: str) -> frozenset[str]:
    """The category code and every code below it in the observation categories."""
    vocab = vocabulary("observation_categories")
    codes = {category}
    grew = True
    while grew:
        below = {t.code for t in vocab if t.parent in codes} - codes
        codes |= below
        grew = bool(below)
    return frozenset(codes)


@dataclass(frozen=True)
class Figures:
    """The effort figures of one patrol or of a group of patrols."""

    patrols: int
    """Number of patrols."""
    distance_km: float
    """Track length over points not flagged too fast, in km."""
    hours: float
    """Patrol start to end, in hours."""
    active_hours: float
    """Moving time of the tracks; a leg without a timed track counts its duration."""
    person_days: int
    """Members × local calendar days touched by the legs each member was on."""
    person_field_hours: float
    """Sum over legs of members × leg hours."""
    nights: int
    """Local midnights strictly between patrol start and end."""
    legs_without_track: int
    """Legs whose active hours are their duration, for want of a timed track."""
    observations: tuple[tuple[str, int], ...]
    """Observation records per category code (leaf codes as recorded), sorted by code."""
    team_person_field_hours: float
    """Divisor of the per-100-hour rates: person-field-hours of every member of the patrols
    (equal to `person_field_hours` except in a ranger's row)."""

    def encounters(self, category: str) -> int:
        """Observation records of `category` and its sub-categories."""
        codes = _subtree(category)
        return sum(n for code, n in self.observations if code in codes)

    def per_10km(self, category: str) -> float | None:
        """Encounters of `category` per 10 km of track; None without distance."""
        if self.distance_km <= 0:
            return None
        return self.encounters(category) * 10 / self.distance_km

    def per_100_person_hours(self, category: str) -> float | None:
        """Encounters of `category` per 100 person-field-hours; None without hours."""
        if self.team_person_field_hours <= 0:
            return None
        return self.encounters(category) * 100 / self.team_person_field_hours


@dataclass(frozen=True)
class PersonEffort:
    """One member's own share of a patrol."""

    person_uuid: str
    days: int
    field_hours: float


@dataclass(frozen=True)
class PatrolEffort(Figures):
    """The figures of one patrol, with each member's own person-days and hours."""

    uuid: str | None
    station_uuid: str | None
    tz: str
    month: Month | None
    members: tuple[PersonEffort, ...]


@dataclass(frozen=True)
class LegInput:
    """What the definitions need of a leg: its window, its members and its tracks' sums."""

    start: datetime | None
    end: datetime | None
    members: tuple[str, ...]
    track_length_m: float = 0.0
    track_moving_s: float | None = None  # None: no track with times on this leg


def _hours(start: datetime | None, end: datetime | None) -> float:
    if start is None or end is None:
        return 0.0
    return max(0.0, (end - start).total_seconds() / 3600)


def _figures(*, start: datetime | None, end: datetime | None, tz: str,
             legs: Sequence[LegInput], loose_length_m: float = 0.0,
             loose_moving_s: float | None = None, observations: Mapping[str, int],
             uuid: str | None = None, station_uuid: str | None = None) -> PatrolEffort:
    """The one definition of every figure (see the module docstring), for one patrol.

    `loose_*` are the sums of the tracks attached to no leg of this patrol.
    """
    if not legs:
        legs = [LegInput(start, end, (), loose_length_m, loose_moving_s)]
        loose_length_m, loose_moving_s = 0.0, None
    if end is None:
        end = max((leg.end for leg in legs if leg.end is not None), default=start)

    distance_m = loose_length_m + sum(leg.track_length_m for leg in legs)
    active_s = loose_moving_s or 0.0
    untracked = 0
    days_of: dict[str, set[date]] = defaultdict(set)
    hours_of: dict[str, float] = defaultdict(float)
    for leg in legs:
        leg_start = leg.start or start
        leg_end = leg.end or end
        leg_hours = _hours(leg_start, leg_end)
        if leg.track_moving_s is None:
            untracked += 1
            active_s += leg_hours * 3600
        else:
            active_s += leg.track_moving_s
        members = tuple(dict.fromkeys(leg.members))  # a name twice on a leg counts once
        for person in members:
            hours_of[person] += leg_hours
            if leg_start is not None and leg_end is not None:
                days_of[person].update(local_days(leg_start, leg_end, tz))
    people = tuple(
        PersonEffort(p, len(days_of[p]), hours_of[p]) for p in sorted(hours_of)
    )
    field_hours = sum(p.field_hours for p in people)
    return PatrolEffort(
        patrols=1,
        distance_km=distance_m / 1000,
        hours=_hours(start, end),
        active_hours=active_s / 3600,
        person_days=sum(p.days for p in people),
        person_field_hours=field_hours,
        nights=(len(local_days(start, end, tz)) - 1) if start and end else 0,
        legs_without_track=untracked,
        observations=tuple(sorted((c, n) for c, n in observations.items() if n)),
        team_person_field_hours=field_hours,
        uuid=uuid, station_uuid=station_uuid, tz=tz,
        month=local_month(start, tz) if start else None,
        members=people,
    )


def patrol_effort(patrol: PatrolValue) -> PatrolEffort:
    """The effort figures of one patrol value (saved or still being edited).

    A track belongs to the leg its `leg_ordinal` names (as `save_patrol` assigns it), else
    to the leg its `leg_uuid` names, else to none (it then adds to the patrol as a whole).
    """
    by_ordinal = {leg.ordinal: i for i, leg in enumerate(patrol.legs)}
    by_uuid = {leg.uuid: i for i, leg in enumerate(patrol.legs) if leg.uuid}
    length = [0.0] * len(patrol.legs)
    moving: list[float | None] = [None] * len(patrol.legs)
    loose_length, loose_moving = 0.0, None
    for track in patrol.tracks:
        if track.is_route:
            continue  # the plan, never effort
        if track.leg_ordinal is not None and track.leg_ordinal in by_ordinal:
            i: int | None = by_ordinal[track.leg_ordinal]
        else:
            i = by_uuid.get(track.leg_uuid) if track.leg_uuid else None
        st = track.stats
        if i is None:
            loose_length += st.length_m
            if st.moving_s is not None:
                loose_moving = (loose_moving or 0.0) + st.moving_s
        else:
            length[i] += st.length_m
            if st.moving_s is not None:
                moving[i] = (moving[i] or 0.0) + st.moving_s
    legs = [
        LegInput(leg.start_at, leg.end_at, tuple(m.person_uuid for m in leg.members),
                 length[i], moving[i])
        for i, leg in enumerate(patrol.legs)
    ]
    return _figures(
        start=patrol.start_at, end=patrol.end_at, tz=patrol.tz, legs=legs,
        loose_length_m=loose_length, loose_moving_s=loose_moving,
        observations=Counter(o.category for o in patrol.observations),
        uuid=patrol.uuid, station_uuid=patrol.station_uuid,
    )


# --- summaries over the database ------------------------------------------------------------

@dataclass(frozen=True)
class EffortRow(Figures):
    """The figures of one group (a ranger, a station or all patrols) over one period."""

    first: Month  # the period's first month
    last: Month  # its last month (== first in a per-month summary)
    group: GroupBy
    key: str  # person or station uuid ("" for all patrols, or patrols of no station)
    label: str  # person name, or station code and name


def _add(rows: Iterable[Figures]) -> dict[str, Any]:
    """Sums of the figures of patrols that do not overlap (never of two rangers' rows)."""
    total: dict[str, Any] = dict(patrols=0, distance_km=0.0, hours=0.0, active_hours=0.0,
                                 person_days=0, person_field_hours=0.0, nights=0,
                                 legs_without_track=0, team_person_field_hours=0.0)
    observations: Counter[str] = Counter()
    for r in rows:
        for name in total:
            total[name] += getattr(r, name)
        observations.update(dict(r.observations))
    total["observations"] = tuple(sorted(observations.items()))
    return total


def _patrol_query(first: Month | None, last: Month | None, station_uuid: str | None,
                  statuses: Collection[str] | None) -> Select[Any]:
    """Live patrols that may start in the period (UTC bounds widened by a day each side;
    the exact local month is checked per patrol, as zones differ)."""
    q = select(Patrol.uuid).where(Patrol.deleted.is_(False), Patrol.start_at.is_not(None))
    if first is not None:
        q = q.where(Patrol.start_at >= datetime.combine(
            first.first_day() - timedelta(days=1), time(0), UTC))
    if last is not None:
        q = q.where(Patrol.start_at < datetime.combine(
            last.next().first_day() + timedelta(days=1), time(0), UTC))
    if station_uuid:
        q = q.where(Patrol.station_uuid == station_uuid)
    if statuses is not None:
        q = q.where(Patrol.status.in_(list(statuses)))
    return q


def patrol_efforts(db: Database, first: Month | None = None, last: Month | None = None, *,
                   station_uuid: str | None = None,
                   statuses: Collection[str] | None = None,
                   patrol_uuids: Collection[str] | None = None) -> list[PatrolEffort]:
    """The figures of every patrol starting (local month) from `first` to `last`; with
    `patrol_uuids`, only of those patrols (whole patrols: `reports.area_filter`).

    Five aggregate queries, whatever the number of patrols: patrols, legs, members, track
    sums per leg (stored lengths and moving times, no points unpacked), observation counts
    per category.
    """
    chosen = _patrol_query(first, last, station_uuid, statuses).subquery()
    with db.session() as s:
        patrols = s.execute(
            select(Patrol.uuid, Patrol.station_uuid, Patrol.start_at, Patrol.end_at, Patrol.tz)
            .where(Patrol.uuid.in_(select(chosen.c.uuid)))).all()
        legs = s.execute(
            select(PatrolLeg.uuid, PatrolLeg.patrol_uuid, PatrolLeg.start_at, PatrolLeg.end_at)
            .where(PatrolLeg.deleted.is_(False),
                   PatrolLeg.patrol_uuid.in_(select(chosen.c.uuid)))
            .order_by(PatrolLeg.patrol_uuid, PatrolLeg.ordinal)).all()
        members = s.execute(
            select(LegMember.leg_uuid, LegMember.person_uuid)
            .join(PatrolLeg, PatrolLeg.uuid == LegMember.leg_uuid)
            .where(LegMember.deleted.is_(False), PatrolLeg.deleted.is_(False),
                   PatrolLeg.patrol_uuid.in_(select(chosen.c.uuid)))).all()
        tracks = s.execute(
            select(Track.patrol_uuid, Track.leg_uuid, func.sum(Track.length_m),
                   func.sum(Track.moving_s))
            .where(Track.deleted.is_(False), Track.kind != "route",
                   Track.patrol_uuid.in_(select(chosen.c.uuid)))
            .group_by(Track.patrol_uuid, Track.leg_uuid)).all()
        observations = s.execute(
            select(Observation.patrol_uuid, Observation.category, func.count())
            .where(Observation.deleted.is_(False),
                   Observation.patrol_uuid.in_(select(chosen.c.uuid)))
            .group_by(Observation.patrol_uuid, Observation.category)).all()

    crew: dict[str, list[str]] = defaultdict(list)
    for leg_uuid, person in members:
        crew[leg_uuid].append(person)
    sums: dict[str, dict[str | None, tuple[float, float | None]]] = defaultdict(dict)
    for patrol_uuid, leg_uuid, length, moving in tracks:
        sums[patrol_uuid][leg_uuid] = (float(length or 0.0),
                                       None if moving is None else float(moving))
    legs_of: dict[str, list[Any]] = defaultdict(list)
    for leg in legs:
        legs_of[leg.patrol_uuid].append(leg)
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for patrol_uuid, category, n in observations:
        seen[patrol_uuid][category] += n

    out: list[PatrolEffort] = []
    keep = None if patrol_uuids is None else frozenset(patrol_uuids)
    for p in patrols:
        if keep is not None and p.uuid not in keep:
            continue  # kept out in Python: an area may hold more patrols than SQL parameters
        month = local_month(p.start_at, p.tz)
        if (first is not None and month < first) or (last is not None and month > last):
            continue
        per_leg = sums.get(p.uuid, {})
        leg_inputs = []
        for leg in legs_of[p.uuid]:
            length, moving = per_leg.get(leg.uuid, (0.0, None))
            leg_inputs.append(LegInput(leg.start_at, leg.end_at, tuple(crew[leg.uuid]),
                                       length, moving))
        own = {leg.uuid for leg in legs_of[p.uuid]}
        loose_length, loose_moving = 0.0, None
        for leg_uuid, (length, moving) in per_leg.items():
            if leg_uuid not in own:
                loose_length += length
                if moving is not None:
                    loose_moving = (loose_moving or 0.0) + moving
        out.append(_figures(
            start=p.start_at, end=p.end_at, tz=p.tz, legs=leg_inputs,
            loose_length_m=loose_length, loose_moving_s=loose_moving,
            observations=seen[p.uuid], uuid=p.uuid, station_uuid=p.station_uuid))
    out.sort(key=lambda e: (e.month or Month(0, 1), e.uuid or ""))
    return out


def _labels(db: Database, group_by: GroupBy, keys: set[str]) -> dict[str, str]:
    if group_by == "all" or not keys:
        return {}
    with db.session() as s:
        if group_by == "ranger":
            return {uuid: name for uuid, name in s.execute(
                select(Person.uuid, Person.name).where(Person.uuid.in_(keys)))}
        return {uuid: f"{code} · {name}" for uuid, code, name in s.execute(
            select(Station.uuid, Station.code, Station.name).where(Station.uuid.in_(keys)))}


def effort_summary(db: Database, group_by: GroupBy = "station", first: Month | None = None,
                   last: Month | None = None, *, station_uuid: str | None = None,
                   statuses: Collection[str] | None = None,
                   per_month: bool = True,
                   patrol_uuids: Collection[str] | None = None) -> list[EffortRow]:
    """Effort per group and month (or over the whole range when `per_month` is false).

    `group_by`: "station" (each patrol in its station's row), "ranger" (each patrol in the
    row of every member; see the module docstring for what a ranger's row holds) or "all".
    `first`/`last` bound the local month of the patrols' start (None: unbounded);
    `statuses` keeps only patrols in those review statuses (None: every status);
    `patrol_uuids` only those patrols, whole (None: every patrol), e.g. the patrols through a
    forest quarter (`reports.area_filter.patrols_through`). Rows come sorted by period, then
    label.
    """
    efforts = patrol_efforts(db, first, last, station_uuid=station_uuid, statuses=statuses,
                             patrol_uuids=patrol_uuids)
    span_first = first or min((e.month for e in efforts if e.month), default=Month(1970, 1))
    span_last = last or max((e.month for e in efforts if e.month), default=span_first)

    groups: dict[tuple[Month, Month, str], list[PatrolEffort]] = defaultdict(list)
    own: dict[tuple[Month, Month, str], list[PersonEffort]] = defaultdict(list)
    for e in efforts:
        month = e.month or span_first
        period = (month, month) if per_month else (span_first, span_last)
        if group_by == "ranger":
            for person in e.members:
                groups[(*period, person.person_uuid)].append(e)
                own[(*period, person.person_uuid)].append(person)
        else:
            key = (e.station_uuid or "") if group_by == "station" else ""
            groups[(*period, key)].append(e)

    names = _labels(db, group_by, {k for _f, _l, k in groups if k})
    rows: list[EffortRow] = []
    for (p_first, p_last, key), patrols in groups.items():
        total = _add(patrols)
        if group_by == "ranger":
            share = own[(p_first, p_last, key)]
            total["person_days"] = sum(p.days for p in share)
            total["person_field_hours"] = sum(p.field_hours for p in share)
        rows.append(EffortRow(**total, first=p_first, last=p_last, group=group_by, key=key,
                              label=names.get(key, key)))
    rows.sort(key=lambda r: (r.first, r.last, r.label.casefold(), r.key))
    return rows


def patrol_month_range(db: Database) -> tuple[Month, Month] | None:
    """The local months of the first and the last live patrol (None without patrols)."""
    with db.session() as s:
        base = select(Patrol.start_at, Patrol.tz).where(Patrol.deleted.is_(False),
                                                        Patrol.start_at.is_not(None))
        first = s.execute(base.order_by(Patrol.start_at.asc()).limit(1)).first()
        last = s.execute(base.order_by(Patrol.start_at.desc()).limit(1)).first()
    if first is None or last is None:
        return None
    return local_month(first.start_at, first.tz), local_month(last.start_at, last.tz)


# --- coverage -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Grid:
    """Square cells of `cell_m` metres over `area`, on Lambert's cylindrical equal-area
    projection with its standard parallel through the area's centre.

    x = R · (lon − lon0) · cos(lat0); y = R · (sin lat − sin lat0) / cos(lat0), in metres; the
    grid's origin is the area's south-west corner; column 0 is the westmost, row 0 the
    southmost. Cells cut by the north and east edges are whole cells of the grid, but only
    positions inside the area count.
    """

    area: BBox
    cell_m: float = DEFAULT_CELL_M
    lat0: float = field(init=False)
    lon0: float = field(init=False)
    width: float = field(init=False)  # of the area, in cells (the last column may be partial)
    height: float = field(init=False)  # likewise, in cells
    cols: int = field(init=False)
    rows: int = field(init=False)

    def __post_init__(self) -> None:
        a = self.area
        if not (a.south < a.north and a.west < a.east) or self.cell_m <= 0:
            raise ValueError("coverage needs a non-empty area and a positive cell size")
        object.__setattr__(self, "lat0", (a.south + a.north) / 2)
        object.__setattr__(self, "lon0", (a.west + a.east) / 2)
        x0, y0 = self.project(a.south, a.west)
        x1, y1 = self.project(a.north, a.east)
        object.__setattr__(self, "width", (x1 - x0) / self.cell_m)
        object.__setattr__(self, "height", (y1 - y0) / self.cell_m)
        object.__setattr__(self, "cols", max(1, math.ceil(self.width - 1e-9)))
        object.__setattr__(self, "rows", max(1, math.ceil(self.height - 1e-9)))

    @property
    def cells(self) -> int:
        return self.cols * self.rows

    def project(self, lat: float, lon: float) -> tuple[float, float]:
        """Metres east and north of the projection's centre (equal-area)."""
        c = math.cos(math.radians(self.lat0))
        x = EARTH_RADIUS_M * math.radians(lon - self.lon0) * c
        y = EARTH_RADIUS_M * (math.sin(math.radians(lat)) - math.sin(math.radians(self.lat0))) / c
        return x, y

    def _units(self, lat: float, lon: float) -> tuple[float, float]:
        """Position in cell units from the south-west corner."""
        x, y = self.project(lat, lon)
        x0, y0 = self.project(self.area.south, self.area.west)
        return (x - x0) / self.cell_m, (y - y0) / self.cell_m

    def cell_of(self, lat: float, lon: float) -> tuple[int, int] | None:
        """(column, row) of a position, or None outside the area."""
        return self._cell_units(*self._units(lat, lon))

    def cells_along(self, points: Sequence[TrackPoint]) -> set[tuple[int, int]]:
        """Cells a track visits: its good points' cells and the cells each straight line
        between consecutive good points crosses (points flagged too fast are skipped)."""
        good = [self._units(p.lat, p.lon) for p in points if not p.too_fast]
        out: set[tuple[int, int]] = set()
        if len(good) == 1:
            cell = self._cell_units(*good[0])
            if cell is not None:
                out.add(cell)
        for (u0, v0), (u1, v1) in pairwise(good):
            self._traverse(u0, v0, u1, v1, out)
        return out

    def _cell_units(self, u: float, v: float) -> tuple[int, int] | None:
        if not (0 <= u <= self.width and 0 <= v <= self.height):
            return None
        return min(int(u), self.cols - 1), min(int(v), self.rows - 1)

    def _traverse(self, u0: float, v0: float, u1: float, v1: float,
                  out: set[tuple[int, int]]) -> None:
        clipped = _clip(u0, v0, u1, v1, self.width, self.height)
        if clipped is None:
            return
        u0, v0, u1, v1 = clipped
        top_u, top_v = self.cols - 1e-9, self.rows - 1e-9
        u0, u1 = min(max(u0, 0.0), top_u), min(max(u1, 0.0), top_u)
        v0, v1 = min(max(v0, 0.0), top_v), min(max(v1, 0.0), top_v)
        cu, cv, eu, ev = int(u0), int(v0), int(u1), int(v1)
        du, dv = u1 - u0, v1 - v0
        step_u, step_v = (1 if du > 0 else -1), (1 if dv > 0 else -1)
        t_du = abs(1 / du) if du else math.inf
        t_dv = abs(1 / dv) if dv else math.inf
        t_u = ((cu + (du > 0)) - u0) / du if du else math.inf
        t_v = ((cv + (dv > 0)) - v0) / dv if dv else math.inf
        out.add((cu, cv))
        for _ in range(abs(eu - cu) + abs(ev - cv)):
            if t_u < t_v:
                cu += step_u
                t_u += t_du
            else:
                cv += step_v
                t_v += t_dv
            out.add((cu, cv))


def _clip(u0: float, v0: float, u1: float, v1: float, width: float,
          height: float) -> tuple[float, float, float, float] | None:
    """Liang–Barsky: the part of a segment inside [0, width] × [0, height], or None."""
    t0, t1 = 0.0, 1.0
    du, dv = u1 - u0, v1 - v0
    for p, q in ((-du, u0), (du, width - u0), (-dv, v0), (dv, height - v0)):
        if p == 0:
            if q < 0:
                return None
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return None
    return u0 + t0 * du, v0 + t0 * dv, u0 + t1 * du, v0 + t1 * dv


@dataclass(frozen=True)
class CoverageRow:
    """The cells of a grid crossed by patrol tracks in one period."""

    first: Month
    last: Month
    cells_total: int
    visited: frozenset[tuple[int, int]]  # (column, row) of each visited cell
    patrols: int  # patrols of the period with at least one track point in the area

    @property
    def cells_visited(self) -> int:
        return len(self.visited)

    @property
    def share(self) -> float:
        """Visited cells ÷ all cells of the grid (0 to 1)."""
        return self.cells_visited / self.cells_total if self.cells_total else 0.0


def coverage(db: Database, area: BBox, first: Month, last: Month, *,
             cell_m: float = DEFAULT_CELL_M, station_uuid: str | None = None,
             statuses: Collection[str] | None = None, per_month: bool = True,
             cancelled: Callable[[], bool] | None = None) -> list[CoverageRow]:
    """Share of `area`'s grid cells visited by patrol tracks, per month or for the range.

    The only effort figure that unpacks track points; tracks are read in batches. A patrol
    belongs to the local month of its start, as in `effort_summary`.
    """
    grid = Grid(area, cell_m)
    periods = [(m, m) for m in months(first, last)] if per_month else [(first, last)]
    visited: dict[tuple[Month, Month], set[tuple[int, int]]] = {p: set() for p in periods}
    patrols: dict[tuple[Month, Month], set[str]] = {p: set() for p in periods}
    chosen = _patrol_query(first, last, station_uuid, statuses).subquery()
    query = (select(Track.points, Patrol.uuid, Patrol.start_at, Patrol.tz)
             .join(Patrol, Patrol.uuid == Track.patrol_uuid)
             .where(Track.deleted.is_(False), Track.kind != "route",
                    Patrol.uuid.in_(select(chosen.c.uuid))))
    with db.session() as s:
        for blob, patrol_uuid, start_at, tz in s.execute(query).yield_per(200):
            if cancelled is not None and cancelled():
                break
            month = local_month(start_at, tz)
            if not first <= month <= last:
                continue
            period = (month, month) if per_month else (first, last)
            cells = grid.cells_along(unpack_points(blob))
            if cells:
                visited[period] |= cells
                patrols[period].add(patrol_uuid)
    return [CoverageRow(f, la, grid.cells, frozenset(visited[(f, la)]), len(patrols[(f, la)]))
            for f, la in periods]


__all__ = [
    "DEFAULT_CELL_M", "FIGURES", "RANGER_ROWS_NOTE", "REPORT_CATEGORIES", "REST_SPEED_MS",
    "CoverageRow", "EffortRow", "Figure", "Figures", "Grid", "LegInput", "Month",
    "PatrolEffort", "PersonEffort", "coverage", "effort_summary", "local_days",
    "local_month", "months", "patrol_effort", "patrol_efforts", "patrol_month_range",
]
