"""GPX 1.0/1.1 in and out.

Reading streams the file with the standard library's pull parser (expat): a 500,000-point
track never exists as a tree or as gpxpy objects, so memory stays at the points themselves.
It is as lenient as GDAL where the file is merely out of spec, and strict where a ranger's
figures would be wrong:
- a value outside the schema (`<fix>something_else</fix>`, `<ele>n/a</ele>`, a time that is
  not ISO 8601) is skipped, counted in `ParsedGpx.skipped`, and the rest of the file kept;
- an impossible position (latitude 95, NaN) refuses the file (design section 7);
- `<rte>` planned routes are kept apart from walked `<trk>` tracks: they are the plan,
  never effort;
- a track whose clock never fixed (every time before 1995 — GPS week roll-over defaults
  such as 1989-12-31 or 1901-12-13 — or every point at one instant) loses its times, and
  `ParsedGpx.clock_unset` says so: such times would flag every point too fast and date the
  patrol decades ago.
Times are aware UTC: a GPX time without a zone is UTC by the specification. Writing uses
gpxpy (small outputs, and its serialiser is well tested).
"""

from __future__ import annotations

import codecs
import math
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
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
_READ_BYTES = 64 * 1024  # one progress report and cancel check per 64 KiB read
FIX_VALUES = frozenset({"none", "2d", "3d", "dgps", "pps"})  # GPX 1.1 fixType
CLOCK_FIXED_AFTER = datetime(1995, 1, 1, tzinfo=UTC)  # no handheld logs before this
TEAM_PREFIX = "Team: "  # <trk><desc> of our own exports

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
    kind: str = ""  # <type>: our exports write the observation category code


@dataclass(frozen=True)
class ParsedSegment:
    track_name: str
    points: tuple[TrackPoint, ...]
    track_type: str = ""  # <trk><type>: our exports write the leg's transport code
    description: str = ""  # <trk><desc>


@dataclass(frozen=True)
class ParsedGpx:
    segments: tuple[ParsedSegment, ...]  # walked tracks
    waypoints: tuple[ParsedWaypoint, ...]
    version: str
    creator: str
    routes: tuple[ParsedSegment, ...] = ()  # planned routes: kept as the plan
    skipped: dict[str, int] = field(default_factory=dict)  # element name -> values skipped
    clock_unset: bool = False  # some track's times were a clock that never fixed

    @property
    def point_count(self) -> int:
        return sum(len(s.points) for s in self.segments)

    @property
    def has_times(self) -> bool:
        return any(p.time is not None for s in self.segments for p in s.points) or any(
            w.time is not None for w in self.waypoints)


# --- reading --------------------------------------------------------------------------------

def parse_gpx(path: Path, max_bytes: int = DEFAULT_MAX_BYTES,
              progress: ProgressCallback | None = None,
              cancel: CancelCallback | None = None) -> ParsedGpx:
    """Read and validate a GPX file; raises a typed error for anything a ranger must fix."""
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes:  # before reading a byte: a 2 GB file must not fill the memory
        raise FileTooLarge(str(path), size, max_bytes)
    reader = _Reader(path)
    parser = ET.XMLPullParser(events=("start", "end"))
    done = 0
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_READ_BYTES):
                _check_cancel(cancel)
                parser.feed(chunk)
                for event, element in parser.read_events():
                    reader.handle(event, element)  # type: ignore[arg-type]
                done += len(chunk)
                if progress is not None:
                    progress(done, size)
            parser.close()
            for event, element in parser.read_events():
                reader.handle(event, element)  # type: ignore[arg-type]
    except ET.ParseError as e:
        raise MalformedFile(str(path), "gpx", _encoding_problem(path) or f"XML: {e}") from None
    if not reader.seen_root:
        raise MalformedFile(str(path), "gpx", "no root element")
    parsed = reader.result()
    if not parsed.segments and not parsed.waypoints and not parsed.routes:
        raise NoTrackPoints(str(path))
    return parsed


