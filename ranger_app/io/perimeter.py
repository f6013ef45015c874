"""A fire's perimeter from a GPX walked around it: the ring, its length and its area.

Rangers walk the edge of a burnt area with a handheld GPS. The longest track segment is the
walk (the way there and back are usually other segments, or shorter ones); a walk whose end
is far from its start did not go round the fire and is refused (`domain.fires.closed_ring`),
since closing it with a straight line would invent area. Area is geodesic, in hectares.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ranger_app.domain.errors import NoTrackPoints
from ranger_app.domain.fires import closed_ring, path_length_m
from ranger_app.domain.geo import haversine_m, polygon_area_ha
from ranger_app.domain.records import PhotoValue
from ranger_app.io.firms import register_fire_messages
from ranger_app.io.gpx import (
    DEFAULT_MAX_BYTES,
    GPX_MIME,
    CancelCallback,
    ParsedSegment,
    ProgressCallback,
    parse_gpx,
)
from ranger_app.store.media import MediaStore


@dataclass(frozen=True)
class WalkedPerimeter:
    ring: tuple[tuple[float, float], ...]  # closed: the first point repeated at the end
    area_ha: float
    length_m: float
    gap_m: float  # how far the walk's end was from its start
    points: int  # fixes in the segment used
    segment_name: str
    source: PhotoValue | None = None  # the GPX original, once stored


def _segment_length(segment: ParsedSegment) -> float:
    return path_length_m([(p.lat, p.lon) for p in segment.points])


def perimeter_from_gpx(path: Path, max_bytes: int = DEFAULT_MAX_BYTES,
                       progress: ProgressCallback | None = None,
                       cancel: CancelCallback | None = None) -> WalkedPerimeter:
    """The perimeter walked in `path`; typed errors for a file that holds no closed walk."""
    path = Path(path)
    parsed = parse_gpx(path, max_bytes=max_bytes, progress=progress, cancel=cancel)
    walks = parsed.segments or parsed.routes  # a perimeter drawn in a planner is a route
    if not walks:
        raise NoTrackPoints(str(path))
    segment = max(walks, key=lambda s: (_segment_length(s), len(s.points)))
    points = [(p.lat, p.lon) for p in segment.points]
    ring = closed_ring(points, path.name)
    gap = haversine_m(points[0][0], points[0][1], points[-1][0], points[-1][1])
    return WalkedPerimeter(
        ring=tuple(ring), area_ha=round(polygon_area_ha(ring), 3),
        length_m=round(path_length_m(ring), 1), gap_m=round(gap, 1), points=len(points),
        segment_name=segment.track_name,
    )


def import_perimeter(media: MediaStore, path: Path, progress: ProgressCallback | None = None,
                     cancel: CancelCallback | None = None) -> WalkedPerimeter:
    """Read the walk, then keep the GPX original in the media folder (only if it is good)."""
    walked = perimeter_from_gpx(path, progress=progress, cancel=cancel)
    sha, size = media.put_file(path)
    source = PhotoValue(sha256=sha, filename=path.name, mime=GPX_MIME, size=size, kind="gpx")
    return WalkedPerimeter(walked.ring, walked.area_ha, walked.length_m, walked.gap_m,
                           walked.points, walked.segment_name, source)


register_fire_messages()
