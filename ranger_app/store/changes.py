"""The change log: one hash-chained row per change, written in the same flush as the change.

Every insert or update of a synced row (`models.Synced`) goes through `record_changes`, a
`before_flush` hook, so no write path can forget it. A session that writes must carry a
`ChangeContext` (device, epoch, user, clock); hard deletes of synced rows are refused (a
tombstone is `deleted = True`). Bulk writers (demo data, imports) use `ChangeWriter.insert_rows`,
which shares the payload and hashing code.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Float, event, insert, inspect, select
from sqlalchemy.orm import Session

from ranger_app.domain.hlc import HybridClock
from ranger_app.domain.ids import new_id
from ranger_app.store.models import Base, Change, Synced

GENESIS = "0" * 64
CONTEXT_KEY = "ranger_change_context"
_CHAIN_KEY = "ranger_chain_state"
# Payloads omit what the change row itself carries.
_NOT_IN_PAYLOAD = frozenset({"rev", "hlc"})


class HardDeleteRefused(RuntimeError):
    """Synced rows are never deleted; set `deleted = True` instead."""


class MissingChangeContext(RuntimeError):
    """A session tried to write synced rows without saying who and on which device."""


@dataclass
class ChangeContext:
    device: str
    epoch: int
    user: str
    clock: HybridClock


# --- canonical form -------------------------------------------------------------------------

def encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, bytes | bytearray | memoryview):
        return "base64:" + base64.b64encode(bytes(value)).decode("ascii")
    return value


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def _column_value(column: Any, value: Any) -> Any:
    """The canonical form of one column's value (a float column always holds floats)."""
    if value is not None and isinstance(column.type, Float):
        value = float(value) + 0.0  # an int becomes a float; -0.0 becomes 0.0, as SQLite keeps it
    return encode_value(value)