_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)""")


def _encoding_problem(path: Path) -> str:
    """Why the text cannot be decoded, when that is why the XML broke ("" otherwise)."""
    data = path.read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return ""
    declared = _DECLARED_ENCODING.match(data[:200])
    encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        data.decode("utf-8-sig" if encoding.lower() in ("utf-8", "utf8") else encoding)
    except (UnicodeDecodeError, LookupError) as e:
        return f"not readable as {encoding}: {e}"
    return ""


def _check_cancel(cancel: CancelCallback | None) -> None:
    if cancel is not None and cancel():
        raise ImportCancelled()


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


class _Reader:
    """The pull parser's events into segments, routes and waypoints, one point at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stack: list[ET.Element] = []
        self.seen_root = False
        self.version = self.creator = ""
        self.segments: list[ParsedSegment] = []
        self.routes: list[ParsedSegment] = []
        self.waypoints: list[ParsedWaypoint] = []
        self.skipped: Counter[str] = Counter()
        self.clock_unset = False
        self._points: list[TrackPoint] = []
        self._track_segments: list[tuple[TrackPoint, ...]] = []
        self._text: dict[str, str] = {}  # name/type/desc of the open <trk> or <rte>
        self._counts = Counter[str]()  # trk, trkseg, rte, wpt seen; points in the open one

    def handle(self, event: str, element: ET.Element) -> None:
        if event == "start":
            if not self.seen_root:
                self._root(element)
            self.stack.append(element)
            name = _local(element.tag)
            if name in ("trk", "rte"):
                self._counts[name] += 1
                self._counts["trkseg"] = 0
                self._text = {}
                self._track_segments = []
                self._points = []
            elif name == "trkseg":
                self._counts["trkseg"] += 1
                self._points = []
            return
        self.stack.pop()
        name = _local(element.tag)
        parent = _local(self.stack[-1].tag) if self.stack else ""
        if name in ("trkpt", "rtept"):
            self._points.append(self._point(element, name))
            self._forget(element)
        elif name == "wpt" and parent == "gpx":
            self._counts["wpt"] += 1
            self._waypoint(element)
            self._forget(element)
        elif name in ("name", "type", "desc", "cmt") and parent in ("trk", "rte"):
            self._text[name] = (element.text or "").strip()
        elif name == "trkseg":
            if self._points:
                self._track_segments.append(tuple(self._points))
            self._points = []
            self._forget(element)
        elif name == "trk":
            for points in self._track_segments:
                self.segments.append(self._segment(points))
            self._forget(element)
        elif name == "rte":
            if self._points:  # the plan keeps its times as they are: it is never effort
                self.routes.append(ParsedSegment(self._text.get("name", ""),
                                                 tuple(self._points),
                                                 self._text.get("type", ""),
                                                 self._text.get("desc", "")))
            self._points = []
            self._forget(element)

    def _root(self, element: ET.Element) -> None:
        root = _local(element.tag)
        if root != "gpx":  # gpxpy would read a KML as an empty GPX
            raise MalformedFile(str(self.path), "gpx", f"root element <{root}>, not <gpx>")
        self.seen_root = True
        self.version = element.get("version", "")
        self.creator = element.get("creator", "")

    def _forget(self, element: ET.Element) -> None:
        """Drop a finished element from the tree, so memory holds only our points."""
        if self.stack:
            self.stack[-1].remove(element)

    def _segment(self, points: tuple[TrackPoint, ...]) -> ParsedSegment:
        times = [p.time for p in points if p.time is not None]
        if times and (max(times) < CLOCK_FIXED_AFTER or (len(points) > 1 and len(set(times))
                                                          == 1 and len(times) == len(points))):
            self.clock_unset = True
            points = tuple(TrackPoint(p.lat, p.lon, p.ele, None, p.flags) for p in points)
        return ParsedSegment(self._text.get("name", ""), points, self._text.get("type", ""),
                             self._text.get("desc", ""))

    def _position(self, element: ET.Element, where: str) -> tuple[float, float]:
        raw = (element.get("lat", ""), element.get("lon", ""))
        try:
            lat, lon = float(raw[0]), float(raw[1])
        except ValueError:  # not a damaged value but a damaged file: nothing to place
            raise MalformedFile(str(self.path), "gpx",
                                f"{where}: lat={raw[0]!r} lon={raw[1]!r}") from None
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):  # False for NaN too
            raise CoordinateOutOfRange(lat, lon, where)
        return lat, lon

    def _children(self, element: ET.Element) -> dict[str, str]:
        values: dict[str, str] = {}
        for child in element:
            values.setdefault(_local(child.tag), (child.text or "").strip())
        fix = values.get("fix")
        if fix is not None and fix not in FIX_VALUES:
            self.skipped["fix"] += 1
        return values

    def _ele(self, text: str | None) -> float | None:
        if text is None or text == "":
            return None
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            self.skipped["ele"] += 1
            return None
        return value

    def _time(self, text: str | None) -> datetime | None:
        if not text:
            return None
        try:
            t = datetime.fromisoformat(text)
        except ValueError:
            self.skipped["time"] += 1
            return None
        return _utc(t)

    def _point(self, element: ET.Element, kind: str) -> TrackPoint:
        n = len(self._points) + 1
        if kind == "trkpt":
            where = (f"{self.path.name}: track {self._counts['trk']}, "
                     f"segment {self._counts['trkseg']}, point {n}")
        else:
            where = f"{self.path.name}: route {self._counts['rte']}, point {n}"
        position = self._position(element, where)
        values = self._children(element)
        return TrackPoint(position[0], position[1], self._ele(values.get("ele")),
                          self._time(values.get("time")))

    def _waypoint(self, element: ET.Element) -> None:
        position = self._position(element, f"{self.path.name}: waypoint {self._counts['wpt']}")
        values = self._children(element)
        time = self._time(values.get("time"))
        if time is not None and time < CLOCK_FIXED_AFTER:
            self.clock_unset = True
            time = None
        self.waypoints.append(ParsedWaypoint(
            name=values.get("name", ""), lat=position[0], lon=position[1],
            ele=self._ele(values.get("ele")), time=time,
            description=values.get("desc") or values.get("cmt") or "",
            kind=values.get("type", "")))

    def result(self) -> ParsedGpx:
        return ParsedGpx(tuple(self.segments), tuple(self.waypoints), self.version,
                         self.creator, tuple(self.routes), dict(self.skipped),
                         self.clock_unset)


