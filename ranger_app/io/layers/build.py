"""Shapes gathered from a file as flat coordinates, built into shapely arrays in one call.

A forestry's quarter grid is 20,000 polygons; one shapely constructor call per polygon costs
more than reading the file. The format readers hand each feature's coordinate lists to a
`Collector`, which counts the vertices as they come (so an oversized file is refused before
it is built), checks what cannot be repaired (a ring of 2 points) and builds every geometry
of a type with one `shapely.from_ragged_array`. `repair` then makes what is invalid valid.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from pyproj import CRS
from shapely import GeometryType

from ranger_app.i18n import N_, _
from ranger_app.io.layers.errors import (
    BROKEN_GEOMETRY,
    MAX_VERTICES,
    TOO_MANY_VERTICES,
    LayerInvalid,
    LayerReadCancelled,
)

# nesting of coordinate lists per type: a Polygon is rings of points, so 2
_DEPTH = {
    GeometryType.POINT: 0,
    GeometryType.MULTIPOINT: 1,
    GeometryType.LINESTRING: 1,
    GeometryType.POLYGON: 2,
    GeometryType.MULTILINESTRING: 2,
    GeometryType.MULTIPOLYGON: 3,
}
_POLYGONAL = (GeometryType.POLYGON, GeometryType.MULTIPOLYGON)
_LINEAR = (GeometryType.LINESTRING, GeometryType.MULTILINESTRING)


@dataclass
class SourceLayer:
    """One layer as a format reader found it: geometries still in the file's CRS."""

    name: str
    fields: tuple[str, ...]
    crs: CRS
    numbers: list[int]  # feature numbers for messages: 1-based file order (GeoPackage: fid)
    geometries: np.ndarray  # shapely objects, parallel to `numbers`
    rows: list[tuple[Any, ...]]  # attribute values in `fields` order, parallel to `numbers`
    notes: list[str] = field(default_factory=list)  # features dropped while reading


class Ticker:
    """`progress(done, total)` and `cancelled()` every STEP features, as the API promises."""

    STEP = 1000

    def __init__(self, progress: Callable[[int, int], None] | None,
                 cancelled: Callable[[], bool] | None) -> None:
        self._progress = progress
        self._cancelled = cancelled
        self.total = 0
        self._started = False

    def start(self, total: int) -> None:
        self.total = total
        self._started = True
        self.check(0)

    def tick(self, done: int) -> None:
        if done and done % self.STEP == 0:
            self.check(done)

    def check(self, done: int) -> None:
        if self._cancelled is not None and self._cancelled():
            raise LayerReadCancelled()
        if self._progress is not None and self._started:  # (0, 0) would tell nothing
            self._progress(done, self.total)


class VertexBudget:
    """Counts points as a reader meets them and refuses the file past MAX_VERTICES."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.count = 0

    def add(self, n: int) -> None:
        self.count += n
        if self.count > MAX_VERTICES:
            raise LayerInvalid(self.path, TOO_MANY_VERTICES, str(self.count))

    def at_least(self, n: int) -> None:
        """Refuse now if `n` more vertices (a lower bound, e.g. from byte counts) would
        already pass the limit; nothing is counted."""
        if self.count + n > MAX_VERTICES:
            raise LayerInvalid(self.path, TOO_MANY_VERTICES, f"{self.count + n}+")


def broken(path: str, number: int, why: str) -> LayerInvalid:
    return LayerInvalid(path, BROKEN_GEOMETRY,
                        _("feature {n}: {why}").format(n=number, why=why))


@dataclass
class _Bucket:
    """Flat coordinates and ragged offsets of all geometries of one type."""

    depth: int
    coords: list[Any] = field(default_factory=list)
    offsets: list[list[int]] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)  # first coordinate of each geometry
    numbers: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.offsets = [[0] for _ in range(self.depth)]

    def put(self, nested: Any, depth: int) -> None:
        if depth == 0:
            self.coords.append(nested)
        elif depth == 1:
            self.coords.extend(nested)
            self.offsets[0].append(len(self.coords))
        else:
            for part in nested:
                self.put(part, depth - 1)
            self.offsets[depth - 1].append(len(self.offsets[depth - 2]) - 1)


class Collector:
    """Features' coordinates, gathered per type; `build()` returns them in the order added."""

    def __init__(self, path: str, budget: VertexBudget) -> None:
        self.path = path
        self.budget = budget
        self.notes: list[str] = []
        self._buckets: dict[GeometryType, _Bucket] = {}
        self._order: list[tuple[GeometryType | None, int]] = []
        self._loose: list[shapely.Geometry] = []

    def add(self, number: int, kind: GeometryType, nested: Any) -> None:
        """`nested`: an (x, y) tuple for a point, a list of them for a line, a list of rings
        for a polygon, and so on. Polygon rings must be closed or are closed here."""
        if kind in _POLYGONAL:
            nested = self._closed_rings(number, nested, kind == GeometryType.MULTIPOLYGON)
        elif kind in _LINEAR:
            for line in ([nested] if kind == GeometryType.LINESTRING else nested):
                if len(line) < 2:
                    raise broken(self.path, number,
                                 _("a line of {n} point(s)").format(n=len(line)))
        bucket = self._buckets.get(kind)
        if bucket is None:
            bucket = self._buckets[kind] = _Bucket(_DEPTH[kind])
        before = len(bucket.coords)
        bucket.starts.append(before)
        bucket.numbers.append(number)
        bucket.put(nested, bucket.depth)
        self.budget.add(len(bucket.coords) - before)
        self._order.append((kind, len(bucket.numbers) - 1))

    def add_geometry(self, geometry: shapely.Geometry) -> None:
        """A shape built elsewhere (a GeoJSON GeometryCollection), counted by its builder."""
        self._order.append((None, len(self._loose)))
        self._loose.append(geometry)

    def __len__(self) -> int:
        return len(self._order)

    def _closed_rings(self, number: int, nested: Any, multi: bool) -> Any:
        polygons = nested if multi else [nested]
        for polygon in polygons:
            for i, ring in enumerate(polygon):
                if len(ring) >= 3 and ring[0] != ring[-1]:
                    polygon[i] = ring = [*ring, ring[0]]
                    self.notes.append(_("feature {n}: closed an open ring").format(n=number))
                if len(ring) < 4:
                    raise broken(self.path, number, _(
                        "a polygon ring of {n} point(s); at least 4 are needed").format(
                            n=len(ring)))
        return nested

    def build(self) -> np.ndarray:
        built = {kind: self._build_bucket(kind, bucket) for kind, bucket in self._buckets.items()}
        out = np.empty(len(self._order), dtype=object)
        for i, (kind, index) in enumerate(self._order):
            out[i] = self._loose[index] if kind is None else built[kind][index]
        return out

    def _build_bucket(self, kind: GeometryType, bucket: _Bucket) -> np.ndarray:
        coords = self._numeric(bucket.coords, bucket)
        offsets = tuple(np.asarray(o, dtype=np.int64) for o in bucket.offsets)
        if kind == GeometryType.POINT:
            return shapely.points(coords)
        return shapely.from_ragged_array(kind, coords, offsets)

    def _numeric(self, coords: list[Any], bucket: _Bucket) -> np.ndarray:
        """(n, 2) float64, or BROKEN_GEOMETRY naming the first feature with text, null or NaN
        where a number should be."""
        if not coords:
            return np.empty((0, 2), dtype=np.float64)
        arr = _as_array(coords)
        if arr is None:
            first = next((i for i, xy in enumerate(coords) if not _is_xy(xy)), -1)
            if first < 0:  # all numbers, but some positions with an altitude and some without
                arr = _as_array([(p[0], p[1]) for p in coords])
        if arr is not None:
            bad = np.flatnonzero(~np.isfinite(arr).all(axis=1))
            if not len(bad):
                return arr
            first = int(bad[0])
        feature = bucket.numbers[int(np.searchsorted(bucket.starts, first, side="right")) - 1]
        raise broken(self.path, feature, _("a coordinate that is not a finite number"))


