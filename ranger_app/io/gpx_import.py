"""A parsed GPX into a patrol: tracks per leg, waypoints as observations, the original kept.

Segments go to legs by explicit time windows (design section 3); each leg's transport sets
the speed above which a fix is flagged. Everything that can be wrong with the input is found
before the first write, so a bad file leaves the database and the media folder untouched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import Path

from ranger_app.domain.errors import GpxWithoutTimes, MalformedFile, RecordLocked
from ranger_app.domain.geo import haversine_m
from ranger_app.domain.ids import new_id
from ranger_app.domain.records import (
    LegValue,
    MemberValue,
    ObservationValue,
    PatrolValue,
    PhotoValue,
    TrackValue,
)
from ranger_app.domain.track import (
    TimeWindow,
    TrackPoint,
    assign_to_window,
    flag_speed,
    pack_points,
    track_stats,
)
from ranger_app.domain.validation import validate_patrol
from ranger_app.domain.vocab import vocabulary
from ranger_app.io.gpx import (
    DEFAULT_MAX_BYTES,
    GPX_MIME,
    CancelCallback,
    ImportCancelled,
    ParsedGpx,
    ProgressCallback,
    parse_gpx,
    team_names,
)
from ranger_app.store.db import Database
from ranger_app.store.patrols import LOCKED_STATUSES, load_patrol, save_patrol
from ranger_app.store.queries import people, stations

DEFAULT_TRANSPORT = "FOOT"


@dataclass(frozen=True)
class GpxImportResult:
    patrol_uuid: str
    points: int
    km: float  # the length used for effort: points flagged too fast left out
    flagged: int
    waypoints: int
    recorded_km: float = 0.0  # every point, as the device recorded it
    route_points: int = 0
    route_km: float = 0.0  # planned routes: kept, never counted
    transports: tuple[str, ...] = ()  # the legs' transports the flagging used
    skipped: dict[str, int] = field(default_factory=dict)  # out-of-spec values left out
    clock_unset: bool = False
    untimed: bool = False  # the file had no usable times: the patrol's were given


# --- legs -----------------------------------------------------------------------------------

def _windows(legs: Sequence[LegValue]) -> list[TimeWindow]:
    """One window per leg with a start, keyed by the leg's position (new legs have no id)."""
    return [TimeWindow(str(i), leg.start_at, leg.end_at)
            for i, leg in enumerate(legs) if leg.start_at is not None]


def _leg_index(times: Iterable[datetime | None], legs: Sequence[LegValue]) -> int | None:
    """Position of the leg a segment or waypoint belongs to; the first leg when none fits."""
    if not legs:
        return None
    key = assign_to_window(times, _windows(legs))
    return int(key) if key is not None else 0


def max_speed_kmh(transport: str) -> float | None:
    raw = vocabulary("transports").get(transport).extra.get("max_speed_kmh", "")
    return float(raw) if raw else None


# --- tracks and waypoints -------------------------------------------------------------------

def routes_from_gpx(parsed: ParsedGpx, source_sha256: str) -> list[TrackValue]:
    """Planned routes, kept as the plan: no leg, no flags, never effort."""
    return [TrackValue(points=pack_points(r.points), stats=track_stats(r.points),
                       name=r.track_name, source_sha256=source_sha256, kind="route")
            for r in parsed.routes]


def recorded_length_m(points: Sequence[TrackPoint]) -> float:
    """The length as the device recorded it, every point counted."""
    return sum(haversine_m(a.lat, a.lon, b.lat, b.lon) for a, b in pairwise(points))


def _transport_code(text: str) -> str | None:
    code = text.strip().upper()
    return code if code and code in vocabulary("transports") else None


def legs_from_gpx(parsed: ParsedGpx, transport: str | None, start: datetime | None,
                  end: datetime | None) -> list[LegValue]:
    """Legs for a new patrol: one per run of tracks of one `<trk><type>` transport (as our
    exports write them), else one leg of `transport` (on foot unless chosen)."""
    if transport is None:
        runs: list[tuple[str, list[datetime]]] = []
        for segment in parsed.segments:
            code = _transport_code(segment.track_type)
            if code is None:
                runs = []
                break
            times = [p.time for p in segment.points if p.time is not None]
            if runs and runs[-1][0] == code:
                runs[-1][1].extend(times)
            else:
                runs.append((code, times))
        if len(runs) > 0 and all(times for _code, times in runs):
            return [LegValue(code, min(times), max(times), ordinal=i)
                    for i, (code, times) in enumerate(runs, start=1)]
    return [LegValue(transport or DEFAULT_TRANSPORT, start, end, ordinal=1)]


