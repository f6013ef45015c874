"""Fire reports as plain values: the report, its status timeline, satellite hotspots.

A `FireReportValue` is what the fire editor edits and `store.fires.save_fire` writes; the
checks a report must pass before it is written live here too (`validate_fire`), each failure
a typed error carrying the facts (the UI words it). The rules that tie a walked perimeter, a
season or a satellite hotspot to a fire are pure functions here as well, so the CLI, the
importer and the tests share one definition.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from ranger_app.domain.errors import BadInput, MissingValue
from ranger_app.domain.geo import check_position, haversine_m
from ranger_app.domain.records import PhotoValue
from ranger_app.domain.serial import json_to_dict, value_to_json
from ranger_app.domain.validation import check_not_future
from ranger_app.domain.vocab import vocabulary

# --- values ---------------------------------------------------------------------------------

# Forest and non-forest areas are measured separately and rounded to 0.1 ha each: their sum
# may exceed the total by a rounding step, or by 1 % on a large fire, and still be honest.
AREA_TOLERANCE_HA = 0.1
AREA_TOLERANCE_SHARE = 0.01


@dataclass
class FireStatusStepValue:
    """One point of the status timeline: the fire was `fire_status` at `at`, `area_ha` big."""

    fire_status: str = "ACTIVE"
    at: datetime | None = None
    area_ha: float | None = None
    note: str = ""
    uuid: str | None = None


@dataclass
class FireReportValue:
    station_uuid: str | None = None
    number: str = ""
    official_number: str = ""
    report_kind: str = "INITIAL"
    detected_at: datetime | None = None
    start_est_at: datetime | None = None
    tz: str = "Asia/Vladivostok"
    lat: float | None = None
    lon: float | None = None
    locality: str = ""
    forest_district: str = ""
    quarter: str = ""
    land_category: str = ""
    fire_type: str = ""
    intensity: str = ""
    cause: str = "UNKNOWN"
    detection_source: str = ""
    detected_by: str = ""
    fire_status: str = "ACTIVE"  # kept equal to the last step of the timeline on save
    area_total_ha: float | None = None
    area_forest_ha: float | None = None
    area_nonforest_ha: float | None = None
    area_at_detection_ha: float | None = None
    people: int | None = None
    vehicles: int | None = None
    aircraft: int | None = None
    pumps: int | None = None
    wind_ms: float | None = None
    wind_dir_deg: int | None = None
    temp_c: float | None = None
    humidity_pct: float | None = None
    fuel_type: str = ""
    wildlife_threat_note: str = ""
    perimeter: list[tuple[float, float]] = field(default_factory=list)  # closed ring (lat, lon)
    perimeter_area_ha: float | None = None
    patrol_uuid: str | None = None
    notes: str = ""
    notes_lang: str = ""
    steps: list[FireStatusStepValue] = field(default_factory=list)
    attachments: list[PhotoValue] = field(default_factory=list)  # photos, the perimeter's GPX
    uuid: str | None = None
    rev: int = 0

    def photos(self) -> list[PhotoValue]:
        return [a for a in self.attachments if a.kind == "photo"]

    def ordered_steps(self) -> list[FireStatusStepValue]:
        """Steps by time (steps without a time keep their place at the end)."""
        return sorted(self.steps, key=lambda s: (s.at is None, s.at or datetime.min))

    def current_status(self) -> str:
        steps = self.ordered_steps()
        return steps[-1].fire_status if steps else self.fire_status

    def extinguished_at(self) -> datetime | None:
        """When the fire was put out, if its last step says so."""
        steps = self.ordered_steps()
        if steps and steps[-1].fire_status == "EXTINGUISHED":
            return steps[-1].at
        return None


@dataclass(frozen=True)
class FireListRow:
    """One line of the fire list, with what the map needs."""

    uuid: str
    number: str
    detected_at: datetime | None
    tz: str
    fire_type: str
    fire_status: str
    area_total_ha: float | None
    locality: str
    forest_district: str
    quarter: str
    lat: float | None
    lon: float | None
    perimeter: tuple[tuple[float, float], ...]
    hotspots: int


@dataclass
class HotspotValue:
    """A NASA FIRMS hotspot: a pixel centre seen burning by a satellite at one time."""

    instrument: str  # MODIS | VIIRS
    lat: float
    lon: float
    acquired_at: datetime
    satellite: str = ""
    confidence: str = ""
    frp_mw: float | None = None
    brightness_k: float | None = None
    daynight: str = ""
    source_file: str = ""
    raw: dict[str, str] = field(default_factory=dict)
    matched_fire_uuid: str | None = None
    checked: bool = False
    uuid: str | None = None


# --- errors -----------------------------------------------------------------------------------

@dataclass
class NegativeArea(BadInput):
    field: str  # area_total_ha | area_forest_ha | ... | step
    value: float


@dataclass
class AreaPartsExceedTotal(BadInput):
    forest: float
    nonforest: float
    total: float


@dataclass
class ValueOutOfRange(BadInput):
    field: str
    value: float
    low: float
    high: float


@dataclass
class StartAfterDetection(BadInput):
    start: str
    detected: str
    tz: str = "UTC"


@dataclass
class StepBeforeDetection(BadInput):
    step: int  # 1-based, in the order shown
    status: str
    at: str
    detected: str
    tz: str = "UTC"


@dataclass
class StepsOutOfOrder(BadInput):
    step: int
    status: str
    at: str
    previous_status: str
    previous_at: str
    tz: str = "UTC"


@dataclass
class PerimeterTooFewPoints(BadInput):
    points: int


@dataclass
class PerimeterNotClosed(BadInput):
    path: str
    gap_m: float
    limit_m: float
    length_m: float


@dataclass
class FirmsMissingColumns(BadInput):
    path: str
    instrument: str  # MODIS | VIIRS | "" when neither could be recognised
    columns: tuple[str, ...]


@dataclass
class FirmsUnknownColumns(BadInput):
    path: str
    columns: tuple[str, ...]


@dataclass
class FirmsBadValue(BadInput):
    path: str
    line: int
    column: str
    value: str


@dataclass
class FirmsNoRows(BadInput):
    path: str


# --- validation -------------------------------------------------------------------------------

def _check_code(vocab: str, code: str, required: bool = False) -> None:
    if code or required:
        vocabulary(vocab).get(code)


def _check_range(name: str, value: float | None, low: float, high: float) -> None:
    if value is not None and not (math.isfinite(value) and low <= value <= high):
        raise ValueOutOfRange(name, value, low, high)


def _check_area(name: str, value: float | None) -> None:
    if value is None:
        return
    if not math.isfinite(value):
        raise ValueOutOfRange(name, value, 0, math.inf)
    if value < 0:
        raise NegativeArea(name, value)


def area_tolerance(total: float) -> float:
    return max(AREA_TOLERANCE_HA, AREA_TOLERANCE_SHARE * total)


def check_areas(fire: FireReportValue) -> None:
    for name in ("area_total_ha", "area_forest_ha", "area_nonforest_ha",
                 "area_at_detection_ha", "perimeter_area_ha"):
        _check_area(name, getattr(fire, name))
    total = fire.area_total_ha
    forest, nonforest = fire.area_forest_ha or 0.0, fire.area_nonforest_ha or 0.0
    if total is not None and forest + nonforest > total + area_tolerance(total):
        raise AreaPartsExceedTotal(forest, nonforest, total)


def check_times(fire: FireReportValue, now: datetime | None = None) -> None:
    if fire.detected_at is None:
        raise MissingValue("detected_at")
    check_not_future(fire.detected_at, now)
    if fire.start_est_at is not None:
        check_not_future(fire.start_est_at, now)
        if fire.start_est_at > fire.detected_at:
            raise StartAfterDetection(fire.start_est_at.isoformat(),
                                      fire.detected_at.isoformat(), fire.tz)
    previous: FireStatusStepValue | None = None
    for i, step in enumerate(fire.steps, start=1):
        if step.at is None:
            raise MissingValue("step_at")
        check_not_future(step.at, now)
        if step.at < fire.detected_at:
            raise StepBeforeDetection(i, step.fire_status, step.at.isoformat(),
                                      fire.detected_at.isoformat(), fire.tz)
        if previous is not None and previous.at is not None and step.at < previous.at:
            raise StepsOutOfOrder(i, step.fire_status, step.at.isoformat(),
                                  previous.fire_status, previous.at.isoformat(), fire.tz)
        previous = step


def check_perimeter(ring: Sequence[tuple[float, float]]) -> None:
    """A stored perimeter: a ring of at least three distinct places, all on the earth."""
    if not ring:
        return
    for lat, lon in ring:
        check_position(lat, lon, "perimeter")
    if len({(round(lat, 7), round(lon, 7)) for lat, lon in ring}) < 3:
        raise PerimeterTooFewPoints(len(ring))


def validate_fire(fire: FireReportValue, now: datetime | None = None) -> None:
    """Everything a fire report must satisfy before it is written; raises the first problem."""
    check_times(fire, now)
    if (fire.lat is None) != (fire.lon is None):
        raise MissingValue("lat" if fire.lat is None else "lon")
    if fire.lat is not None and fire.lon is not None:
        check_position(fire.lat, fire.lon, "fire")
    check_areas(fire)
    for step in fire.steps:
        _check_code("fire_statuses", step.fire_status, required=True)
        if step.area_ha is not None:
            _check_area("step", step.area_ha)
    _check_code("fire_report_kinds", fire.report_kind, required=True)
    _check_code("fire_statuses", fire.fire_status, required=True)
    _check_code("fire_causes", fire.cause)
    for vocab, code in (("land_categories", fire.land_category),
                        ("fire_types", fire.fire_type),
                        ("fire_intensities", fire.intensity),
                        ("fire_detection_sources", fire.detection_source),
                        ("fuel_types", fire.fuel_type)):
        _check_code(vocab, code)
    for name in ("people", "vehicles", "aircraft", "pumps"):
        _check_range(name, getattr(fire, name), 0, 100_000)
    _check_range("wind_ms", fire.wind_ms, 0, 100)
    _check_range("wind_dir_deg", fire.wind_dir_deg, 0, 360)
    _check_range("temp_c", fire.temp_c, -60, 60)
    _check_range("humidity_pct", fire.humidity_pct, 0, 100)
    check_perimeter(fire.perimeter)


# --- a walked perimeter ------------------------------------------------------------------------

# A walk around a fire ends where it started. GPS fixes wander by 5-15 m, so the end may miss
# the start a little; more than 100 m, or more than a tenth of the walk on a small fire, is a
# walk broken off (or the wrong file), and closing it with a straight line would invent area.
CLOSE_MAX_M = 100.0
CLOSE_MAX_SHARE = 0.10
CLOSE_MIN_M = 20.0  # never ask for better than a handheld GPS can give
THIN_M = 5.0  # points closer than this to the last kept one add nothing to the area


def path_length_m(points: Sequence[tuple[float, float]]) -> float:
    return sum(haversine_m(a[0], a[1], b[0], b[1]) for a, b in pairwise(points))


def closing_limit_m(length_m: float) -> float:
    return max(CLOSE_MIN_M, min(CLOSE_MAX_M, CLOSE_MAX_SHARE * length_m))


def closed_ring(points: Sequence[tuple[float, float]], source: str = "") -> list[
        tuple[float, float]]:
    """The walk as a closed ring (first point repeated at the end), thinned to `THIN_M`.

    Raises PerimeterTooFewPoints or PerimeterNotClosed.
    """
    kept: list[tuple[float, float]] = []
    for p in points:
        if not kept or haversine_m(kept[-1][0], kept[-1][1], p[0], p[1]) >= THIN_M:
            kept.append((p[0], p[1]))
    if len(points) and kept[-1] != (points[-1][0], points[-1][1]):
        kept.append((points[-1][0], points[-1][1]))
    if len(kept) < 4:
        raise PerimeterTooFewPoints(len(points))
    length = path_length_m(kept)
    gap = haversine_m(kept[0][0], kept[0][1], kept[-1][0], kept[-1][1])
    limit = closing_limit_m(length)
    if gap > limit:
        raise PerimeterNotClosed(source, round(gap, 1), round(limit, 1), round(length, 1))
    if gap > 0:
        kept.append(kept[0])
    else:
        kept[-1] = kept[0]
    check_perimeter(kept)
    return kept


# --- seasons ----------------------------------------------------------------------------------

SEASON_MONTHS = {"spring": (3, 7), "autumn": (9, 12)}  # [first month, month after the last)


@dataclass(frozen=True)
class Season:
    """Spring (March to June) or autumn (September to November) fires of one year."""

    year: int
    kind: str  # spring | autumn

    def bounds(self, tz: str = "Asia/Vladivostok") -> tuple[datetime, datetime]:
        """[start, end) in UTC, from local midnight at the park."""
        first, after = SEASON_MONTHS[self.kind]
        zone = ZoneInfo(tz)
        start = datetime(self.year, first, 1, tzinfo=zone)
        end = datetime(self.year, after, 1, tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    @classmethod
    def of(cls, when: datetime, tz: str = "Asia/Vladivostok") -> Season | None:
        local = when.astimezone(ZoneInfo(tz))
        for kind, (first, after) in SEASON_MONTHS.items():
            if first <= local.month < after:
                return cls(local.year, kind)
        return None


@dataclass(frozen=True)
class FireFilter:
    season: Season | None = None
    status: str | None = None


# --- satellite hotspots to fires -----------------------------------------------------------------

MATCH_RADIUS_M = {"MODIS": 1000.0, "VIIRS": 500.0}  # about one pixel: 1 km and 375 m
MATCH_SLACK = timedelta(hours=24)


@dataclass(frozen=True)
class FireWindow:
    """Where and when a fire burned, for matching: detected .. extinguished (None: still on)."""

    uuid: str
    lat: float
    lon: float
    start: datetime
    end: datetime | None


def match_hotspot(hotspot: HotspotValue, fires: Sequence[FireWindow],
                  now: datetime | None = None) -> str | None:
    """The nearest fire within the instrument's radius and ±24 h of its active window."""
    radius = MATCH_RADIUS_M[hotspot.instrument]
    now = now or datetime.now(UTC)
    best: tuple[float, str] | None = None
    for fire in fires:
        end = fire.end or now
        if not (fire.start - MATCH_SLACK <= hotspot.acquired_at <= end + MATCH_SLACK):
            continue
        distance = haversine_m(hotspot.lat, hotspot.lon, fire.lat, fire.lon)
        if distance <= radius and (best is None or distance < best[0]):
            best = (distance, fire.uuid)
    return best[1] if best else None


