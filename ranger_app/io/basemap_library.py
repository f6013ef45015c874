"""Adding basemaps to the database and finding their files (the registry's service side).

The archive is checked (`io.basemaps.read_info`) before a byte is copied, so a bad file
changes nothing; the copy goes into the media store under its SHA-256 like any original,
which is what lets bundles carry it to stations with the hash checked on arrival.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ranger_app.io import basemap_errors  # noqa: F401  (registers the sentences)
from ranger_app.io.basemaps import BasemapInfo, MBTiles, PMTiles, open_basemap, read_info
from ranger_app.store.basemaps import BasemapRecord, basemap_by_sha, basemaps, insert_basemap
from ranger_app.store.db import Database

__all__ = [
    "AddedBasemap",
    "BasemapRecord",
    "add_basemap",
    "basemap_file",
    "basemaps",
    "open_record",
]


@dataclass(frozen=True)
class AddedBasemap:
    record: BasemapRecord
    created: bool  # False: the same file was registered already


def add_basemap(db: Database, path: Path, name: str | None = None,
                user: str | None = None) -> AddedBasemap:
    """Check, copy into the media store, register. Raises BasemapInvalid on a bad file."""
    info: BasemapInfo = read_info(path)
    sha, size = db.media.put_file(Path(path))
    existing = basemap_by_sha(db, sha)
    if existing is not None:
        return AddedBasemap(existing, False)
    record = insert_basemap(db, BasemapRecord(
        uuid="", name=(name or "").strip() or info.name, kind=info.kind, sha256=sha, size=size,
        tile_format=info.format, min_zoom=info.min_zoom, max_zoom=info.max_zoom,
        bounds=info.bounds), user=user)
    return AddedBasemap(record, True)


def basemap_file(db: Database, record: BasemapRecord) -> Path | None:
    """Where the archive is, or None when its blob has not arrived (yet)."""
    path = db.media.path_for(record.sha256)
    return path if path.exists() else None


def open_record(db: Database, record: BasemapRecord) -> MBTiles | PMTiles | None:
    path = basemap_file(db, record)
    return open_basemap(path) if path is not None else None