def tracks_from_gpx(parsed: ParsedGpx, legs: list[LegValue],
                    source_sha256: str) -> list[TrackValue]:
    """Each segment as a track of the leg whose time window holds it, speed-flagged."""
    tracks = []
    for segment in parsed.segments:
        index = _leg_index((p.time for p in segment.points), legs)
        leg = legs[index] if index is not None else None
        points = flag_speed(segment.points, max_speed_kmh(leg.transport) if leg else None)
        tracks.append(TrackValue(
            points=pack_points(points), stats=track_stats(points), name=segment.track_name,
            leg_uuid=leg.uuid if leg else None,
            # save_patrol numbers legs by position and links tracks through this number
            leg_ordinal=index + 1 if index is not None else None,
            source_sha256=source_sha256,
        ))
    return tracks


def observations_from_waypoints(parsed: ParsedGpx,
                                legs: list[LegValue]) -> list[ObservationValue]:
    """Waypoints as unclassified observations, for the ranger to classify later."""
    out = []
    categories = vocabulary("observation_categories")
    for w in parsed.waypoints:
        index = _leg_index([w.time], legs)
        # our own exports carry the category code in <type> and its label in <desc>
        category = w.kind if w.kind in categories else "UNCLASSIFIED"
        notes = w.description
        if category != "UNCLASSIFIED":
            notes = "\n".join(notes.splitlines()[1:]).strip()  # the label line is ours
        out.append(ObservationValue(
            category=category, observed_at=w.time, lat=w.lat, lon=w.lon, ele=w.ele,
            notes=notes, source="waypoint", waypoint_name=w.name,
            leg_uuid=legs[index].uuid if index is not None else None,
        ))
    return out


def _time_span(parsed: ParsedGpx) -> tuple[datetime | None, datetime | None]:
    times = [p.time for s in parsed.segments for p in s.points if p.time is not None]
    times += [w.time for w in parsed.waypoints if w.time is not None]
    return (min(times), max(times)) if times else (None, None)


def apply_gpx(patrol: PatrolValue, parsed: ParsedGpx, source: PhotoValue,
              transport: str | None = None, start_at: datetime | None = None,
              end_at: datetime | None = None) -> None:
    """Add the file's tracks, routes, waypoints and original to a patrol value (not saved).

    A patrol without legs gets them from the file's track types, else one of `transport`
    (on foot unless chosen); one without start or end gets them from the file (the earliest
    and latest time of any point or waypoint), or from `start_at`/`end_at` when the file has
    no usable times. The transport chosen sets the speed limit that flags points.
    """
    start, end = _time_span(parsed)
    if start is None:
        start, end = start_at, end_at
    if not patrol.legs:
        patrol.legs.extend(legs_from_gpx(parsed, transport, start, end))
    for leg in patrol.legs:  # ids now, so tracks and waypoints can point at their leg
        leg.uuid = leg.uuid or new_id()
    if patrol.start_at is None:
        patrol.start_at = start
    if patrol.end_at is None:
        patrol.end_at = end
    patrol.tracks.extend(tracks_from_gpx(parsed, patrol.legs, source.sha256))
    patrol.tracks.extend(routes_from_gpx(parsed, source.sha256))
    patrol.observations.extend(observations_from_waypoints(parsed, patrol.legs))
    if not any(a.sha256 == source.sha256 for a in patrol.attachments):
        patrol.attachments.append(source)


# --- the whole import -----------------------------------------------------------------------

def _new_patrol(db: Database) -> PatrolValue:
    """A draft for this installation's station, in the station's time zone."""
    station_uuid = db.installation().station_uuid
    tz = next((s.tz for s in stations(db) if s.uuid == station_uuid), None)
    patrol = PatrolValue(station_uuid=station_uuid, status="DRAFT")
    if tz:
        patrol.tz = tz
    return patrol


def _members_from_names(db: Database, parsed: ParsedGpx, patrol: PatrolValue) -> None:
    """The team our export wrote in each track's `<desc>`, matched by name to the people
    this station knows; the first named is the leader (as the export lists them)."""
    known = {p.name: p.uuid for p in people(db)}
    # the patrol's own station first: a name there means its ranger, not a namesake
    known.update({p.name: p.uuid for p in people(db, patrol.station_uuid)})
    for track in patrol.tracks:
        leg = next((g for g in patrol.legs if g.ordinal == track.leg_ordinal), None)
        if leg is None or leg.members:
            continue
        segment = next((s for s in parsed.segments if s.track_name == track.name), None)
        names = team_names(segment.description) if segment else []
        leader = next((m for m in leg.members if m.is_leader), None)
        for name in names:
            if name in known and all(m.person_uuid != known[name] for m in leg.members):
                leg.members.append(MemberValue(known[name], is_leader=leader is None))
                leader = leader or leg.members[-1]


def _load_unlocked(db: Database, patrol_uuid: str) -> PatrolValue:
    patrol = load_patrol(db, patrol_uuid)
    if patrol.status in LOCKED_STATUSES:  # refuse before anything reaches the media folder
        raise RecordLocked("patrol", patrol_uuid, patrol.status)
    return patrol


def _sha256(path: Path) -> tuple[str, int]:
    with path.open("rb") as fh:
        digest = hashlib.file_digest(fh, "sha256")
    return digest.hexdigest(), path.stat().st_size


