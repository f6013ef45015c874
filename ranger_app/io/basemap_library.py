"""Adding basemaps to the database and finding their files (the registry's service side).

The archive is checked (`io.basemaps.read_info`) before a byte is copied, so a bad file
changes nothing; the copy goes into the media store under its SHA-256 like any original,
which is what lets bundles carry it to stations with the hash checked on arrival.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ranger_app.io import basemap_errors  # noqa: F401  (registers the sentences)
from ranger_app.io.basemaps import BasemapInfo, MBTiles, PMTiles, open_basemap, read_info
from ranger_app.store.basemaps import BasemapRecord, basemap_by_sha, basemaps, insert_basemap
from ranger_app.store.db import Database

Progress = Callable[[int, int], None]

__all__ = [
    "AddCancelled",
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


class AddCancelled(Exception):
    """The user stopped the copy; the partial file is gone and nothing was registered."""


class _Reading:
    """A file read in chunks that reports progress and stops when cancelled."""

    def __init__(self, fh: BinaryIO, total: int, progress: Progress | None,
                 cancelled: Callable[[], bool] | None) -> None:
        self.fh, self.total, self.done = fh, total, 0
        self.progress, self.cancelled = progress, cancelled

    def read(self, n: int = -1) -> bytes:
        if self.cancelled is not None and self.cancelled():
            raise AddCancelled()
        data = self.fh.read(n)
        self.done += len(data)
        if self.progress is not None:
            self.progress(self.done, self.total)
        return data


def add_basemap(db: Database, path: Path, name: str | None = None, user: str | None = None,
                progress: Progress | None = None,
                cancelled: Callable[[], bool] | None = None) -> AddedBasemap:
    """Check, copy into the media store, register. Raises BasemapInvalid on a bad file.

    A 2 GB archive takes a while to copy: `progress(done, total)` follows the bytes and
    `cancelled()` stops it (AddCancelled; the media store's temporary file is removed).
    """
    info: BasemapInfo = read_info(path)
    path = Path(path)
    with path.open("rb") as fh:
        sha, size = db.media.put_stream(_Reading(fh, path.stat().st_size, progress,
                                                 cancelled))  # type: ignore[arg-type]
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