def _utc(t: datetime) -> datetime:
    """An aware UTC time; a naive GPX time is UTC by the specification."""
    if t.tzinfo is None:
        return t.replace(tzinfo=UTC)
    return t.astimezone(UTC)


# --- writing --------------------------------------------------------------------------------

def write_gpx(patrol: PatrolValue, lang: str = "en",
              names: dict[str, str] | None = None) -> bytes:
    """A patrol as GPX 1.1 that comes back whole when imported again.

    One `<trk>` per walked track with its leg's transport code in `<type>` and the leg's
    team in `<desc>` ("Team: name, name", names from `names`); planned routes as `<rte>`;
    one `<wpt>` per observation with a position, its category code in `<type>` and the
    category label (then the notes) in `<desc>`.
    """
    gpx = gpxpy.gpx.GPX()
    gpx.creator = CREATOR
    gpx.name = patrol.number or None
    legs = {leg.ordinal: leg for leg in patrol.legs}
    legs_by_uuid = {leg.uuid: leg for leg in patrol.legs if leg.uuid}
    for track in patrol.tracks:
        if track.is_route:
            gpx.routes.append(_gpx_route(track.name, track.points))
            continue
        leg = legs.get(track.leg_ordinal or 0) or legs_by_uuid.get(track.leg_uuid or "")
        item = _gpx_track(track.name, track.points)
        if leg is not None:
            item.type = leg.transport
            crew = sorted(leg.members, key=lambda m: not m.is_leader)  # the leader first
            team = [names.get(m.person_uuid, "") for m in crew] if names else []
            if any(team):
                item.description = TEAM_PREFIX + ", ".join(n for n in team if n)
        gpx.tracks.append(item)
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


def _gpx_route(name: str, packed: bytes) -> gpxpy.gpx.GPXRoute:
    route = gpxpy.gpx.GPXRoute(name=name or None)
    route.points = [gpxpy.gpx.GPXRoutePoint(p.lat, p.lon, elevation=p.ele, time=p.time)
                    for p in unpack_points(packed)]
    return route


def team_names(description: str) -> list[str]:
    """The names our exports wrote in `<trk><desc>` ("Team: name, name")."""
    if not description.startswith(TEAM_PREFIX):
        return []
    return [n.strip() for n in description[len(TEAM_PREFIX):].split(",") if n.strip()]


def _gpx_waypoint(obs: ObservationValue, label: str) -> gpxpy.gpx.GPXWaypoint:
    description = "\n".join(part for part in (label, obs.notes.strip()) if part)
    return gpxpy.gpx.GPXWaypoint(
        obs.lat, obs.lon, elevation=obs.ele, time=obs.observed_at,
        name=obs.waypoint_name or obs.category, description=description or None,
        type=obs.category,
    )
