"""Payload (canonical JSON of a change) → column values, the inverse of `changes.payload_of`.

A row written from a payload must read back to exactly that payload, or `audit verify`
reports it; so each column is decoded by its declared type: UTC datetimes from their
`…Z` text, binary columns from their `base64:` text, floats as floats.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Boolean, Float, Integer, LargeBinary, inspect

from ranger_app.store.models import SYNCED_MODELS
from ranger_app.store.types import UtcDateTime

Decoder = Callable[[Any], Any]


def _datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 27 or value[10] != "T" or value[-1] != "Z":
        raise ValueError("datetime")
    return datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)


def _datetime_stored(value: Any) -> str | None:
    """The text SQLAlchemy's SQLite dialect stores for a naive UTC datetime."""
    if value is None:
        return None
    _datetime(value)  # validates (a bad date would break every later read)
    return f"{value[:10]} {value[11:-1]}"


def _bool_stored(value: Any) -> int | None:
    flag = _bool(value)
    return None if flag is None else int(flag)


def _binary(value: Any) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith("base64:"):
        raise ValueError("binary")
    return base64.b64decode(value[7:], validate=True)


def _float(value: Any) -> float | None:
    if value is None or type(value) is float:
        return value  # type: ignore[no-any-return]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("number")
    return float(value)


def _int(value: Any) -> int | None:
    if value is None or type(value) is int:
        return value  # type: ignore[no-any-return]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("integer")
    return value


def _bool(value: Any) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ValueError("boolean")
    return value


def _text(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value  # type: ignore[no-any-return]
    if not isinstance(value, str):
        raise ValueError("text")
    return value


@cache
def decoders(entity: str) -> tuple[tuple[str, Decoder], ...]:
    out = []
    for attr in inspect(SYNCED_MODELS[entity]).column_attrs:
        if attr.key in ("rev", "hlc"):
            continue
        col_type = attr.columns[0].type
        if isinstance(col_type, UtcDateTime):
            fn: Decoder = _datetime
        elif isinstance(col_type, LargeBinary):
            fn = _binary
        elif isinstance(col_type, Float):
            fn = _float
        elif isinstance(col_type, Boolean):
            fn = _bool
        elif isinstance(col_type, Integer):
            fn = _int
        else:
            fn = _text
        out.append((attr.key, fn))
    return tuple(out)


def row_values(entity: str, payload: Mapping[str, Any], rev: int, hlc: str) -> dict[str, Any]:
    """Column values for a Core insert/update; ValueError on a mistyped value."""
    row = {key: fn(payload[key]) for key, fn in decoders(entity)}
    row["rev"] = rev
    row["hlc"] = hlc
    return row


@cache
def raw_insert(entity: str) -> tuple[str, tuple[tuple[str, Decoder], ...]]:
    """An INSERT for the DB-API cursor and, per column, payload value → stored value.

    The bulk path of an import (new records with only their insert: nearly every row of a
    large bundle) skips SQLAlchemy's per-row parameter processing, which otherwise costs
    more than SQLite itself.
    """
    table = SYNCED_MODELS[entity].__table__  # type: ignore[attr-defined]
    stored = {UtcDateTime: _datetime_stored, Boolean: _bool_stored}
    plan = []
    for key, fn in decoders(entity):
        col_type = type(table.c[key].type)
        plan.append((key, stored.get(col_type, fn)))
    names = [key for key, _fn in plan] + ["rev", "hlc"]
    sql = (f'INSERT INTO "{table.name}" ({", ".join(f"{chr(34)}{n}{chr(34)}" for n in names)}) '
           f"VALUES ({', '.join('?' * len(names))})")
    return sql, tuple(plan)


def raw_row(entity: str, payload: Mapping[str, Any], rev: int, hlc: str) -> tuple[Any, ...]:
    _sql, plan = raw_insert(entity)
    values = [fn(payload[key]) for key, fn in plan]
    values.append(rev)
    values.append(hlc)
    return tuple(values)
