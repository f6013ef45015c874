"""Batched bulk writing: rows collect per table and go out in one transaction per batch.

Each flush writes parents before children (the schema's foreign-key order) through
`ChangeWriter.insert_rows`, so every demo record gets its hash-chained change-log row and
memory stays bounded however large the scale.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from ranger_app.store.db import Database
from ranger_app.store.models import Base, Synced

_ORDER = {t.name: i for i, t in enumerate(Base.metadata.sorted_tables)}
Row = dict[str, Any]


class RowSink:
    """Collects rows for several tables; `flush` writes them parents first in one transaction."""

    def __init__(self, db: Database, user: str) -> None:
        self.db = db
        self.user = user
        self._rows: dict[type[Synced], list[Row]] = defaultdict(list)
        self.counts: Counter[str] = Counter()

    def add(self, model: type[Synced], row: Row) -> Row:
        self._rows[model].append(row)
        return row

    def pending(self) -> int:
        return sum(len(rows) for rows in self._rows.values())

    def flush(self) -> None:
        if not self._rows:
            return
        models = sorted(self._rows, key=lambda m: _ORDER[m.__tablename__])  # type: ignore[attr-defined]
        with self.db.writer(self.user) as session:
            writer = self.db.bulk_writer(session)
            for model in models:
                self.counts[model.__tablename__] += writer.insert_rows(  # type: ignore[attr-defined]
                    model, self._rows[model])
        self._rows.clear()
