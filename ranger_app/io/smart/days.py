"""A leg into SMART's per-day units, split at local midnight of the station's time zone.

SMART keeps one track per leg-day and writes dates and times local to the conservation area
without an offset. A track that runs through midnight gets a point interpolated at midnight,
last of one day and first of the next, so the days' lengths add up to the leg's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ranger_app.domain.track import TrackPoint


@dataclass
class LegDay:
    day: date
    start: datetime  # aware, local
    end: datetime
    points: list[TrackPoint] = field(default_factory=list)


def local_midnight(d: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(d, time(0), tz)


def split_days(start: datetime, end: datetime, tz: ZoneInfo) -> list[LegDay]:
    """One LegDay per local date the interval touches (an end exactly at midnight does not
    open a day of its own)."""
    s, e = start.astimezone(tz), end.astimezone(tz)
    if e < s:
        e = s
    days = []
    d = s.date()
    while True:
        day_start = max(s, local_midnight(d, tz))
        next_midnight = local_midnight(d + timedelta(days=1), tz)
        day_end = min(e, next_midnight)
        days.append(LegDay(d, day_start, day_end))
        if e <= next_midnight:
            break
        d += timedelta(days=1)
    return days


def _interpolate(a: TrackPoint, b: TrackPoint, at: datetime) -> TrackPoint:
    assert a.time is not None and b.time is not None
    span = (b.time - a.time).total_seconds()
    f = 0.0 if span <= 0 else (at - a.time).total_seconds() / span
    return TrackPoint(a.lat + (b.lat - a.lat) * f, a.lon + (b.lon - a.lon) * f, None,
                      at.astimezone(a.time.tzinfo))


def assign_points(days: Sequence[LegDay], points: Sequence[TrackPoint], tz: ZoneInfo) -> None:
    """Give each day the points of its local date; untimed points (and points outside the
    leg's dates) go to the nearest day. A segment across midnight gets a shared point."""
    if not days:
        return
    index = {d.day: i for i, d in enumerate(days)}

    def day_of(p: TrackPoint, last: int) -> int:
        if p.time is None:
            return last
        d = p.time.astimezone(tz).date()
        if d in index:
            return index[d]
        return 0 if d < days[0].day else len(days) - 1

    current = 0
    prev: TrackPoint | None = None
    for p in points:
        i = day_of(p, current)
        if prev is not None and i > current and prev.time is not None and p.time is not None:
            for k in range(current, i):  # every midnight between the two fixes
                mid = local_midnight(days[k].day + timedelta(days=1), tz)
                if prev.time < mid < p.time:
                    q = _interpolate(prev, p, mid)
                    days[k].points.append(q)
                    days[k + 1].points.append(q)
                elif mid == p.time:  # a fix at midnight ends one day and starts the next
                    days[k].points.append(p)
        days[i].points.append(p)
        current, prev = i, p


def join_days(tracks: Sequence[Sequence[TrackPoint]]) -> list[TrackPoint]:
    """The leg's track back from its days: a point shared across midnight appears once."""
    out: list[TrackPoint] = []
    for pts in tracks:
        for p in pts:
            if out and _same(out[-1], p):
                continue
            out.append(p)
    return out


def _same(a: TrackPoint, b: TrackPoint) -> bool:
    return (a.time == b.time and abs(a.lat - b.lat) < 1e-9 and abs(a.lon - b.lon) < 1e-9)
