"""Settling a conflict: the inspector's choice becomes an ordinary, signed-in-the-chain change.

`conflicts.open_conflicts` lists the queue as the merge left it (values and change ids);
an inspector needs more to choose: which record, who made each value, when, at which
station. `conflict_details` adds that, read-only.

`resolve_conflict` writes the chosen value through the normal write path (`db.writer()` and
the ORM), so the change log records it like any edit — with the inspector as its user, on
this device's chain — and it travels to every other site in the next bundle. Choosing the
value the record already holds is still written as a change: the decision itself is what
the audit trail and the other sites need to see. The conflict rows of that field are then
marked `resolved`; a later import refolds the record but keeps resolved rows resolved
(`importer._refold`), so the same disagreement is not raised again here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, Float, Integer, LargeBinary, inspect, select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from ranger_app.domain.errors import InvalidValue, Refused
from ranger_app.domain.hlc import Timestamp
from ranger_app.i18n import _
from ranger_app.i18n.messages import _DESCRIBE
from ranger_app.store.changes import encode_value
from ranger_app.store.db import Database
from ranger_app.store.models import SYNCED_MODELS, Change, Person, Station
from ranger_app.store.sync_tables import SyncConflict
from ranger_app.store.types import UtcDateTime
from ranger_app.sync import trust
from ranger_app.sync.conflicts import open_conflicts
from ranger_app.sync.rows import decoders

_LABEL_FIELDS = ("number", "code", "name", "login", "locality")
_TRUE = {"1", "true", "yes", "y", "да", "是"}
_FALSE = {"0", "false", "no", "n", "нет", "否"}


@dataclass
class ConflictNotOpen(Refused):
    """Someone resolved it meanwhile (another window), or an import replaced it."""

    conflict_id: str


_DESCRIBE[ConflictNotOpen] = lambda x: _(
    "This conflict is no longer open: it was resolved meanwhile or changed by an import. "
    "The list has been refreshed.")


@dataclass(frozen=True)
class Side:
    """One of the two values, and where it came from."""

    value: Any  # as in the change payload (JSON: datetimes are `…Z` text)
    change: str  # device:epoch:seq, "" when the merge had no single author for it
    person: str  # the author's name, or their id when the person is not known here
    at: datetime | None  # when the change was made (its hybrid clock's wall time, UTC)
    device: str
    station: str  # station code of the device, or of the author, when known


@dataclass(frozen=True)
class ConflictDetail:
    id: str
    entity: str
    entity_uuid: str
    record: str  # what a person calls the record: its number, code or name
    field: str
    kind: str  # field | delete | amendment | insert
    base_value: Any
    a: Side
    b: Side
    winner: str  # a | b: what the record holds for now

    @property
    def held(self) -> Any:
        return self.a.value if self.winner == "a" else self.b.value


def _parse_key(key: str) -> tuple[str, int, int] | None:
    try:
        device, epoch, seq = key.rsplit(":", 2)
        return device, int(epoch), int(seq)
    except ValueError:
        return None


def _changes(s: Session, keys: set[str]) -> dict[str, tuple[str, str]]:
    """change key → (user, hlc)."""
    parsed = [k for k in (_parse_key(key) for key in keys) if k]
    out: dict[str, tuple[str, str]] = {}
    for i in range(0, len(parsed), 300):
        for device, epoch, seq, user, hlc in s.execute(
                select(Change.device, Change.epoch, Change.seq, Change.user, Change.hlc)
                .where(tuple_(Change.device, Change.epoch, Change.seq)
                       .in_(parsed[i:i + 300]))):
            out[f"{device}:{epoch}:{seq}"] = (user, hlc)
    return out


def _record_label(s: Session, entity: str, uuid: str) -> str:
    row = s.get(SYNCED_MODELS[entity], uuid)
    for name in _LABEL_FIELDS:
        value = getattr(row, name, None) if row is not None else None
        if value:
            return str(value)
    return uuid[:8]


def _when(hlc: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(Timestamp.decode(hlc).wall_ms / 1000, UTC)
    except (ValueError, OverflowError):
        return None


def conflict_details(db: Database) -> list[ConflictDetail]:
    """The open conflicts with their authors, times and stations, in the queue's order."""
    rows = open_conflicts(db)
    if not rows:
        return []
    local = db.installation()
    devices = {p.device: p.station_code for p in trust.peers(db) if p.device}
    devices[local.device] = trust.local_station(db).code
    with db.session() as s:
        changes = _changes(s, {k for r in rows for k in (r.change_a, r.change_b) if k})
        users = {u for u, _h in changes.values()}
        people = {uuid: (name, code) for uuid, name, code in s.execute(
            select(Person.uuid, Person.name, Station.code)
            .join(Station, Station.uuid == Person.station_uuid, isouter=True)
            .where(Person.uuid.in_(users)))}
        labels = {(r.entity, r.entity_uuid): _record_label(s, r.entity, r.entity_uuid)
                  for r in rows}

    def side(value: Any, key: str) -> Side:
        user, hlc = changes.get(key, ("", ""))
        parsed = _parse_key(key)
        device = parsed[0] if parsed else ""
        name, code = people.get(user, (user, ""))
        return Side(value, key, name or "", _when(hlc) if hlc else None, device,
                    devices.get(device) or code or "")

    return [ConflictDetail(r.id, r.entity, r.entity_uuid, labels[(r.entity, r.entity_uuid)],
                           r.field, r.kind, r.base_value, side(r.value_a, r.change_a),
                           side(r.value_b, r.change_b), r.winner) for r in rows]


