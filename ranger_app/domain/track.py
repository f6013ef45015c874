"""GPS tracks as plain values: points, statistics, speed flags, leg windows.

Points are stored packed (`pack_points`) rather than one row each: a season holds millions of
points, they are written once, and they are always read as a whole track.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise

import numpy as np

from ranger_app.domain.geo import haversine_m

# lat, lon (float64), elevation (float32, NaN when unknown), time (int64 ms UTC, or
# NO_TIME), flags (uint8)
_POINT = struct.Struct("<ddfqB")
NO_TIME = -(2**63)
FLAG_TOO_FAST = 1
REST_SPEED_MS = 0.3  # slower than this between two fixes counts as resting


@dataclass(frozen=True)
class TrackPoint:
    lat: float
    lon: float
    ele: float | None = None
    time: datetime | None = None  # aware, UTC
    flags: int = 0

    @property
    def too_fast(self) -> bool:
        return bool(self.flags & FLAG_TOO_FAST)


def _time_ms(t: datetime | None) -> int:
    return NO_TIME if t is None else int(t.timestamp() * 1000)


def pack_points(points: Sequence[TrackPoint]) -> bytes:
    buf = bytearray(_POINT.size * len(points))
    for i, p in enumerate(points):
        ele = math.nan if p.ele is None else p.ele
        _POINT.pack_into(buf, i * _POINT.size, p.lat, p.lon, ele, _time_ms(p.time), p.flags)
    return bytes(buf)


def unpack_points(data: bytes) -> list[TrackPoint]:
    out = []
    for lat, lon, ele, ms, flags in _POINT.iter_unpack(data):
        out.append(
            TrackPoint(
                lat, lon, None if math.isnan(ele) else ele,
                None if ms == NO_TIME else datetime.fromtimestamp(ms / 1000, UTC), flags,
            )
        )
    return out


def unpack_latlon(data: bytes) -> list[tuple[float, float]]:
    """Only positions: what the map needs, without building datetimes."""
    return [(lat, lon) for lat, lon, _e, _t, _f in _POINT.iter_unpack(data)]


# The same layout as a numpy record: a whole track as arrays without a Python object per point.
POINT_DTYPE = np.dtype([("lat", "<f8"), ("lon", "<f8"), ("ele", "<f4"), ("time", "<i8"),
                        ("flags", "u1")])
assert POINT_DTYPE.itemsize == _POINT.size


def point_array(data: bytes) -> np.ndarray:
    """Packed points as a read-only numpy record array (fields as in `POINT_DTYPE`)."""
    return np.frombuffer(data, dtype=POINT_DTYPE, count=len(data) // _POINT.size)


def point_count(data: bytes) -> int:
    return len(data) // _POINT.size


@dataclass(frozen=True)
class TrackStats:
    points: int
    length_m: float  # over points not flagged too fast
    duration_s: float | None
    moving_s: float | None
    flagged: int
    start: datetime | None
    end: datetime | None

    @property
    def length_km(self) -> float:
        return self.length_m / 1000

    @property
    def rest_s(self) -> float | None:
        if self.duration_s is None or self.moving_s is None:
            return None
        return self.duration_s - self.moving_s


def flag_speed(points: Sequence[TrackPoint], max_speed_kmh: float | None) -> list[TrackPoint]:
    """Flag points reached faster than the transport allows; keep them (never drop silently).

    A flagged point is compared to the last good point, so one wild fix flags once instead of
    also flagging the honest point after it.
    """
    if not max_speed_kmh or not points:
        return list(points)
    limit = max_speed_kmh / 3.6
    out = [points[0]]
    last_good = points[0]
    for p in points[1:]:
        flags = p.flags & ~FLAG_TOO_FAST
        if p.time and last_good.time:
            dt = (p.time - last_good.time).total_seconds()
            dist = haversine_m(last_good.lat, last_good.lon, p.lat, p.lon)
            if (dt > 0 and dist / dt > limit) or (dt <= 0 and dist > 50):
                flags |= FLAG_TOO_FAST
        good = not flags & FLAG_TOO_FAST
        q = p if p.flags == flags else TrackPoint(p.lat, p.lon, p.ele, p.time, flags)
        out.append(q)
        if good:
            last_good = q
    return out


def track_stats(points: Sequence[TrackPoint]) -> TrackStats:
    good = [p for p in points if not p.too_fast]
    length = 0.0
    moving = 0.0
    any_time = False
    for a, b in pairwise(good):
        d = haversine_m(a.lat, a.lon, b.lat, b.lon)
        length += d
        if a.time and b.time:
            dt = (b.time - a.time).total_seconds()
            if dt > 0:
                any_time = True
                if d / dt >= REST_SPEED_MS:
                    moving += dt
    times = [p.time for p in points if p.time]
    start = min(times) if times else None
    end = max(times) if times else None
    duration = (end - start).total_seconds() if start and end else None
    return TrackStats(
        points=len(points), length_m=length, duration_s=duration,
        moving_s=moving if any_time else None,
        flagged=len(points) - len(good), start=start, end=end,
    )


@dataclass(frozen=True)
class TimeWindow:
    key: str  # the leg's id
    start: datetime
    end: datetime | None

    def contains(self, t: datetime) -> bool:
        return self.start <= t and (self.end is None or t <= self.end)


def assign_to_window(times: Iterable[datetime | None], windows: Sequence[TimeWindow]) -> str | None:
    """The window holding most of a segment's timed points (first window when untimed)."""
    if not windows:
        return None
    votes: dict[str, int] = {}
    for t in times:
        if t is None:
            continue
        for w in windows:
            if w.contains(t):
                votes[w.key] = votes.get(w.key, 0) + 1
                break
    if not votes:
        return windows[0].key
    return max(votes, key=lambda k: votes[k])
