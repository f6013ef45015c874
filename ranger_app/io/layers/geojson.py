"""GeoJSON layers: RFC 7946 files, and the 2008 ones with a legacy "crs" member.

QGIS and GDAL still write `"crs": {"type": "name", "properties": {"name":
"urn:ogc:def:crs:EPSG::28422"}}` when the layer is saved in its Gauss-Krüger zone; without
the member the coordinates are WGS84 longitude/latitude (RFC 7946).

Python's json module builds every coordinate pair as a list of floats: a file of a million
points would take a few hundred megabytes before it could be counted. So the raw text is
counted first (positions are the arrays that start with a number, outside strings), at C
speed, and an oversized file is refused without being parsed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import shapely
from pyproj import CRS
from shapely import GeometryType

from ranger_app.i18n import _
from ranger_app.io.layers.build import Collector, SourceLayer, Ticker, VertexBudget, broken
from ranger_app.io.layers.crs import parse_crs, wgs84
from ranger_app.io.layers.errors import (
    DAMAGED,
    MAX_VERTICES,
    NOT_A_LAYER,
    TOO_MANY_VERTICES,
    UNKNOWN_CRS,
    LayerInvalid,
)

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_TYPES = {
    "Point": GeometryType.POINT,
    "MultiPoint": GeometryType.MULTIPOINT,
    "LineString": GeometryType.LINESTRING,
    "MultiLineString": GeometryType.MULTILINESTRING,
    "Polygon": GeometryType.POLYGON,
    "MultiPolygon": GeometryType.MULTIPOLYGON,
}
_DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2,
          "MultiPolygon": 3}


def read_geojson(path: Path, shown: str, crs: CRS | None, ticker: Ticker) -> SourceLayer:
    """`crs`, when given, wins over the file's own member (a file that lies about it)."""
    data = path.read_bytes()
    _refuse_oversized(data, shown)
    doc = _parse(data, shown)
    features = _features(doc, shown)
    source_crs = crs if crs is not None else _declared_crs(doc, shown)
    budget = VertexBudget(shown)
    collector = Collector(shown, budget)
    fields: dict[str, None] = {}
    numbers: list[int] = []
    props: list[dict[str, Any]] = []
    notes: list[str] = []
    ticker.start(len(features))
    for index, feature in enumerate(features):
        number = index + 1
        ticker.tick(index)
        if not isinstance(feature, dict):
            raise broken(shown, number, _("not a GeoJSON Feature"))
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            properties = {}
        for key in properties:
            fields.setdefault(str(key), None)
        geometry = feature.get("geometry") if feature.get("type") == "Feature" else feature
        if not _add(collector, number, geometry, shown):
            notes.append(_("feature {n}: no geometry; dropped").format(n=number))
            continue
        numbers.append(number)
        props.append(properties)
    names = tuple(fields)
    rows = [tuple(p.get(f) for f in names) for p in props]
    name = doc.get("name") if isinstance(doc.get("name"), str) else ""
    return SourceLayer(name=name.strip() or path.stem, fields=names, crs=source_crs,
                       numbers=numbers, geometries=collector.build(), rows=rows,
                       notes=[*notes, *collector.notes])


def _refuse_oversized(data: bytes, shown: str) -> None:
    """Every position is an array, so fewer '[' than the limit is proof enough; otherwise
    count the arrays that open with a number once strings and white space are taken out.
    Only bytes.count and two copies of the text: no list per match, no Python loop."""
    if data.count(b"[") <= MAX_VERTICES:
        return
    packed = _STRING.sub(b'""', data).translate(None, b" \t\r\n")
    positions = sum(packed.count(b"[" + bytes([c])) for c in b"-+.0123456789")
    if positions > MAX_VERTICES:
        raise LayerInvalid(shown, TOO_MANY_VERTICES, str(positions))


