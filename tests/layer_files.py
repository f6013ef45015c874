"""Writers of small vector layer files for the tests (no tests here): shapefiles with .prj and
.cpg, GeoJSON (with or without the legacy "crs" member), GeoPackages with plain sqlite3.

The GeoPackage is written from the spec (OGC 12-128r18: the three gpkg_ tables, "GP" header
with an envelope, then WKB), independently of the reader; `ogrinfo` checks it when present.
"""

from __future__ import annotations

import json
import sqlite3
import struct
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import shapefile
import shapely
from pyproj import CRS

Ring = list[tuple[float, float]]

# Gauss-Krüger zone 22 (Pulkovo 1942, EPSG:28422): the easting carries the zone number, so
# 22_700_000 is 200 km east of the 129°E meridian, about 131.46°E; 4_770_000 about 43.04°N.
GK22_ORIGIN = (22_700_000.0, 4_770_000.0)
# CGCS2000 3-degree Gauss-Krüger CM 129E (EPSG:4552), no zone prefix: about 130.0°E 43.0°N
CGCS_ORIGIN = (581_500.0, 4_763_000.0)


def square(x0: float, y0: float, size: float) -> Ring:
    """Clockwise (y up), closed: the shapefile rule for an outer ring."""
    return [(x0, y0), (x0, y0 + size), (x0 + size, y0 + size), (x0 + size, y0), (x0, y0)]


def quarter_grid(origin: tuple[float, float], rows: int = 3, cols: int = 4,
                 size: float = 1000.0) -> list[Ring]:
    """Quarters numbered 1.. row by row from the north-west, as forestry plans number them."""
    x0, y0 = origin
    return [square(x0 + c * size, y0 + (rows - 1 - r) * size, size)
            for r in range(rows) for c in range(cols)]


# --- shapefile -------------------------------------------------------------------------------
def write_shapefile(base: Path, rings: Sequence[Sequence[Ring]] | None = None, *,
                    fields: Sequence[tuple[str, str, int, int]] = (),
                    records: Sequence[Sequence[Any]] = (), epsg: int | None = 28422,
                    encoding: str = "cp1251", cpg: str | None = "CP1251",
                    lines: Sequence[Sequence[Ring]] | None = None) -> Path:
    """`base` without extension; each element of `rings` is one record's rings (polygon),
    of `lines` one record's parts (polyline). Returns the .shp path."""
    shape_type = shapefile.POLYLINE if lines is not None else shapefile.POLYGON
    w = shapefile.Writer(str(base), shapeType=shape_type, encoding=encoding)
    for name, kind, size, decimal in fields or [("ID", "N", 9, 0)]:  # dBASE needs one
        w.field(name, kind, size, decimal)
    shapes = lines if lines is not None else rings or []
    for i, parts in enumerate(shapes):
        if lines is not None:
            w.line([list(p) for p in parts])
        else:
            w.poly([list(r) for r in parts])
        w.record(*(records[i] if fields else [i + 1]))
    w.close()
    if epsg is not None:
        base.with_suffix(".prj").write_text(CRS.from_epsg(epsg).to_wkt("WKT1_ESRI"),
                                            encoding="ascii")
    if cpg is not None:
        base.with_suffix(".cpg").write_text(cpg, encoding="ascii")
    return base.with_suffix(".shp")


