"""GeoPackage layers (OGC 12-128r18): an SQLite file, opened read-only with the standard
library, geometries as "GP" blobs (a small header, then ISO WKB for `shapely.from_wkb`).

Only the tables that gpkg_contents lists as 'features' are layers; the table name is only
ever taken from there and quoted, never from the user. Rows are fetched and decoded a
thousand at a time, so the vertex count is known before the next thousand are read.
"""

from __future__ import annotations

import contextlib
import sqlite3
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS
from shapely.errors import GEOSException

from ranger_app.i18n import _
from ranger_app.io.layers.build import SourceLayer, Ticker, VertexBudget, broken
from ranger_app.io.layers.crs import parse_crs, parse_wkt, wgs84
from ranger_app.io.layers.errors import (
    DAMAGED,
    MANY_LAYERS,
    NO_SUCH_LAYER,
    NOT_A_LAYER,
    UNKNOWN_CRS,
    LayerInvalid,
)

SQLITE_MAGIC = b"SQLite format 3\x00"
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}  # flags bits 1-3: none, xy, xyz, xym, xyzm
_CHUNK = 1000
# A WKB vertex takes 16 bytes (x, y) to 32 (x, y, z, m), with at most a few bytes of part
# headers each (a MultiPoint of XYZM points: 37): bytes // 40 never counts too many.
_MAX_WKB_BYTES_PER_VERTEX = 40


def gpkg_layers(path: Path, shown: str) -> list[str]:
    with _open(path, shown) as con:
        return _feature_tables(con, shown)


def read_geopackage(path: Path, shown: str, layer: str | None, crs: CRS | None,
                    ticker: Ticker) -> SourceLayer:
    with _open(path, shown) as con:
        try:
            return _read(con, shown, layer, crs, ticker)
        except (sqlite3.DatabaseError, UnicodeDecodeError) as err:  # then damaged pages
            raise LayerInvalid(shown, DAMAGED, str(err)) from None


@contextlib.contextmanager
def _open(path: Path, shown: str) -> Iterator[sqlite3.Connection]:
    with path.open("rb") as fh:
        header = fh.read(100)
    if header[:16] != SQLITE_MAGIC:
        raise LayerInvalid(shown, NOT_A_LAYER, "not an SQLite file")
    if _cut_short(header, path.stat().st_size):
        raise LayerInvalid(shown, DAMAGED, "the file is cut short")
    con = _connect(path, shown)
    try:
        yield con
    finally:
        con.close()


def _connect(path: Path, shown: str) -> sqlite3.Connection:
    """Read-only. A GeoPackage in WAL mode on a read-only stick cannot have its -shm made:
    then it is opened as immutable (what is still only in its -wal is not seen)."""
    uri = path.resolve().as_uri() + "?mode=ro"
    last: sqlite3.Error | None = None
    for suffix in ("", "&immutable=1"):
        try:
            con = sqlite3.connect(uri + suffix, uri=True)
        except sqlite3.Error as err:
            last = err
            continue
        con.text_factory = _text  # damaged text must not stop the read
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return con
        except sqlite3.OperationalError as err:  # cannot open the -wal / -shm beside it
            con.close()
            last = err
        except (sqlite3.DatabaseError, UnicodeDecodeError) as err:  # a header, then garbage
            con.close()
            raise LayerInvalid(shown, DAMAGED, str(err)) from None
    raise LayerInvalid(shown, DAMAGED, str(last))


def _int(value: object, shown: str) -> int:
    """An integer the GeoPackage must hold (a fid, an srs_id); anything else is damage."""
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        raise LayerInvalid(shown, DAMAGED, f"{value!r} where a number belongs"[:120]) from None


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _cut_short(header: bytes, size: int) -> bool:
    """The header's page count × page size is more than the file holds (a copy that did
    not finish). The count is trusted only when SQLite marked it current (offset 92)."""
    if len(header) < 100:
        return True
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    pages, = struct.unpack(">I", header[28:32])
    current = header[24:28] == header[92:96]
    return current and pages > 0 and pages * page_size > size


