"""`export-geojson`, `export-csv`, `export-kml` (design §8 and §10)."""

from __future__ import annotations

import argparse
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ranger_app.domain.errors import InvalidValue, UnknownCode
from ranger_app.domain.records import PatrolFilter
from ranger_app.i18n import _, current_language
from ranger_app.io.open_formats.service import export
from ranger_app.io.open_formats.tables import TABLES
from ranger_app.store.db import Database
from ranger_app.store.export_rows import ExportScope
from ranger_app.store.queries import stations

PARK_TZ = ZoneInfo("Asia/Vladivostok")


def _day(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), time(), PARK_TZ)
    except ValueError:
        raise InvalidValue(name, text) from None


def _scope(db: Database, args: argparse.Namespace) -> ExportScope:
    station_uuid = None
    if args.station:
        match = [s for s in stations(db) if s.code == args.station]
        if not match:
            raise UnknownCode("station", args.station)
        station_uuid = match[0].uuid
    after = _day(args.to, "--to")
    return ExportScope(PatrolFilter(
        date_from=_day(args.date_from, "--from"),
        date_to=after + timedelta(days=1) if after else None,  # the whole last day
        station_uuid=station_uuid, status=args.status or None))


def _run(fmt: str, args: argparse.Namespace) -> int:
    db = Database.open(args.db)
    written = export(db, fmt, Path(args.out), scope=_scope(db, args), names=args.type,
                     lang=current_language())
    for w in written:
        print(_("{table}: {count} records → {path}").format(
            table=w.table, count=w.count, path=w.path))
    return 0


def add_export_commands(sub: Any) -> None:
    """Register the open-format exports on `build_parser`'s sub-parser collection."""
    for fmt, out_help, help_text in (
            ("geojson", _("folder for one .geojson file per record type"),
             _("patrol tracks, observations, fires, feeding sites, cameras as GeoJSON")),
            ("csv", _("folder for one .csv file per record type"),
             _("every record type as CSV (UTF-8 with BOM, for Excel and LibreOffice)")),
            ("kml", _("the .kml file to write"),
             _("patrol tracks, observations, fires, sites, cameras for Google Earth"))):
        c = sub.add_parser(f"export-{fmt}", help=help_text)
        c.add_argument("out", help=out_help)
        c.add_argument("--type", action="append", choices=sorted(TABLES),
                       help=_("only this record type (repeat for more)"))
        c.add_argument("--station", help=_("only this station's patrols (its code)"))
        c.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD",
                       help=_("patrols that start on or after this day"))
        c.add_argument("--to", metavar="YYYY-MM-DD",
                       help=_("patrols that start on or before this day"))
        c.add_argument("--status", help=_("only patrols with this status code"))
        c.set_defaults(func=lambda args, fmt=fmt: _run(fmt, args))
