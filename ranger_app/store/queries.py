"""Read-only queries the UI and the CLI use; each returns plain frozen rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from ranger_app.domain.records import (
    PatrolFilter,
    PatrolRow,
    PersonValue,
    StationValue,
)
from ranger_app.store.db import Database
from ranger_app.store.models import SYNCED_MODELS, Change, Patrol, Person, Station

PAGE_SIZE = 200

# Sort keys the patrol list offers: column name -> SQL expression (never NULL, so keyset
# comparisons work).
_SORTS: dict[str, Any] = {
    "start_at": Patrol.start_at,  # required by validation, so never NULL; uses the index
    "number": Patrol.number,
    "status": Patrol.status,
    "patrol_type": Patrol.patrol_type,
    "leader_name": Patrol.leader_name,
    "distance_km": Patrol.distance_m,
    "observation_count": Patrol.observation_count,
    "station_code": func.coalesce(Station.code, ""),
}


def stations(db: Database) -> list[StationValue]:
    with db.session() as s:
        return [
            StationValue(r.uuid, r.code, r.name, r.country, r.tz, r.is_hq)
            for r in s.scalars(select(Station).where(Station.deleted.is_(False))
                               .order_by(Station.code))
        ]


def people(db: Database, station_uuid: str | None = None) -> list[PersonValue]:
    with db.session() as s:
        q = select(Person).where(Person.deleted.is_(False), Person.active.is_(True))
        if station_uuid:
            q = q.where(Person.station_uuid == station_uuid)
        return [
            PersonValue(p.uuid, p.name, p.station_uuid, tuple(filter(None, p.roles.split("|"))))
            for p in s.scalars(q.order_by(Person.name))
        ]


def filtered_patrols(query: Select[Any], f: PatrolFilter) -> Select[Any]:
    """`query` narrowed to the live patrols the list filter shows."""
    return _filtered(query, f)


def _filtered(query: Select[Any], f: PatrolFilter) -> Select[Any]:
    query = query.where(Patrol.deleted.is_(False))
    if f.date_from:
        query = query.where(Patrol.start_at >= f.date_from)
    if f.date_to:
        query = query.where(Patrol.start_at < f.date_to)
    if f.station_uuid:
        query = query.where(Patrol.station_uuid == f.station_uuid)
    if f.status:
        query = query.where(Patrol.status == f.status)
    if f.text:
        like = f"%{f.text}%"
        query = query.where(or_(Patrol.number.like(like), Patrol.leader_name.like(like),
                                Patrol.notes.like(like)))
    if f.patrol_uuids is not None:
        # inline literals: a drawn area may hold more patrols than SQLite allows parameters
        query = query.where(Patrol.uuid.in_(bindparam(
            "patrol_uuids", sorted(f.patrol_uuids), expanding=True, literal_execute=True)))
    return query


def count_patrols(session: Session, f: PatrolFilter) -> int:
    return int(session.scalar(_filtered(select(func.count(Patrol.uuid)), f)) or 0)


@dataclass(frozen=True)
class PageCursor:
    """Where the previous page ended: its last sort value and id (keyset paging)."""

    sort_value: Any
    uuid: str


def page_patrols(session: Session, f: PatrolFilter, sort: str = "start_at",
                 descending: bool = True, *, after: PageCursor | None = None,
                 offset: int = 0, limit: int = PAGE_SIZE) -> list[tuple[PatrolRow, PageCursor]]:
    """One page of the patrol list, continuing after `after` or else skipping `offset` rows."""
    key = _SORTS[sort]
    query = _filtered(
        select(Patrol.uuid, Patrol.number, Station.code, Patrol.start_at, Patrol.end_at,
               Patrol.tz, Patrol.patrol_type, Patrol.status, Patrol.leader_name,
               Patrol.distance_m, Patrol.observation_count, key.label("sort_key"))
        .outerjoin(Station, Station.uuid == Patrol.station_uuid),
        f,
    )
    if after is not None:
        if descending:
            query = query.where(or_(key < after.sort_value,
                                    and_(key == after.sort_value, Patrol.uuid < after.uuid)))
        else:
            query = query.where(or_(key > after.sort_value,
                                    and_(key == after.sort_value, Patrol.uuid > after.uuid)))
    else:
        query = query.offset(offset)
    order = (key.desc(), Patrol.uuid.desc()) if descending else (key.asc(), Patrol.uuid.asc())
    rows = session.execute(query.order_by(*order).limit(limit)).all()
    return [
        (
            PatrolRow(r.uuid, r.number, r.code or "", r.start_at, r.end_at, r.tz,
                      r.patrol_type, r.status, r.leader_name, r.distance_m / 1000,
                      r.observation_count),
            PageCursor(r.sort_key, r.uuid),
        )
        for r in rows
    ]


def record_counts(db: Database) -> dict[str, Any]:
    """Counts per record type (live rows), per patrol status, and of the change log."""
    with db.session() as s:
        counts: dict[str, Any] = {}
        for name, model in SYNCED_MODELS.items():
            counts[name] = int(s.scalar(
                select(func.count()).select_from(model).where(model.deleted.is_(False))  # type: ignore[attr-defined]
            ) or 0)
        status = dict(s.execute(
            select(Patrol.status, func.count()).where(Patrol.deleted.is_(False))
            .group_by(Patrol.status)).all())
        track_points = s.scalar(select(func.coalesce(func.sum(
            SYNCED_MODELS["track"].point_count), 0)))  # type: ignore[attr-defined]
        return {
            "records": counts,
            "patrol_status": status,
            "track_points": int(track_points or 0),
            "changes": int(s.scalar(select(func.count()).select_from(Change)) or 0),
        }


class PatrolListSource:
    """The patrol list's data, page by page; keeps one read session per call."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def count(self, f: PatrolFilter) -> int:
        with self.db.session() as s:
            return count_patrols(s, f)

    def page(self, f: PatrolFilter, sort: str, descending: bool, *,
             after: PageCursor | None = None, offset: int = 0,
             limit: int = PAGE_SIZE) -> list[tuple[PatrolRow, PageCursor]]:
        with self.db.session() as s:
            return page_patrols(s, f, sort, descending, after=after, offset=offset, limit=limit)