# --- typed values ----------------------------------------------------------------------------

def field_kind(entity: str, field: str) -> str:
    """text | number | integer | flag | time | binary: what an inspector may type."""
    try:
        col = inspect(SYNCED_MODELS[entity]).columns[field].type
    except KeyError:
        raise InvalidValue(field, "") from None
    for cls, kind in ((UtcDateTime, "time"), (LargeBinary, "binary"), (Boolean, "flag"),
                      (Float, "number"), (Integer, "integer")):
        if isinstance(col, cls):
            return kind
    return "text"


def parse_value(entity: str, field: str, text: str) -> Any:
    """What an inspector typed → the value as a change payload holds it.

    Numbers accept a decimal comma (Russian keyboards) and spaces between thousands; flags
    yes/no in any of our languages; a time as `YYYY-MM-DD HH:MM`, read as UTC. Empty means
    "no value" (an empty text for text fields).
    """
    kind = field_kind(entity, field)
    raw = text.strip()
    compact = raw.replace("\u00a0", "").replace(" ", "")
    try:
        if kind == "binary":
            raise ValueError("binary")
        if kind == "flag":
            word = raw.casefold()
            if word not in _TRUE | _FALSE:
                raise ValueError("flag")
            return word in _TRUE
        if not raw:
            return "" if kind == "text" else None
        if kind == "number":
            return float(compact.replace(",", "."))
        if kind == "integer":
            return int(compact)
        if kind == "time":
            when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            return encode_value(when.replace(tzinfo=UTC) if when.tzinfo is None else when)
    except ValueError:
        raise InvalidValue(field, raw) from None
    return raw


# --- resolving -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Resolved:
    """The change the decision became, and how many conflict rows it settled."""

    entity: str
    entity_uuid: str
    field: str
    value: Any
    change: str  # device:epoch:seq of the new change
    settled: int


def resolve_conflict(db: Database, conflict_id: str, value: Any,
                     user: str | None = None) -> Resolved:
    """Write `value` (payload form) into the conflict's field as a new change; settle it.

    Every open conflict on the same record and field is settled with it: an inspector
    decides what the field holds, not which of several pairs of values won.
    """
    with db.writer(user) as s:
        row = s.get(SyncConflict, conflict_id)
        if row is None or row.status != "open":
            raise ConflictNotOpen(conflict_id)
        entity, uuid, field = row.entity, row.entity_uuid, row.field
        decode = dict(decoders(entity)).get(field)
        if decode is None:
            raise InvalidValue(field, json.dumps(value, ensure_ascii=False))
        try:
            decoded = decode(value)
        except ValueError:
            raise InvalidValue(field, json.dumps(value, ensure_ascii=False)) from None
        record = s.get(SYNCED_MODELS[entity], uuid)
        if record is None:
            raise ConflictNotOpen(conflict_id)
        setattr(record, field, decoded)
        flag_modified(record, field)  # the same value again is still a recorded decision
        settled = list(s.scalars(select(SyncConflict).where(
            SyncConflict.entity == entity, SyncConflict.entity_uuid == uuid,
            SyncConflict.field == field, SyncConflict.status == "open")))
        for c in settled:
            c.status = "resolved"
        s.flush()
        change = s.scalars(select(Change).where(
            Change.entity == entity, Change.entity_uuid == uuid)
            .order_by(Change.id.desc()).limit(1)).one()
        return Resolved(entity, uuid, field, value,
                        f"{change.device}:{change.epoch}:{change.seq}", len(settled))