def zip_shapefile(shp: Path, target: Path, folder: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in sorted(shp.parent.glob(shp.stem + ".*")):
            zf.write(part, folder + part.name)
    return target


# --- GeoJSON ---------------------------------------------------------------------------------
def polygon_feature(rings: Sequence[Ring], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties,
            "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in r] for r in rings]}}


def write_geojson(path: Path, features: Iterable[dict[str, Any]], *, name: str | None = None,
                  crs_urn: str | None = None) -> Path:
    doc: dict[str, Any] = {"type": "FeatureCollection"}
    if name is not None:
        doc["name"] = name
    if crs_urn is not None:  # GeoJSON 2008, as QGIS writes a layer saved in its own CRS
        doc["crs"] = {"type": "name", "properties": {"name": crs_urn}}
    doc["features"] = list(features)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def write_long_line(path: Path, vertices: int) -> Path:
    """One LineString of `vertices` points, written as text directly (fast, low memory)."""
    coords = ",".join(f"[{131 + i * 1e-7:.7f},{43 + (i % 2) * 1e-4:.4f}]" for i in range(vertices))
    path.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
                    '"geometry":{"type":"LineString","coordinates":[' + coords + "]}}]}",
                    encoding="ascii")
    return path


# --- GeoPackage ------------------------------------------------------------------------------
def gp_blob(wkb: bytes, srs_id: int, envelope: tuple[float, float, float, float] | None,
            little_endian: bool = True) -> bytes:
    """GeoPackage binary: "GP", version 0, flags (byte order bit 0, envelope code in bits
    1-3: 1 = minx, maxx, miny, maxy), srs_id, envelope, then the WKB."""
    order = "<" if little_endian else ">"
    flags = (1 if little_endian else 0) | ((1 if envelope else 0) << 1)
    head = b"GP" + bytes([0, flags]) + struct.pack(order + "i", srs_id)
    if envelope:
        head += struct.pack(order + "4d", *envelope)
    return head + wkb


def geometry_blob(geometry: shapely.Geometry, srs_id: int, little_endian: bool = True) -> bytes:
    minx, miny, maxx, maxy = geometry.bounds
    return gp_blob(shapely.to_wkb(geometry, byte_order=1 if little_endian else 0), srs_id,
                   (minx, maxx, miny, maxy), little_endian)


def broken_ring_wkb() -> bytes:
    """A WKB polygon whose only ring has 2 points (shapely cannot make one)."""
    return struct.pack("<BII", 1, 3, 1) + struct.pack("<I", 2) + struct.pack("<4d", 0, 0, 1, 1)


def write_gpkg(path: Path, tables: dict[str, dict[str, Any]]) -> Path:
    """`tables`: name → {"epsg": int, "geometry_type": "POLYGON", "fields": [(name, sqltype)],
    "rows": [(shapely geometry or raw blob bytes or None, {field: value})]}."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA application_id = 1196444487")  # 'GPKG'
    con.execute("PRAGMA user_version = 10200")
    con.execute("""CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL,
        srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
        organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)""")
    con.execute("""CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY,
        data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '',
        last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
        CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))""")
    con.execute("""CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL,
        column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL,
        z TINYINT NOT NULL, m TINYINT NOT NULL,
        CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name))""")
    srs = [("Undefined cartesian SRS", -1, "NONE", -1, "undefined", None),
           ("Undefined geographic SRS", 0, "NONE", 0, "undefined", None),
           ("WGS 84 geodetic", 4326, "EPSG", 4326, CRS.from_epsg(4326).to_wkt("WKT1_GDAL"), None)]
    for spec in tables.values():
        epsg = spec["epsg"]
        if epsg not in {s[1] for s in srs}:
            c = CRS.from_epsg(epsg)
            srs.append((c.name, epsg, "EPSG", epsg, c.to_wkt("WKT1_GDAL"), None))
    con.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", srs)
    for name, spec in tables.items():
        epsg, fields = spec["epsg"], spec.get("fields", [])
        columns = ", ".join(f'"{f}" {t}' for f, t in fields)
        con.execute(f'CREATE TABLE "{name}" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
                    f'geom {spec.get("geometry_type", "POLYGON")}' + (f", {columns}" if columns
                                                                       else "") + ")")
        geometries = [g for g, _props in spec["rows"] if isinstance(g, shapely.Geometry)]
        bounds = shapely.total_bounds(geometries) if geometries else [None] * 4
        con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, min_x, min_y, "
                    "max_x, max_y, srs_id) VALUES (?, 'features', ?, ?, ?, ?, ?, ?)",
                    (name, name, *map(_float, bounds), epsg))
        con.execute("INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, ?, 0, 0)",
                    (name, spec.get("geometry_type", "POLYGON"), epsg))
        marks = ", ".join("?" for _ in range(len(fields) + 1))
        names = ", ".join(["geom", *(f'"{f}"' for f, _t in fields)])
        for geometry, props in spec["rows"]:
            blob = geometry_blob(geometry, epsg) if isinstance(geometry, shapely.Geometry) \
                else geometry
            con.execute(f'INSERT INTO "{name}" ({names}) VALUES ({marks})',
                        (blob, *(props.get(f) for f, _t in fields)))
    con.commit()
    con.close()
    return path


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


# --- damage done on purpose ------------------------------------------------------------------
def mark_deleted(dbf: Path, index: int) -> None:
    """Set the dBASE deletion flag ('*') of record `index`, as a desktop GIS leaves it."""
    data = bytearray(dbf.read_bytes())
    header, record = struct.unpack("<HH", data[8:12])
    data[header + index * record] = ord("*")
    dbf.write_bytes(bytes(data))


def clear_utf8_flag(archive: Path) -> None:
    """Clear general-purpose bit 11 in every local and central header: the names stay UTF-8
    bytes, as many zip tools write them, but readers are told nothing about it."""
    data = bytearray(archive.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (at := data.find(signature, start)) >= 0:
            flags = struct.unpack_from("<H", data, at + offset)[0]
            struct.pack_into("<H", data, at + offset, flags & ~0x800)
            start = at + 4
    archive.write_bytes(bytes(data))
