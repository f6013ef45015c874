"""Review warnings that need the park's map layers: observations outside the park boundary,
tracks crossing the state border.

Pure functions over plain values (observations, track points, `MapLayer`s), like
`domain.review_checks`; the UI loads the layers and adds these warnings to the others. With
no park-boundary or state-border layer there is nothing to check against, so no warning.

The rules (also in docs/decisions.md):

- **Outside the park.** An observation with a position is outside when no park-boundary
  polygon covers it; a position exactly on the boundary is inside (`covers`, not
  `contains`). Boundary layers drawn as closed lines are turned into polygons. How far
  outside is the ground distance to the nearest boundary, measured on a local equidistant
  plane around the park (under 0.5 % off across a park of 100 km).
- **Crossing the state border.** The walked track (points flagged too fast left out, as for
  the distance) is one line; it crosses where it meets a border line and the track goes on
  on the other side. A track that touches the border or walks along it and turns back
  does not cross. Border layers given as areas (a country polygon) use their outline.
  Planned routes are no evidence and are never checked.

Speed: one `intersects` on a prepared geometry rules out most tracks; only a track that
meets the border is intersected and located (numpy over its segments, no Python loop per
point); 100,000 points take a few milliseconds (bench/layer_checks.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString
from shapely.geometry.base import BaseGeometry
from shapely.ops import polygonize, unary_union
from shapely.strtree import STRtree

from ranger_app.domain.layers import MapLayer
from ranger_app.domain.records import ObservationValue, PatrolValue
from ranger_app.domain.review_checks import ReviewWarning
from ranger_app.domain.track import NO_TIME, point_array

_R = 6_371_008.8
_M_PER_DEG = _R * math.pi / 180
_ON_EDGE_DEG = 1e-9  # closer to the border than this (about 0.1 mm) is on it
PARK_KIND, BORDER_KIND = "park_boundary", "state_border"  # the layer kinds checked


# --- the layers as geometries -------------------------------------------------------------

def _areal(geometry: BaseGeometry) -> list[BaseGeometry]:
    if geometry.is_empty:
        return []
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return [geometry]
    if geometry.geom_type in ("LineString", "MultiLineString", "LinearRing"):
        return list(polygonize([geometry]))  # a boundary drawn as a closed line
    if geometry.geom_type == "GeometryCollection":
        return [a for g in geometry.geoms for a in _areal(g)]
    return []


def _lines(geometry: BaseGeometry) -> list[LineString]:
    if geometry.is_empty:
        return []
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return _lines(geometry.boundary)
    if geometry.geom_type in ("LineString", "LinearRing"):
        return [LineString(geometry.coords)]
    if geometry.geom_type in ("MultiLineString", "GeometryCollection"):
        return [line for g in geometry.geoms for line in _lines(g)]
    return []


def park_area(layers: Sequence[MapLayer]) -> BaseGeometry | None:
    """Every park-boundary polygon as one prepared geometry; None without such a layer."""
    parts = [a for layer in layers if layer.kind == PARK_KIND
             for f in layer.features for a in _areal(f.geometry)]
    if not parts:
        return None
    area = unary_union(parts)
    shapely.prepare(area)
    return area


class BorderLines:
    """The state border as straight segments in an STRtree, and as one prepared geometry
    for the quick "does this track meet the border at all"."""

    def __init__(self, lines: list[LineString]) -> None:
        self.union = MultiLineString(lines) if len(lines) > 1 else lines[0]
        shapely.prepare(self.union)
        self.bounds = self.union.bounds
        ends = [np.asarray(line.coords)[:, :2] for line in lines]
        self.segments = np.concatenate([np.stack([c[:-1], c[1:]], axis=1) for c in ends])
        self.tree = STRtree(shapely.linestrings(self.segments))

    @classmethod
    def of(cls, layers: Sequence[MapLayer]) -> BorderLines | None:
        lines = [line for layer in layers if layer.kind == BORDER_KIND
                 for f in layer.features for line in _lines(f.geometry)
                 if len(line.coords) >= 2]
        return cls(lines) if lines else None

    def sides(self, xy: np.ndarray) -> np.ndarray:
        """Per position: +1 left of the nearest border segment (as drawn), -1 right, 0 on
        the border (nearer than about 0.1 mm)."""
        if not len(xy):
            return np.zeros(0, dtype=int)
        (_, nearest), dist = self.tree.query_nearest(shapely.points(xy), return_distance=True,
                                                     all_matches=False)
        seg = self.segments[nearest]
        d = seg[:, 1] - seg[:, 0]
        r = xy - seg[:, 0]
        cross = d[:, 0] * r[:, 1] - d[:, 1] * r[:, 0]
        out = np.sign(cross).astype(int)
        out[dist <= _ON_EDGE_DEG] = 0
        return out


# --- outside the park ---------------------------------------------------------------------

def _local(lat0: float) -> tuple[float, float]:
    return math.cos(math.radians(lat0)) * _M_PER_DEG, _M_PER_DEG


def outside_park_warnings(observations: Sequence[ObservationValue],
                          park: BaseGeometry | None) -> list[ReviewWarning]:
    """One `outside_park` warning per placed observation no park polygon covers."""
    placed = [o for o in observations if o.lat is not None and o.lon is not None]
    if park is None or not placed:
        return []
    lon = np.array([o.lon for o in placed], dtype=float)
    lat = np.array([o.lat for o in placed], dtype=float)
    inside = shapely.covers_xy(park, lon, lat) if hasattr(shapely, "covers_xy") else \
        shapely.covers(park, shapely.points(lon, lat))
    out_idx = np.nonzero(~inside)[0]
    if not len(out_idx):
        return []
    _w, south, _e, north = park.bounds
    kx, ky = _local((south + north) / 2)
    edge = shapely.transform(park.boundary, lambda xy: xy * np.array([kx, ky]))
    shapely.prepare(edge)
    metres = shapely.distance(edge, shapely.points(lon[out_idx] * kx, lat[out_idx] * ky))
    out = []
    for i, m in zip(out_idx.tolist(), metres.tolist(), strict=True):
        o = placed[i]
        out.append(ReviewWarning("outside_park", o.uuid or "", o.observed_at, o.lat, o.lon,
                                 metres=float(m)))
    return out


# --- crossing the state border ------------------------------------------------------------

def _time_at(ms: np.ndarray, i: int, j: int, t: float) -> datetime | None:
    """The time a fraction `t` from point i to point j (the timed one when only one is)."""
    a, b = int(ms[i]), int(ms[j])
    if a == NO_TIME and b == NO_TIME:
        return None
    if a == NO_TIME or b == NO_TIME:
        return datetime.fromtimestamp(max(a, b) / 1000, UTC)
    return datetime.fromtimestamp((a + (b - a) * t) / 1000, UTC)


def _hits(xy: np.ndarray, border: BorderLines) -> tuple[np.ndarray, np.ndarray]:
    """(track segment, fraction along it) of every meeting of a track segment with a border
    segment, in track order."""
    candidates = np.arange(len(xy) - 1)
    bx0, by0, bx1, by1 = border.bounds
    lo, hi = np.minimum(xy[:-1], xy[1:]), np.maximum(xy[:-1], xy[1:])
    candidates = candidates[(hi[:, 0] >= bx0) & (lo[:, 0] <= bx1)
                            & (hi[:, 1] >= by0) & (lo[:, 1] <= by1)]
    track_segs = shapely.linestrings(np.stack([xy[candidates], xy[candidates + 1]], axis=1))
    mine, theirs = border.tree.query(track_segs, predicate="intersects")
    i = candidates[mine]
    p, d = xy[i], xy[i + 1] - xy[i]
    q = border.segments[theirs, 0]
    e = border.segments[theirs, 1] - q
    den = d[:, 0] * e[:, 1] - d[:, 1] * e[:, 0]
    w = q - p
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(den != 0, (w[:, 0] * e[:, 1] - w[:, 1] * e[:, 0]) / den, 0.0)
    t = np.clip(np.nan_to_num(t), 0.0, 1.0)  # parallel (along the border): at its start
    order = np.lexsort((t, i))
    return i[order], t[order]


def border_crossing_warnings(name: str, points: bytes, border: BorderLines | None
                             ) -> list[ReviewWarning]:
    """One `crosses_border` warning for a track (packed points) that crosses the border:
    where and when it first crossed, and how many times in all."""
    if border is None or not points:
        return []
    arr = point_array(points)
    good = arr[(arr["flags"] & 1) == 0]
    if len(good) < 2:
        return []
    xy = np.column_stack([good["lon"], good["lat"]])
    (minx, miny), (maxx, maxy) = xy.min(axis=0), xy.max(axis=0)
    bx0, by0, bx1, by1 = border.bounds
    if maxx < bx0 or minx > bx1 or maxy < by0 or miny > by1:
        return []
    if not border.union.intersects(shapely.linestrings(xy)):
        return []
    seg, frac = _hits(xy, border)
    # which of the hit segments' ends lie on the border, and on which side the others are
    ends = np.unique(np.concatenate([seg, seg + 1]))
    side = dict(zip(ends.tolist(), border.sides(xy[ends]).tolist(), strict=True))
    n = len(xy)
    crossings: list[tuple[int, float]] = []
    runs: set[tuple[int, int]] = set()
    for i, t in zip(seg.tolist(), frac.tolist(), strict=True):
        if side[i] and side[i + 1]:
            if 0.0 < t < 1.0 and crossings[-1:] != [(i, t)]:  # at a border vertex: once
                crossings.append((i, t))  # through the border inside a segment
            continue
        # the track reaches the border at a point of its own: it crosses when the nearest
        # points off the border before and after lie on different sides
        v = i if side[i] == 0 else i + 1
        before, after = v - 1, v + 1
        while before >= 0 and side.get(before) == 0:
            before -= 1
        while after < n and side.get(after) == 0:
            after += 1
        if before < 0 or after >= n or (before, after) in runs:
            continue  # starts or ends on the border, or the same stretch along it
        runs.add((before, after))
        if side[before] != side[after]:
            crossings.append((v, 0.0) if v < n - 1 else (v - 1, 1.0))
    if not crossings:
        return []
    i, t = crossings[0]
    lon, lat = xy[i] + (xy[i + 1] - xy[i]) * t
    return [ReviewWarning("crosses_border", name, _time_at(good["time"], i, i + 1, t),
                          float(lat), float(lon), count=len(crossings))]


# --- together -----------------------------------------------------------------------------

def layer_warnings(patrol: PatrolValue, layers: Sequence[MapLayer]) -> list[ReviewWarning]:
    """Every layer warning of a patrol: observations outside the park, then tracks crossing
    the border, in the patrol's order."""
    out = outside_park_warnings(patrol.observations, park_area(layers))
    border = BorderLines.of(layers)
    for track in patrol.tracks:
        if not track.is_route:
            out += border_crossing_warnings(track.name, track.points, border)
    return out


__all__ = ["BorderLines", "border_crossing_warnings", "layer_warnings",
           "outside_park_warnings", "park_area"]
