"""Editor drafts: the unsaved state of an open form, kept every few seconds.

Local only (never synced, never in the change log): killing the app mid-edit loses at most
the last autosave interval. Saving the record deletes its draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select

from ranger_app.store.db import Database
from ranger_app.store.models import LocalDraft


@dataclass(frozen=True)
class Draft:
    key: str
    entity: str
    record_uuid: str | None
    body: str
    saved_at: datetime


def save_draft(db: Database, key: str, entity: str, record_uuid: str | None, body: str) -> None:
    with db.session() as s, s.begin():
        s.merge(LocalDraft(key=key, entity=entity, record_uuid=record_uuid, body=body,
                           saved_at=datetime.now(UTC)))


def drafts(db: Database, entity: str | None = None) -> list[Draft]:
    with db.session() as s:
        q = select(LocalDraft).order_by(LocalDraft.saved_at)
        if entity:
            q = q.where(LocalDraft.entity == entity)
        return [Draft(d.key, d.entity, d.record_uuid, d.body, d.saved_at) for d in s.scalars(q)]


def discard_draft(db: Database, key: str) -> None:
    with db.session() as s, s.begin():
        s.execute(delete(LocalDraft).where(LocalDraft.key == key))
