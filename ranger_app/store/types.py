"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC.

    A naive datetime is refused: a time without its zone is how Russian (UTC+10) and Chinese
    (UTC+8) records end up two hours apart.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class json_field(FunctionElement[str]):
    """One top-level field of a JSON text column, as text, on SQLite and PostgreSQL alike.

    SQLite has `json_extract(col, '$.key')`; PostgreSQL stores the payload as text too, so
    it casts and uses `->>`. Queries say `json_field(Change.payload, "sha256")`.
    """

    type = String()
    inherit_cache = True
    name = "json_field"


@compiles(json_field)
def _json_field_sqlite(element: json_field, compiler: SQLCompiler, **kw: object) -> str:
    column, key = list(element.clauses)
    return f"json_extract({compiler.process(column, **kw)}, {compiler.process(key, **kw)})"


@compiles(json_field, "postgresql")
def _json_field_pg(element: json_field, compiler: SQLCompiler, **kw: object) -> str:
    column, key = list(element.clauses)
    return f"(CAST({compiler.process(column, **kw)} AS jsonb) ->> {compiler.process(key, **kw)})"
