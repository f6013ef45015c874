"""GPS tracks as fast random walks: millions of fixes in seconds, stats computed on the way.

The `large` scale writes over five million points, so the walk does not build `TrackPoint`s:
it packs each fix straight into the `domain.track` layout and keeps the same running sums as
`flag_speed` + `track_stats` (haversine between consecutive good fixes, a fix flagged when it
is reached faster than the transport allows from the last good one), so the stored stats are
exactly those of the stored points.
"""

from __future__ import annotations

import math
import random
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from ranger_app.demo.places import INNER, M_PER_DEG_LAT, PARK_CENTRE
from ranger_app.domain.geo import EARTH_RADIUS_M
from ranger_app.domain.track import REST_SPEED_MS, TrackStats

# The layout of `domain.track.pack_points`: lat, lon (f64), ele (f32), time ms (i64), flags.
POINT = struct.Struct("<ddfqB")
FLAG_TOO_FAST = 1
JITTER_M = 2.0  # GPS noise around the true position


@dataclass(frozen=True)
class Motion:
    """How one transport moves between fixes, and the speed above which a fix is flagged."""

    speed_kmh: tuple[float, float]
    turn_rad: float  # heading change per fix, at most
    rest_chance: float  # chance per fix to stop for a while
    rest_fixes: tuple[int, int]
    max_speed_kmh: float


@dataclass(frozen=True)
class Sample:
    """A good fix picked for an observation."""

    lat: float
    lon: float
    ele: float
    t: int  # epoch seconds


@dataclass(frozen=True)
class Walk:
    blob: bytes  # empty when the walk was not kept (a patrol logged without GPS)
    stats: TrackStats
    samples: list[Sample]
    end: tuple[float, float, float]  # the true position where the walk stopped (lat, lon, ele)


def utc(t: int) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def walk(rng: random.Random, start: tuple[float, float, float], t0: int, t1: int,
         motion: Motion, sample_times: list[int], *, interval: tuple[int, int] = (10, 30),
         jump_chance: float = 0.0, keep: bool = True) -> Walk:
    """Fixes every `interval` seconds from `t0` to `t1`; a few wild fixes with `jump_chance`.

    `sample_times` (sorted epoch seconds) each take the first good fix at or after them.
    """
    rand = rng.random
    sin, cos, asin, sqrt, atan2 = math.sin, math.cos, math.asin, math.sqrt, math.atan2
    rad = math.pi / 180
    two_r = 2 * EARTH_RADIUS_M
    pack = POINT.pack
    limit = motion.max_speed_kmh / 3.6
    v_lo, v_hi = motion.speed_kmh[0] / 3.6, motion.speed_kmh[1] / 3.6
    cruise = v_lo + rand() * (v_hi - v_lo)
    turn2 = motion.turn_rad * 2
    rest_chance = motion.rest_chance
    rest_lo, rest_hi = motion.rest_fixes
    i_lo, i_span = interval[0], interval[1] - interval[0] + 1
    south, north, west, east = INNER.south, INNER.north, INNER.west, INNER.east
    c_lat, c_lon = PARK_CENTRE

    lat, lon, ele = start
    heading = rand() * 2 * math.pi
    jit_lat = JITTER_M / M_PER_DEG_LAT
    m_per_deg_lon = M_PER_DEG_LAT * cos(lat * rad)
    jit_lon = JITTER_M / m_per_deg_lon

    parts: list[bytes] = []
    samples: list[Sample] = []
    s_i, s_n = 0, len(sample_times)
    next_sample = sample_times[0] if s_n else 1 << 62
    length = moving = 0.0
    flagged = n = 0
    g_lat = g_p = g_c = g_lon = 0.0  # last good fix: lat (deg, rad), cos(lat), lon (deg)
    g_t = t0
    rest_left = 0
    t = t0
    last_t = t0
    while t <= t1:
        flags = 0
        if n and jump_chance and rand() < jump_chance:
            # A wild fix: far off towards the middle of the park, so it stays inside it.
            far = limit * (t - g_t) * (1.5 + rand() * 1.5) + 100.0
            b = atan2((c_lon - lon) * m_per_deg_lon, (c_lat - lat) * M_PER_DEG_LAT)
            f_lat = lat + far * cos(b) / M_PER_DEG_LAT
            f_lon = lon + far * sin(b) / m_per_deg_lon
        else:
            f_lat = lat + (rand() - 0.5) * jit_lat
            f_lon = lon + (rand() - 0.5) * jit_lon
        p2 = f_lat * rad
        c2 = cos(p2)
        if n == 0:
            good = True
        else:
            a = sin((p2 - g_p) / 2) ** 2 + g_c * c2 * sin((f_lon - g_lon) * rad / 2) ** 2
            d = two_r * asin(min(1.0, sqrt(a)))
            dt = t - g_t
            if d / dt > limit:
                good = False
                flags = FLAG_TOO_FAST
                flagged += 1
            else:
                good = True
                length += d
                if d / dt >= REST_SPEED_MS:
                    moving += dt
        if good:
            g_lat, g_p, g_c, g_lon, g_t = f_lat, p2, c2, f_lon, t
            while t >= next_sample:
                samples.append(Sample(f_lat, f_lon, round(ele, 1), t))
                s_i += 1
                next_sample = sample_times[s_i] if s_i < s_n else 1 << 62
        if keep:
            parts.append(pack(f_lat, f_lon, ele, t * 1000, flags))
        n += 1
        last_t = t

        # Move on to the next fix.
        step = i_lo + int(rand() * i_span)
        t += step
        if rest_left:
            rest_left -= 1
            continue
        if rand() < rest_chance:
            rest_left = rest_lo + int(rand() * (rest_hi - rest_lo + 1))
            continue
        heading += (rand() - 0.5) * turn2
        dist = cruise * (0.7 + 0.6 * rand()) * step
        n_lat = lat + dist * cos(heading) / M_PER_DEG_LAT
        n_lon = lon + dist * sin(heading) / m_per_deg_lon
        if n_lat < south or n_lat > north:
            heading = math.pi - heading  # turn back from the park's edge
        elif n_lon < west or n_lon > east:
            heading = -heading
        else:
            lat, lon = n_lat, n_lon
            ele += (rand() - 0.5) * dist * 0.12
            ele = 5.0 if ele < 5.0 else 1100.0 if ele > 1100.0 else ele

    while s_i < s_n:  # sample times past the last fix take the last good one
        samples.append(Sample(g_lat, g_lon, round(ele, 1), g_t))
        s_i += 1
    stats = TrackStats(
        points=n, length_m=length, duration_s=float(last_t - t0),
        moving_s=moving if n - flagged > 1 else None, flagged=flagged,
        start=utc(t0), end=utc(last_t),
    )
    return Walk(b"".join(parts) if keep else b"", stats, samples, (lat, lon, ele))
