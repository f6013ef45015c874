"""SMART's track geometry: a WKB LineString in WGS 84, hex-encoded, time in Z.

x is the longitude, y the latitude and z the time of the point in milliseconds since the
Unix epoch (the SMART 1.4 schema's own words). We write what JTS's `WKBWriter` writes for a
3-D line: big-endian, type 0x80000002 (the EWKB Z flag); we read either byte order, the
EWKB and ISO (1002) Z forms, a 2-D line (no times) and an M or ZM line (time in M).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from datetime import UTC, datetime

from ranger_app.domain.track import TrackPoint

_EWKB_Z = 0x80000000
_EWKB_M = 0x40000000
_LINESTRING = 2


class WkbError(ValueError):
    """The geometry is not a WKB LineString we can read."""


def encode_track(points: Sequence[TrackPoint]) -> str:
    """Hex WKB of a LineString Z; an untimed point gets z = 0."""
    out = bytearray(struct.pack(">BII", 0, _EWKB_Z | _LINESTRING, len(points)))
    for p in points:
        z = p.time.timestamp() * 1000 if p.time is not None else 0.0
        out += struct.pack(">ddd", p.lon, p.lat, float(round(z)))
    return out.hex().upper()


def decode_track(text: str, max_points: int = 2_000_000) -> list[TrackPoint]:
    """Points of a hex WKB LineString; z (or m) ≤ 0 means no time."""
    try:
        data = bytes.fromhex(text.strip())
    except ValueError:
        raise WkbError("not hexadecimal") from None
    if len(data) < 9:
        raise WkbError("too short")
    order = {0: ">", 1: "<"}.get(data[0])
    if order is None:
        raise WkbError(f"byte order {data[0]}")
    (gtype,) = struct.unpack_from(order + "I", data, 1)
    offset = 5
    if gtype & 0x20000000:  # EWKB with an SRID
        offset += 4
    has_z = bool(gtype & _EWKB_Z)
    has_m = bool(gtype & _EWKB_M)
    base = gtype & 0x0FFFFFFF
    if base > 1000:  # ISO: 1002 Z, 2002 M, 3002 ZM
        has_z, has_m = base // 1000 in (1, 3), base // 1000 in (2, 3)
        base %= 1000
    if base != _LINESTRING:
        raise WkbError(f"geometry type {base}, not a LineString")
    dims = 2 + has_z + has_m
    (n,) = struct.unpack_from(order + "I", data, offset)
    offset += 4
    if n > max_points or len(data) != offset + n * dims * 8:
        raise WkbError(f"{n} points do not fit {len(data)} bytes")
    fmt = struct.Struct(order + "d" * dims)
    points = []
    for values in fmt.iter_unpack(data[offset:]):
        lon, lat = values[0], values[1]
        ms = values[-1] if dims > 2 else 0.0
        if not (math.isfinite(lat) and math.isfinite(lon)):
            raise WkbError("a coordinate is not a number")
        when = (datetime.fromtimestamp(ms / 1000, UTC)
                if math.isfinite(ms) and 0 < ms < 32503680000000 else None)
        points.append(TrackPoint(lat, lon, None, when))
    return points
