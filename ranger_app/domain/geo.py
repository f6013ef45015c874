"""Geometry on the WGS84 ellipsoid approximated by a sphere where metres suffice.

Distances of tracks, bounding boxes, polygon areas and coordinate parsing (decimal degrees
or degrees-minutes(-seconds), as rangers read them off a handheld).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ranger_app.domain.errors import CoordinateOutOfRange, InvalidValue

EARTH_RADIUS_M = 6_371_008.8


def check_position(lat: float, lon: float, where: str = "") -> None:
    if not (math.isfinite(lat) and math.isfinite(lon)) or not (-90 <= lat <= 90) or not (
        -180 <= lon <= 180
    ):
        raise CoordinateOutOfRange(lat, lon, where)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class BBox:
    south: float
    west: float
    north: float
    east: float

    @classmethod
    def around(cls, points: Iterable[tuple[float, float]]) -> BBox | None:
        lats: list[float] = []
        lons: list[float] = []
        for lat, lon in points:
            lats.append(lat)
            lons.append(lon)
        if not lats:
            return None
        return cls(min(lats), min(lons), max(lats), max(lons))

    def union(self, other: BBox | None) -> BBox:
        if other is None:
            return self
        return BBox(min(self.south, other.south), min(self.west, other.west),
                    max(self.north, other.north), max(self.east, other.east))


def polygon_area_ha(ring: Sequence[tuple[float, float]]) -> float:
    """Geodesic area of a closed ring of (lat, lon) on the sphere, in hectares."""
    if len(ring) < 3:
        return 0.0
    total = 0.0
    n = len(ring)
    for i in range(n):
        lat1, lon1 = ring[i]
        lat2, lon2 = ring[(i + 1) % n]
        total += math.radians(lon2 - lon1) * (
            2 + math.sin(math.radians(lat1)) + math.sin(math.radians(lat2))
        )
    return abs(total) * EARTH_RADIUS_M**2 / 2 / 10_000


_DMS = re.compile(
    r"""^\s*(?P<hemi1>[NSEWСЮВЗ北南东西])?\s*
    (?P<deg>-?\d+(?:[.,]\d+)?)\s*[°º:\s]?\s*
    (?:(?P<min>\d+(?:[.,]\d+)?)\s*['′’:\s]?\s*)?
    (?:(?P<sec>\d+(?:[.,]\d+)?)\s*(?:["″”]|'')?\s*)?
    (?P<hemi2>[NSEWСЮВЗ北南东西])?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)
_NEGATIVE = set("SWЮЗ南西sw")


def parse_coordinate(text: str, axis: str) -> float:
    """Parse `43.1234`, `43°07.404'`, `43 07 24.2 N`, `С 43°07'24"` into decimal degrees."""
    m = _DMS.match(text.strip())
    if not m:
        raise InvalidValue(axis, text)
    deg = float(m["deg"].replace(",", "."))
    minutes = float(m["min"].replace(",", ".")) if m["min"] else 0.0
    seconds = float(m["sec"].replace(",", ".")) if m["sec"] else 0.0
    if minutes >= 60 or seconds >= 60:
        raise InvalidValue(axis, text)
    value = abs(deg) + minutes / 60 + seconds / 3600
    hemi = m["hemi1"] or m["hemi2"]
    if deg < 0 or (hemi and hemi in _NEGATIVE):
        value = -value
    limit = 90 if axis == "lat" else 180
    if abs(value) > limit:
        raise InvalidValue(axis, text)
    return value
