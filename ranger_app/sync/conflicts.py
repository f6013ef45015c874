"""The conflicts queue an inspector works through: plain rows, newest record first."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ranger_app.store.db import Database
from ranger_app.store.sync_tables import SyncConflict


@dataclass(frozen=True)
class ConflictRow:
    id: str
    entity: str
    entity_uuid: str
    field: str
    kind: str  # field | delete | amendment | insert
    base_value: Any
    value_a: Any
    change_a: str
    value_b: Any
    change_b: str
    winner: str  # which value the record holds for now: a | b
    status: str


def open_conflicts(db: Database) -> list[ConflictRow]:
    with db.session() as s:
        rows = s.scalars(select(SyncConflict).where(SyncConflict.status == "open")
                         .order_by(SyncConflict.entity, SyncConflict.entity_uuid,
                                   SyncConflict.field, SyncConflict.id))
        return [ConflictRow(r.id, r.entity, r.entity_uuid, r.field, r.kind,
                            json.loads(r.base_value), json.loads(r.value_a), r.change_a,
                            json.loads(r.value_b), r.change_b, r.winner, r.status)
                for r in rows]
