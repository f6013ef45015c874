"""A record's history, read from the change log (the audit trail of design §4).

Each change row says who (`user`), on which device, when (`updated_at` of its payload, the
HLC otherwise), from which revision (`base_rev` → `new_rev`) and, compared with the
previous payload of the same record, which fields changed. For a patrol the history also
covers its legs, team, tracks, observations, photos and review steps; `revisions` lists the
patrol's own payloads revision by revision, for a side-by-side view.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ranger_app.domain.hlc import Timestamp
from ranger_app.store.db import Database
from ranger_app.store.models import (
    Attachment,
    Change,
    LegMember,
    Observation,
    PatrolLeg,
    PatrolReview,
    Person,
    Track,
)
from ranger_app.store.review import ReviewStep, review_steps
from ranger_app.store.sync_tables import SyncPeer

# Fields that describe the change itself rather than the record.
QUIET_FIELDS = frozenset({"uuid", "created_at", "created_by", "updated_at", "updated_by"})


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any  # payload values: JSON scalars, "…Z" times, "base64:…" bytes
    new: Any


@dataclass(frozen=True)
class HistoryEntry:
    entity: str
    entity_uuid: str
    op: str  # insert | update | delete | merge
    base_rev: int
    new_rev: int
    at: datetime | None
    by_person: str
    by_name: str
    device: str
    device_label: str  # a station code when known
    this_device: bool
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class Revision:
    """The patrol's own values at one revision."""

    rev: int
    at: datetime | None
    by_name: str
    values: dict[str, Any]


@dataclass(frozen=True)
class RecordHistory:
    entity: str
    uuid: str
    entries: list[HistoryEntry]
    revisions: list[Revision]
    steps: list[ReviewStep]


def parse_time(value: Any) -> datetime | None:
    """A payload time ("2025-02-10T00:30:00.000000Z") as an aware datetime."""
    if not isinstance(value, str) or not value.endswith("Z"):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def _hlc_time(hlc: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(Timestamp.decode(hlc).wall_ms / 1000, UTC)
    except (ValueError, OSError):
        return None


def _related(session: Session, patrol_uuid: str) -> list[tuple[str, str]]:
    """(entity, uuid) of the patrol and everything that belongs to it, tombstones included."""
    found = [("patrol", patrol_uuid)]
    legs = list(session.scalars(select(PatrolLeg.uuid).where(
        PatrolLeg.patrol_uuid == patrol_uuid)))
    found += [("patrol_leg", u) for u in legs]
    if legs:
        found += [("leg_member", u) for u in session.scalars(select(LegMember.uuid).where(
            LegMember.leg_uuid.in_(legs)))]
    found += [("track", u) for u in session.scalars(select(Track.uuid).where(
        Track.patrol_uuid == patrol_uuid))]
    obs = list(session.scalars(select(Observation.uuid).where(
        Observation.patrol_uuid == patrol_uuid)))
    found += [("observation", u) for u in obs]
    found += [("attachment", u) for u in session.scalars(select(Attachment.uuid).where(
        Attachment.owner_uuid.in_([patrol_uuid, *obs])))]
    found += [("patrol_review", u) for u in session.scalars(select(PatrolReview.uuid).where(
        PatrolReview.patrol_uuid == patrol_uuid))]
    return found


def _changes(session: Session, keys: list[tuple[str, str]]) -> list[Change]:
    uuids = [u for _e, u in keys]
    wanted = set(keys)
    rows: list[Change] = []
    for i in range(0, len(uuids), 500):
        rows += session.scalars(select(Change).where(Change.entity_uuid.in_(uuids[i:i + 500])))
    rows = [c for c in rows if (c.entity, c.entity_uuid) in wanted]
    rows.sort(key=lambda c: (c.hlc, c.new_rev, c.device, c.epoch, c.seq))
    return rows


def _diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[FieldChange, ...]:
    names = sorted(set(before) | set(after))
    return tuple(FieldChange(n, before.get(n), after.get(n)) for n in names
                 if n not in QUIET_FIELDS and before.get(n) != after.get(n))


def _history(session: Session, db: Database, entity: str, uuid: str,
             keys: list[tuple[str, str]]) -> tuple[list[HistoryEntry], list[Revision]]:
    names = {p.uuid: p.name for p in session.scalars(select(Person))}
    stations = {p.device: p.station_code for p in session.scalars(select(SyncPeer))
                if p.device}
    here = db.installation().device
    last: dict[tuple[str, str], dict[str, Any]] = {}
    entries: list[HistoryEntry] = []
    revisions: list[Revision] = []
    for c in _changes(session, keys):
        payload = json.loads(c.payload)
        key = (c.entity, c.entity_uuid)
        at = parse_time(payload.get("updated_at")) or _hlc_time(c.hlc)
        by = c.user or payload.get("updated_by", "")
        entries.append(HistoryEntry(
            c.entity, c.entity_uuid, c.op, c.base_rev, c.new_rev, at, by, names.get(by, by),
            c.device, stations.get(c.device, ""), c.device == here,
            _diff(last.get(key, {}), payload)))
        last[key] = payload
        if key == (entity, uuid):
            revisions.append(Revision(c.new_rev, at, names.get(by, by), payload))
    return entries, revisions


def patrol_history(db: Database, patrol_uuid: str) -> RecordHistory:
    """Every change of the patrol and its parts, oldest first, with its review steps."""
    with db.session() as s:
        keys = _related(s, patrol_uuid)
        entries, revisions = _history(s, db, "patrol", patrol_uuid, keys)
    return RecordHistory("patrol", patrol_uuid, entries, revisions,
                         review_steps(db, patrol_uuid))


def record_history(db: Database, entity: str, uuid: str) -> RecordHistory:
    """The history of one record of any type."""
    if entity == "patrol":
        return patrol_history(db, uuid)
    with db.session() as s:
        entries, revisions = _history(s, db, entity, uuid, [(entity, uuid)])
    return RecordHistory(entity, uuid, entries, revisions, [])
