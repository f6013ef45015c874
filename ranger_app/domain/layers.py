"""Vector map layers as values: a park boundary, the state border, the forest-quarter grid.

What a layer *is*, apart from the file it came from (GeoJSON, Shapefile, GeoPackage) and how
it is stored or drawn. Geometries are shapely objects in WGS84 longitude/latitude
(EPSG:4326), already reprojected and valid; the store keeps them as WKB, the map draws
them, the review checks and the quarter lookup query them.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

# Codes, not words: labels live in resources/vocab/layer_kinds.csv.
LAYER_KINDS = (
    "park_boundary",   # охраняемая территория / 保护区边界
    "state_border",    # государственная граница / 国界
    "forest_quarter",  # лесной квартал / 林班
    "forest_district",  # лесничество / 林场
    "road",
    "river",
    "cordon",
    "other",
)


@dataclass(frozen=True)
class LayerStyle:
    """How a layer is drawn. Colours are "#rrggbb" or "#rrggbbaa"; widths in device pixels."""

    stroke: str = "#555555"
    width: float = 1.0
    fill: str | None = None
    dashed: bool = False
    label_min_zoom: float | None = None  # labels shown from this web-mercator zoom on


DEFAULT_STYLES: dict[str, LayerStyle] = {
    "park_boundary": LayerStyle(stroke="#1b7f3b", width=2.5, fill="#1b7f3b14"),
    "state_border": LayerStyle(stroke="#c0392b", width=2.5, dashed=True),
    "forest_quarter": LayerStyle(stroke="#7a5c2e", width=0.8, label_min_zoom=12.0),
    "forest_district": LayerStyle(stroke="#7a5c2e", width=1.6, label_min_zoom=10.0),
    "road": LayerStyle(stroke="#b36b00", width=1.4),
    "river": LayerStyle(stroke="#2e86c1", width=1.4),
    "cordon": LayerStyle(stroke="#000000", width=1.0, fill="#ffffff", label_min_zoom=11.0),
    "other": LayerStyle(),
}


def default_style(kind: str) -> LayerStyle:
    return DEFAULT_STYLES.get(kind, DEFAULT_STYLES["other"])


@dataclass(frozen=True)
class LayerFeature:
    """One shape of a layer. `label` is what the map writes (a quarter's number, a road's
    name); `district` names the forest district a quarter belongs to, when the file says."""

    geometry: BaseGeometry
    label: str = ""
    district: str = ""


@dataclass(frozen=True)
class MapLayer:
    """A named, styled set of features of one kind, as HQ imported it."""

    uuid: str
    name: str
    kind: str
    style: LayerStyle
    features: tuple[LayerFeature, ...] = field(default=())

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return features_bounds(self.features)


def features_bounds(features: Sequence[LayerFeature]) -> tuple[float, float, float, float]:
    """(west, south, east, north) of every feature; (0, 0, 0, 0) when there is none."""
    boxes = [f.geometry.bounds for f in features if not f.geometry.is_empty]
    if not boxes:
        return (0.0, 0.0, 0.0, 0.0)
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def style_to_json(style: LayerStyle) -> str:
    return json.dumps(asdict(style), sort_keys=True)


def style_from_json(text: str | None, kind: str) -> LayerStyle:
    """The stored style, falling back to the kind's default for what is missing or broken
    (a row written by a newer version may carry keys this one does not know)."""
    base = asdict(default_style(kind))
    try:
        stored = json.loads(text or "{}")
    except ValueError:
        stored = {}
    if isinstance(stored, dict):
        base.update({k: v for k, v in stored.items() if k in base})
    try:
        return LayerStyle(**base)
    except TypeError:
        return default_style(kind)


# --- features as one blob ------------------------------------------------------------------
# RFLAYER1, then zlib of: a JSON line of labels and districts, and each feature's WKB after
# its length. Plain WKB keeps it readable by any tool; the same features give the same bytes,
# so the same layer added at two stations is one blob.
BLOB_MAGIC = b"RFLAYER1"


class LayerBlobError(ValueError):
    """The stored features cannot be decoded (a damaged or foreign blob)."""


def encode_features(features: Sequence[LayerFeature]) -> bytes:
    head = json.dumps({"labels": [f.label for f in features],
                       "districts": [f.district for f in features]},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    wkbs = shapely.to_wkb(np.array([f.geometry for f in features], dtype=object),
                          byte_order=1, include_srid=False) if features else []
    parts = [struct.pack("<II", len(features), len(head)), head]
    for wkb in wkbs:
        parts += [struct.pack("<I", len(wkb)), wkb]
    return BLOB_MAGIC + zlib.compress(b"".join(parts), 6)


def decode_features(blob: bytes) -> tuple[LayerFeature, ...]:
    if not blob.startswith(BLOB_MAGIC):
        raise LayerBlobError("not a layer blob")
    try:
        data = zlib.decompress(blob[len(BLOB_MAGIC):])
        count, head_len = struct.unpack_from("<II", data, 0)
        at = 8 + head_len
        head = json.loads(data[8:at].decode("utf-8"))
        wkbs = []
        for _ in range(count):
            (n,) = struct.unpack_from("<I", data, at)
            wkbs.append(data[at + 4:at + 4 + n])
            at += 4 + n
        geoms = shapely.from_wkb(np.array(wkbs, dtype=object)) if wkbs else []
        labels, districts = head["labels"], head["districts"]
        if len(labels) != count or len(districts) != count or at != len(data):
            raise LayerBlobError("counts do not match")
        return tuple(LayerFeature(g, str(lab), str(d))
                     for g, lab, d in zip(geoms, labels, districts, strict=True))
    except (zlib.error, struct.error, ValueError, KeyError, TypeError,
            shapely.errors.GEOSException) as err:
        raise LayerBlobError(str(err)) from err


# --- which quarter is here -----------------------------------------------------------------
QUARTER_KIND = "forest_quarter"
DISTRICT_KIND = "forest_district"


def label_order(label: str) -> tuple[int, float, str]:
    """Quarter numbers by value ("9" before "10"), then the rest as text."""
    text = label.strip()
    try:
        return (0, float(text), text)
    except ValueError:
        return (1, 0.0, text)


@dataclass(frozen=True)
class QuarterHit:
    district: str
    quarter: str


class LayerIndex:
    """Point-in-polygon over the quarter and district layers, for filling a fire report's or
    a feeding site's forest district and quarter from its position. A point on the line
    between two quarters belongs to both; the lower number wins, so the answer is stable."""

    def __init__(self, layers: Sequence[MapLayer]) -> None:
        self._quarters = self._polygons(layers, QUARTER_KIND)
        self._districts = self._polygons(layers, DISTRICT_KIND)
        self._q_tree = shapely.STRtree([f.geometry for f in self._quarters])
        self._d_tree = shapely.STRtree([f.geometry for f in self._districts])

    @staticmethod
    def _polygons(layers: Sequence[MapLayer], kind: str) -> list[LayerFeature]:
        return [f for layer in layers if layer.kind == kind for f in layer.features
                if not f.geometry.is_empty
                and f.geometry.geom_type in ("Polygon", "MultiPolygon")]

    def __bool__(self) -> bool:
        return bool(self._quarters or self._districts)

    @staticmethod
    def _covering(tree: shapely.STRtree, features: list[LayerFeature],
                  point: Point) -> list[LayerFeature]:
        if not features:
            return []
        return [features[i] for i in tree.query(point, predicate="covered_by")]

    def district_at(self, lat: float, lon: float) -> str:
        hits = self._covering(self._d_tree, self._districts, Point(lon, lat))
        return min((f.label.strip() for f in hits), key=label_order, default="")

    def quarter_at(self, lat: float, lon: float) -> QuarterHit | None:
        """The quarter covering the point (its district from the quarter's own attribute,
        else from the district layer); None outside every quarter."""
        point = Point(lon, lat)
        hits = self._covering(self._q_tree, self._quarters, point)
        if not hits:
            district = self.district_at(lat, lon)
            return QuarterHit(district, "") if district else None
        best = min(hits, key=lambda f: (label_order(f.label), f.district))
        return QuarterHit(best.district.strip() or self.district_at(lat, lon),
                          best.label.strip())
