"""The demo calendar: a fixed year, so a seed always gives the same records.

Times are chosen as a ranger would say them (local station time) and stored as aware UTC.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from ranger_app.demo.places import TZ_NAME

TZ = ZoneInfo(TZ_NAME)
SEASON_YEAR = 2024  # patrols, fires and camera traps; feeding covers the winter before it
WINTER_MONTHS = frozenset({12, 1, 2, 3})  # snow cover: snowmobiles, track counts
FEEDING_START = date(SEASON_YEAR - 1, 11, 1)
FEEDING_END = date(SEASON_YEAR, 3, 31)


def local(day: date, hour: float, tz: ZoneInfo = TZ) -> datetime:
    """Local wall time on `day` at `hour` (fractional), as aware UTC."""
    base = datetime(day.year, day.month, day.day, tzinfo=tz)
    return (base + timedelta(hours=hour)).astimezone(UTC)


def to_local(t: datetime) -> datetime:
    return t.astimezone(TZ)


def random_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def is_winter(day: date) -> bool:
    return day.month in WINTER_MONTHS


def snow_depth_cm(rng: random.Random, day: date) -> int:
    """Typical snow in south-west Primorye: thin in November, deepest in February."""
    low, high = {11: (0, 8), 12: (3, 20), 1: (10, 35), 2: (15, 45), 3: (2, 25)}.get(
        day.month, (0, 0))
    return rng.randint(low, high)


def air_temp_c(rng: random.Random, day: date) -> float:
    low, high = {11: (-8, 4), 12: (-22, -6), 1: (-28, -10), 2: (-24, -6), 3: (-10, 4),
                 4: (2, 14), 5: (8, 20), 9: (10, 22), 10: (2, 15)}.get(day.month, (14, 28))
    return round(rng.uniform(low, high), 1) + 0.0  # never -0.0: SQLite stores it as 0.0


def is_fire_season(day: date) -> bool:
    """Spring grass fires (mid-March to May) and autumn ones (late September to November)."""
    md = (day.month, day.day)
    return (3, 15) <= md <= (5, 31) or (9, 25) <= md <= (11, 20)
