"""GPX 1.0/1.1 in and out with gpxpy, validated after parsing.

gpxpy is lenient: it reads a KML file as an empty GPX and accepts latitude 95 or NaN. So the
root element is checked before gpxpy runs and every position after, and each problem becomes
a typed error from `domain.errors` (the UI and CLI word it). Times are aware UTC: a GPX time
without a zone is UTC by the specification.
"""

from __future__ import annotations

import codecs
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import gpxpy
import gpxpy.gpx

from ranger_app.domain.errors import (
    CoordinateOutOfRange,
    FileTooLarge,
    MalformedFile,
    NoTrackPoints,
)
from ranger_app.domain.records import ObservationValue, PatrolValue
from ranger_app.domain.track import TrackPoint, unpack_points
from ranger_app.domain.vocab import vocabulary

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
GPX_MIME = "application/gpx+xml"
CREATOR = "Ranger Field Log"
# Points converted between two progress reports / cancel checks: often enough for a
# responsive bar, rare enough to cost nothing per point.
_CHUNK = 5000
_SNIFF_CHARS = 64 * 1024
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)""")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))

ProgressCallback = Callable[[int, int], None]
CancelCallback = Callable[[], bool]


class ImportCancelled(Exception):
    """The user cancelled; nothing has been written."""


@dataclass(frozen=True)
class ParsedWaypoint:
    name: str
    lat: float
    lon: float
    ele: float | None
    time: datetime | None  # aware, UTC
    description: str


@dataclass(frozen=True)
class ParsedSegment:
    track_name: str
    points: tuple[TrackPoint, ...]


@dataclass(frozen=True)
class ParsedGpx:
    segments: tuple[ParsedSegment, ...]
    waypoints: tuple[ParsedWaypoint, ...]
    version: str
    creator: str

    @property
    def point_count(self) -> int:
        return sum(len(s.points) for s in self.segments)


# --- reading --------------------------------------------------------------------------------

def parse_gpx(path: Path, max_bytes: int = DEFAULT_MAX_BYTES,
              progress: ProgressCallback | None = None,
              cancel: CancelCallback | None = None) -> ParsedGpx:
    """Read and validate a GPX file; raises a typed error for anything a ranger must fix."""
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes:  # before reading a byte: a 2 GB file must not fill the memory
        raise FileTooLarge(str(path), size, max_bytes)
    _check_cancel(cancel)
    text = _decode(path.read_bytes(), path)
    _check_root(text, path)
    _check_cancel(cancel)
    try:
        gpx = gpxpy.parse(text)
    except (gpxpy.gpx.GPXException, ValueError, TypeError) as e:
        raise MalformedFile(str(path), "gpx", str(e)) from None
    parsed = _convert(gpx, path, _Ticker(gpx, progress, cancel))
    if not parsed.segments and not parsed.waypoints:
        raise NoTrackPoints(str(path))
    return parsed


def _check_cancel(cancel: CancelCallback | None) -> None:
    if cancel is not None and cancel():
        raise ImportCancelled()


def _decode(data: bytes, path: Path) -> str:
    """Text of the file: a BOM wins, then the XML declaration, then UTF-8 (the XML default)."""
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), None)
    if encoding is None:
        declared = _DECLARED_ENCODING.match(data[:200])
        encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as e:
        raise MalformedFile(str(path), "gpx", f"not readable as {encoding}: {e}") from None


def _check_root(text: str, path: Path) -> None:
    """Refuse anything whose root element is not <gpx> (gpxpy reads a KML as an empty GPX)."""
    parser = ET.XMLPullParser(events=("start",))
    try:
        for offset in range(0, len(text), _SNIFF_CHARS):
            parser.feed(text[offset:offset + _SNIFF_CHARS])
            for _event, element in parser.read_events():
                root = element.tag.rpartition("}")[2]
                if root != "gpx":
                    raise MalformedFile(str(path), "gpx", f"root element <{root}>, not <gpx>")
                return
        parser.close()
    except ET.ParseError as e:
        raise MalformedFile(str(path), "gpx", f"XML: {e}") from None
    raise MalformedFile(str(path), "gpx", "no root element")


class _Ticker:
    """Progress over every point and waypoint, and the cancel check, once per chunk."""

    def __init__(self, gpx: gpxpy.gpx.GPX, progress: ProgressCallback | None,
                 cancel: CancelCallback | None) -> None:
        self.total = len(gpx.waypoints) + sum(len(r.points) for r in gpx.routes) + sum(
            len(s.points) for t in gpx.tracks for s in t.segments)
        self.done = 0
        self.progress = progress
        self.cancel = cancel

    def advance(self, n: int) -> None:
        self.done += n
        _check_cancel(self.cancel)
        if self.progress is not None:
            self.progress(self.done, self.total)


def _convert(gpx: gpxpy.gpx.GPX, path: Path, ticker: _Ticker) -> ParsedGpx:
    segments: list[ParsedSegment] = []
    for t, track in enumerate(gpx.tracks, start=1):
        for s, segment in enumerate(track.segments, start=1):
            where = f"{path.name}: track {t}, segment {s}"
            points = _points(segment.points, where, ticker)
            if points:
                segments.append(ParsedSegment(track.name or "", points))
    for r, route in enumerate(gpx.routes, start=1):
        points = _points(route.points, f"{path.name}: route {r}", ticker)
        if points:
            segments.append(ParsedSegment(route.name or "", points))
    waypoints = tuple(_waypoint(w, f"{path.name}: waypoint {i}")
                      for i, w in enumerate(gpx.waypoints, start=1))
    ticker.advance(len(waypoints))
    return ParsedGpx(tuple(segments), waypoints, gpx.version or "", gpx.creator or "")


def _points(source: Sequence[gpxpy.gpx.GPXTrackPoint | gpxpy.gpx.GPXRoutePoint], where: str,
            ticker: _Ticker) -> tuple[TrackPoint, ...]:
    """gpxpy points as TrackPoints; the hot loop of an import, so kept to the bare minimum."""
    out: list[TrackPoint] = []
    append = out.append
    for start in range(0, len(source), _CHUNK):
        for i, p in enumerate(source[start:start + _CHUNK], start=start + 1):
            lat, lon = p.latitude, p.longitude
            if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):  # False for NaN too
                raise CoordinateOutOfRange(lat, lon, f"{where}, point {i}")
            append(TrackPoint(lat, lon, _elevation(p.elevation), _utc(p.time)))
        ticker.advance(min(_CHUNK, len(source) - start))
    return tuple(out)


def _waypoint(w: gpxpy.gpx.GPXWaypoint, where: str) -> ParsedWaypoint:
    if not (-90.0 <= w.latitude <= 90.0 and -180.0 <= w.longitude <= 180.0):
        raise CoordinateOutOfRange(w.latitude, w.longitude, where)
    return ParsedWaypoint(
        name=(w.name or "").strip(), lat=w.latitude, lon=w.longitude,
        ele=_elevation(w.elevation), time=_utc(w.time),
        description=(w.description or w.comment or "").strip(),
    )


def _elevation(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _utc(t: datetime | None) -> datetime | None:
    """An aware UTC time; a naive GPX time is UTC by the specification."""
    if t is None:
        return None
    offset = t.utcoffset()
    if offset:
        t = t - offset
    return t.replace(tzinfo=UTC)


# --- writing --------------------------------------------------------------------------------

def write_gpx(patrol: PatrolValue, lang: str = "en") -> bytes:
    """A patrol as GPX 1.1: one <trk> per track, one <wpt> per observation with a position."""
    gpx = gpxpy.gpx.GPX()
    gpx.creator = CREATOR
    gpx.name = patrol.number or None
    for track in patrol.tracks:
        gpx.tracks.append(_gpx_track(track.name, track.points))
    categories = vocabulary("observation_categories")
    for obs in patrol.observations:
        if obs.lat is None or obs.lon is None:
            continue
        gpx.waypoints.append(_gpx_waypoint(obs, categories.path_label(obs.category, lang)))
    return gpx.to_xml(version="1.1").encode("utf-8")


def _gpx_track(name: str, packed: bytes) -> gpxpy.gpx.GPXTrack:
    segment = gpxpy.gpx.GPXTrackSegment()
    segment.points = [
        gpxpy.gpx.GPXTrackPoint(p.lat, p.lon, elevation=p.ele, time=p.time)
        for p in unpack_points(packed)
    ]
    track = gpxpy.gpx.GPXTrack(name=name or None)
    track.segments.append(segment)
    return track


def _gpx_waypoint(obs: ObservationValue, label: str) -> gpxpy.gpx.GPXWaypoint:
    description = "\n".join(part for part in (label, obs.notes.strip()) if part)
    return gpxpy.gpx.GPXWaypoint(
        obs.lat, obs.lon, elevation=obs.ele, time=obs.observed_at,
        name=obs.waypoint_name or obs.category, description=description or None,
        type=obs.category,
    )
