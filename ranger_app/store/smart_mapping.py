"""The park's edits of the SMART mapping, kept as synced reference data (issue 12).

The shipped default is a CSV (`io.smart.mapping`); these rows override it, one per
(kind, our_code), and travel in bundles like every other synced record.
"""

from __future__ import annotations

import uuid as _uuid
from collections.abc import Iterable

from sqlalchemy import select

from ranger_app.store.db import Database
from ranger_app.store.models import SmartMapping
from ranger_app.store.rows import assign_changed

# A fixed namespace: the same (kind, code) gets the same row id on every installation.
_NS = _uuid.UUID("6f1c3f3e-8a55-4d0e-9a57-1f1c2b7a5e12")


def mapping_row_uuid(kind: str, our_code: str) -> str:
    return str(_uuid.uuid5(_NS, f"smart-mapping:{kind}:{our_code}"))


def mapping_rows(db: Database) -> dict[tuple[str, str], str]:
    """(kind, our_code) → SMART key of every live edited row."""
    with db.session() as s:
        return {(r.kind, r.our_code): r.smart_key
                for r in s.scalars(select(SmartMapping).where(SmartMapping.deleted.is_(False)))}


def save_mapping_rows(db: Database, rows: Iterable[tuple[str, str, str]],
                      user: str | None = None) -> int:
    """Write (kind, our_code, smart_key) rows that differ from what is stored; one transaction.

    Returns how many rows were written (an unchanged row writes no change)."""
    written = 0
    with db.writer(user) as s:
        for kind, code, key in rows:
            row_id = mapping_row_uuid(kind, code)
            row = s.get(SmartMapping, row_id)
            if row is None:
                s.add(SmartMapping(uuid=row_id, kind=kind, our_code=code, smart_key=key))
                written += 1
            elif row.smart_key != key or row.deleted:
                assign_changed(row, {"smart_key": key, "deleted": False})
                written += 1
    return written


def person_names(db: Database) -> dict[str, str]:
    """Every person's name by uuid, inactive ones too (old patrols name them)."""
    from ranger_app.store.models import Person

    with db.session() as s:
        return {p.uuid: p.name for p in s.scalars(select(Person))}


def live_patrol_ids(db: Database) -> list[str]:
    """Every live patrol, oldest first: what `export-smart --all` writes."""
    from ranger_app.store.models import Patrol

    with db.session() as s:
        return list(s.scalars(select(Patrol.uuid).where(Patrol.deleted.is_(False))
                              .order_by(Patrol.start_at, Patrol.uuid)))


def write_imported(db: Database, patrols: list, new_people: dict[str, str],
                   station_uuid: str | None, user: str | None = None
                   ) -> tuple[list[str], list[str], int]:
    """Imported patrols (and the people they name) in one transaction, through
    `write_patrol`; a patrol whose id is already here, live or tombstoned, is left alone.

    Returns (new patrol ids, ids already present, people added)."""
    from ranger_app.store.models import Patrol, Person
    from ranger_app.store.patrols import write_patrol

    new: list[str] = []
    present: list[str] = []
    with db.writer(user) as s, s.no_autoflush:
        known = set(s.scalars(select(Patrol.uuid).where(
            Patrol.uuid.in_([p.uuid for p in patrols]))))
        todo = []
        for p in patrols:
            if p.uuid in known or p.uuid in new:
                present.append(p.uuid)
            else:
                new.append(p.uuid)
                todo.append(p)
        named = {m.person_uuid for p in todo for leg in p.legs for m in leg.members}
        named |= {o.observer_uuid for p in todo for o in p.observations if o.observer_uuid}
        added = 0
        for uuid, name in new_people.items():
            if uuid in named and s.get(Person, uuid) is None:
                s.add(Person(uuid=uuid, name=name, station_uuid=station_uuid, roles="RANGER"))
                added += 1
        s.flush()
        for p in todo:
            write_patrol(s, p)
    return new, present, added


def patrol_ids_present(db: Database) -> set[str]:
    """Every patrol id here, tombstones too: an import leaves these alone."""
    from ranger_app.store.models import Patrol

    with db.session() as s:
        return set(s.scalars(select(Patrol.uuid)))