def _store_original(db: Database, path: Path, sha256: str) -> bool:
    """Copy the file into the media folder; True when it was not there before."""
    new = not db.media.has(sha256)
    stored, _size = db.media.put_file(path)
    if stored != sha256:  # the file changed under us since it was parsed
        if new:
            db.media.path_for(stored).unlink(missing_ok=True)
        raise MalformedFile(str(path), "gpx", "the file changed while it was being imported")
    return new


def _save_with_original(db: Database, path: Path, patrol: PatrolValue, sha256: str,
                        user: str | None) -> None:
    """Store the original, then the patrol; a failed save takes a new original back out."""
    new_file = _store_original(db, path, sha256)
    try:
        save_patrol(db, patrol, user)
    except BaseException:
        if new_file:
            db.media.path_for(sha256).unlink(missing_ok=True)
        raise


def import_gpx_file(db: Database, path: Path, patrol_uuid: str | None = None,
                    user: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                    progress: ProgressCallback | None = None,
                    cancel: CancelCallback | None = None, transport: str | None = None,
                    start_at: datetime | None = None,
                    end_at: datetime | None = None) -> GpxImportResult:
    """The CLI's `import-gpx`: a GPX file into a patrol (a new draft without `patrol_uuid`).

    Every check runs before the first write: a bad file, bad times or a locked patrol leave
    the database and the media folder as they were. A file without usable times needs
    `start_at` (and `end_at`) or an existing patrol.
    """
    path = Path(path)
    if transport is not None:
        vocabulary("transports").get(transport)  # an unknown code: exit 3 before reading
    parsed = parse_gpx(path, max_bytes, progress, cancel)
    untimed = not parsed.has_times
    if untimed and patrol_uuid is None and start_at is None:
        raise GpxWithoutTimes(str(path), parsed.clock_unset)
    patrol = _load_unlocked(db, patrol_uuid) if patrol_uuid else _new_patrol(db)
    sha256, size = _sha256(path)
    source = PhotoValue(sha256=sha256, filename=path.name, mime=GPX_MIME, size=size,
                        kind="gpx")
    first_track, first_obs = len(patrol.tracks), len(patrol.observations)
    made_legs = not patrol.legs
    apply_gpx(patrol, parsed, source, transport, start_at, end_at)
    if made_legs:
        _members_from_names(db, parsed, patrol)
    validate_patrol(patrol)
    if cancel is not None and cancel():
        raise ImportCancelled()
    _save_with_original(db, path, patrol, sha256, user)
    new_tracks = [t for t in patrol.tracks[first_track:] if not t.is_route]
    routes = [t for t in patrol.tracks[first_track:] if t.is_route]
    return GpxImportResult(
        patrol_uuid=patrol.uuid or "",
        points=sum(t.stats.points for t in new_tracks),
        km=sum(t.stats.length_m for t in new_tracks) / 1000,
        flagged=sum(t.stats.flagged for t in new_tracks),
        waypoints=len(patrol.observations) - first_obs,
        recorded_km=sum(recorded_length_m(s.points) for s in parsed.segments) / 1000,
        route_points=sum(t.stats.points for t in routes),
        route_km=sum(t.stats.length_m for t in routes) / 1000,
        transports=tuple(dict.fromkeys(leg.transport for leg in patrol.legs)),
        skipped=dict(parsed.skipped), clock_unset=parsed.clock_unset, untimed=untimed,
    )


# --- what the import dialog shows before the figures are final -------------------------------

@dataclass(frozen=True)
class GpxPreview:
    points: int
    waypoints: int
    route_points: int
    recorded_km: float
    effort_km: float  # with the chosen transport's speed limit
    flagged: int
    limit_kmh: float | None
    skipped: dict[str, int]
    clock_unset: bool
    has_times: bool
    track_types: tuple[str, ...]  # transports the file itself names (our own exports)


def preview(parsed: ParsedGpx, transport: str) -> GpxPreview:
    """The figures an import would give with `transport` for every track of the file."""
    limit = max_speed_kmh(transport)
    effort = flagged = 0
    effort_m = 0.0
    for segment in parsed.segments:
        stats = track_stats(flag_speed(segment.points, limit))
        effort_m += stats.length_m
        flagged += stats.flagged
    effort = effort_m / 1000
    types = tuple(dict.fromkeys(c for s in parsed.segments
                                if (c := _transport_code(s.track_type))))
    return GpxPreview(
        points=parsed.point_count, waypoints=len(parsed.waypoints),
        route_points=sum(len(r.points) for r in parsed.routes),
        recorded_km=sum(recorded_length_m(s.points) for s in parsed.segments) / 1000,
        effort_km=effort, flagged=flagged, limit_kmh=limit, skipped=dict(parsed.skipped),
        clock_unset=parsed.clock_unset, has_times=parsed.has_times, track_types=types)