def _feature_tables(con: sqlite3.Connection, shown: str) -> list[str]:
    try:
        rows = con.execute("SELECT table_name FROM gpkg_contents "
                           "WHERE lower(data_type) = 'features' ORDER BY rowid").fetchall()
    except sqlite3.OperationalError as err:  # no gpkg_contents: SQLite, but not GeoPackage
        raise LayerInvalid(shown, NOT_A_LAYER, str(err)) from None
    except (sqlite3.DatabaseError, UnicodeDecodeError) as err:
        raise LayerInvalid(shown, DAMAGED, str(err)) from None
    return [str(r[0]) for r in rows]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _read(con: sqlite3.Connection, shown: str, layer: str | None, crs: CRS | None,
          ticker: Ticker) -> SourceLayer:
    tables = _feature_tables(con, shown)
    if layer is None:
        if len(tables) > 1:
            raise LayerInvalid(shown, MANY_LAYERS, ", ".join(tables))
        if not tables:
            raise LayerInvalid(shown, NOT_A_LAYER, "a GeoPackage without feature tables")
        layer = tables[0]
    elif layer not in tables:
        raise LayerInvalid(shown, NO_SUCH_LAYER, layer)
    row = con.execute("SELECT column_name, srs_id FROM gpkg_geometry_columns "
                      "WHERE table_name = ?", (layer,)).fetchone()
    if row is None:
        raise LayerInvalid(shown, DAMAGED, f"no geometry column registered for {layer}")
    geom_column, srs_id = str(row[0]), _int(row[1], shown)
    source_crs = crs if crs is not None else _srs(con, srs_id, shown)
    columns = con.execute(f"PRAGMA table_info({_quote(layer)})").fetchall()
    fid = next((c[1] for c in columns if c[5] and str(c[2]).upper() == "INTEGER"), None)
    fields = tuple(str(c[1]) for c in columns if c[1] not in (geom_column, fid))
    key = _quote(fid) if fid else "rowid"
    select = ", ".join([key, _quote(geom_column), *(_quote(f) for f in fields)])
    total = con.execute(f"SELECT count(*) FROM {_quote(layer)}").fetchone()[0]
    ticker.start(_int(total, shown))
    cursor = con.execute(f"SELECT {select} FROM {_quote(layer)} ORDER BY {key}")
    budget = VertexBudget(shown)
    numbers: list[int] = []
    rows: list[tuple[object, ...]] = []
    parts: list[np.ndarray] = []
    notes: list[str] = []
    done = 0
    while chunk := cursor.fetchmany(_CHUNK):
        if done:
            ticker.check(done)  # every _CHUNK (1000) rows, as the API promises
        done += len(chunk)
        wkbs: list[bytes] = []
        for r in chunk:
            fid = _int(r[0], shown)
            wkb = _wkb(r[1], shown, fid)
            if wkb is None:
                notes.append(_("feature {n}: no geometry; dropped").format(n=fid))
                continue
            wkbs.append(wkb)
            numbers.append(fid)
            rows.append(tuple(r[2:]))
        budget.at_least(sum(map(len, wkbs)) // _MAX_WKB_BYTES_PER_VERTEX)  # before decoding
        geometries = _decode(wkbs, numbers[len(numbers) - len(wkbs):], shown)
        budget.add(int(shapely.get_num_coordinates(geometries).sum()))
        parts.append(geometries)
    geometries = np.concatenate(parts) if parts else np.empty(0, dtype=object)
    empty = shapely.is_empty(geometries)
    if empty.any():
        notes.extend(f"feature {n}: empty geometry; dropped"
                     for n, e in zip(numbers, empty, strict=True) if e)
        keep = ~empty
        geometries = geometries[keep]
        numbers = [n for n, k in zip(numbers, keep, strict=True) if k]
        rows = [r for r, k in zip(rows, keep, strict=True) if k]
    return SourceLayer(name=layer, fields=fields, crs=source_crs, numbers=numbers,
                       geometries=geometries, rows=rows, notes=notes)


def _srs(con: sqlite3.Connection, srs_id: int, shown: str) -> CRS:
    """EPSG code when the organisation is EPSG, else the stored WKT; 0 is "undefined
    geographic" (taken as WGS84), -1 "undefined Cartesian" (the user must say)."""
    if srs_id == 0:
        return wgs84()
    row = con.execute("SELECT organization, organization_coordsys_id, definition "
                      "FROM gpkg_spatial_ref_sys WHERE srs_id = ?", (srs_id,)).fetchone()
    if row is None or srs_id < 0:
        raise LayerInvalid(shown, UNKNOWN_CRS, f"srs_id {srs_id}")
    organization, code, definition = row
    code = _int(code, shown) if isinstance(code, int | float | str) else 0
    if str(organization or "").upper() == "EPSG" and code > 0:
        with contextlib.suppress(LayerInvalid):
            return parse_crs(f"EPSG:{code}", shown)
    definition = str(definition or "").strip()
    if not definition or definition.lower() == "undefined":
        raise LayerInvalid(shown, UNKNOWN_CRS, f"{organization}:{code}")
    return parse_wkt(definition, shown)


def _wkb(blob: object, shown: str, fid: int) -> bytes | None:
    """The WKB after a GeoPackage binary header; None for a NULL or empty geometry.

    Header: "GP", version (0 = 1.x), flags (bit 0 byte order of the header, bits 1-3 the
    envelope's contents, bit 4 empty, bit 5 extended type), srs_id, then the envelope.
    """
    if blob is None:
        return None
    data = bytes(blob) if isinstance(blob, bytes | memoryview | bytearray) else b""
    if len(data) < 8 or data[:2] != b"GP":
        raise broken(shown, fid, _("not a GeoPackage geometry blob"))
    version, flags = data[2], data[3]
    if version != 0:
        raise broken(shown, fid, _("GeoPackage geometry version {n}").format(n=version + 1))
    if flags & 0x20:
        raise broken(shown, fid, _("an extended (non-standard) GeoPackage geometry"))
    if flags & 0x10:
        return None
    envelope = _ENVELOPE_BYTES.get((flags >> 1) & 0x07)
    if envelope is None:
        raise broken(shown, fid, _("an unknown envelope code in the geometry header"))
    start = 8 + envelope
    if len(data) <= start:
        raise broken(shown, fid, _("the geometry is cut short"))
    return data[start:]


def _decode(wkbs: list[bytes], numbers: list[int], shown: str) -> np.ndarray:
    """WKB to 2D shapely; what GEOS refuses (a ring of 2 points) or NaN is BROKEN_GEOMETRY."""
    geometries = shapely.from_wkb(np.asarray(wkbs, dtype=object), on_invalid="ignore")
    missing = np.flatnonzero(shapely.is_missing(geometries))
    if len(missing):
        i = int(missing[0])
        try:
            shapely.from_wkb(wkbs[i], on_invalid="raise")
            why = _("geometry that cannot be read")
        except GEOSException as err:
            why = str(err).split(":", 1)[-1].strip() or _("geometry that cannot be read")
        raise broken(shown, numbers[i], why)
    geometries = shapely.force_2d(geometries)
    xy = shapely.get_coordinates(geometries)
    bad = np.flatnonzero(~np.isfinite(xy).all(axis=1))
    if len(bad):
        owner = np.repeat(np.arange(len(geometries)), shapely.get_num_coordinates(geometries))
        raise broken(shown, numbers[int(owner[bad[0]])], _("a coordinate that is not a number"))
    return geometries
