"""A parsed GPX into a patrol: tracks per leg, waypoints as observations, the original kept.

Segments go to legs by explicit time windows (design section 3); each leg's transport sets
the speed above which a fix is flagged. Everything that can be wrong with the input is found
before the first write, so a bad file leaves the database and the media folder untouched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ranger_app.domain.errors import MalformedFile, RecordLocked
from ranger_app.domain.ids import new_id
from ranger_app.domain.records import (
    LegValue,
    ObservationValue,
    PatrolValue,
    PhotoValue,
    TrackValue,
)
from ranger_app.domain.track import (
    TimeWindow,
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
)
from ranger_app.store.db import Database
from ranger_app.store.patrols import LOCKED_STATUSES, load_patrol, save_patrol
from ranger_app.store.queries import stations

DEFAULT_TRANSPORT = "FOOT"


@dataclass(frozen=True)
class GpxImportResult:
    patrol_uuid: str
    points: int
    km: float
    flagged: int
    waypoints: int


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
    for w in parsed.waypoints:
        index = _leg_index([w.time], legs)
        out.append(ObservationValue(
            category="UNCLASSIFIED", observed_at=w.time, lat=w.lat, lon=w.lon, ele=w.ele,
            notes=w.description, source="waypoint", waypoint_name=w.name,
            leg_uuid=legs[index].uuid if index is not None else None,
        ))
    return out


def _time_span(parsed: ParsedGpx) -> tuple[datetime | None, datetime | None]:
    times = [p.time for s in parsed.segments for p in s.points if p.time is not None]
    times += [w.time for w in parsed.waypoints if w.time is not None]
    return (min(times), max(times)) if times else (None, None)


def apply_gpx(patrol: PatrolValue, parsed: ParsedGpx, source: PhotoValue) -> None:
    """Add the file's tracks, waypoints and original to a patrol value (not yet saved).

    A patrol without legs gets one on foot, and one without start or end gets them from the
    file: the earliest and latest time of any point or waypoint.
    """
    start, end = _time_span(parsed)
    if not patrol.legs:
        patrol.legs.append(LegValue(DEFAULT_TRANSPORT, start, end, ordinal=1))
    for leg in patrol.legs:  # ids now, so tracks and waypoints can point at their leg
        leg.uuid = leg.uuid or new_id()
    if patrol.start_at is None:
        patrol.start_at = start
    if patrol.end_at is None:
        patrol.end_at = end
    patrol.tracks.extend(tracks_from_gpx(parsed, patrol.legs, source.sha256))
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
                    cancel: CancelCallback | None = None) -> GpxImportResult:
    """The CLI's `import-gpx`: a GPX file into a patrol (a new draft without `patrol_uuid`).

    Every check runs before the first write: a bad file, bad times or a locked patrol leave
    the database and the media folder as they were.
    """
    path = Path(path)
    parsed = parse_gpx(path, max_bytes, progress, cancel)
    patrol = _load_unlocked(db, patrol_uuid) if patrol_uuid else _new_patrol(db)
    sha256, size = _sha256(path)
    source = PhotoValue(sha256=sha256, filename=path.name, mime=GPX_MIME, size=size,
                        kind="gpx")
    first_track, first_obs = len(patrol.tracks), len(patrol.observations)
    apply_gpx(patrol, parsed, source)
    validate_patrol(patrol)
    if cancel is not None and cancel():
        raise ImportCancelled()
    _save_with_original(db, path, patrol, sha256, user)
    new_tracks = patrol.tracks[first_track:]
    return GpxImportResult(
        patrol_uuid=patrol.uuid or "",
        points=sum(t.stats.points for t in new_tracks),
        km=sum(t.stats.length_m for t in new_tracks) / 1000,
        flagged=sum(t.stats.flagged for t in new_tracks),
        waypoints=len(patrol.observations) - first_obs,
    )