def _parse(data: bytes, shown: str) -> dict[str, Any]:
    head = data.lstrip()[:1]
    try:
        doc = json.loads(data)
    except UnicodeDecodeError:
        raise LayerInvalid(shown, NOT_A_LAYER, "not text") from None
    except json.JSONDecodeError as err:
        # A document that starts like GeoJSON and breaks off or goes wrong is damaged;
        # anything else was never JSON.
        if head == b"{" or data.lstrip().startswith(b"\xef\xbb\xbf{"):
            raise LayerInvalid(shown, DAMAGED, f"{err.msg} at character {err.pos}") from None
        raise LayerInvalid(shown, NOT_A_LAYER, "not JSON") from None
    except RecursionError:
        raise LayerInvalid(shown, DAMAGED, "nested too deeply") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("type"), str):
        raise LayerInvalid(shown, NOT_A_LAYER, "JSON, but not GeoJSON")
    return doc


def _features(doc: dict[str, Any], shown: str) -> list[Any]:
    kind = doc["type"]
    if kind == "FeatureCollection":
        features = doc.get("features")
        if not isinstance(features, list):
            raise LayerInvalid(shown, DAMAGED, "a FeatureCollection without a features list")
        return features
    if kind == "Feature" or kind in _TYPES or kind == "GeometryCollection":
        return [doc]
    raise LayerInvalid(shown, NOT_A_LAYER, f"JSON of type {kind!r}, not GeoJSON")


def _declared_crs(doc: dict[str, Any], shown: str) -> CRS:
    member = doc.get("crs")
    if not isinstance(member, dict):
        return wgs84()  # RFC 7946: always WGS84 longitude/latitude
    properties = member.get("properties") or {}
    name = properties.get("name") if isinstance(properties, dict) else None
    if member.get("type") != "name" or not isinstance(name, str):
        raise LayerInvalid(shown, UNKNOWN_CRS, json.dumps(member, ensure_ascii=False)[:120])
    return parse_crs(name, shown)


def _add(collector: Collector, number: int, geometry: Any, shown: str) -> bool:
    """False for a null or empty geometry (the feature is dropped and noted)."""
    if geometry is None:
        return False
    if not isinstance(geometry, dict):
        raise broken(shown, number, _("the geometry is not a GeoJSON object"))
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        members = geometry.get("geometries")
        if not isinstance(members, list):
            raise broken(shown, number, _("a GeometryCollection without geometries"))
        inner = Collector(shown, collector.budget)
        for member in members:
            _add(inner, number, member, shown)
        if not len(inner):
            return False
        collector.notes.extend(inner.notes)
        collector.add_geometry(shapely.geometrycollections(list(inner.build())))
        return True
    if not isinstance(kind, str) or kind not in _TYPES:
        raise broken(shown, number, _("unknown geometry type {kind}").format(kind=repr(kind)[:100]))
    coordinates = geometry.get("coordinates")
    if coordinates is None or (isinstance(coordinates, list) and not coordinates):
        return False
    try:
        nested = _xy(coordinates, _DEPTH[kind])
    except (TypeError, IndexError, KeyError):
        raise broken(shown, number, _("{kind} coordinates are not nested as GeoJSON says")
                     .format(kind=kind)) from None
    nested = _without_empty_parts(nested, _DEPTH[kind])
    if nested is None:
        return False
    collector.add(number, _TYPES[kind], nested)
    return True


def _xy(coordinates: Any, depth: int) -> Any:
    """Positions as (x, y) tuples (altitude dropped), the lists around them kept."""
    if depth == 0:
        if not isinstance(coordinates, list):
            raise TypeError
        return (coordinates[0], coordinates[1])
    if not isinstance(coordinates, list):
        raise TypeError
    if depth == 1:  # a number raises TypeError, an object KeyError; text fails as not numeric
        return [(p[0], p[1]) for p in coordinates]
    return [_xy(part, depth - 1) for part in coordinates]


def _without_empty_parts(nested: Any, depth: int) -> Any:
    """Multi-geometries with an empty member ([] in a MultiPolygon) lose it; None if all."""
    if depth == 3:
        parts = [p for p in nested if p]
        return parts or None
    if depth == 2:
        return [p for p in nested if p] or None
    return nested or None
