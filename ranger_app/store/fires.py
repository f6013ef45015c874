"""Loading and saving a whole fire report (status timeline, photos) at once; FIRMS hotspots.

`save_fire` diffs the edited value against the rows the way `store.patrols` does: new steps
and attachments are inserted, changed ones updated, removed ones tombstoned; the change log
records each (a `before_flush` hook), all in one transaction. Hotspots from a FIRMS file are
written in one transaction too, through the bulk writer, or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select

from ranger_app.domain.errors import RecordNotFound
from ranger_app.domain.fires import (
    FireFilter,
    FireListRow,
    FireReportValue,
    FireStatusStepValue,
    FireWindow,
    HotspotValue,
    validate_fire,
)
from ranger_app.domain.ids import new_id
from ranger_app.store.db import Database
from ranger_app.store.models import (
    Attachment,
    FireReport,
    FireStatusStep,
    FirmsHotspot,
    Patrol,
)
from ranger_app.store.rows import (
    assign_changed,
    live_rows,
    photo_value,
    save_attachments,
    tombstone_missing,
)

ENTITY = "fire_report"

# FireReport columns that map one to one onto FireReportValue fields.
_PLAIN = (
    "station_uuid", "number", "official_number", "report_kind", "detected_at", "start_est_at",
    "tz", "lat", "lon", "locality", "forest_district", "quarter", "land_category", "fire_type",
    "intensity", "cause", "detection_source", "detected_by", "fire_status", "area_total_ha",
    "area_forest_ha", "area_nonforest_ha", "area_at_detection_ha", "people", "vehicles",
    "aircraft", "pumps", "wind_ms", "wind_dir_deg", "temp_c", "humidity_pct", "fuel_type",
    "wildlife_threat_note", "perimeter_area_ha", "patrol_uuid", "notes", "notes_lang",
)


def _ring_from_json(text: str) -> list[tuple[float, float]]:
    if not text:
        return []
    try:
        return [(float(p[0]), float(p[1])) for p in json.loads(text)]
    except (ValueError, TypeError, IndexError):
        return []  # a damaged perimeter must not make the report unreadable


def _ring_to_json(ring: Sequence[tuple[float, float]]) -> str:
    return json.dumps([[round(lat, 7), round(lon, 7)] for lat, lon in ring]) if ring else ""


# --- one report -------------------------------------------------------------------------------

def load_fire(db: Database, uuid: str) -> FireReportValue:
    with db.session() as s:
        f = s.get(FireReport, uuid)
        if f is None or f.deleted:
            raise RecordNotFound("fire_report", uuid)
        steps = live_rows(s, FireStatusStep, FireStatusStep.fire_uuid == uuid)
        steps.sort(key=lambda x: (x.at is None, x.at or datetime.min.replace(tzinfo=UTC),
                                  x.uuid))
        atts = sorted(live_rows(s, Attachment, Attachment.owner_uuid == uuid), key=lambda a: a.uuid)
        return FireReportValue(
            **{name: getattr(f, name) for name in _PLAIN},
            perimeter=_ring_from_json(f.perimeter),
            steps=[FireStatusStepValue(x.fire_status, x.at, x.area_ha, x.note, x.uuid)
                   for x in steps],
            attachments=[photo_value(a) for a in atts],
            uuid=f.uuid, rev=f.rev,
        )


def save_fire(db: Database, fire: FireReportValue, user: str | None = None) -> FireReportValue:
    """Validate and write the whole report; fills in the ids of new parts and returns it."""
    validate_fire(fire)  # steps in the order entered: a step out of time order is refused
    if fire.steps:
        fire.fire_status = fire.steps[-1].fire_status
    with db.writer(user) as s, s.no_autoflush:  # one flush at the end: one change per row
        row = s.get(FireReport, fire.uuid) if fire.uuid else None
        if row is None:
            row = FireReport(uuid=fire.uuid or new_id())
            s.add(row)
        values: dict[str, Any] = {name: getattr(fire, name) for name in _PLAIN}
        values["perimeter"] = _ring_to_json(fire.perimeter)
        assign_changed(row, values)
        s.flush()
        fire.uuid = row.uuid

        live = tombstone_missing(live_rows(s, FireStatusStep, FireStatusStep.fire_uuid == row.uuid),
                              {x.uuid for x in fire.steps if x.uuid})
        for step in fire.steps:
            svalues = dict(fire_uuid=row.uuid, fire_status=step.fire_status, at=step.at,
                           area_ha=step.area_ha, note=step.note)
            srow = live.get(step.uuid or "")
            if srow is None:
                srow = FireStatusStep(uuid=step.uuid or new_id(), **svalues)
                s.add(srow)
                step.uuid = srow.uuid
            else:
                assign_changed(srow, svalues)
        save_attachments(s, ENTITY, row.uuid, fire.attachments)
        s.flush()
        fire.rev = row.rev
    return fire


def delete_fire(db: Database, uuid: str, user: str | None = None) -> None:
    """Tombstone a report with its steps and attachments (synced rows are never removed)."""
    with db.writer(user) as s:
        row = s.get(FireReport, uuid)
        if row is None or row.deleted:
            raise RecordNotFound("fire_report", uuid)
        row.deleted = True
        for child in (live_rows(s, FireStatusStep, FireStatusStep.fire_uuid == uuid)
                      + live_rows(s, Attachment, Attachment.owner_uuid == uuid)):
            child.deleted = True
        for spot in s.scalars(select(FirmsHotspot).where(FirmsHotspot.matched_fire_uuid == uuid)):
            spot.matched_fire_uuid = None


# --- the list -----------------------------------------------------------------------------------

def fire_list(db: Database, f: FireFilter = FireFilter(), tz: str = "Asia/Vladivostok",  # noqa: B008
              limit: int = 5000) -> list[FireListRow]:
    """Fire reports, newest first, in a season and/or with a status."""
    with db.session() as s:
        q = select(FireReport).where(FireReport.deleted.is_(False))
        if f.season is not None:
            start, end = f.season.bounds(tz)
            q = q.where(FireReport.detected_at >= start, FireReport.detected_at < end)
        if f.status:
            q = q.where(FireReport.fire_status == f.status)
        q = q.order_by(FireReport.detected_at.desc(), FireReport.uuid).limit(limit)
        reports = list(s.scalars(q))
        counts: dict[str, int] = {}
        if reports:
            counts = dict(s.execute(  # type: ignore[arg-type]
                select(FirmsHotspot.matched_fire_uuid, func.count())
                .where(FirmsHotspot.deleted.is_(False),
                       FirmsHotspot.matched_fire_uuid.in_([r.uuid for r in reports]))
                .group_by(FirmsHotspot.matched_fire_uuid)).all())
        return [
            FireListRow(r.uuid, r.number, r.detected_at, r.tz, r.fire_type, r.fire_status,
                        r.area_total_ha, r.locality, r.forest_district, r.quarter, r.lat, r.lon,
                        tuple(_ring_from_json(r.perimeter)), int(counts.get(r.uuid, 0)))
            for r in reports
        ]


def fire_years(db: Database, tz: str = "Asia/Vladivostok") -> list[int]:
    """Years that have fire reports, newest first (for the season filter)."""
    from zoneinfo import ZoneInfo

    with db.session() as s:
        bounds = s.execute(select(func.min(FireReport.detected_at),
                                  func.max(FireReport.detected_at))
                           .where(FireReport.deleted.is_(False))).one()
    if bounds[0] is None:
        return []
    first = bounds[0].astimezone(ZoneInfo(tz)).year
    last = bounds[1].astimezone(ZoneInfo(tz)).year
    return list(range(last, first - 1, -1))


@dataclass(frozen=True)
class PatrolChoice:
    uuid: str
    number: str
    start_at: datetime | None
    tz: str
    leader_name: str


def patrol_choices(db: Database, around: datetime | None, days: int = 14,
                   include: str | None = None, limit: int = 60) -> list[PatrolChoice]:
    """Patrols a fire report may link to: those nearest in time to `around` (and `include`)."""
    around = around or datetime.now(UTC)
    with db.session() as s:
        q = select(Patrol).where(Patrol.deleted.is_(False))
        window = and_(Patrol.start_at >= around - timedelta(days=days),
                      Patrol.start_at <= around + timedelta(days=days))
        q = q.where(or_(Patrol.uuid == include, window) if include else window)
        rows = list(s.scalars(q.order_by(Patrol.start_at.desc()).limit(limit * 4)))
    rows.sort(key=lambda p: (p.uuid != include,
                             abs((p.start_at - around).total_seconds()) if p.start_at else 1e12))
    return [PatrolChoice(p.uuid, p.number, p.start_at, p.tz, p.leader_name)
            for p in rows[:limit]]


# --- hotspots -----------------------------------------------------------------------------------

def fire_windows(db: Database) -> list[FireWindow]:
    """Every live fire with a position, as the window its hotspots may fall into."""
    with db.session() as s:
        fires = list(s.execute(
            select(FireReport.uuid, FireReport.lat, FireReport.lon, FireReport.detected_at)
            .where(FireReport.deleted.is_(False), FireReport.lat.is_not(None),
                   FireReport.lon.is_not(None), FireReport.detected_at.is_not(None))).all())
        last: dict[str, tuple[datetime | None, str]] = {}
        if fires:
            for fire_uuid, status, at in s.execute(
                    select(FireStatusStep.fire_uuid, FireStatusStep.fire_status,
                           FireStatusStep.at)
                    .where(FireStatusStep.deleted.is_(False))
                    .order_by(FireStatusStep.at, FireStatusStep.uuid)).all():
                if at is not None:
                    last[fire_uuid] = (at, status)  # ordered by time: the last one wins
    out = []
    for uuid, lat, lon, detected in fires:
        at, status = last.get(uuid, (None, ""))
        out.append(FireWindow(uuid, lat, lon, detected,
                              at if status == "EXTINGUISHED" else None))
    return out


def _hotspot_key(instrument: str, satellite: str, lat: float, lon: float,
                 at: datetime | None) -> tuple[Any, ...]:
    when = at.astimezone(UTC).replace(tzinfo=None) if at else None
    return instrument, satellite, round(lat, 5), round(lon, 5), when


def known_hotspots(db: Database, hotspots: Iterable[HotspotValue]) -> set[tuple[Any, ...]]:
    """Keys of the given hotspots already stored (a file imported twice adds nothing)."""
    wanted = list(hotspots)
    if not wanted:
        return set()
    first = min(h.acquired_at for h in wanted)
    last = max(h.acquired_at for h in wanted)
    with db.session() as s:
        rows = s.execute(
            select(FirmsHotspot.instrument, FirmsHotspot.satellite, FirmsHotspot.lat,
                   FirmsHotspot.lon, FirmsHotspot.acquired_at)
            .where(FirmsHotspot.deleted.is_(False), FirmsHotspot.acquired_at >= first,
                   FirmsHotspot.acquired_at <= last)).all()
    return {_hotspot_key(*r) for r in rows}


def hotspot_key(h: HotspotValue) -> tuple[Any, ...]:
    return _hotspot_key(h.instrument, h.satellite, h.lat, h.lon, h.acquired_at)


def save_hotspots(db: Database, hotspots: Sequence[HotspotValue],
                  user: str | None = None) -> int:
    """Insert new hotspots in one transaction (with their change rows); returns how many."""
    if not hotspots:
        return 0
    with db.writer(user) as s:
        writer = db.bulk_writer(s)
        rows = []
        for h in hotspots:
            h.uuid = h.uuid or new_id()
            rows.append({
                "uuid": h.uuid, "instrument": h.instrument, "satellite": h.satellite,
                "lat": h.lat, "lon": h.lon, "acquired_at": h.acquired_at,
                "confidence": h.confidence, "frp_mw": h.frp_mw, "brightness_k": h.brightness_k,
                "daynight": h.daynight, "source_file": h.source_file,
                "raw": json.dumps(h.raw, ensure_ascii=False, sort_keys=True),
                "matched_fire_uuid": h.matched_fire_uuid, "checked": h.checked,
            })
        return writer.insert_rows(FirmsHotspot, rows)


def _hotspot_value(r: FirmsHotspot) -> HotspotValue:
    try:
        raw = json.loads(r.raw or "{}")
    except ValueError:
        raw = {}
    when = r.acquired_at or datetime.min.replace(tzinfo=UTC)
    return HotspotValue(r.instrument, r.lat, r.lon, when, r.satellite, r.confidence, r.frp_mw,
                        r.brightness_k, r.daynight, r.source_file, raw, r.matched_fire_uuid,
                        r.checked, r.uuid)


def unmatched_hotspots(db: Database, uuids: Iterable[str] | None = None,
                       include_checked: bool = False, limit: int = 5000) -> list[HotspotValue]:
    """Hotspots no fire report accounts for: a ranger should look at each (newest first)."""
    with db.session() as s:
        q = select(FirmsHotspot).where(FirmsHotspot.deleted.is_(False),
                                       FirmsHotspot.matched_fire_uuid.is_(None))
        if uuids is not None:
            q = q.where(FirmsHotspot.uuid.in_(list(uuids)))
        if not include_checked:
            q = q.where(FirmsHotspot.checked.is_(False))
        q = q.order_by(FirmsHotspot.acquired_at.desc(), FirmsHotspot.uuid).limit(limit)
        return [_hotspot_value(r) for r in s.scalars(q)]


def fire_hotspots(db: Database, fire_uuid: str) -> list[HotspotValue]:
    with db.session() as s:
        q = (select(FirmsHotspot)
             .where(FirmsHotspot.deleted.is_(False), FirmsHotspot.matched_fire_uuid == fire_uuid)
             .order_by(FirmsHotspot.acquired_at, FirmsHotspot.uuid))
        return [_hotspot_value(r) for r in s.scalars(q)]


def count_unchecked_hotspots(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(FirmsHotspot).where(
            FirmsHotspot.deleted.is_(False), FirmsHotspot.matched_fire_uuid.is_(None),
            FirmsHotspot.checked.is_(False))) or 0)


def set_hotspots_checked(db: Database, checked: dict[str, bool],
                         user: str | None = None) -> int:
    """Record which unmatched hotspots a ranger has looked at; returns how many changed."""
    if not checked:
        return 0
    changed = 0
    with db.writer(user) as s:
        for row in s.scalars(select(FirmsHotspot).where(FirmsHotspot.uuid.in_(list(checked)))):
            if row.checked != checked[row.uuid]:
                row.checked = checked[row.uuid]
                changed += 1
    return changed


__all__ = [
    "PatrolChoice", "count_unchecked_hotspots", "delete_fire", "fire_hotspots", "fire_list",
    "fire_windows", "fire_years", "hotspot_key", "known_hotspots", "load_fire",
    "patrol_choices", "save_fire", "save_hotspots", "set_hotspots_checked",
    "unmatched_hotspots",
]
