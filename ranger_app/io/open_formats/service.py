"""One entry point for the window and the command line: format, record types, target."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ranger_app.domain.errors import CannotWrite, UnknownCode
from ranger_app.i18n import N_
from ranger_app.io.open_formats import tables as t
from ranger_app.io.open_formats.writers import (
    Cancelled,
    Progress,
    Written,
    write_csv,
    write_geojson,
    write_kml,
)
from ranger_app.store.db import Database
from ranger_app.store.export_rows import ExportScope

FORMATS = ("geojson", "csv", "kml")
_DEFAULTS = {"geojson": t.MAP_TABLES, "csv": t.CSV_TABLES, "kml": t.MAP_TABLES}


def tables_for(fmt: str, names: Sequence[str] | None = None) -> list[t.Table]:
    try:
        chosen = t.pick(names, _DEFAULTS[fmt])
    except KeyError as err:
        raise UnknownCode("export", str(err.args[0])) from None
    if fmt != "csv":
        chosen = [table for table in chosen if table.geometry is not None]
    return chosen


def export(db: Database, fmt: str, target: Path, *, scope: ExportScope | None = None,
           names: Sequence[str] | None = None, lang: str = "en",
           progress: Progress | None = None,
           cancelled: Cancelled | None = None) -> list[Written]:
    """Write the chosen records; GeoJSON and CSV fill a folder, KML is one file."""
    scope = scope or ExportScope()
    chosen = tables_for(fmt, names)
    folder = target.parent if fmt == "kml" else target
    if folder.exists() and not folder.is_dir():
        raise CannotWrite(str(folder), N_("it is a file, not a folder"))
    if fmt == "kml" and target.is_dir():
        raise CannotWrite(str(target), N_("it is a folder, not a .kml file"))
    try:
        if fmt == "geojson":
            return write_geojson(db, scope, chosen, target, lang, progress, cancelled)
        if fmt == "csv":
            return write_csv(db, scope, chosen, target, lang, progress, cancelled)
        return write_kml(db, scope, chosen, target, lang, progress, cancelled)
    except PermissionError as err:
        raise CannotWrite(str(err.filename or target), err.strerror or str(err)) from None