def payload_of(obj: Synced) -> dict[str, Any]:
    mapper = inspect(type(obj))
    return {
        attr.key: _column_value(attr.columns[0], getattr(obj, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in _NOT_IN_PAYLOAD
    }


def change_document(change: Change) -> dict[str, Any]:
    """What the chain hash covers: everything about a change except its local row id."""
    return _document(change.device, change.epoch, change.seq, change.hlc, change.entity,
                     change.entity_uuid, change.op, change.base_rev, change.new_rev,
                     json.loads(change.payload), change.user)


def _document(device: str, epoch: int, seq: int, hlc: str, entity: str, uuid: str, op: str,
              base_rev: int, new_rev: int, payload: dict[str, Any], user: str) -> dict[str, Any]:
    return {
        "device": device, "epoch": epoch, "seq": seq, "hlc": hlc, "entity": entity,
        "uuid": uuid, "op": op, "base_rev": base_rev, "new_rev": new_rev,
        "payload": payload, "user": user,
    }


def chain_hash(prev_hash: str, document: dict[str, Any]) -> str:
    h = hashlib.sha256(bytes.fromhex(prev_hash))
    h.update(canonical_json(document).encode("utf-8"))
    return h.hexdigest()


# --- writing --------------------------------------------------------------------------------

_TABLE_ORDER = {t.name: i for i, t in enumerate(Base.metadata.sorted_tables)}


def _apply_python_defaults(obj: Synced) -> None:
    """Fill scalar column defaults now, so the payload shows what the row will hold."""
    for attr in inspect(type(obj)).column_attrs:
        column = attr.columns[0]
        if getattr(obj, attr.key) is None and column.default is not None and getattr(
            column.default, "is_scalar", False
        ):
            setattr(obj, attr.key, column.default.arg)


@dataclass
class _ChainState:
    seq: int
    prev_hash: str


@dataclass
class ChangeWriter:
    """Appends change rows for one session's transaction, keeping the chain contiguous."""

    session: Session
    context: ChangeContext
    _state: _ChainState | None = field(default=None, init=False)

    def _chain(self) -> _ChainState:
        state = self.session.info.get(_CHAIN_KEY)
        if state is None:
            last = self.session.execute(
                select(Change.seq, Change.chain_hash)
                .where(Change.device == self.context.device, Change.epoch == self.context.epoch)
                .order_by(Change.seq.desc()).limit(1)
            ).first()
            state = _ChainState(last.seq, last.chain_hash) if last else _ChainState(0, GENESIS)
            self.session.info[_CHAIN_KEY] = state
        return state

    def make_change(self, entity: str, uuid: str, op: str, base_rev: int,
                    payload: dict[str, Any], hlc: str) -> dict[str, Any]:
        state = self._chain()
        state.seq += 1
        row = {
            "device": self.context.device, "epoch": self.context.epoch, "seq": state.seq,
            "hlc": hlc, "entity": entity, "entity_uuid": uuid, "op": op,
            "base_rev": base_rev, "new_rev": base_rev + 1,
            "payload": canonical_json(payload), "user": self.context.user,
            "prev_hash": state.prev_hash,
        }
        row["chain_hash"] = chain_hash(state.prev_hash, _document(
            self.context.device, self.context.epoch, state.seq, hlc, entity, uuid, op,
            base_rev, base_rev + 1, payload, self.context.user))
        state.prev_hash = row["chain_hash"]
        return row

    def record(self, obj: Synced) -> None:
        """Stamp a new or modified ORM object and add its change row to the session."""
        state = inspect(obj)
        now = datetime.now(UTC)
        stamp = self.context.clock.now().encode()
        if state.pending or state.transient:
            _apply_python_defaults(obj)
            if not obj.uuid:
                obj.uuid = new_id()
            obj.created_at = obj.created_at or now
            obj.created_by = obj.created_by or self.context.user
            op, base_rev = "insert", 0
        else:
            deleted_hist = state.attrs.deleted.history
            op = "delete" if obj.deleted and deleted_hist.added else "update"
            base_rev = obj.rev or 0
        obj.updated_at = now
        obj.updated_by = self.context.user
        obj.rev = base_rev + 1
        obj.hlc = stamp
        row = self.make_change(type(obj).__tablename__, obj.uuid, op, base_rev,
                               payload_of(obj), stamp)
        self.session.add(Change(**row))

    def insert_rows(self, model: type[Synced], rows: Iterable[dict[str, Any]]) -> int:
        """Insert many new rows through Core, with their change rows; for bulk writers."""
        table = model.__table__  # type: ignore[attr-defined]
        now = datetime.now(UTC)
        columns = [c for c in table.columns]
        defaults = {
            c.key: c.default.arg for c in columns
            if c.default is not None and getattr(c.default, "is_scalar", False)
        }
        batch: list[dict[str, Any]] = []
        changes: list[dict[str, Any]] = []
        for given in rows:
            row = {c.key: None for c in columns} | defaults | given
            row.setdefault("uuid", None)
            row["uuid"] = row["uuid"] or new_id()
            stamp = self.context.clock.now().encode()
            row.update(rev=1, hlc=stamp, updated_at=row["updated_at"] or now,
                       updated_by=row["updated_by"] or self.context.user)
            row["created_at"] = row["created_at"] or now
            row["created_by"] = row["created_by"] or self.context.user
            payload = {c.key: _column_value(c, row[c.key]) for c in columns
                       if c.key not in _NOT_IN_PAYLOAD}
            changes.append(self.make_change(table.name, row["uuid"], "insert", 0, payload, stamp))
            batch.append(row)
        if batch:
            self.session.execute(insert(table), batch)
            self.session.execute(insert(Change.__table__), changes)  # type: ignore[arg-type]
        return len(batch)


def writer_for(session: Session) -> ChangeWriter:
    ctx = session.info.get(CONTEXT_KEY)
    if ctx is None:
        raise MissingChangeContext()
    writer = session.info.get("ranger_change_writer")
    if writer is None:
        writer = ChangeWriter(session, ctx)
        session.info["ranger_change_writer"] = writer
    return writer


def _sync_objects(objs: Iterable[object]) -> Iterator[Synced]:
    synced = [o for o in objs if isinstance(o, Synced)]
    synced.sort(key=lambda o: _TABLE_ORDER[type(o).__tablename__])  # parents first
    return iter(synced)


@event.listens_for(Session, "before_flush")
def record_changes(session: Session, flush_context: object, instances: object) -> None:
    if any(isinstance(o, Synced) for o in session.deleted):
        raise HardDeleteRefused()
    new = list(_sync_objects(session.new))
    dirty = [o for o in _sync_objects(session.dirty) if session.is_modified(o)]
    if not new and not dirty:
        return
    writer = writer_for(session)
    for obj in new + dirty:
        writer.record(obj)


def _forget_chain(session: Session, *args: object) -> None:
    session.info.pop(_CHAIN_KEY, None)


event.listen(Session, "after_commit", _forget_chain)
event.listen(Session, "after_soft_rollback", _forget_chain)
