"""What an inspector should look at twice: automatic warnings on a submitted patrol.

Pure functions over a `PatrolValue` (no database): fixes faster than the transport allows,
gaps in a track, observations far from every track, times outside the patrol, a patrol with
no track. Whether the same GPX file already serves another patrol needs the database; the
store answers that (`store.review.patrols_sharing_gpx`) and the UI adds it to this list.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from ranger_app.domain.geo import haversine_m
from ranger_app.domain.records import ObservationValue, PatrolValue
from ranger_app.domain.track import TrackPoint, unpack_points

GAP_SECONDS = 30 * 60
GAP_METRES = 2_000.0
FAR_METRES = 500.0
TIME_SLACK = timedelta(minutes=10)  # a GPS switched on a little early is not a finding
_R = 6_371_008.8


@dataclass(frozen=True)
class ReviewWarning:
    """One finding. `kind` says which fields carry meaning:

    too_fast: ref (track name), count, speed_kmh (fastest), at, lat/lon (first flagged fix);
    gap: ref, at (gap start), seconds, metres, lat/lon (where it starts);
    far_observation: ref (observation uuid), metres (to the nearest track), at, lat/lon;
    observation_outside / track_outside: ref, at;
    no_track; shared_gpx: ref (the other patrol's number);
    outside_park: ref (observation uuid), metres (outside the boundary), at, lat/lon;
    crosses_border: ref (track name), count (crossings), at, lat/lon (the first crossing).
    The last two come from `domain.layer_checks`, which needs the park's map layers.
    """

    kind: str
    ref: str = ""
    at: datetime | None = None
    lat: float | None = None
    lon: float | None = None
    count: int = 0
    seconds: float = 0.0
    metres: float = 0.0
    speed_kmh: float = 0.0


def _speed_kmh(a: TrackPoint, b: TrackPoint) -> float:
    if a.time is None or b.time is None:
        return 0.0
    dt = (b.time - a.time).total_seconds()
    return haversine_m(a.lat, a.lon, b.lat, b.lon) / dt * 3.6 if dt > 0 else math.inf


def speed_warnings(name: str, points: list[TrackPoint]) -> list[ReviewWarning]:
    """One warning per track holding fixes flagged too fast for its transport."""
    flagged = [i for i, p in enumerate(points) if p.too_fast]
    if not flagged:
        return []
    fastest = max(_speed_kmh(points[i - 1], points[i]) for i in flagged if i > 0) \
        if any(i > 0 for i in flagged) else 0.0
    first = points[flagged[0]]
    return [ReviewWarning("too_fast", name, first.time, first.lat, first.lon,
                          count=len(flagged),
                          speed_kmh=fastest if math.isfinite(fastest) else 0.0)]


def gap_warnings(name: str, points: list[TrackPoint]) -> list[ReviewWarning]:
    """Breaks between consecutive good fixes longer than 30 min or 2 km."""
    good = [p for p in points if not p.too_fast]
    out = []
    for a, b in pairwise(good):
        metres = haversine_m(a.lat, a.lon, b.lat, b.lon)
        seconds = (b.time - a.time).total_seconds() if a.time and b.time else 0.0
        if seconds > GAP_SECONDS or metres > GAP_METRES:
            out.append(ReviewWarning("gap", name, a.time, a.lat, a.lon, seconds=seconds,
                                     metres=metres))
    return out


class _Segments:
    """Track segments in a local metric plane, bucketed in a grid for near lookups."""

    def __init__(self, tracks: list[list[TrackPoint]], lat0: float, cell: float) -> None:
        self.kx = math.cos(math.radians(lat0)) * _R * math.pi / 180
        self.ky = _R * math.pi / 180
        self.cell = cell
        self.segments: list[tuple[float, float, float, float]] = []
        self.grid: dict[tuple[int, int], list[int]] = {}
        self.long: list[int] = []  # segments spanning many cells are always checked
        for points in tracks:
            xy = [self.xy(p.lat, p.lon) for p in points if not p.too_fast]
            if len(xy) == 1:
                xy.append(xy[0])
            for (x1, y1), (x2, y2) in pairwise(xy):
                self._add(x1, y1, x2, y2)

    def _add(self, x1: float, y1: float, x2: float, y2: float) -> None:
        index = len(self.segments)
        self.segments.append((x1, y1, x2, y2))
        xs = range(math.floor(min(x1, x2) / self.cell), math.floor(max(x1, x2) / self.cell) + 1)
        ys = range(math.floor(min(y1, y2) / self.cell), math.floor(max(y1, y2) / self.cell) + 1)
        if len(xs) * len(ys) > 64:
            self.long.append(index)
            return
        for gx in xs:
            for gy in ys:
                self.grid.setdefault((gx, gy), []).append(index)

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return lon * self.kx, lat * self.ky

    @staticmethod
    def _distance(px: float, py: float, seg: tuple[float, float, float, float]) -> float:
        x1, y1, x2, y2 = seg
        dx, dy = x2 - x1, y2 - y1
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - x1) * dx + (py - y1) * dy)
                                                  / length2))
        return math.hypot(px - (x1 + t * dx), py - (y1 + t * dy))

    def nearest(self, lat: float, lon: float) -> float:
        """Metres to the nearest segment: exact within one cell, by full scan beyond."""
        px, py = self.xy(lat, lon)
        gx, gy = math.floor(px / self.cell), math.floor(py / self.cell)
        near = {i for dx in (-1, 0, 1) for dy in (-1, 0, 1)
                for i in self.grid.get((gx + dx, gy + dy), ())}
        near.update(self.long)
        best = min((self._distance(px, py, self.segments[i]) for i in near), default=math.inf)
        if best <= self.cell:
            return best
        return min((self._distance(px, py, s) for s in self.segments), default=math.inf)


def far_observation_warnings(observations: list[ObservationValue],
                             tracks: list[list[TrackPoint]]) -> list[ReviewWarning]:
    """Observations more than 500 m from every track of the patrol."""
    placed = [o for o in observations if o.lat is not None and o.lon is not None]
    if not placed or not any(tracks):
        return []
    lat0 = sum(o.lat or 0.0 for o in placed) / len(placed)
    segments = _Segments([t for t in tracks if t], lat0, FAR_METRES)
    out = []
    for o in placed:
        assert o.lat is not None and o.lon is not None
        metres = segments.nearest(o.lat, o.lon)
        if metres > FAR_METRES and math.isfinite(metres):
            out.append(ReviewWarning("far_observation", o.uuid or "", o.observed_at, o.lat,
                                     o.lon, metres=metres))
    return out


def _outside(t: datetime | None, start: datetime | None, end: datetime | None) -> bool:
    if t is None:
        return False
    return bool((start and t < start - TIME_SLACK) or (end and t > end + TIME_SLACK))


def time_warnings(patrol: PatrolValue) -> list[ReviewWarning]:
    """Observations and tracks dated outside the patrol's start and end."""
    out = [ReviewWarning("observation_outside", o.uuid or "", o.observed_at, o.lat, o.lon)
           for o in patrol.observations
           if _outside(o.observed_at, patrol.start_at, patrol.end_at)]
    for t in patrol.tracks:
        if t.is_route:
            continue  # the plan's times are the planner's, not the patrol's
        if (_outside(t.stats.start, patrol.start_at, patrol.end_at)
                or _outside(t.stats.end, patrol.start_at, patrol.end_at)):
            when = t.stats.start if _outside(t.stats.start, patrol.start_at, patrol.end_at) \
                else t.stats.end
            out.append(ReviewWarning("track_outside", t.name, when))
    return out


def review_warnings(patrol: PatrolValue) -> list[ReviewWarning]:
    """Every automatic warning for a patrol, in a stable order."""
    walked = [t for t in patrol.tracks if not t.is_route]  # a planned route is no evidence
    if not walked:
        return [ReviewWarning("no_track"), *time_warnings(patrol)]
    tracks = [unpack_points(t.points) for t in walked]
    out: list[ReviewWarning] = []
    for t, points in zip(walked, tracks, strict=True):
        out += speed_warnings(t.name, points)
        out += gap_warnings(t.name, points)
    out += far_observation_warnings(patrol.observations, tracks)
    out += time_warnings(patrol)
    return out
