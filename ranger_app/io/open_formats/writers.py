"""The three writers. Each streams its records, writes to `<name>.part`, then renames, so a
pulled stick or a cancel never leaves half a file under the real name."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from ranger_app.i18n import _
from ranger_app.io.open_formats.tables import Table, Value
from ranger_app.store.db import Database
from ranger_app.store.export_rows import ExportScope

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


class ExportCancelled(Exception):
    """The user pressed Cancel; nothing was left under a real file name."""


@dataclass(frozen=True)
class Written:
    path: Path
    table: str
    count: int


@contextmanager
def _atomic(path: Path, newline: str | None = None, encoding: str = "utf-8") -> Iterator[IO[str]]:
    tmp = path.with_name(path.name + ".part")
    try:
        with tmp.open("w", encoding=encoding, newline=newline) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


class _Ticker:
    """Progress by record type (one step each); checks Cancel every 50 records."""

    def __init__(self, tables: int, progress: Progress | None,
                 cancelled: Cancelled | None) -> None:
        self.tables, self.progress, self.cancelled = max(tables, 1), progress, cancelled
        self.done_tables = self.records = 0

    def tick(self) -> None:
        self.records += 1
        if self.records % 50 == 1:  # the first record of each fifty: small tables too
            self.check()

    def check(self) -> None:
        if self.cancelled is not None and self.cancelled():
            raise ExportCancelled()

    def table_done(self) -> None:
        self.done_tables += 1
        if self.progress is not None:
            self.progress(self.done_tables, self.tables)


def _properties(table: Table, cells: Sequence[Value]) -> dict[str, Value]:
    return dict(zip(table.headers(), cells, strict=True))


# --- CSV ----------------------------------------------------------------------------------

def write_csv(db: Database, scope: ExportScope, tables: Sequence[Table], folder: Path,
              lang: str, progress: Progress | None = None,
              cancelled: Cancelled | None = None) -> list[Written]:
    """One file per record type, UTF-8 with a BOM so Excel reads Cyrillic and Chinese."""
    folder.mkdir(parents=True, exist_ok=True)
    ticker = _Ticker(len(tables), progress, cancelled)
    out = []
    for table in tables:
        path = folder / f"{table.name}.csv"
        count = 0
        with _atomic(path, newline="", encoding="utf-8-sig") as fh:
            writer = csv.writer(fh)
            writer.writerow(table.headers())
            for row in table.rows(db, scope):
                writer.writerow(["" if v is None else _csv_text(v)
                                 for v in table.cells(row, lang)])
                count += 1
                ticker.tick()
        out.append(Written(path, table.name, count))
        ticker.table_done()
    return out


def _csv_text(value: Value) -> str | int | float:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, int | float) else str(value)


# --- GeoJSON ------------------------------------------------------------------------------

def write_geojson(db: Database, scope: ExportScope, tables: Sequence[Table], folder: Path,
                  lang: str, progress: Progress | None = None,
                  cancelled: Cancelled | None = None) -> list[Written]:
    """One RFC 7946 FeatureCollection per record type (a layer each in QGIS)."""
    folder.mkdir(parents=True, exist_ok=True)
    ticker = _Ticker(len(tables), progress, cancelled)
    out = []
    for table in tables:
        if table.geometry is None:
            continue
        path = folder / f"{table.name}.geojson"
        count = 0
        with _atomic(path) as fh:
            fh.write('{"type":"FeatureCollection","name":' + json.dumps(table.name)
                     + ',"features":[\n')
            for row in table.rows(db, scope):
                geometry = table.geometry(row)
                if geometry is None:
                    continue  # no position: in the CSV, not on the map
                feature = {"type": "Feature", "id": str(row.get("uuid", "")),
                           "geometry": geometry,
                           "properties": _properties(table, table.cells(row, lang))}
                fh.write(("," if count else "") + json.dumps(
                    feature, ensure_ascii=False, separators=(",", ":")) + "\n")
                count += 1
                ticker.tick()
            fh.write("]}\n")
        out.append(Written(path, table.name, count))
        ticker.table_done()
    return out


# --- KML ----------------------------------------------------------------------------------

_STYLES = {"Point": "#point", "MultiLineString": "#track", "Polygon": "#perimeter"}


def _kml_coords(ring: Sequence[Sequence[float]]) -> str:
    return " ".join(f"{x},{y}" for x, y in ring)


def _kml_geometry(geometry: dict[str, Any]) -> str:
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        return f"<Point><coordinates>{coords[0]},{coords[1]}</coordinates></Point>"
    if kind == "MultiLineString":
        lines = "".join(f"<LineString><tessellate>1</tessellate><coordinates>"
                        f"{_kml_coords(line)}</coordinates></LineString>" for line in coords)
        return f"<MultiGeometry>{lines}</MultiGeometry>"
    if kind == "Polygon":
        return ("<Polygon><outerBoundaryIs><LinearRing><coordinates>"
                f"{_kml_coords(coords[0])}</coordinates></LinearRing></outerBoundaryIs>"
                "</Polygon>")
    raise ValueError(kind)


def _placemark_name(table: Table, props: dict[str, Value]) -> str:
    for key in ("number", "code", "category_label", "patrol_number", "uuid"):
        if props.get(key):
            return str(props[key])
    return table.name


def write_kml(db: Database, scope: ExportScope, tables: Sequence[Table], path: Path,
              lang: str, progress: Progress | None = None,
              cancelled: Cancelled | None = None) -> list[Written]:
    """One KML 2.2 document for Google Earth: a folder per record type."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ticker = _Ticker(len(tables), progress, cancelled)
    out = []
    with _atomic(path) as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                 '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>\n'
                 f"<name>{escape(_('Ranger Field Log'))}</name>\n"
                 '<Style id="point"><IconStyle><scale>0.8</scale></IconStyle></Style>\n'
                 '<Style id="track"><LineStyle><color>ff0f48d9</color><width>2</width>'
                 '</LineStyle></Style>\n'
                 '<Style id="perimeter"><LineStyle><color>ff0000ff</color><width>2</width>'
                 '</LineStyle><PolyStyle><color>400000ff</color></PolyStyle></Style>\n')
        for table in tables:
            if table.geometry is None:
                continue
            fh.write(f"<Folder><name>{escape(_(table.title))}</name>\n")
            count = 0
            for row in table.rows(db, scope):
                geometry = table.geometry(row)
                if geometry is None:
                    continue
                props = _properties(table, table.cells(row, lang))
                data = "".join(
                    f"<Data name={quoteattr(k)}><value>{escape(str(v))}</value></Data>"
                    for k, v in props.items() if v not in (None, ""))
                fh.write(f"<Placemark><name>{escape(_placemark_name(table, props))}</name>"
                         f"<styleUrl>{_STYLES[geometry['type']]}</styleUrl>"
                         f"<ExtendedData>{data}</ExtendedData>"
                         f"{_kml_geometry(geometry)}</Placemark>\n")
                count += 1
                ticker.tick()
            fh.write("</Folder>\n")
            out.append(Written(path, table.name, count))
            ticker.table_done()
        fh.write("</Document></kml>\n")
    return out
