"""Held changes: received, chained, but not applied (an approval that cannot be accepted).

An approval whose key HQ has not certified, or a forged one, must not lock a patrol; but
the change rows carrying it sit in the sender's hash chain, and leaving a hole would stop
every later change of that station. So the rows are stored and chained as usual, listed in
`sync_held_change`, and every fold of a record skips them — together with what rests on
them: a patrol's later changes based on the held revision or above. The importer and
`audit verify` ask this module, so both see the same record.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ranger_app.store.models import Change
from ranger_app.store.sync_tables import SyncHeldChange

Key = tuple[str, int, int]  # device, epoch, seq


def excluded(session: Session, entity: str | None = None,
             uuids: Iterable[str] | None = None) -> set[Key]:
    """The changes (of `entity` and `uuids`, or all) that a fold must skip."""
    q = select(SyncHeldChange.device, SyncHeldChange.epoch, SyncHeldChange.seq,
               SyncHeldChange.entity, SyncHeldChange.entity_uuid, SyncHeldChange.new_rev)
    if entity is not None:
        q = q.where(SyncHeldChange.entity == entity)
    wanted = list(uuids) if uuids is not None else None
    rows = []
    if wanted is None:
        rows = list(session.execute(q))
    else:
        for i in range(0, len(wanted), 500):
            rows += session.execute(q.where(SyncHeldChange.entity_uuid.in_(wanted[i:i + 500])))
    out: set[Key] = set()
    lowest: dict[tuple[str, str], int] = {}
    for device, epoch, seq, ent, uuid, new_rev in rows:
        out.add((device, epoch, seq))
        if ent == "patrol":
            key = (ent, uuid)
            lowest[key] = min(lowest.get(key, new_rev), new_rev)
    for (ent, uuid), rev in lowest.items():  # what was based on the held revision
        out.update(session.execute(select(Change.device, Change.epoch, Change.seq).where(
            Change.entity == ent, Change.entity_uuid == uuid, Change.base_rev >= rev)).all())
    return {(d, e, s) for d, e, s in out}


def any_held(session: Session) -> bool:
    return session.scalar(select(SyncHeldChange.seq).limit(1)) is not None