class FireGrid:
    """Fires bucketed by ~2 km cells so a large FIRMS file is matched in linear time."""

    CELL_DEG = 0.02  # 2.2 km north-south: wider than the largest radius, so 3x3 cells suffice

    def __init__(self, fires: Sequence[FireWindow]) -> None:
        # one longitude width for every cell, wide enough at the fire farthest from the equator
        widest = max((abs(f.lat) for f in fires), default=0.0) + 0.1
        self._lon_deg = self.CELL_DEG / max(math.cos(math.radians(min(widest, 89.0))), 0.01)
        self._cells: dict[tuple[int, int], list[FireWindow]] = {}
        for fire in fires:
            self._cells.setdefault(self._cell(fire.lat, fire.lon), []).append(fire)

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        return math.floor(lat / self.CELL_DEG), math.floor(lon / self._lon_deg)

    def near(self, lat: float, lon: float) -> list[FireWindow]:
        cy, cx = self._cell(lat, lon)
        return [fire for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                for fire in self._cells.get((cy + dy, cx + dx), ())]


# --- drafts -----------------------------------------------------------------------------------

def fire_to_json(fire: FireReportValue) -> str:
    return value_to_json(fire)


def fire_from_json(text: str) -> FireReportValue:
    d: dict[str, Any] = json_to_dict(text)
    steps = [FireStatusStepValue(**s) for s in d.pop("steps")]
    attachments = [PhotoValue(**a) for a in d.pop("attachments")]
    perimeter = [(float(p[0]), float(p[1])) for p in d.pop("perimeter")]
    return FireReportValue(**d, steps=steps, attachments=attachments, perimeter=perimeter)
