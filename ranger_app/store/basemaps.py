"""The basemap registry: one synced row per archive, its bytes a media blob."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ranger_app.domain.ids import new_id
from ranger_app.store.db import Database
from ranger_app.store.models import Basemap


@dataclass(frozen=True)
class BasemapRecord:
    uuid: str
    name: str
    kind: str  # mbtiles | pmtiles
    sha256: str
    size: int
    tile_format: str
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float]  # west, south, east, north


def _value(row: Basemap) -> BasemapRecord:
    return BasemapRecord(row.uuid, row.name, row.kind, row.sha256, row.size, row.tile_format,
                         row.min_zoom, row.max_zoom, (row.west, row.south, row.east, row.north))


def basemaps(db: Database) -> list[BasemapRecord]:
    """Every live basemap, by name."""
    with db.session() as s:
        rows = s.scalars(select(Basemap).where(Basemap.deleted.is_(False))
                         .order_by(Basemap.name, Basemap.uuid))
        return [_value(r) for r in rows]


def basemap_by_sha(db: Database, sha256: str) -> BasemapRecord | None:
    with db.session() as s:
        row = s.scalar(select(Basemap).where(Basemap.sha256 == sha256,
                                             Basemap.deleted.is_(False)).limit(1))
        return _value(row) if row is not None else None


def insert_basemap(db: Database, record: BasemapRecord, user: str | None = None) -> BasemapRecord:
    """Write a new registry row (the blob must already be in the media store)."""
    w, s_, e, n = record.bounds
    with db.writer(user) as s:
        row = Basemap(uuid=record.uuid or new_id(), name=record.name, kind=record.kind,
                      sha256=record.sha256, size=record.size, tile_format=record.tile_format,
                      min_zoom=record.min_zoom, max_zoom=record.max_zoom,
                      west=w, south=s_, east=e, north=n)
        s.add(row)
        s.flush()
        return _value(row)
