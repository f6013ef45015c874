"""Which patrols went through a place: a forest quarter or an area drawn on the map.

The patrol list and the effort report filter on the answer (`PatrolFilter.patrol_uuids`,
`effort_summary(patrol_uuids=...)`). A patrol passes when one of its walked tracks (planned
routes are no evidence) meets the area: a point inside, or a line between two consecutive
good points (those not flagged too fast, the line the distance measures) crossing it; a
track touching the edge counts. The filter keeps or drops *whole* patrols: their figures
are not clipped to the area (docs/decisions.md).

Speed: the track table stores no bounding box (that would need a migration), so every
track's box is computed once from its packed points with numpy and kept in memory keyed by
the track's uuid, rev and hlc; a later filter reads only the points of tracks whose box
meets the area's box, and shapely's prepared `intersects` decides.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select

from ranger_app.domain.layers import QUARTER_KIND, MapLayer, label_order
from ranger_app.domain.track import FLAG_TOO_FAST, point_array
from ranger_app.store.db import Database
from ranger_app.store.models import Patrol, Track

BATCH = 400
Box = tuple[float, float, float, float]  # west, south, east, north


@dataclass(frozen=True)
class Area:
    """What the user chose to filter by. `kind`: "quarter" (label and district name it) or
    "drawn" (a polygon the user drew); `geometry` in WGS84 longitude/latitude."""

    kind: str
    geometry: BaseGeometry
    label: str = ""
    district: str = ""


@dataclass(frozen=True)
class QuarterChoice:
    """One forest quarter offered in the quarter filter."""

    label: str
    district: str
    geometry: BaseGeometry

    def area(self) -> Area:
        return Area("quarter", self.geometry, self.label, self.district)


def quarter_choices(layers: Iterable[MapLayer]) -> list[QuarterChoice]:
    """Every forest quarter of the quarter layers (polygons only), sorted by district, then
    by quarter number. Quarters with the same label and district (one quarter drawn in
    several parts) are one choice."""
    parts: dict[tuple[str, str], list[BaseGeometry]] = {}
    for layer in layers:
        if layer.kind != QUARTER_KIND:
            continue
        for f in layer.features:
            g = f.geometry
            if g.is_empty or g.geom_type not in ("Polygon", "MultiPolygon"):
                continue
            parts.setdefault((f.district.strip(), f.label.strip()), []).append(g)
    out = [QuarterChoice(label, district,
                         geoms[0] if len(geoms) == 1 else shapely.union_all(geoms))
           for (district, label), geoms in parts.items()]
    out.sort(key=lambda q: (q.district.casefold(), label_order(q.label)))
    return out


def drawn_area(points: Sequence[tuple[float, float]]) -> Area:
    """The polygon of points (lon, lat) the user clicked; ValueError with fewer than three
    distinct points. A ring drawn crossing itself is repaired (`make_valid`)."""
    distinct = list(dict.fromkeys((float(x), float(y)) for x, y in points))
    if len(distinct) < 3:
        raise ValueError("an area needs at least three points")
    polygon = shapely.make_valid(Polygon(distinct))
    if polygon.is_empty or polygon.area == 0:
        raise ValueError("the points lie on one line")
    return Area("drawn", polygon)


# --- the tracks -----------------------------------------------------------------------------

_boxes: dict[str, tuple[int, str, Box | None]] = {}  # track uuid -> rev, hlc, box
_boxes_lock = threading.Lock()  # filters run in workers


def _good_xy(blob: bytes) -> np.ndarray:
    arr = point_array(blob)
    good = arr[(arr["flags"] & FLAG_TOO_FAST) == 0]
    return np.column_stack([good["lon"], good["lat"]])


def _box(xy: np.ndarray) -> Box | None:
    if not len(xy):
        return None
    (w, s), (e, n) = xy.min(axis=0), xy.max(axis=0)
    return (float(w), float(s), float(e), float(n))


def _meets(a: Box, b: Box) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _track_geometry(xy: np.ndarray) -> BaseGeometry:
    return shapely.points(xy[0]) if len(xy) == 1 else shapely.linestrings(xy)


def patrols_through(db: Database, area: BaseGeometry, *,
                    cancelled: Callable[[], bool] | None = None,
                    progress: Callable[[int, int], None] | None = None) -> frozenset[str]:
    """Uuids of the live patrols with a walked track that meets `area` (see the module
    docstring). `progress(done, total)` counts tracks; a cancelled run returns what it
    found so far (the caller drops it)."""
    if area.is_empty:
        return frozenset()
    shapely.prepare(area)
    area_box: Box = area.bounds
    with db.session() as s:
        rows = s.execute(
            select(Track.uuid, Track.rev, Track.hlc, Track.patrol_uuid)
            .join(Patrol, Patrol.uuid == Track.patrol_uuid)
            .where(Track.deleted.is_(False), Track.kind != "route",
                   Track.point_count > 0, Patrol.deleted.is_(False))).all()
        with _boxes_lock:
            known = {uuid: _boxes.get(uuid) for uuid, *_rest in rows}
        found: set[str] = set()
        todo: list[tuple[str, int, str, str]] = []
        for uuid, rev, hlc, patrol_uuid in rows:
            cached = known[uuid]
            if cached is not None and cached[:2] == (rev, hlc) and (
                    cached[2] is None or not _meets(cached[2], area_box)):
                continue  # its box is known and misses the area: no points to read
            todo.append((uuid, rev, hlc, patrol_uuid))
        total, done = len(rows), len(rows) - len(todo)
        for start in range(0, len(todo), BATCH):
            if cancelled is not None and cancelled():
                break
            batch = [t for t in todo[start:start + BATCH] if t[3] not in found]
            blobs = dict(s.execute(select(Track.uuid, Track.points).where(
                Track.uuid.in_([t[0] for t in batch]))).all()) if batch else {}
            learnt: dict[str, tuple[int, str, Box | None]] = {}
            for uuid, rev, hlc, patrol_uuid in batch:
                xy = _good_xy(blobs.get(uuid) or b"")
                box = _box(xy)
                learnt[uuid] = (rev, hlc, box)
                if box is not None and _meets(box, area_box) and \
                        area.intersects(_track_geometry(xy)):
                    found.add(patrol_uuid)
            with _boxes_lock:
                _boxes.update(learnt)
            done += len(todo[start:start + BATCH])
            if progress is not None:
                progress(done, total)
    return frozenset(found)


__all__ = ["Area", "QuarterChoice", "drawn_area", "patrols_through", "quarter_choices"]