def _as_array(coords: list[Any]) -> np.ndarray | None:
    """(n, 2) float64 when every position is numbers of one length (altitude dropped)."""
    try:
        arr = np.asarray(coords)
    except (ValueError, TypeError):  # positions of unequal length, or worse
        return None
    if arr.dtype.kind in "iuf" and arr.ndim == 2 and arr.shape[1] >= 2:
        return arr[:, :2].astype(np.float64, copy=False)
    return None


def _is_xy(xy: Any) -> bool:
    if not isinstance(xy, Sequence) or len(xy) < 2:
        return False
    for v in xy[:2]:
        if isinstance(v, bool) or not isinstance(v, int | float):
            return False
        try:
            if not math.isfinite(v):
                return False
        except OverflowError:
            return False
    return True


# --- repair --------------------------------------------------------------------------------
def repair(geometries: np.ndarray, numbers: Sequence[int],
           notes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Invalid geometries through `shapely.make_valid`, kept to their own dimension (a
    bow-tie becomes two triangles, not triangles and a line); those that collapse to nothing
    are dropped. Returns the geometries and a mask of those kept."""
    keep = np.ones(len(geometries), dtype=bool)
    for i in np.flatnonzero(~shapely.is_valid(geometries)):
        geometry = geometries[i]
        why = _reason(shapely.is_valid_reason(geometry))
        fixed = _same_dimension(shapely.make_valid(geometry), shapely.get_dimensions(geometry))
        if fixed is None or fixed.is_empty:
            keep[i] = False
            notes.append(_("feature {n}: {why}, nothing left after repair; dropped").format(
                n=numbers[i], why=why))
        else:
            geometries[i] = fixed
            notes.append(_("feature {n}: repaired {why}").format(n=numbers[i], why=why))
    return geometries, keep


# GEOS's reasons (`is_valid_reason`), as the user reads them.
_REASONS = {
    "self-intersection": N_("self-intersection"),
    "ring self-intersection": N_("ring self-intersection"),
    "hole lies outside shell": N_("a hole outside its polygon"),
    "holes are nested": N_("nested holes"),
    "interior is disconnected": N_("a polygon cut in two by its holes"),
    "nested shells": N_("nested polygons"),
    "duplicate rings": N_("duplicate rings"),
    "too few points in geometry component": N_("too few points"),
    "invalid coordinate": N_("an invalid coordinate"),
    "ring is not closed": N_("an unclosed ring"),
    "repeated point": N_("a repeated point"),
}


def _reason(text: str | None) -> str:
    """"Self-intersection[131.5 43.1]" → "self-intersection", in the user's language."""
    key = re.sub(r"\[.*$", "", text or "").strip().lower()
    return _(_REASONS.get(key, N_("invalid geometry"))) if key in _REASONS or not key \
        else key


def _same_dimension(geometry: shapely.Geometry, dimension: int) -> shapely.Geometry | None:
    parts = [p for p in shapely.get_parts(shapely.get_parts(geometry))
             if not p.is_empty and shapely.get_dimensions(p) == dimension]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    if dimension == 2:
        return shapely.multipolygons(parts)
    if dimension == 1:
        return shapely.multilinestrings(parts)
    return shapely.multipoints(parts)
